"""Root-cause search: the Whoosh store (the only Whoosh import), query parsing and synonyms.

Built on `core` and `analysis`; the CLI and the plugin share it.
"""
