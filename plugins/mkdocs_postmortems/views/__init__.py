"""Everything a page shows: layout and home, incident card, browse pages, insights and charts,
exports, the search page, guide pages, and safe Markdown/HTML.

Views return Markdown strings and template data, never MkDocs objects; URLs come in as a function.
"""
