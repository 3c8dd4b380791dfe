"""Connect the postmortem core to MkDocs: the only module that touches MkDocs objects.

Hooks run in lifecycle order. Per-build state is created in `on_config`; nothing survives a
`mkdocs serve` rebuild except what is deliberately cached under a key.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from markupsafe import escape
from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url
from mkdocs.utils.templates import TemplateContext

from .card import incident_card, rejected_card
from .catalog import Catalog, Settings, load_catalog
from .loader import Rejected
from .model import Postmortem
from .pages import GeneratedPage, Layout, home_page, shorten
from .problems import Level
from .sanitize import sanitize_html
from .vocabulary import merge_vocabularies

log = get_plugin_logger("postmortems")

PACKAGE_DIR = Path(__file__).parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
CSS_URI = "assets/postmortems/postmortems.css"


class PostmortemsConfig(base.Config):  # type: ignore[no-untyped-call]
    """The `postmortems` plugin options in `mkdocs.yml`."""

    source = c.Type(str, default="postmortems")
    """Folder of postmortem Markdown files, relative to `mkdocs.yml`."""

    url_prefix = c.Type(str, default="postmortems")
    """Site folder that incident pages are published under."""

    home = c.Type(bool, default=True)
    """Generate the home page (`index.md`) unless the docs folder has its own."""

    vocabularies = c.Type(dict, default={})
    """Replace a controlled vocabulary (severity, trigger, ...) with your own list of values."""

    build_date = c.Optional(c.Type(str))
    """The date "overdue" is measured against (YYYY-MM-DD); default SOURCE_DATE_EPOCH or today."""


def build_date(configured: str | None) -> date:
    """Return the build date: the configured one, else SOURCE_DATE_EPOCH, else today (UTC)."""
    if configured:
        try:
            return date.fromisoformat(configured)
        except ValueError:
            raise PluginError(
                f"postmortems: build_date '{configured}' is not a date (use YYYY-MM-DD)"
            ) from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), UTC).date()
        except ValueError:
            raise PluginError(
                f"postmortems: SOURCE_DATE_EPOCH '{epoch}' is not a number of seconds"
            ) from None
    return datetime.now(UTC).date()


class PostmortemsPlugin(BasePlugin[PostmortemsConfig]):  # type: ignore[no-untyped-call]
    """Turn the postmortems folder into incident pages and generated listing pages."""

    def __init__(self) -> None:
        self.catalog = Catalog(())
        self.layout = Layout()
        self.root = Path()
        self._incidents: dict[str, Postmortem] = {}
        self._rejected: dict[str, Rejected] = {}
        self._generated: dict[str, GeneratedPage] = {}

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Check the options, make the templates findable and start a fresh build state."""
        if config.theme.name != "material":
            raise PluginError(
                "postmortems: the plugin needs the Material theme; set 'theme: name: material'"
            )
        vocabularies, errors = merge_vocabularies(self.config.vocabularies)
        if errors:
            raise PluginError("postmortems: " + "; ".join(errors))
        self.settings = Settings(vocabularies, build_date(self.config.build_date))
        self.root = Path(config.config_file_path or ".").parent / self.config.source
        prefix = self.config.url_prefix.strip("/")
        if not prefix or ".." in prefix.split("/"):
            raise PluginError("postmortems: url_prefix must be a folder name such as 'postmortems'")
        self.layout = Layout(prefix)
        # Our templates sit after the site's custom_dir, so a site can override any of them.
        position = 1 if config.theme.custom_dir else 0
        if str(TEMPLATES_DIR) not in config.theme.dirs:
            config.theme.dirs.insert(position, str(TEMPLATES_DIR))
        if CSS_URI not in config.extra_css:
            config.extra_css.append(CSS_URI)
        self.catalog = Catalog((), settings=self.settings)
        self._incidents, self._rejected, self._generated = {}, {}, {}
        return config

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        """Load every postmortem, report its problems and add its page and the generated ones."""
        self.catalog = load_catalog(self.root, self.settings)
        _report(self.catalog)
        for pm in self.catalog:
            uri = self.layout.incident_uri(pm.path)
            self._add(files, config, uri, _body_source(pm.body))
            self._incidents[uri] = pm
        for rejected in self.catalog.rejected:
            uri = self.layout.rejected_uri(rejected)
            self._add(files, config, uri, "\n")
            self._rejected[uri] = rejected
        for asset in self.catalog.assets:
            uri = self.layout.incident_uri(asset)
            if files.get_file_from_path(uri) is None:
                files.append(File.generated(config, uri, abs_src_path=str(self.root / asset)))
        for page in self._pages(files):
            self._add(files, config, page.src_uri, page.markdown, InclusionLevel.INCLUDED)
            self._generated[page.src_uri] = page
        files.append(
            File.generated(
                config, CSS_URI, abs_src_path=str(PACKAGE_DIR / "assets" / "postmortems.css")
            )
        )
        return files

    def _pages(self, files: Files) -> list[GeneratedPage]:
        pages = []
        if self.config.home and files.get_file_from_path("index.md") is None:
            pages.append(home_page(self.catalog, self.layout))
        return pages

    def _add(
        self,
        files: Files,
        config: MkDocsConfig,
        uri: str,
        content: str,
        inclusion: InclusionLevel = InclusionLevel.NOT_IN_NAV,
    ) -> None:
        existing = files.get_file_from_path(uri)
        if existing is not None:
            raise PluginError(
                f"postmortems: the docs folder already has '{uri}'; move it or set the "
                "plugin's url_prefix to another folder"
            )
        file = File.generated(config, uri, content=content, inclusion=inclusion)
        file.edit_uri = None
        files.append(file)

    def on_page_markdown(
        self, markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        """Give incident pages their escaped title, description and template."""
        uri = page.file.src_uri
        if (pm := self._incidents.get(uri)) is not None:
            page.meta = {
                "title": str(escape(pm.title)),
                "description": str(escape(shorten(pm.summary))),
                "template": "postmortems/incident.html",
            }
            return pm.body
        if (rejected := self._rejected.get(uri)) is not None:
            page.meta = {
                "title": str(escape(f"Problems in {rejected.path}")),
                "template": "postmortems/rejected.html",
            }
            return ""
        return markdown

    def on_page_content(
        self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        """Strip script and unsafe markup from the rendered body of an incident page."""
        if page.file.src_uri in self._incidents:
            return sanitize_html(html)
        return html

    def on_page_context(
        self, context: TemplateContext, /, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        """Put the incident card (or the problems of an unreadable file) in the page context."""
        uri = page.file.src_uri
        if (pm := self._incidents.get(uri)) is not None:

            def url_for(ident: str) -> str | None:
                other = self.catalog.get(ident)
                if other is None or page.url is None:
                    return None
                return get_relative_url(
                    _url_of(self.layout.incident_uri(other.path), config), page.url
                )

            card = incident_card(pm, self.catalog, url_for)
            context["postmortem"] = card  # type: ignore[typeddict-unknown-key]
        elif (rejected := self._rejected.get(uri)) is not None:
            context["rejected"] = rejected_card(rejected)  # type: ignore[typeddict-unknown-key]
        return context

    def on_serve(
        self, server: LiveReloadServer, /, *, config: MkDocsConfig, builder: Any
    ) -> LiveReloadServer:
        """Rebuild when a postmortem changes."""
        if self.root.is_dir():
            server.watch(str(self.root))
        return server


def _url_of(uri: str, config: MkDocsConfig) -> str:
    stem = uri.removesuffix(".md")
    return f"{stem}/" if config.use_directory_urls else f"{stem}.html"


def _body_source(body: str) -> str:
    # A leading blank line stops MkDocs reading the body's first lines as page metadata; the
    # page's Markdown is replaced by the body in on_page_markdown anyway.
    return "\n" + body


def _report(catalog: Catalog) -> None:
    for problem in catalog.problems:
        if problem.level == Level.ERROR:
            log.warning(problem.format())
        else:
            log.info(problem.format())
    errors = len(catalog.errors)
    if errors:
        log.warning(
            f"{errors} problem{'s' if errors != 1 else ''} in the postmortems folder; "
            "run 'postmortems lint' for the list"
        )
