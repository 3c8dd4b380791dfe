"""Hold the controlled vocabularies of the postmortem format and their defaults.

The defaults follow the classifications of the Google SRE workbook and public incident
databases. A site overrides any of them under the plugin's `vocabularies:` option.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """One allowed value of a vocabulary, with the sentence that explains it."""

    value: str
    description: str = ""


Vocabularies = Mapping[str, tuple[Term, ...]]


def _terms(*pairs: tuple[str, str]) -> tuple[Term, ...]:
    return tuple(Term(value, description) for value, description in pairs)


DEFAULT_VOCABULARIES: dict[str, tuple[Term, ...]] = {
    "severity": _terms(
        ("SEV1", "Critical: a core service down or data lost for many users."),
        ("SEV2", "Major: a core feature degraded or unavailable for a large share of users."),
        ("SEV3", "Minor: partial degradation with a workaround, or a small share of users."),
        ("SEV4", "Low: little or no customer impact; worth learning from."),
    ),
    "status": _terms(
        ("draft", "Being written; not yet reviewed."),
        ("in-review", "Written and waiting for review."),
        ("published", "Reviewed and final."),
    ),
    "root_cause_category": _terms(
        ("software-bug", "A defect in code we run."),
        ("configuration-error", "A wrong or inconsistent configuration value."),
        ("capacity", "Load beyond what the system was provisioned for."),
        ("performance", "A slow query, algorithm or resource leak."),
        ("dependency-failure", "A service or vendor we depend on failed."),
        ("hardware-failure", "Disks, hosts, power or other physical failure."),
        ("network", "Connectivity, routing, load balancing or BGP."),
        ("dns", "Name resolution or DNS configuration."),
        ("expired-credential", "An expired certificate, key, token or domain."),
        ("compromised-credential", "A stolen or leaked key, token or password was used."),
        ("data-corruption", "Wrong, lost or inconsistent data."),
        ("database", "A database schema, index, replication or locking problem."),
        ("security", "An attack, abuse or a vulnerability being exploited."),
        ("process-gap", "A missing or unfollowed procedure, review or safeguard."),
        ("unknown", "Not yet determined."),
    ),
    "trigger": _terms(
        ("code-deploy", "A release of new code."),
        ("config-change", "A configuration push or feature-flag change."),
        ("infrastructure-change", "A change to hosts, network or cloud resources."),
        ("data-change", "A migration, backfill or bulk data operation."),
        ("traffic-surge", "More traffic or a new traffic pattern."),
        ("dependency-change", "A change or failure in an upstream dependency."),
        ("hardware-failure", "A physical component failed."),
        ("time-based", "A date or time passed: expiry, leap second, cron."),
        ("automatic-update", "An unattended OS, package or vendor update."),
        ("maintenance", "Planned maintenance or an operator command."),
        ("external-event", "An attack, a provider outage or a natural event."),
        ("unknown", "Not yet determined."),
    ),
    "detection": _terms(
        ("monitoring-alert", "An automated alert fired."),
        ("customer-report", "A customer told us."),
        ("employee-report", "Someone inside noticed."),
        ("automated-test", "A test, canary or synthetic probe failed."),
        ("third-party-report", "A vendor, researcher or the press told us."),
        ("unknown", "Not recorded."),
    ),
    "action_status": _terms(
        ("proposed", "Suggested, not yet agreed."),
        ("open", "Agreed and not started."),
        ("in-progress", "Being worked on."),
        ("done", "Finished."),
        ("wont-do", "Decided against, with a reason in the notes."),
    ),
    "action_type": _terms(
        ("mitigate", "Reduce the impact when this happens again."),
        ("prevent", "Stop this from happening again."),
        ("detect", "Notice this sooner."),
        ("process", "Change how people work."),
    ),
    "horizon": _terms(
        ("short-term", "Within days."),
        ("mid-term", "Within weeks to a quarter."),
        ("long-term", "Beyond a quarter."),
    ),
    "priority": _terms(
        ("P0", "Do now."),
        ("P1", "Do this sprint."),
        ("P2", "Do this quarter."),
        ("P3", "Nice to have."),
    ),
    "time_field": _terms(
        ("started", "Impact began."),
        ("detected", "We knew."),
        ("mitigated", "Impact ended."),
        ("resolved", "The incident was closed."),
    ),
    "link_type": _terms(
        ("report", "The original or public postmortem report."),
        ("ticket", "An issue tracker entry."),
        ("chat", "An incident channel or thread."),
        ("dashboard", "A monitoring dashboard."),
        ("status-page", "A public status page entry."),
        ("doc", "Any other document."),
    ),
}

_SEPARATORS = re.compile(r"[\s_]+")


def normalize_term(value: str) -> str:
    """Return the comparable form of a vocabulary value (`Won't Do` and `wont-do` match)."""
    return _SEPARATORS.sub("-", value.strip().lower().replace("'", "").replace("\u2019", ""))


def match_term(value: str, terms: tuple[Term, ...]) -> str | None:
    """Return the canonical spelling of `value` in `terms`, or None when it is not allowed.

    The first term whose comparable form is that of `value` wins.
    """
    exact, comparable = _term_index(terms)
    found = exact.get(value)
    return found if found is not None else comparable.get(normalize_term(value))


# The index of each vocabulary in use, by the identity of its terms (kept alive here, so the
# identity is not reused); a handful per site, emptied if a long session makes many.
_INDEXES: dict[int, tuple[tuple[Term, ...], dict[str, str], dict[str, str]]] = {}
_MAX_INDEXES = 256


def _term_index(terms: tuple[Term, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """Return the canonical term for each term's own spelling and for each comparable form."""
    entry = _INDEXES.get(id(terms))
    if entry is not None and entry[0] is terms:
        return entry[1], entry[2]
    comparable: dict[str, str] = {}
    for term in terms:
        comparable.setdefault(normalize_term(term.value), term.value)
    exact = {term.value: comparable[normalize_term(term.value)] for term in terms}
    if type(terms) is tuple:  # a list could change after it is indexed
        if len(_INDEXES) >= _MAX_INDEXES:
            _INDEXES.clear()
        _INDEXES[id(terms)] = (terms, exact, comparable)
    return exact, comparable


def merge_vocabularies(
    overrides: Mapping[str, object],
) -> tuple[dict[str, tuple[Term, ...]], list[str]]:
    """Return the default vocabularies with `overrides` applied, and any configuration errors.

    An override is a list of values or a mapping of value to description; it replaces the
    default list for that vocabulary.
    """
    merged = dict(DEFAULT_VOCABULARIES)
    errors: list[str] = []
    for name, raw in overrides.items():
        if name not in DEFAULT_VOCABULARIES:
            known = ", ".join(sorted(DEFAULT_VOCABULARIES))
            errors.append(f"vocabularies: unknown vocabulary '{name}' (known: {known})")
            continue
        if isinstance(raw, Mapping):
            pairs = [(str(k), "" if v is None else str(v)) for k, v in raw.items()]
        elif isinstance(raw, list | tuple):
            pairs = [(str(v), "") for v in raw]
        else:
            errors.append(f"vocabularies.{name}: expected a list of values or a mapping")
            continue
        if not pairs:
            errors.append(f"vocabularies.{name}: must not be empty")
            continue
        merged[name] = _terms(*pairs)
    return merged, errors
