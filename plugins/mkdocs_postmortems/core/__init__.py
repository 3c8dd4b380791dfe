"""The format and its records: schema, vocabularies, strict YAML, loading, validation, catalog.

Plain data in, plain data out; imports nothing from the rest of the package and never MkDocs.
"""
