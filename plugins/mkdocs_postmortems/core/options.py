"""The site's `postmortems` options: every default declared once, checked in one place.

The plugin fills `Options` from MkDocs' validated config and the CLI from the same mkdocs.yml
read through MkDocs' own loader (see `plugin.config`), so both see the same values.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from .vocabulary import Vocabularies, merge_vocabularies

DEFAULT_RECURRENCE_WINDOW = 90
# `workers`: auto (a worker process on sites where it pays), 0 (none), 1 (one, on any site).
WORKERS: tuple[str | int, ...] = ("auto", 0, 1)


class OptionsError(ValueError):
    """The site's options are unusable; the message lists every problem and its fix."""


@dataclass(frozen=True)
class Options:
    """The plugin options with their defaults, plus the site facts the plugin and CLI need."""

    source: str = "postmortems"
    url_prefix: str = "postmortems"
    home: bool = True
    vocabularies: Mapping[str, Any] = field(default_factory=dict)
    recurrence_window: int = DEFAULT_RECURRENCE_WINDOW
    build_date: str | None = None
    required_sections: Mapping[str, Any] | None = None
    blameless_words: list[str] | None = None
    edit_uri: str | None = None
    lint_on_build: bool = True
    guide_pages: bool = True
    cache_dir: str = ".cache/postmortems"
    synonyms: list[Any] = field(default_factory=list)
    default_synonyms: bool = True
    search_page: str = "search.md"
    related: int = 5
    follow_up_ages: Mapping[str, Any] | None = None
    import_severity: Mapping[str, str] = field(default_factory=dict)
    workers: str | int = "auto"
    # Site facts (from mkdocs.yml itself, not the plugin's section).
    config_dir: Path = field(default_factory=Path)
    docs_dir: Path = field(default_factory=lambda: Path("docs"))
    site_dir: Path = field(default_factory=lambda: Path("site"))
    site_url: str = ""
    use_directory_urls: bool = True

    @property
    def root(self) -> Path:
        """Return the postmortems folder."""
        return self.config_dir / self.source

    @property
    def cache_path(self) -> Path:
        """Return the absolute cache folder (search index and build caches)."""
        return (self.config_dir / self.cache_dir).resolve()

    @property
    def prefix(self) -> str:
        """Return the site folder incident pages are published under, without slashes."""
        return self.url_prefix.strip("/")

    def plugin_values(self) -> dict[str, Any]:
        """Return the plugin options alone, by name."""
        return {name: getattr(self, name) for name in PLUGIN_OPTIONS}


PLUGIN_OPTIONS: tuple[str, ...] = tuple(
    f.name
    for f in fields(Options)
    if f.name not in {"config_dir", "docs_dir", "site_dir", "site_url", "use_directory_urls"}
)
DEFAULTS = Options()


def check(options: Options) -> Vocabularies:
    """Return the site's vocabularies, or raise `OptionsError` naming every unusable option."""
    vocabularies, errors = merge_vocabularies(options.vocabularies)
    prefix = options.prefix
    if not prefix or ".." in prefix.split("/"):
        errors.append("url_prefix must be a folder name such as 'postmortems'")
    if options.recurrence_window < 0:
        errors.append("recurrence_window must be a number of days, 0 or more")
    if options.related < 0:
        errors.append("related must be a number of incidents, 0 or more")
    for name, folder in (("docs_dir", options.docs_dir), ("site_dir", options.site_dir)):
        if options.cache_path.is_relative_to((options.config_dir / folder).resolve()):
            errors.append(
                f"cache_dir '{options.cache_dir}' is inside {name}; the search index must not be "
                "published or watched: use e.g. .cache/postmortems"
            )
    page = options.search_page
    if page and (not page.endswith(".md") or ".." in page.split("/") or page.startswith("/")):
        errors.append(
            f"search_page '{page}' must be a Markdown path in the site such as 'search.md' "
            "(or empty for no search page)"
        )
    allowed = {term.value for term in vocabularies.get("severity", ())}
    for level, severity in dict(options.import_severity).items():
        if severity not in allowed:
            errors.append(
                f"import_severity: '{level}: {severity}' is not a severity of this site "
                f"(allowed: {', '.join(sorted(allowed))})"
            )
    try:
        build_date(options.build_date)
    except OptionsError as error:
        errors.append(str(error))
    if errors:
        raise OptionsError("postmortems: " + "; ".join(errors))
    return vocabularies


def build_date(configured: str | None) -> date:
    """Return the build date: the configured one, else SOURCE_DATE_EPOCH, else today (UTC)."""
    if configured:
        try:
            return date.fromisoformat(configured)
        except ValueError:
            raise OptionsError(
                f"build_date '{configured}' is not a date (use YYYY-MM-DD)"
            ) from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), UTC).date()
        except ValueError:
            raise OptionsError(f"SOURCE_DATE_EPOCH '{epoch}' is not a number of seconds") from None
    return datetime.now(UTC).date()
