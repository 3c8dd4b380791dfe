"""Describe the postmortem front matter: the one schema every other view is derived from.

The validator, the JSON Schema, the reference page and the `new` template all read `FIELDS`,
so the format cannot drift between code and documentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """The type of a front-matter value."""

    TEXT = "text"  # prose, may span lines
    LINE = "line"  # one line of text
    DATE = "date"  # YYYY-MM-DD
    DATETIME = "datetime"  # ISO 8601 with a time zone
    URL = "url"  # http(s) or a relative path
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    VOCAB = "vocab"  # one value of a controlled vocabulary
    ID = "id"  # the id of another postmortem
    MAPPING = "mapping"
    LIST = "list"
    ANY = "any"


@dataclass(frozen=True)
class Field:
    """One key of the front matter (or of a nested mapping)."""

    name: str
    kind: Kind
    doc: str
    required: bool = False
    item: Kind | None = None
    vocabulary: str | None = None
    fields: tuple[Field, ...] = ()
    example: object = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    shorthand: str | None = None  # a mapping given as a plain string fills this sub-field


TIME_FIELDS = ("started", "detected", "mitigated", "resolved")
# Required fields a draft may leave empty: an imported source that does not state them must
# not get a placeholder; one review finding lists them until someone fills them in.
REVIEW_FIELDS = ("severity", "summary", "root_cause", "services")

MAX_LINE = 300
MAX_TEXT = 20_000
MAX_ITEMS = 500

ACTION_ITEM_FIELDS: tuple[Field, ...] = (
    Field(
        "title",
        Kind.LINE,
        "What will be done, as one sentence.",
        required=True,
        example="Add an index audit to the schema review checklist",
    ),
    Field("owner", Kind.LINE, "Who is accountable (a person or team).", example="backend-team"),
    Field(
        "status",
        Kind.VOCAB,
        "Where the item stands. Defaults to open.",
        vocabulary="action_status",
        example="open",
    ),
    Field("due", Kind.DATE, "When it is due (YYYY-MM-DD).", example="2024-04-30"),
    Field(
        "type",
        Kind.VOCAB,
        "What the item does about the incident.",
        vocabulary="action_type",
        example="prevent",
    ),
    Field(
        "horizon",
        Kind.VOCAB,
        "When it lands: short, mid or long term.",
        vocabulary="horizon",
        example="short-term",
    ),
    Field("priority", Kind.VOCAB, "How urgent it is.", vocabulary="priority", example="P1"),
    Field(
        "ticket",
        Kind.URL,
        "A link to the tracking ticket.",
        example="https://tracker.example.com/OPS-1234",
    ),
    Field("notes", Kind.TEXT, "Anything a reader needs to know about the item."),
)

LESSON_FIELDS: tuple[Field, ...] = (
    Field(
        "went_well",
        Kind.LIST,
        "What worked and should be kept.",
        item=Kind.TEXT,
        example=["Alerting caught the spike within a minute."],
    ),
    Field(
        "went_wrong",
        Kind.LIST,
        "What made the incident worse or longer.",
        item=Kind.TEXT,
        example=["The first hour was spent on the wrong hypothesis."],
    ),
    Field(
        "got_lucky",
        Kind.LIST,
        "Where chance, not design, limited the damage.",
        item=Kind.TEXT,
        example=["The incident started outside peak hours."],
    ),
)

IMPACT_FIELDS: tuple[Field, ...] = (
    Field(
        "description",
        Kind.TEXT,
        "Who or what was affected, and how.",
        required=True,
        example="About 30% of users could not log in.",
    ),
    Field(
        "users_affected_percent",
        Kind.NUMBER,
        "Share of users affected, 0 to 100.",
        minimum=0,
        maximum=100,
        example=30,
    ),
    Field("users_affected", Kind.INTEGER, "Number of users affected.", minimum=0),
    Field(
        "requests_failed_percent",
        Kind.NUMBER,
        "Share of requests that failed, 0 to 100.",
        minimum=0,
        maximum=100,
    ),
    Field("regions", Kind.LIST, "Regions or locations affected.", item=Kind.LINE),
    Field(
        "figures",
        Kind.LIST,
        "Any other measure of impact, as label and value.",
        item=Kind.MAPPING,
        fields=(
            Field(
                "label", Kind.LINE, "What was counted.", required=True, example="Customers affected"
            ),
            Field("value", Kind.LINE, "How much, with its unit.", required=True, example="775"),
        ),
    ),
    Field("data_loss", Kind.BOOLEAN, "Whether data was lost."),
    Field("customer_facing", Kind.BOOLEAN, "Whether customers noticed."),
)

LINK_FIELDS: tuple[Field, ...] = (
    Field(
        "url",
        Kind.URL,
        "Where the link goes.",
        required=True,
        example="https://status.example.com/incidents/123",
    ),
    Field("title", Kind.LINE, "What the link is, in a few words.", example="Status page entry"),
    Field("type", Kind.VOCAB, "What kind of link it is.", vocabulary="link_type", example="report"),
)

TIMELINE_FIELDS: tuple[Field, ...] = (
    Field(
        "at",
        Kind.DATETIME,
        "When it happened (ISO 8601 with a time zone).",
        required=True,
        example="2024-03-08T11:00:00Z",
    ),
    Field(
        "event",
        Kind.TEXT,
        "What happened.",
        required=True,
        example="Escalated to the DevOps and Backend Engineering teams.",
    ),
    Field("approximate", Kind.BOOLEAN, "True when the time is an estimate."),
)

FIELDS: tuple[Field, ...] = (
    Field(
        "id",
        Kind.ID,
        "The postmortem id. Defaults to, and must equal, the file name without `.md`.",
        example="2024-03-08-auth-outage",
    ),
    Field(
        "title",
        Kind.LINE,
        "A short, specific title.",
        required=True,
        example="Authentication outage from a missing index",
        max_length=200,
    ),
    Field(
        "date",
        Kind.DATE,
        "The day the incident started (YYYY-MM-DD). Required when `started` is not given.",
        example="2024-03-08",
    ),
    Field(
        "status",
        Kind.VOCAB,
        "Where the write-up stands.",
        required=True,
        vocabulary="status",
        example="published",
    ),
    Field(
        "severity",
        Kind.VOCAB,
        "How bad it was.",
        required=True,
        vocabulary="severity",
        example="SEV2",
    ),
    Field(
        "summary",
        Kind.TEXT,
        "Two or three sentences: what happened, the impact, the fix.",
        required=True,
        example="Logins failed for about 30% of users for 4 hours.",
    ),
    Field(
        "root_cause",
        Kind.TEXT,
        "What was wrong, in prose: the fact someone searching later needs.",
        required=True,
        example="A missing index on the user table made the authentication query slow.",
    ),
    Field(
        "services",
        Kind.LIST,
        "The services that failed or were affected.",
        required=True,
        item=Kind.LINE,
        example=["auth-service", "user-db"],
    ),
    Field(
        "started",
        Kind.DATETIME,
        "When impact began (ISO 8601 with a time zone).",
        example="2024-03-08T10:30:00Z",
    ),
    Field("detected", Kind.DATETIME, "When we knew.", example="2024-03-08T10:30:00Z"),
    Field(
        "mitigated",
        Kind.DATETIME,
        "When impact ended or the fix was deployed.",
        example="2024-03-08T13:45:00Z",
    ),
    Field(
        "resolved", Kind.DATETIME, "When the incident was closed.", example="2024-03-08T14:45:00Z"
    ),
    Field(
        "latent_since",
        Kind.DATETIME,
        "When the defect or condition behind the incident was introduced, if it lay dormant "
        "before `started`.",
        example="2019-07-25T00:00:00Z",
    ),
    Field(
        "approximate",
        Kind.LIST,
        "Time fields that are estimates, e.g. `[started]`.",
        item=Kind.VOCAB,
        vocabulary="time_field",
        example=["started"],
    ),
    Field(
        "root_cause_categories",
        Kind.LIST,
        "The kinds of root cause.",
        item=Kind.VOCAB,
        vocabulary="root_cause_category",
        example=["database", "performance"],
    ),
    Field("trigger", Kind.VOCAB, "What set it off.", vocabulary="trigger", example="traffic-surge"),
    Field(
        "contributing_factors",
        Kind.LIST,
        "Conditions that made it possible or worse, as short phrases.",
        item=Kind.LINE,
        example=["no query-plan review", "alerts lacked per-component metrics"],
    ),
    Field(
        "detection",
        Kind.VOCAB,
        "How we found out.",
        vocabulary="detection",
        example="monitoring-alert",
    ),
    Field(
        "tags",
        Kind.LIST,
        "Free keywords for browsing.",
        item=Kind.LINE,
        example=["database", "authentication"],
    ),
    Field(
        "teams",
        Kind.LIST,
        "Teams that responded.",
        item=Kind.LINE,
        example=["DevOps", "Backend Engineering"],
    ),
    Field(
        "impact",
        Kind.MAPPING,
        "Who was affected and how much. A plain string is the description.",
        fields=IMPACT_FIELDS,
        shorthand="description",
    ),
    Field(
        "timeline", Kind.LIST, "Key moments, in order.", item=Kind.MAPPING, fields=TIMELINE_FIELDS
    ),
    Field(
        "action_items", Kind.LIST, "Follow-up work.", item=Kind.MAPPING, fields=ACTION_ITEM_FIELDS
    ),
    Field("lessons", Kind.MAPPING, "What we learned.", fields=LESSON_FIELDS),
    Field(
        "related",
        Kind.LIST,
        "Ids of related postmortems.",
        item=Kind.ID,
        example=["2023-11-02-db-failover"],
    ),
    Field(
        "links",
        Kind.LIST,
        "Tickets, chat, dashboards, reports. A plain string is the URL.",
        item=Kind.MAPPING,
        fields=LINK_FIELDS,
        shorthand="url",
    ),
    Field("authors", Kind.LIST, "Who wrote this postmortem.", item=Kind.LINE, example=["Jane Doe"]),
    Field("extra", Kind.ANY, "Anything else, kept as it is and not validated."),
)

FIELDS_BY_NAME = {field.name: field for field in FIELDS}
