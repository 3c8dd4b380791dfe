"""Facts derived across postmortems: statistics, facets, related incidents, recurrences.

Built on `core` only; every inference carries the reasons a reader can check.
"""
