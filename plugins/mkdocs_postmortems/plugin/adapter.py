"""Connect the postmortem core to MkDocs: the only module that touches MkDocs objects.

Hooks run in lifecycle order. Per-build state is created in `on_config`; nothing survives a
`mkdocs serve` rebuild except what is deliberately cached under a key, and the related-incident
ranking, which compares its own inputs (`Ranking.rerank`). The build writes no search index:
the site searches its compact data, and the CLI brings the Whoosh index up to date itself.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin, urlsplit

from markupsafe import Markup, escape
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url
from mkdocs.utils.meta import get_data
from mkdocs.utils.templates import TemplateContext

from ..analysis.recurrence import Recurrence, by_incident, recurrences
from ..analysis.related import Ranking, Related
from ..authoring.lint import Context, LintConfig, run_rules
from ..core.cache import BuildCache, fingerprint
from ..core.catalog import Catalog, Settings, load_catalog
from ..core.loader import Rejected
from ..core.model import Postmortem
from ..core.options import Options, OptionsError, build_date, check
from ..core.problems import Level, Problem
from ..core.text import plural, shorten
from ..core.urls import RelativeTo
from ..search.documents import features, record_words
from ..search.synonyms import Table, build_table
from ..views.body import fold_repeated
from ..views.browse import (
    CATALOG_SCRIPT,
    CATALOG_URI,
    FacetSet,
    browse_links,
    browse_pages,
    card_facet_uri,
    catalog_filters,
    catalog_rows,
    facet_set,
    listing_cells,
    listing_rows,
    recurrence_card,
)
from ..views.card import incident_card, rejected_card
from ..views.exports import (
    CSV_URI,
    FEED_URI,
    JSON_URI,
    ExportContext,
    atom_feed,
    csv_export,
    exports_page,
    json_export,
)
from ..views.follow_ups import parse_ages
from ..views.gfm import normalize_lists
from ..views.guides import ADD_URI, REFERENCE_URI, add_page, reference_page
from ..views.html import Headings, Made
from ..views.html import write as write_html
from ..views.insights import Insights, insights_page
from ..views.layout import GeneratedPage, Layout, home_page, listed
from ..views.sanitize import sanitize_html
from ..views.search_page import (
    ASSETS,
    DATA_GZIP_URI,
    DATA_URI,
    compress,
    search_data,
    search_page,
    search_terms,
    similar_links,
)
from .config import PostmortemsConfig, options_from
from .forkmap import ForkMap, refusal
from .html_page import HtmlPage, headings_of, nav_titles
from .incremental import CompiledTemplates, KeptPages, PageDigests, TrackedFile
from .navcache import NavigationCache, add_shims, from_material
from .parallel import AUTO_MIN_MARKDOWN, Worker, start, unavailable
from .render_share import AUTO_MIN_PAGES, builder, shares_rendering
from .render_share import Pages as SharedPages
from .rendered import ConvertedPage, RenderedPages, rendered_pages
from .stencil import ORIGINALS as STENCIL_ORIGINALS
from .stencil import SHIMS as STENCIL_SHIMS
from .stencil import TOC_PARTIALS, Stencils

if TYPE_CHECKING:
    # Its web server and file watcher take 30-80 ms to import, which `mkdocs build` never needs.
    from mkdocs.livereload import LiveReloadServer

log = get_plugin_logger("postmortems")

PACKAGE_DIR = Path(__file__).parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
CSS_URI = "assets/postmortems/postmortems.css"
RANKING_VERSION = "1"  # the build cache entry of the related ranking (salted with the code)
# What the plugin's pages get in their template context (_page_data): shown in their content
# block, different on every page.
CONTENT_DATA = ("postmortem", "pm_catalog", "pm_listing", "pm_data", "rejected")
SAVE_MIN_SHARDS = 64  # a save writing fewer shards than this does not fork (each takes ~5 ms)


@dataclass(frozen=True)
class _Listings:
    """The generated pages and charts of a build, under the digest of their inputs."""

    key: str  # of everything but the recurrences
    pages: list[GeneratedPage]
    insights: Insights
    recurring: str  # key of the recurrences too (the Insights page shows them)


@dataclass(frozen=True)
class _Data:
    """The exports and the search data of a build, under the digest of their inputs."""

    key: str
    files: dict[str, str]  # exports, by site path
    search: str  # the search page's data ("" without a search page)
    search_gzip: bytes


_FIELD_NAMES = tuple(field.name for field in fields(Postmortem))
_NOT_FACTS = frozenset({"body", "digest"})  # what no page but the incident's own shows


# A build makes millions of short-lived objects while the records live throughout it. With
# Python's default first-generation threshold (700 allocations) a build of 1,000 postmortems
# ran 2,131 collections costing 1.8 s of 31 s CPU; at 20,000 it runs 76 costing 0.8 s. Set for
# the build only, and restored when it ends or fails.
GC_THRESHOLD = 20_000


class PostmortemsPlugin(BasePlugin[PostmortemsConfig]):  # type: ignore[no-untyped-call]
    """Turn the postmortems folder into incident pages and generated listing pages."""

    def __init__(self) -> None:
        self._findings: tuple[str, ...] | None = None  # last build's advice, kept across serve
        self.catalog = Catalog(())
        self.layout = Layout()
        self.root = Path()
        self._incidents: dict[str, Postmortem] = {}
        self._rejected: dict[str, Rejected] = {}
        self._generated: dict[str, GeneratedPage] = {}
        self._insights: Insights = insights_page(self.catalog, self.layout)
        self._recurrences: dict[str, list[Recurrence]] = {}
        self._recurrence_list: list[Recurrence] = []
        self._facets = FacetSet({})
        self._related: Related = {}
        self._facts: dict[str, str] = {}
        self._listed_facts: dict[str, str] = {}
        self._listed = self.catalog
        self._begin_session()
        self._vocabularies_key = ""
        self._synonyms: Table = {}
        self._env: Any = None
        self.options = Options()
        self.cache_dir = self.options.cache_path
        self._files = Files([])
        self._incident_urls: dict[str, str] = {}  # by record path, for this build's files
        # For incident cards: the page URL of each facet value they link (None: not linked).
        self._facet_urls: dict[tuple[str, str], str | None] = {}
        self._bodies: dict[str, str] = {}  # incident Markdown by record path, for this build
        self._cache = BuildCache(None, salt="")
        self._dirty = False
        self._command: str | None = None  # None: built without MkDocs' command line
        self._early: Worker | None = None  # converts incident bodies from on_files on
        self._worker: Worker | None = None  # converts the other pages (parallel)
        self._builder: Worker | None = None  # builds pages through the theme (render_share)
        self._shared: SharedPages | None = None
        self._mapper = ForkMap(enabled=False)
        self._serving = False
        self._saved = False
        self._digests = PageDigests()
        self._titles: dict[str, str] = {}
        self._rendered = RenderedPages(self._cache)
        self._files_key = ""
        self._settings_key = ""
        self._card_key = ""
        self._nav: Navigation | None = None
        self._gc_threshold: tuple[int, ...] | None = None
        self._frozen = False  # the build froze the objects of on_files (`_freeze`)
        self._collecting = True  # the collector was on when on_files began
        self._navigation = NavigationCache()
        self._stencils = Stencils()
        self._headings = Headings()

    def on_startup(self, *, command: str, dirty: bool) -> None:
        """Keep this instance across `mkdocs serve` rebuilds (MkDocs does so for plugins that
        have this hook), so findings that did not change are not logged again and the build
        cache stays in memory; note whether rebuilds are `--dirty`."""
        self._findings = None
        self._dirty = dirty
        self._command = command
        self._serving = command == "serve"
        self._saved = False
        self._begin_session()

    def _begin_session(self) -> None:
        """Forget what earlier builds of this process left in memory for the next ones.

        Kept across the rebuilds of one `mkdocs serve`, each under a key of its inputs: the
        related ranking, the generated pages and data, page digests and compiled templates.
        """
        self._facts_memo: dict[str, tuple[Postmortem, str, Postmortem, str]] = {}
        self._listings: _Listings | None = None
        self._data: _Data | None = None
        self._compiled = CompiledTemplates()
        self._kept_pages = KeptPages()
        self._own_digests: dict[str, tuple[object, str]] = {}  # by page: (source, digest)
        self._own_context: tuple[str | None, int] = (None, 0)
        self._related_generation = 0  # counts the changes of the related lists
        self._ranking: Ranking | None = None
        self._rows: dict[tuple[str, str], tuple[Postmortem, object, str]] = {}  # export rows
        self._rows_previous = self._rows
        self._site: tuple[object, ...] = ()

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Check the options, make the templates findable and start a fresh build state."""
        if not self.config.enabled:
            return config
        self._gc_threshold = gc.get_threshold()
        if self._gc_threshold[0] < GC_THRESHOLD:
            gc.set_threshold(GC_THRESHOLD, *self._gc_threshold[1:])
        if config.theme.name != "material":
            raise PluginError(
                "postmortems: the plugin needs the Material theme; set 'theme: name: material'"
            )
        self.options = options_from(self.config, config)
        try:
            vocabularies = check(self.options)
            self.settings = Settings(vocabularies, build_date(self.options.build_date))
        except OptionsError as error:
            raise PluginError(str(error)) from None
        self.root = self.options.root
        self._vocabularies_key = fingerprint(sorted(vocabularies.items()))
        self.lint_config, errors = LintConfig.from_options(
            self.options.plugin_values(), [term.value for term in vocabularies["severity"]]
        )
        if errors:
            raise PluginError("postmortems: " + "; ".join(errors))
        self._synonyms, errors = build_table(
            self.options.synonyms, defaults=self.options.default_synonyms
        )
        if errors:
            raise PluginError("postmortems: " + "; ".join(errors))
        self.follow_up_ages, errors = parse_ages(self.options.follow_up_ages)
        if errors:
            raise PluginError("postmortems: " + "; ".join(errors))
        self.edit_base = _edit_base(self.options.edit_uri, config, self.root)
        self.layout = Layout(self.options.prefix)
        self.cache_dir = self.options.cache_path
        if self._cache.folder != self.cache_dir:
            self._cache = BuildCache(self.cache_dir)
        # Our templates sit after the site's custom_dir, so a site can override any of them.
        position = 1 if config.theme.custom_dir else 0
        if str(TEMPLATES_DIR) not in config.theme.dirs:
            config.theme.dirs.insert(position, str(TEMPLATES_DIR))
        if CSS_URI not in config.extra_css:
            config.extra_css.append(CSS_URI)
        self.catalog = Catalog((), settings=self.settings)
        self._incidents, self._rejected, self._generated = {}, {}, {}
        self._related = {}
        self._listing_cells: dict[str, dict[str, Markup]] = {}
        self._env = None
        self._rendered = rendered_pages(self._cache, config, self)
        self._headings = headings_of(config)
        self._stop_worker()  # left by a build that was interrupted
        return config

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        """Load every postmortem, report its problems and add its page and the generated ones.

        What this makes (records, pages, listings) lives to the end of the build and holds
        almost no cyclic garbage (255 objects at 1,000 postmortems): the collector is off while
        it runs (its collections took 1.3 s of CPU here at 10,000) and what it made is frozen
        after (`_freeze`).
        """
        if not self.config.enabled:
            return files
        self._collecting = gc.isenabled()
        gc.disable()
        try:
            self._add_files(files, config)
            # Before the collector is on again: else its first collection would walk every
            # object made here (0.24 s at 10,000).
            self._freeze()
        finally:
            if self._collecting:
                gc.enable()
        return files

    def _add_files(self, files: Files, config: MkDocsConfig) -> None:
        self._files = files
        self._incident_urls, self._facet_urls = {}, {}
        self._bodies = {}
        self._cache.begin()
        self._mapper = ForkMap(refusal(self.options.workers, self._command) is None)
        self.catalog = load_catalog(self.root, self.settings, self._cache, self._mapper)
        self._settings_key = fingerprint(
            sorted(self.settings.vocabularies.items()), self.settings.today
        )
        # The incident pages first: their bodies are converted in a worker process while the
        # rest of the build's data is made (each needs only its record and the site's files).
        for pm in self.catalog:
            uri = self.layout.incident_uri(pm.path)
            file = self._add(files, config, uri, _body_source(pm.body))
            ConvertedPage(None, file, config)
            self._incidents[uri] = pm
        self._early = self._start_worker(config, files, list(self._incidents))
        problems = list(self.catalog.problems)
        if self.options.lint_on_build:
            docs_dir = Path(config.docs_dir)
            context = Context(
                self.catalog, self.lint_config, self.root, docs_dir, self.layout.prefix
            )
            findings = run_rules(self.catalog, context, self._cache, self._mapper)
            problems += [finding.problem for finding in findings]
        self._findings = _report(problems, self._findings)
        self._facts_of_catalog()
        self._facets = facet_set(self._listed)
        self._related = self._rank_related()
        found = recurrences(self.catalog, self._related, self.options.recurrence_window)
        self._recurrence_list = found
        self._recurrences = by_incident(found)
        for rejected in self.catalog.rejected:
            uri = self.layout.rejected_uri(rejected)
            self._add(files, config, uri, "\n")
            self._rejected[uri] = rejected
        for asset in self.catalog.assets:
            uri = self.layout.incident_uri(asset)
            if files.get_file_from_path(uri) is None:
                files.append(File.generated(config, uri, abs_src_path=str(self.root / asset)))
        listings = self._listings_for(files, config)
        for page in listings.pages:
            inclusion = InclusionLevel.INCLUDED if page.in_nav else InclusionLevel.NOT_IN_NAV
            file = self._add(files, config, page.src_uri, page.markdown, inclusion)
            self._generated[page.src_uri] = page
            if page.html is not None and page.meta is not None:
                # Written as HTML: MkDocs keeps this page and builds it without Markdown.
                title = str(page.meta["title"])
                HtmlPage(title, file, config, page.meta, self._write_html)
        data = self._data_for(config)
        for uri, content in {**listings.insights.files, **data.files}.items():
            self._add(files, config, uri, content, InclusionLevel.INCLUDED)
        files.append(
            File.generated(
                config, CSS_URI, abs_src_path=str(PACKAGE_DIR / "assets" / "postmortems.css")
            )
        )
        files.append(
            File.generated(
                config, CATALOG_SCRIPT, abs_src_path=str(PACKAGE_DIR / "assets" / "catalog.js")
            )
        )
        if self.options.search_page:
            self._add_search_files(files, config, data)
        # Listing pages link to incident pages: their HTML depends on which pages exist.
        self._files_key = fingerprint(sorted((f.src_uri, f.inclusion.name) for f in files))
        # What every incident card depends on besides its own inputs (_incident_inputs).
        self._card_key = fingerprint(
            self._settings_key,
            self._files_key,
            sorted(self._facets.slug_map.items()),
            self.options.related,
            config.use_directory_urls,
        )
        # A dirty build renders only some pages, and reused outputs read no words: keep the
        # entries of every page and record for the builds after it.
        for uri in [*self._incidents, *self._generated]:
            self._cache.keep("html", uri)
        for uri in self._incidents:
            self._cache.keep("card", uri)
        for pm in self.catalog:
            self._cache.keep("words", pm.path)
        if self._dirty:
            self._mark_unchanged(files, config)

    def _freeze(self) -> None:
        """Move every object made so far (the records, the files, the generated pages: they
        live to the end of the build) out of the collector's view until the build ends.

        A full collection walks every object it sees: a cold build of 1,000 postmortems ran one
        after on_files (0.1 s of CPU, timed with `gc.callbacks`), one of 10,000 two (1.2 s).
        Nothing is frozen if other code of the process froze objects.
        """
        if not self._frozen and gc.get_freeze_count() == 0:
            gc.freeze()
            self._frozen = True

    def _mark_unchanged(self, files: Files, config: MkDocsConfig) -> None:
        """Let a dirty build skip the pages whose Markdown and template data did not change."""
        self._digests.begin()
        pages = [f for f in files if isinstance(f, TrackedFile) and f.is_documentation_page()]
        config_file = Path(config.config_file_path or ".")
        shared = fingerprint(
            sorted(self.config.items()),
            config_file.stat().st_mtime_ns if config_file.is_file() else 0,
            [(f.src_uri, f.inclusion.name) for f in pages],
            # Every page shows the navigation: the titles of the pages in it.
            [_front_matter(page.markdown) for page in self._generated.values() if page.in_nav],
            # Incident cards link facet values to their pages by slug.
            sorted(self._facets.slug_map.items()),
        )
        whole = self._listings.key if self._listings is not None else None
        # The digests of the previous build's pages hold while `whole` (the facts of every
        # incident, the settings) and the related lists are the same: a listing's then, and an
        # incident's if its record is the same object (the cache reuses unchanged records).
        context = (whole, self._related_generation)
        if context != self._own_context:
            self._own_context, self._own_digests = context, {}
        for file in pages:
            uri = file.src_uri
            own: object
            if (pm := self._incidents.get(uri)) is not None:
                kept = self._own_digests.get(uri)
                if kept is None or kept[0] is not pm:
                    kept = pm, fingerprint(self._incident_inputs(pm))
                    self._own_digests[uri] = kept
                own = kept[1]
            elif (page := self._generated.get(uri)) is not None:
                kept = self._own_digests.get(uri)
                if kept is None or kept[0] is not page:
                    listed = [self._listed_facts[pm.path] for pm in page.listing]
                    everything = uri == CATALOG_URI or page.data is not None
                    inputs = (page.markdown, page.html, listed, whole if everything else None)
                    kept = page, fingerprint(*inputs)
                    self._own_digests[uri] = kept
                own = kept[1]
            else:
                own = self._rejected.get(uri)
            self._digests.mark(file, fingerprint(shared, own))
            if file.unchanged and isinstance(file.page, HtmlPage):
                pass  # not read again, and knows its title
            elif file.unchanged and uri in self._titles:
                # The page is not read again, but the navigation of the pages that are shows it.
                file.page = Page(self._titles[uri], file, config)
            else:
                file.unchanged = False

    def _incident_inputs(self, pm: Postmortem) -> tuple[object, ...]:
        """Return what an incident page is made from: the file, and what its card shows."""
        recurring = [(r.previous.id, r.days, r.reasons) for r in self._recurrences.get(pm.id, [])]
        # The card shows the best related incidents and why, not their scores (which move
        # with every edit anywhere in the corpus).
        shown_similar = self._related.get(pm.id, [])[: max(self.options.related, 0)]
        similar = [(other, reasons) for other, _score, reasons in shown_similar]
        others = {*pm.related, *(r[0] for r in recurring), *(other for other, _ in similar)}
        shown = [
            (o, other.path, self._facts[other.path])
            for o in sorted(others)
            if (other := self.catalog.get(o))
        ]
        return (pm.digest, self._settings_key, pm.related, pm.problems, recurring, similar, shown)

    def _rank_related(self) -> Related:
        """Return the related incidents of the catalog, computing only what an edit changed.

        Features are cached by file digest; the ranking is kept in memory under `mkdocs serve`
        and in the build cache between builds, and reranked (see `Ranking.rerank`).
        """
        started = time.perf_counter()
        found = self._cache.get_or_compute_all(
            "features",
            [(pm.path, pm.digest + self._vocabularies_key, pm) for pm in self.catalog],
            features,
            self._mapper,
        )
        previous = self._ranking
        if previous is None:
            previous = self._cache.lookup("related", "ranking", RANKING_VERSION)
        ranking = (
            Ranking.of(found, mapper=self._mapper)
            if previous is None
            else previous.rerank(found, mapper=self._mapper)
        )
        if ranking.voted or ranking.scored:  # else the stored ranking is this one
            self._cache.store("related", "ranking", RANKING_VERSION, ranking)
        self._cache.keep("related", "ranking")
        self._ranking = ranking
        if ranking.scored or previous is None:
            self._related_generation += 1
        log.info(
            f"related incidents: {ranking.scored} computed, {len(found) - ranking.scored} reused "
            f"in {time.perf_counter() - started:.2f} s"
        )
        return ranking.related

    def _facts_of_catalog(self) -> None:
        """Note, by path, a digest of what pages other than its own show of each postmortem.

        `_facts`: every field but the story (the body, which only its own page shows), what
        exports and the cards of other incidents show; `_listed`: the catalog of the records
        listing pages are made from (`views.layout.listed`), and `_listed_facts` their digests.
        An edit of the story changes none of them; one of the summary, no listing page.
        """
        memo: dict[str, tuple[Postmortem, str, Postmortem, str]] = {}
        for pm in self.catalog:
            kept = self._facts_memo.get(pm.path)
            if kept is None or kept[0] is not pm:  # records of unchanged files are reused
                shown = listed(pm)
                shown_digest = fingerprint(shown)
                # The fields listing pages do not show, on top of those they do: each field's
                # repr is made once (the reprs were most of this function's time).
                unlisted = [
                    (name, getattr(pm, name))
                    for name in _FIELD_NAMES
                    if getattr(shown, name) is not getattr(pm, name) and name not in _NOT_FACTS
                ]
                kept = pm, fingerprint(shown_digest, unlisted), shown, shown_digest
            memo[pm.path] = kept
        self._facts_memo = memo
        self._facts = {path: kept[1] for path, kept in memo.items()}
        self._listed_facts = {path: kept[3] for path, kept in memo.items()}
        self._listed = replace(
            self.catalog, postmortems=tuple(memo[pm.path][2] for pm in self.catalog)
        )

    def _listings_for(self, files: Files, config: MkDocsConfig) -> _Listings:
        """Return the generated pages and charts of this build.

        Under `mkdocs serve` they are the previous build's while nothing they show changed:
        most edits change an incident's story or summary only, which none of them shows. Of
        them, only the Insights page shows recurrences (which move with related incidents'
        reasons): it alone is made again when only they changed.
        """
        key = fingerprint(
            [(pm.path, self._listed_facts[pm.path]) for pm in self.catalog],
            self.catalog.rejected,
            self.catalog.assets,
            self._settings_key,
            sorted(self.config.items()),
            config.use_directory_urls,
            [files.get_file_from_path(uri) is None for uri in ("index.md", REFERENCE_URI, ADD_URI)],
        )
        recurring = fingerprint(
            key, [(r.incident.id, r.previous.id, r.reasons) for r in self._recurrence_list]
        )
        listings = self._listings
        if listings is None or listings.key != key:
            self._kept_pages.begin()
            pages = self._pages(files)
            listings = _Listings(key, pages, self._insights, recurring)
        elif listings.recurring != recurring:
            insights = self._insights_page()
            uri = insights.page.src_uri
            pages = [insights.page if page.src_uri == uri else page for page in listings.pages]
            listings = _Listings(key, pages, insights, recurring)
        self._listings = listings
        self._insights = listings.insights
        return listings

    def _data_for(self, config: MkDocsConfig) -> _Data:
        """Return the exports and the search data of this build (the last while the same)."""
        key = fingerprint(
            [(pm.path, self._facts[pm.path]) for pm in self.catalog],
            self._settings_key,
            sorted(self.config.items()),
            (config.site_name, config.site_url, config.use_directory_urls),
        )
        if self._data is None or self._data.key != key:
            search = ""
            if self.options.search_page:
                search = search_data(self.catalog, self._synonyms, self._incident_url, self._words)
            self._data = _Data(key, self._data_files(config), search, compress(search))
        return self._data

    def _words(self, pm: Postmortem) -> dict[str, str]:
        """Return the searched words of `pm` with their stems, cached by file digest."""
        key = pm.digest + self._vocabularies_key
        return self._cache.get_or_compute("words", pm.path, key, partial(record_words, pm))

    def _add_search_files(self, files: Files, config: MkDocsConfig, data: _Data) -> None:
        files.append(File.generated(config, DATA_URI, content=data.search))
        files.append(File.generated(config, DATA_GZIP_URI, content=data.search_gzip))
        for uri, source in ASSETS.items():
            if files.get_file_from_path(uri) is None:
                path = PACKAGE_DIR / "assets" / source
                files.append(File.generated(config, uri, abs_src_path=str(path)))

    def _pages(self, files: Files) -> list[GeneratedPage]:
        pages = []
        if self.options.home and files.get_file_from_path("index.md") is None:
            links = browse_links("index.md", self.layout)
            pages.append(home_page(self._listed, self.layout, links=links))
        if self.options.guide_pages:
            if files.get_file_from_path(REFERENCE_URI) is None:
                pages.append(reference_page(self.settings.vocabularies, self.lint_config))
            if files.get_file_from_path(ADD_URI) is None:
                pages.append(add_page())
        self._insights = self._insights_page()
        pages += [self._insights.page, exports_page()]
        if self.options.search_page:
            pages.append(search_page(self.options.search_page))
        return pages + browse_pages(
            self._listed,
            self.layout,
            self._facets,
            self.follow_up_ages,
            # Only a serve session builds again: a single build keeps nothing for later.
            self._kept_pages if self._serving else None,
            lambda pm: self._listed_facts[pm.path],
        )

    def _insights_page(self) -> Insights:
        shown = {pm.path: pm for pm in self._listed}
        recurring = [
            Recurrence(shown[r.incident.path], shown[r.previous.path], r.reasons)
            for r in self._recurrence_list
        ]
        return insights_page(
            self._listed, self.layout, recurring=recurring, window=self.options.recurrence_window
        )

    def _data_files(self, config: MkDocsConfig) -> dict[str, str]:
        """Return the exports, by site path."""
        self._site = (config.site_name, config.site_url, config.use_directory_urls)
        context = ExportContext(
            config.site_name,
            self._incident_url,
            config.site_url or None,
        )
        self._rows_previous, self._rows = self._rows, {}
        return {
            JSON_URI: json_export(self.catalog, context, self._export_row),
            CSV_URI: csv_export(self.catalog, context, self._export_row),
            FEED_URI: atom_feed(self.catalog, context),
        }

    def _export_row(self, kind: str, pm: Postmortem, make: Callable[[], str]) -> str:
        """Return `pm`'s row of export `kind`, the last build's while its record (the same
        object: the cache reuses unchanged records), the build date and the site are."""
        if not self._serving:
            return make()  # a single build keeps nothing for later
        stamp = (self.settings.today, self._site, self._incident_url(pm))
        kept = self._rows_previous.get((kind, pm.path))
        if kept is None or kept[0] is not pm or kept[1] != stamp:
            kept = pm, stamp, make()
        self._rows[kind, pm.path] = kept
        return kept[2]

    def _add(
        self,
        files: Files,
        config: MkDocsConfig,
        uri: str,
        content: str,
        inclusion: InclusionLevel = InclusionLevel.NOT_IN_NAV,
    ) -> File:
        existing = files.get_file_from_path(uri)
        if existing is not None:
            raise PluginError(
                f"postmortems: the docs folder already has '{uri}'; move it or set the "
                "plugin's url_prefix to another folder"
            )
        file = TrackedFile.generated(config, uri, content=content, inclusion=inclusion)
        file.edit_uri = None
        files.append(file)
        return file

    def _write_html(self, page: Page) -> Made:
        """Return the HTML of a page the plugin writes as HTML, its links relative to it."""
        here = page.file.url
        body = self._generated[page.file.src_uri].html
        assert body is not None  # only such pages are HtmlPages
        return write_html(body, lambda uri: get_relative_url(self._url(uri), here), self._headings)

    def on_page_markdown(
        self, markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        """Give incident pages their escaped title, description and template."""
        uri = page.file.src_uri
        if (pm := self._incidents.get(uri)) is not None:
            # update, not replace: Material's meta plugin may have set values already.
            page.meta.update(
                title=str(escape(pm.title)),
                description=str(escape(shorten(pm.summary, sentence=True))),
                template="postmortems/incident.html",
                # The site sidebar holds no incidents; hiding it gives the card room.
                hide=["navigation"],
            )
            if self.options.search_page:
                # The header box finds incidents in the compact search data (search.js); in
                # Material's index their bodies would weigh tens of MB at 10,000 and flood it.
                page.meta["search"] = {**page.meta.get("search", {}), "exclude": True}
            body, inputs = self._incident_markdown(pm)
            return "" if self._converted_elsewhere(page, body, inputs) else body
        if (rejected := self._rejected.get(uri)) is not None:
            page.meta.update(
                title=str(escape(f"Problems in {rejected.path}")),
                template="postmortems/rejected.html",
            )
            return ""
        generated = self._generated.get(uri)
        if (
            generated is not None
            and generated.html is None
            and self._converted_elsewhere(page, markdown, [self._files_key])
        ):
            return ""
        return markdown

    def _incident_markdown(self, pm: Postmortem) -> tuple[str, list[object]]:
        """Return the Markdown of `pm`'s page body, and what else its conversion depends on.

        The Markdown is made once a build: the worker's size estimate (`_to_convert`) and the
        page's conversion (in the build and in the worker, which inherits it) ask for it.
        """
        markdown = self._bodies.get(pm.path)
        if markdown is None:
            markdown = self._bodies[pm.path] = normalize_lists(pm.body)
        return markdown, [pm.digest, self._settings_key]

    def _converted_elsewhere(self, page: Page, markdown: str, inputs: list[object]) -> bool:
        """Return whether `page`'s conversion is kept from a build or made by the worker."""
        elsewhere = self._rendered.reuse(page, markdown, inputs) or any(
            worker is not None and worker.claim(page, self._files)
            for worker in (self._early, self._worker)
        )
        if isinstance(page, ConvertedPage):
            page.elsewhere = elsewhere
        return elsewhere

    # Last, so the worker and the navigation start from what every other plugin made of them.
    @event_priority(-100)
    def on_nav(self, nav: Navigation, /, *, config: MkDocsConfig, files: Files) -> Navigation:
        """Keep the navigation (the pages outside it share one drawing of it, on_env); start
        converting the plugin's pages in a worker process, where that pays."""
        self._nav = nav
        # MkDocs keeps the pages the plugin made, with their own titles, where the site's
        # nav names them (as it does every page).
        for uri, title in nav_titles(config.nav).items():
            file = files.get_file_from_path(uri)
            if file is not None and isinstance(file.page, HtmlPage):
                file.page.title = title
        if self.config.enabled:
            early = set() if self._early is None else set(self._incidents)
            pages = files.documentation_pages(inclusion=InclusionLevel.is_included)
            uris = [file.src_uri for file in pages if file.src_uri not in early]
            self._worker = self._start_worker(config, files, uris)
        return nav

    def _start_worker(self, config: MkDocsConfig, files: Files, uris: list[str]) -> Worker | None:
        """Start converting those of the pages of `uris` (in the order MkDocs converts them:
        the worker takes them from the end) whose conversion is not kept, in a worker process
        where that pays."""
        workers = self.options.workers
        reason = self._refusal(config)
        sizes = {}
        if reason is None:
            for uri in uris:
                file = files.src_uris.get(uri)
                if file is not None and (size := self._to_convert(file)):
                    sizes[uri] = size
        if reason is None and workers == "auto" and sum(sizes.values()) < AUTO_MIN_MARKDOWN:
            reason = f"{sum(sizes.values()):,} characters of Markdown to convert"
        if reason is not None:
            log.debug(f"converting every page in the build process: {reason}")
            return None
        return start(config, files, list(sizes), self._become_worker)

    def _to_convert(self, file: File) -> int:
        """Return the size of the Markdown of `file` if it is the plugin's page and its
        conversion is not kept, else 0."""
        uri = file.src_uri
        if (pm := self._incidents.get(uri)) is not None:
            markdown, inputs = self._incident_markdown(pm)
        elif (generated := self._generated.get(uri)) is not None:
            if generated.html is not None:
                return 0  # written as HTML: nothing to convert
            markdown, inputs = get_data(file.content_string)[0], [self._files_key]
        else:
            return 0
        return 0 if self._rendered.holds(uri, markdown, inputs) else len(markdown) or 1

    def _become_worker(self) -> None:
        """Convert pages, in the worker process, as a build without a worker would."""
        self._early = self._worker = None
        self._rendered = RenderedPages(self._cache)  # the build keeps what the worker sends
        if self._collecting:
            # Started from on_files, where the build's collector is off; the worker converts
            # many pages (Python-Markdown makes cyclic garbage). Turned on here, after the
            # worker froze what it inherited: no collection walks the build's objects.
            gc.enable()

    def _stop_worker(self) -> None:
        for worker in (self._early, self._worker):
            if worker is not None:
                worker.close()
        self._early = self._worker = None
        if self._builder is not None:
            self._builder.close()
            self._builder = None
        if self._shared is not None:
            self._shared.close()
            self._shared = None

    def on_pre_page(self, page: Page, /, *, config: MkDocsConfig, files: Files) -> Page:
        """Point the edit button of an incident (or problems) page at its file in the repository."""
        source = self._incidents.get(page.file.src_uri) or self._rejected.get(page.file.src_uri)
        if source is not None and self.edit_base is not None:
            page.edit_url = self.edit_base + quote(source.path)
        return page

    def on_page_content(
        self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        """Sanitise an incident's body (author-written Markdown that may hold raw HTML), and fold
        the sections that repeat its card."""
        if (kept := self._rendered.restore(page)) is not None:
            return kept
        uri = page.file.src_uri
        converted = None
        for worker in (self._early, self._worker):
            if converted is None and worker is not None:
                converted = worker.restore(page, files)
        if converted is not None:
            self._rendered.keep(page, converted, links_in_digest=uri not in self._incidents)
            return converted
        pm = self._incidents.get(uri)
        if pm is None:
            if (generated := self._generated.get(uri)) is not None and generated.html is None:
                self._rendered.keep(page, html, links_in_digest=True)
            return html
        html = fold_repeated(sanitize_html(html), pm)
        self._rendered.keep(page, html, links_in_digest=False)
        return html

    # Last, so a worker building pages starts from what every other plugin made of the theme.
    @event_priority(-100)
    def on_env(self, env: Any, /, *, config: MkDocsConfig, files: Files) -> Any:
        """Stop the worker (every page is converted); keep the theme's environment; tell every
        page where the search page is (or none); draw the navigation once for the pages outside
        it.

        The environment is new on every build; under `mkdocs serve` its templates are compiled
        once per session (by source checksum, so an edited template is compiled again).
        """
        self._stop_worker()
        self._env = env
        self._stencils.reset()
        if env.bytecode_cache is None:
            env.bytecode_cache = self._compiled.for_environment(env)
        if self._nav is not None:
            extra: Mapping[str, Any] = config.extra or {}
            # The links the navigation and the header draw besides the navigation's own.
            alternate = extra.get("alternate")
            languages = [item.get("link") for item in alternate or () if isinstance(item, dict)]
            links = [config.theme.get("logo"), extra.get("homepage"), *languages]
            if self._navigation.install(env, self._nav, links) and self.config.enabled:
                self._install_stencils(env, files)
        page = (
            files.get_file_from_path(self.options.search_page) if self.options.search_page else None
        )
        env.globals["pm_search_page"] = page.url if page is not None else ""
        if self.config.enabled:
            self._start_builder(config, files, env)
        return env

    def _install_stencils(self, env: Any, files: Files) -> None:
        """Draw the plugin's pages outside the navigation from one shell per kind (stencil)."""
        own = [page for page in self._own_pages(files) if self._navigation.outside(page)]
        add_shims(env, STENCIL_SHIMS, STENCIL_ORIGINALS)
        self._stencils.install(
            env,
            own,
            links=self._navigation.near_links,
            outside=self._navigation.outside,
            content_data=CONTENT_DATA,
            material_toc=from_material(env.loader, TOC_PARTIALS),
        )

    def _own_pages(self, files: Files) -> list[Page]:
        """Return the pages the plugin made (incidents and generated pages) that are built."""
        return [
            file.page
            for file in files.documentation_pages(inclusion=InclusionLevel.is_included)
            if file.page is not None
            and (file.src_uri in self._incidents or file.src_uri in self._generated)
        ]

    def _refusal(self, config: MkDocsConfig) -> str | None:
        """Return why this build shares no page with a worker process (None: it may)."""
        return refusal(self.options.workers, self._command) or unavailable(
            config, self, command=self._command, dirty=self._dirty
        )

    def _start_builder(self, config: MkDocsConfig, files: Files, env: Any) -> None:
        """Start building the plugin's pages through the theme in a worker, where that pays."""
        if self._nav is None:
            return
        workers = self.options.workers
        reason = self._refusal(config)
        if reason is None and not shares_rendering(config, self):
            reason = "another plugin reads the built pages"
        own = self._own_pages(files)
        if reason is None and workers == "auto" and len(own) < AUTO_MIN_PAGES:
            reason = f"{plural(len(own), 'page')} of its own"
        if reason is not None:
            log.debug(f"building every page in the build process: {reason}")
            return
        shared = SharedPages(own)
        env.globals["pm_built_elsewhere"] = lambda page: page.file.src_uri in shared.elsewhere
        env.globals["pm_template_of"] = shared.template_of

        def prepare() -> None:
            # In the worker: build each page with its own template, as a build in one process.
            shared.restore_templates(own)
            shared.close()
            self._builder = self._shared = None
            self._cache.watch_stores()  # the cards it computes go to the build's cache

        job = builder(config, files, self._nav, env, self._cache)
        uris = [page.file.src_uri for page in own]
        self._builder = start(config, files, uris, prepare, job)
        if self._builder is None:
            shared.restore_templates(own)
            shared.close()
        else:
            self._shared = shared

    # Before the search plugins (priority 0) index the page, so they see the search block.
    @event_priority(50)
    def on_page_context(
        self, context: TemplateContext, /, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        """Put the incident card (or the problems of an unreadable file) in the page context."""
        uri = page.file.src_uri
        if (pm := self._incidents.get(uri)) is not None and not self.options.search_page:
            # Without the compact search data, Material's index is the only search: it
            # indexes the page content only, not the card our template draws around it.
            terms = search_terms(self.catalog, pm.id)
            block = self._env.get_template("postmortems/search-terms.html").render(terms=terms)
            page.content = (page.content or "") + block
        if (
            self._builder is not None
            and self._shared is not None
            and self._builder.claim(page, self._files)
        ):
            # The worker process built this page (render_share): log what it logged there, and
            # keep what it computed for the next build.
            built = self._builder.take(page)
            if built is not None:
                built.restore(page, self._files)
                built.keep(self._cache)
            self._shared.elsewhere.add(uri)
            return context
        data = self._page_data(uri, page.url)
        if data is not None:
            context[data[0]] = data[1]  # type: ignore[literal-required]
        return context

    def _page_data(self, uri: str, here: str | None) -> tuple[str, Any] | None:
        """Return the name and value of what the template of page `uri` shows, if anything."""
        if here is None:
            return None
        if (pm := self._incidents.get(uri)) is not None:
            # The card is about 1 ms per page to compute: reuse it while nothing it shows moved.
            key = fingerprint(self._card_key, self._incident_inputs(pm), here)
            card = self._cache.get_or_compute("card", uri, key, lambda: self._card(pm, here))
            return "postmortem", card
        if uri == CATALOG_URI and uri in self._generated:
            return "pm_catalog", {
                "rows": catalog_rows(self._listed, self._row_url(here)),
                "filters": catalog_filters(self._listed),
                "total": len(self._listed),
            }
        generated = self._generated.get(uri)
        if generated is not None and generated.listing:
            return "pm_listing", listing_rows(generated.listing, self._row_url(here), self._cells)
        if generated is not None and generated.data:
            return "pm_data", generated.data(self._row_url(here))
        if (rejected := self._rejected.get(uri)) is not None:
            return "rejected", rejected_card(rejected)
        return None

    def _card(self, pm: Postmortem, here: str) -> dict[str, Any]:
        """Return the incident card of `pm` for its page at `here`."""
        relative = RelativeTo(here)

        def url_for(ident: str) -> str | None:
            other = self.catalog.get(ident)
            return None if other is None else relative(self._incident_url(other))

        def facet_url(kind: str, name: str) -> str | None:
            url = self._facet_url(kind, name)
            return None if url is None else relative(url)

        card = incident_card(pm, self.catalog, url_for, facet_url)
        card["recurrences"] = recurrence_card(
            self._recurrences.get(pm.id, []), lambda other: url_for(other.id)
        )
        card["similar"] = similar_links(
            pm.id, self.catalog, self._related, url_for, max(self.options.related, 0)
        )
        return card

    def _facet_url(self, kind: str, name: str) -> str | None:
        """Return the site URL incident cards link facet value `name` of `kind` to, if any."""
        key = kind, name
        if key in self._facet_urls:
            return self._facet_urls[key]
        uri = card_facet_uri(self._facets, kind, name)
        url = self._facet_urls[key] = None if uri is None else self._url(uri)
        return url

    def _url(self, src_uri: str) -> str:
        """Return the site URL MkDocs gives the page made from `src_uri` (from its `File`)."""
        # Our source paths are normal already: a lookup without get_file_from_path's parsing.
        file = self._files.src_uris.get(src_uri) or self._files.get_file_from_path(src_uri)
        if file is None:
            raise PluginError(f"postmortems: internal error: no page for '{src_uri}'")
        return file.url

    def _incident_url(self, pm: Postmortem) -> str:
        # Listings, exports and the search data ask for it tens of thousands of times a build;
        # the files (and so the URLs) do not change after on_files.
        url = self._incident_urls.get(pm.path)
        if url is None:
            url = self._incident_urls[pm.path] = self._url(self.layout.incident_uri(pm.path))
        return url

    def _cells(self, pm: Postmortem) -> dict[str, Markup]:
        """Return `pm`'s page-independent listing cells, computed once per build."""
        cells = self._listing_cells.get(pm.path)
        if cells is None:
            cells = self._listing_cells[pm.path] = listing_cells(pm)
        return cells

    def _row_url(self, here: str) -> Callable[[Postmortem], str]:
        def url(pm: Postmortem) -> str:
            return get_relative_url(self._incident_url(pm), here)

        return url

    def on_post_page(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str:
        """Remember the title of each generated page, for the navigation of dirty builds."""
        if self._dirty and page.title is not None and isinstance(page.file, TrackedFile):
            self._titles[page.file.src_uri] = page.title
        return output

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        """Keep what this build parsed, linted and converted, and its page digests, for the next."""
        self._stop_worker()  # every page is built: the worker has ended
        try:
            if not self.config.enabled:
                return
            if self._dirty:
                self._digests.commit()
            if self._serving and self._saved:
                # The cache stays in memory while serving: a rebuild does not wait for its file
                # (a third of a second at 1,000), written again when `mkdocs serve` stops.
                return
            self._save_cache()  # under the build's collector thresholds: it makes many objects
            self._saved = True
        finally:
            self._restore_gc()

    def on_shutdown(self) -> None:
        """Stop the worker of an interrupted build; write the build cache that `mkdocs serve`
        rebuilds kept in memory."""
        self._stop_worker()
        if self._serving and self.config.enabled:
            self._save_cache()

    def _save_cache(self) -> None:
        # Shards to write are shared with a second process where that may fork (a save after
        # a cold build pickles 34 MB at 1,000 postmortems, 300 MB at 10,000, in about 200 and
        # 450 shards); the save after an edit writes a few and stays in one.
        mapper = ForkMap(refusal(self.options.workers, self._command) is None, SAVE_MIN_SHARDS)
        try:
            self._cache.save(mapper)
        except OSError as error:
            log.warning(
                f"cannot write the build cache in {self.cache_dir}: {error.strerror or error}; "
                "the next build reads every postmortem again (check the folder or cache_dir)"
            )

    def on_build_error(self, *, error: Exception) -> None:
        """Leave the process as the build found it: no worker, the collector's thresholds."""
        self._stop_worker()
        self._restore_gc()

    def _restore_gc(self) -> None:
        if self._gc_threshold is not None:
            gc.set_threshold(*self._gc_threshold)
            self._gc_threshold = None
        if self._frozen:
            gc.unfreeze()  # back in the oldest generation: garbage among them is collected again
            self._frozen = False

    def on_serve(
        self, server: LiveReloadServer, /, *, config: MkDocsConfig, builder: Any
    ) -> LiveReloadServer:
        """Rebuild when a postmortem changes."""
        if self.config.enabled and self.root.is_dir():
            server.watch(str(self.root))
        return server


def _edit_base(option: str | None, config: MkDocsConfig, root: Path) -> str | None:
    """Return the URL that a postmortem's path is appended to for its edit link, or None."""
    base = option
    if base is None:
        # Derive it from the site's edit_uri by swapping the docs folder for the source folder.
        edit_uri = config.edit_uri or ""
        config_dir = Path(config.config_file_path or ".").parent.resolve()
        docs = Path(config.docs_dir).resolve()
        if not edit_uri or not docs.is_relative_to(config_dir):
            return None
        docs_part = docs.relative_to(config_dir).as_posix().rstrip("/") + "/"
        if not edit_uri.rstrip("/").endswith(docs_part.rstrip("/")):
            return None
        source = root.resolve()
        if not source.is_relative_to(config_dir):
            return None
        source_part = source.relative_to(config_dir).as_posix()
        base = edit_uri.rstrip("/")[: -len(docs_part.rstrip("/"))] + source_part
    if not base.endswith("/"):
        base += "/"
    if urlsplit(base).scheme:
        return base
    repo_url = config.repo_url or ""
    if not repo_url:
        return None
    return urljoin(repo_url if repo_url.endswith("/") else repo_url + "/", base)


def _front_matter(markdown: str) -> str:
    """Return the front matter block of a generated page (its title and options)."""
    return markdown.split("\n---\n", 1)[0]


def _body_source(body: str) -> str:
    # A leading blank line stops MkDocs reading the body's first lines as page metadata; the
    # page's Markdown is replaced by the body in on_page_markdown anyway.
    return "\n" + body


def _report(problems: list[Problem], last: tuple[str, ...] | None) -> tuple[str, ...]:
    """Log the loading problems and lint findings of a build; return the findings' key.

    Errors are warnings, each with its place, so `mkdocs build --strict` fails on them and says
    where. Findings that are advice get one summary line at INFO (the details at DEBUG, shown by
    `mkdocs build --verbose`, and by `postmortems lint`), and the line is not repeated while
    the findings stay the same (`last`: the key of the previous build's, under `mkdocs serve`).
    """
    errors = [problem for problem in problems if problem.level == Level.ERROR]
    advice = [problem for problem in problems if problem.level != Level.ERROR]
    for problem in errors:
        log.warning(problem.format())
    for problem in advice:
        log.debug(problem.format())
    if errors:
        log.warning(
            f"{plural(len(errors), 'problem')} in the postmortems folder; "
            "run 'postmortems lint' for the list"
        )
    key = tuple(problem.format() for problem in advice)
    if advice and key != last:
        files = len({problem.path for problem in advice})
        log.info(
            f"{plural(len(advice), 'lint finding')} in {plural(files, 'file')} (advice, not "
            "errors): run 'postmortems lint' for the list, or build with --verbose"
        )
    return key
