"""The plugin's typed config, and the one way plugin and CLI turn mkdocs.yml into `Options`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.utils.yaml import yaml_load

from ..core.options import DEFAULTS, PLUGIN_OPTIONS, WORKERS, Options, OptionsError

PLUGIN_NAME = "postmortems"


class PostmortemsConfig(base.Config):  # type: ignore[no-untyped-call]
    """The `postmortems` plugin options in `mkdocs.yml`; defaults come from `core.options`."""

    enabled = c.Type(bool, default=True)
    """Build the knowledge base; `false` builds the site without any of the plugin's pages."""

    source = c.Type(str, default=DEFAULTS.source)
    """Folder of postmortem Markdown files, relative to `mkdocs.yml`."""

    url_prefix = c.Type(str, default=DEFAULTS.url_prefix)
    """Site folder that incident pages are published under."""

    home = c.Type(bool, default=DEFAULTS.home)
    """Generate the home page (`index.md`) unless the docs folder has its own."""

    vocabularies = c.Type(dict, default={})
    """Replace a controlled vocabulary (severity, trigger, ...) with your own list of values."""

    recurrence_window = c.Type(int, default=DEFAULTS.recurrence_window)
    """Days within which an earlier related incident sharing cause or symptom words is a repeat."""

    build_date = c.Optional(c.Type(str))
    """The date "overdue" is measured against (YYYY-MM-DD); default SOURCE_DATE_EPOCH or today."""

    required_sections = c.Optional(c.Type(dict))
    """Body sections each severity needs, e.g. `{SEV1: [Timeline, Lessons]}`; default SEV1/SEV2."""

    blameless_words = c.Optional(c.ListOfItems(c.Type(str)))
    """Words and phrases that assign blame, flagged as warnings; default a short list."""

    edit_uri = c.Optional(c.Type(str))
    """Edit link base of postmortem pages (like MkDocs' edit_uri, for the postmortems folder)."""

    lint_on_build = c.Type(bool, default=DEFAULTS.lint_on_build)
    """Log the `postmortems lint` rules' findings during the build (errors fail --strict)."""

    guide_pages = c.Type(bool, default=DEFAULTS.guide_pages)
    """Generate the "Writing a postmortem" and "Add a postmortem" pages."""

    cache_dir = c.Type(str, default=DEFAULTS.cache_dir)
    """Folder for the search index, relative to `mkdocs.yml`; never inside docs or site."""

    synonyms = c.Type(list, default=[])
    """Extra synonym groups for search, e.g. `[[pg, postgres], [mq, message queue]]`."""

    default_synonyms = c.Type(bool, default=DEFAULTS.default_synonyms)
    """Keep the built-in synonym groups (db/database, k8s/kubernetes, oom/out of memory...)."""

    search_page = c.Type(str, default=DEFAULTS.search_page)
    """Where the "Search root causes" page goes in the site; empty for none."""

    related = c.Type(int, default=DEFAULTS.related)
    """How many related incidents an incident page lists (0 for none)."""

    follow_up_ages = c.Optional(c.Type(dict))
    """Weeks after which follow-ups not done are flagged, per priority; default P0/P1: 4, 8."""

    import_severity = c.Type(dict, default={})
    """How `postmortems import` maps status-page levels, e.g. `{down: SEV1, notice: SEV4}`."""

    workers = c.Choice(WORKERS, default=DEFAULTS.workers)
    """Convert incident and listing pages in a second process: auto (where it pays), 0, or 1."""


def options_from(plugin: PostmortemsConfig, config: MkDocsConfig) -> Options:
    """Return the options of a build from the plugin's validated config and the site's."""
    values = {name: plugin[name] for name in PLUGIN_OPTIONS}
    return Options(
        **values,
        config_dir=Path(config.config_file_path or ".").parent,
        docs_dir=Path(config.docs_dir),
        site_dir=Path(config.site_dir),
        site_url=config.site_url or "",
        use_directory_urls=bool(config.use_directory_urls),
    )


def read_options(config_file: Path) -> Options:
    """Return the options in the mkdocs.yml at `config_file`, read as MkDocs reads it.

    MkDocs' YAML loader handles `!ENV`, `INHERIT` and tags such as `!!python/name:`; the plugin
    section is validated by the same config class as in a build. A missing file gives the
    defaults beside it; an unusable one raises `OptionsError`.
    """
    config_dir = config_file.parent
    if not config_file.is_file():
        return Options(config_dir=config_dir)
    try:
        with config_file.open("rb") as stream:
            data = yaml_load(stream)
    except Exception as error:
        raise OptionsError(f"{config_file}: cannot read it as MkDocs would: {error}") from None
    if not isinstance(data, dict):
        raise OptionsError(f"{config_file}: expected a mapping of MkDocs settings")
    plugin = PostmortemsConfig(config_file_path=str(config_file))
    plugin.load_dict(_plugin_section(data.get("plugins")))
    failed, warnings = plugin.validate()
    if failed:
        problems = "; ".join(f"{key}: {error}" for key, error in failed)
        raise OptionsError(f"{config_file}: plugins.{PLUGIN_NAME}: {problems}")
    del warnings  # MkDocs prints them during a build; the CLI stays quiet about them
    values = {name: plugin[name] for name in PLUGIN_OPTIONS}
    return Options(
        **values,
        config_dir=config_dir,
        docs_dir=config_dir / str(data.get("docs_dir") or "docs"),
        site_dir=config_dir / str(data.get("site_dir") or "site"),
        site_url=str(data.get("site_url") or ""),
        use_directory_urls=data.get("use_directory_urls", True) is not False,
    )


def _plugin_section(plugins: Any) -> dict[str, Any]:
    """Return the `postmortems` entry of a `plugins:` list or mapping ({} if absent)."""
    entries = plugins.items() if isinstance(plugins, dict) else plugins or []
    for entry in entries:
        if isinstance(entry, tuple):
            name, options = entry
        elif isinstance(entry, dict) and len(entry) == 1:
            ((name, options),) = entry.items()
        else:
            name, options = entry, {}
        if name == PLUGIN_NAME:
            return options if isinstance(options, dict) else {}
    return {}
