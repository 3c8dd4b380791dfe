"""Describe the front matter as a JSON Schema (draft 2020-12), generated from `schema.FIELDS`.

The schema says what the validator accepts: text fields also take numbers (YAML reads `404`
as one), a list field also takes a single value, and a mapping with a shorthand also takes a
plain string. Vocabulary values are listed in their canonical spelling, each with its meaning.
"""

from __future__ import annotations

from typing import Any

from .schema import FIELDS, MAX_ITEMS, MAX_LINE, MAX_TEXT, Field, Kind
from .vocabulary import Vocabularies

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://mkdocs-postmortems.invalid/postmortem.schema.json"

# Mirrors validate.ID_PATTERN (Python and ECMA-262 agree on this pattern).
ID_PATTERN = r"^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._-]{0,150}$"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
DATETIME_PATTERN = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|z|[+-]\d{2}:?\d{2})$"
# http(s), mailto, or a relative reference: no other scheme and no protocol-relative //host.
URL_PATTERN = (
    r"^\s*(?:[Hh][Tt][Tt][Pp][Ss]?:|[Mm][Aa][Ii][Ll][Tt][Oo]:|(?![A-Za-z][A-Za-z0-9+.-]*:)(?!//))"
)

Schema = dict[str, Any]


def json_schema(vocabularies: Vocabularies) -> Schema:
    """Return the JSON Schema of a postmortem's front matter with `vocabularies` applied."""
    schema: Schema = {
        "$schema": DRAFT,
        "$id": SCHEMA_ID,
        "title": "Postmortem front matter",
        "description": "The YAML front matter of a postmortem file (mkdocs-postmortems). "
        "Either 'date' or 'started' is required.",
        **_object(FIELDS, vocabularies),
    }
    schema["anyOf"] = [{"required": ["date"]}, {"required": ["started"]}]
    return schema


def _object(fields: tuple[Field, ...], vocabularies: Vocabularies) -> Schema:
    return {
        "type": "object",
        "properties": {spec.name: field_schema(spec, vocabularies) for spec in fields},
        "required": [spec.name for spec in fields if spec.required],
        "additionalProperties": False,
    }


def field_schema(spec: Field, vocabularies: Vocabularies) -> Schema:
    """Return the schema of one field, with its description and example."""
    if spec.kind is Kind.LIST:
        assert spec.item is not None
        item = _value(spec.item, spec, vocabularies)
        array: Schema = {"type": "array", "items": item, "maxItems": MAX_ITEMS}
        # A single value is read as a list of one.
        schema: Schema = {"anyOf": [array, item]}
    else:
        schema = _value(spec.kind, spec, vocabularies)
    schema = {"description": spec.doc, **schema}
    if spec.example is not None:
        schema["examples"] = [spec.example]
    return schema


def _value(kind: Kind, spec: Field, vocabularies: Vocabularies) -> Schema:
    if kind is Kind.TEXT or kind is Kind.LINE:
        limit = spec.max_length or (MAX_LINE if kind is Kind.LINE else MAX_TEXT)
        text: Schema = {"type": "string", "maxLength": limit}
        if kind is Kind.LINE:
            text["pattern"] = r"^[^\n\r]*$"
        return {"anyOf": [text, {"type": "number"}]}
    if kind is Kind.DATE:
        return {"type": "string", "format": "date", "pattern": DATE_PATTERN}
    if kind is Kind.DATETIME:
        return {"type": "string", "format": "date-time", "pattern": DATETIME_PATTERN}
    if kind is Kind.URL:
        return {"type": "string", "maxLength": MAX_LINE, "pattern": URL_PATTERN}
    if kind is Kind.NUMBER or kind is Kind.INTEGER:
        number: Schema = {"type": "number" if kind is Kind.NUMBER else "integer"}
        if spec.minimum is not None:
            number["minimum"] = spec.minimum
        if spec.maximum is not None:
            number["maximum"] = spec.maximum
        return number
    if kind is Kind.BOOLEAN:
        return {"type": "boolean"}
    if kind is Kind.VOCAB:
        assert spec.vocabulary is not None
        terms = vocabularies.get(spec.vocabulary, ())
        return {
            "title": spec.vocabulary.replace("_", " "),
            "oneOf": [
                {
                    "const": term.value,
                    **({"description": term.description} if term.description else {}),
                }
                for term in terms
            ],
        }
    if kind is Kind.ID:
        return {"type": "string", "pattern": ID_PATTERN}
    if kind is Kind.MAPPING:
        mapping = _object(spec.fields, vocabularies)
        if spec.shorthand:
            shorthand = next(sub for sub in spec.fields if sub.name == spec.shorthand)
            return {"anyOf": [mapping, _value(shorthand.kind, shorthand, vocabularies)]}
        return mapping
    return {"type": "object"}
