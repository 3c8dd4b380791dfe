"""`postmortems new`: write a correctly named postmortem file from the template."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from urllib.parse import urlsplit

from ...authoring.lint import LintConfig
from ...authoring.scaffold import Draft, file_stem, render
from ...core.model import PLACEHOLDER
from ...core.options import check
from ...core.text import slugify
from ...core.vocabulary import match_term
from .common import add_source_option, incident_url, iso_date, site_options, source_folder

EXAMPLES = """examples:
  postmortems new "Checkout errors after a config push"
  postmortems new "Login outage" --date 2024-03-08 --severity SEV2 \\
      --service auth-service --service user-db --team "Backend Engineering"
  postmortems new --title "Disk full on the build cache" --slug build-cache-disk-full

The file is postmortems/YYYY-MM-DD-slug.md (the folder comes from mkdocs.yml). An existing
file is never overwritten. The new file fails 'postmortems lint' until every TODO is replaced
(and, for severities that require them, until the required sections have content).
"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `new` sub-command."""
    parser = subparsers.add_parser(
        "new",
        help="create a postmortem file from the template",
        description="Create postmortems/YYYY-MM-DD-slug.md from the template, with every "
        "field and section explained in comments, and print the next steps.",
        epilog=EXAMPLES,
    )
    parser.add_argument("title", nargs="?", help="the incident's title, e.g. 'Login outage'")
    parser.add_argument(
        "--title", dest="title_option", metavar="TITLE", help="the same, as an option"
    )
    parser.add_argument(
        "--date",
        type=iso_date,
        default=None,
        help="the day the incident started, YYYY-MM-DD (default: today)",
    )
    parser.add_argument("--severity", help="the severity, e.g. SEV2 (default: a TODO to fill)")
    parser.add_argument(
        "--service",
        action="append",
        default=[],
        dest="services",
        metavar="NAME",
        help="an affected service; repeat for several",
    )
    parser.add_argument(
        "--team",
        action="append",
        default=[],
        dest="teams",
        metavar="NAME",
        help="a responding team; repeat for several",
    )
    parser.add_argument(
        "--author",
        action="append",
        default=[],
        dest="authors",
        metavar="NAME",
        help="an author; repeat for several",
    )
    parser.add_argument("--slug", help="the file name after the date (default: from the title)")
    add_source_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Write the new file; return 1 when it exists already, 2 on a bad option."""
    options = site_options(args)
    vocabularies = check(options)
    severities = vocabularies["severity"]
    config, config_errors = LintConfig.from_options(
        options.plugin_values(), [t.value for t in severities]
    )
    if config_errors:
        print(f"postmortems new: {args.config}: " + "; ".join(config_errors), file=sys.stderr)
        return 2
    severity = None
    if args.severity:
        severity = match_term(args.severity, severities)
        if severity is None:
            allowed = ", ".join(term.value for term in severities)
            print(
                f"postmortems new: unknown severity '{args.severity}' (allowed: {allowed})",
                file=sys.stderr,
            )
            return 2
    if args.title is not None and args.title_option is not None:
        print("postmortems new: give the title once, as TITLE or --title", file=sys.stderr)
        return 2
    title = " ".join((args.title or args.title_option or "").split())
    if not title:
        print("postmortems new: the title is empty; give a short, specific title", file=sys.stderr)
        return 2
    if args.slug is not None and slugify(args.slug) != args.slug:
        print(
            f"postmortems new: --slug '{args.slug}' must be lowercase letters, digits and '-' "
            f"(e.g. {slugify(args.slug)})",
            file=sys.stderr,
        )
        return 2
    draft = Draft(
        title=title,
        # The author's local day: an incident is dated where it is written up.
        day=args.date or datetime.now().astimezone().date(),
        severity=severity,
        services=tuple(args.services),
        teams=tuple(args.teams),
        authors=tuple(args.authors),
        slug=args.slug,
    )
    folder = source_folder(args, options)
    path = folder / f"{file_stem(draft)}.md"
    if path.exists():
        print(
            f"postmortems new: {path} already exists and was left unchanged "
            "(pick another title or --slug)",
            file=sys.stderr,
        )
        return 1
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(render(draft, vocabularies, config))
    except OSError as error:
        print(f"postmortems new: cannot write {path}: {error.strerror}", file=sys.stderr)
        return 1
    # `mkdocs serve` serves the site under the path of site_url, like the published site.
    served = urlsplit(options.site_url).path.strip("/")
    preview = "/".join(filter(None, [served, incident_url(options, path.name, absolute=False)]))
    print(f"Created {path.as_posix()}")
    print(
        "\nNext steps:\n"
        f"  1. Open the file and replace every {PLACEHOLDER}; the comments explain each field.\n"
        f"  2. Check it:  postmortems lint {path.as_posix()}\n"
        "  3. Preview:   mkdocs serve, then open "
        f"http://127.0.0.1:8000/{preview}\n"
        "  4. Set status: in-review, commit the file on a branch and open a pull request."
    )
    return 0
