"""Writing postmortems: the `postmortems new` scaffold, lint rules and the importer.

Built on `core`; used by the CLI and, for lint findings and guides, by the build.
"""
