"""Root-cause search, the only package that imports Whoosh.

`documents` maps a postmortem to index fields, `store` keeps the crash-safe index, `query`
parses and runs queries (synonyms, did-you-mean), `synonyms` holds the shared synonym table.
Built on `core` and `analysis`; the CLI and the plugin share it.
"""
