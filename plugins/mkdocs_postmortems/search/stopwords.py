"""Words that say nothing about an incident, left out of search and related-incident matching.

One list for the command line, the index and the browser (shipped in the search data), so a
query matches the same words everywhere and no page highlights "in", "could" or "not".
"""

from __future__ import annotations

# Whoosh's default English stop list, and the function words people type in a sentence
# ("users could not sign in").
_WORDS = """
a an and are as at be by can for from have if in is it may not of on or tbd that the this to
us we when will with yet you your
about after also all any been before being but could did do does during had has he her his
how i into its me my no our she should so some such than their them then there these they
those too very was were what which while who whom why would
again against because between both each few further here however just more most much once only
other over own same through until upon via where whose within without
"""
STOP_WORDS: frozenset[str] = frozenset(_WORDS.split())
