"""Page URLs by MkDocs' rules, for code that runs without a build (the command line).

During a build the plugin takes every URL from MkDocs' own `File` objects; a test checks that
this function gives the same answers.
"""

from __future__ import annotations

import posixpath
from urllib.parse import quote


def page_url(src_uri: str, *, directory_urls: bool) -> str:
    """Return the site-relative URL of the page MkDocs makes from the Markdown file `src_uri`.

    `index.md` and `README.md` become their folder's index page; with directory URLs,
    `a/b.md` becomes `a/b/`, otherwise `a/b.html`.
    """
    parent, filename = posixpath.split(src_uri)
    stem = posixpath.splitext(filename)[0]
    if stem == "README":
        stem = "index"
    if stem == "index" or not directory_urls:
        dest = posixpath.join(parent, f"{stem}.html")
    else:
        dest = posixpath.join(parent, stem, "index.html")
    folder, name = posixpath.split(dest)
    url = (folder or ".") + "/" if directory_urls and name == "index.html" else dest
    return quote(url)
