"""Parse front matter with a strict YAML loader that remembers where every key is.

The loader follows the YAML 1.2 core schema rather than PyYAML's YAML 1.1 one, so the classic
traps do not change an author's meaning: `no` stays the string "no", `1:30` stays "1:30",
`2024-03-08 10:30` stays a string (times are parsed by the validator, which insists on a time
zone), and `0755` stays "0755". Aliases are refused (no alias bombs), duplicate keys are
errors, and the input size and nesting depth are capped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_FRONT_MATTER_BYTES = 256 * 1024
MAX_DEPTH = 20
_FLATTEN = "the format nests at most three levels; check the indentation and brackets"

Path = tuple[str | int, ...]

# The plain scalars the core schema reads as null or a boolean; any other word is text.
_WORDS: dict[str, bool | None] = {
    **dict.fromkeys(("", "~", "null", "Null", "NULL")),
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
}
_NUMBER_START = frozenset("-+0123456789")
_NUMBER = re.compile(
    r"(?P<int>[-+]?(?:0|[1-9][0-9]*))"
    r"|[-+]?(?:(?:0|[1-9][0-9]*)\.[0-9]+(?:[eE][-+]?[0-9]+)?|(?:0|[1-9][0-9]*)[eE][-+]?[0-9]+)"
)


_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")
)


class YamlProblem(Exception):
    """The front matter is not acceptable YAML; carries the 1-based line within it."""

    def __init__(self, message: str, line: int | None, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.hint = hint


@dataclass
class Parsed:
    """The parsed front matter: plain data, where each key sits, and duplicate keys found."""

    data: object
    lines: dict[Path, int] = field(default_factory=dict)
    duplicates: list[tuple[Path, int]] = field(default_factory=list)


class _NoAliasLoader(yaml.SafeLoader):
    """A SafeLoader whose composer refuses aliases; we construct values ourselves."""

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise _alias_problem(event.start_mark.line + 1)
        return super().compose_node(parent, index)


# libyaml parses about ten times faster than the pure-Python parser (measured: 4.2 s against
# 0.4 s for 1,000 front matters), which was most of a build's loading time.
_FAST: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)

# The tag the composer gives a plain scalar without an explicit tag (all others are refused or
# are strings), and the tag it gives everything else (ignored: collections' tags never were).
_PLAIN = "plain"
_OTHER = ""

# libyaml composes recursively in C, where deep nesting could overflow the stack (libyaml 0.2.5
# stops at 1,000 levels, older ones do not). Each level takes one of the indicators '[{-?:', so
# a text with at most this many cannot nest deeper; front matters have a few hundred.
_SAFE_INDICATORS = 1_000


class _Unusual(Exception):
    """The fast path met something it leaves to the careful one, which reports it exactly."""


if _FAST is not None:

    class _Composer(yaml.CBaseLoader):
        """libyaml's parser and composer, building the node tree in C with start marks.

        Tags are not resolved. The composer asks for one only for a node without a tag or with
        the non-specific tag `!`, which libyaml marks implicit for a plain scalar as the YAML
        resolvers do; such a plain scalar gets `_PLAIN` and is read by `_plain`.
        """

        def resolve(self, kind: type[Node], value: str | None, implicit: object) -> str:
            if kind is ScalarNode and implicit[0]:  # type: ignore[index]
                return _PLAIN
            return _OTHER

        def descend_resolver(self, current_node: Node | None, current_index: object) -> None:
            return None

        def ascend_resolver(self) -> None:
            return None


def _from_nodes(text: str) -> Parsed | None:
    """Return the parse of `text` when it is plain YAML, from a node tree composed in C.

    Return None for anything unusual (an error, an anchor or alias, a tag on a scalar, a key
    that is not text, a merge key, deep nesting): `_from_events` then decides, with the exact
    problem it reports. Both build the same data, lines and duplicates in the same order.
    """
    if "&" in text:
        return None  # no anchor, so an alias is an error of the composer's
    if len(text) > _SAFE_INDICATORS and sum(map(text.count, "[{-?:")) > _SAFE_INDICATORS:
        return None
    composer = _Composer(text)
    try:
        node = composer.get_single_node()
    except Exception:  # the careful path meets the same input and reports it
        return None
    finally:
        composer.dispose()
    parsed = Parsed(data=None)
    if node is None:
        return parsed
    try:
        parsed.data = _node_value(node, (), 0, parsed)
    except _Unusual:
        return None
    return parsed


def _node_value(node: Node, path: Path, level: int, parsed: Parsed) -> object:
    """Return the value of `node`, found at `level` collections deep, by the rules of `_scalar`."""
    if node.__class__ is ScalarNode:
        if node.style:
            return node.value
        if node.tag != _PLAIN or node.value in ("<<", "="):
            # Explicit tags, and the two words YAML 1.1 tags as merge and value, are refused.
            raise _Unusual
        return _plain(node.value)
    level += 1
    if level > MAX_DEPTH:
        raise _Unusual
    lines = parsed.lines
    if node.__class__ is SequenceNode:
        items: list[object] = []
        for index, child in enumerate(node.value):
            lines[(*path, index)] = child.start_mark.line + 1
            items.append(_node_value(child, (*path, index), level, parsed))
        return items
    mapping: dict[str, object] = {}
    for key_node, value_node in node.value:
        key = key_node.value
        if key_node.__class__ is not ScalarNode or key == "<<":
            raise _Unusual
        key_path = (*path, key)
        line = key_node.start_mark.line + 1
        if key in mapping:
            parsed.duplicates.append((key_path, line))
        lines[key_path] = line
        mapping[key] = _node_value(value_node, key_path, level, parsed)
    return mapping


@dataclass
class _Open:
    """A mapping or list being filled from events, and the key waiting for its value."""

    value: dict[str, object] | list[object]
    path: Path
    key: str | None = None

    def child_path(self) -> Path:
        if isinstance(self.value, dict):
            return (*self.path, str(self.key))
        return (*self.path, len(self.value))


def _from_events(text: str, fast: type[yaml.SafeLoader]) -> Parsed:
    """Build the data from libyaml's events in one pass, by the rules of `_construct`.

    The careful path, for what `_from_nodes` leaves: it reports the first problem where it is
    met, and needs no node tree (whose composer recurses in C).
    """
    events = fast(text)
    parsed = Parsed(data=None)
    stack: list[_Open] = []
    anchors: set[str] = set()
    documents = 0

    def attach(value: object) -> None:
        if not stack:
            parsed.data = value
            return
        parent = stack[-1]
        if isinstance(parent.value, dict):
            parent.value[str(parent.key)] = value
            parent.key = None
        else:
            parent.value.append(value)

    try:
        while events.check_event():
            event = events.get_event()  # type: ignore[no-untyped-call]
            line = _line_of(event.start_mark)
            if isinstance(event, DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise YamlProblem(
                        "invalid YAML: expected a single document in the stream "
                        "but found another document",
                        line,
                        _yaml_hint(text, line),
                    )
                continue
            if isinstance(event, SequenceEndEvent | MappingEndEvent):
                attach(stack.pop().value)
                continue
            if not isinstance(event, ScalarEvent | SequenceStartEvent | MappingStartEvent):
                if isinstance(event, AliasEvent):
                    raise _alias_problem(line)
                continue  # stream and document ends
            if event.anchor is not None:
                if event.anchor in anchors:
                    raise YamlProblem(
                        f"YAML anchor '&{event.anchor}' is defined twice", line, "rename one"
                    )
                anchors.add(event.anchor)
            parent = stack[-1] if stack else None
            if parent is not None and isinstance(parent.value, dict) and parent.key is None:
                if not isinstance(event, ScalarEvent):
                    raise _key_problem(line)
                parent.key = _key(str(event.value), line, parent.path, parent.value, parsed)
                continue
            path = parent.child_path() if parent is not None else ()
            if len(stack) > MAX_DEPTH:
                raise _depth_problem(line)
            if parent is not None and isinstance(parent.value, list):
                parsed.lines[path] = line or 0
            if isinstance(event, ScalarEvent):
                tag = event.tag
                if tag is None or tag == "!":
                    tag = events.resolve(ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
                attach(_scalar(str(event.value), event.style, str(tag), line))
            else:
                empty: dict[str, object] | list[object] = (
                    {} if isinstance(event, MappingStartEvent) else []
                )
                stack.append(_Open(empty, path))
    finally:
        events.dispose()
    return parsed


def _key(key: str, line: int | None, path: Path, mapping: object, parsed: Parsed) -> str:
    """Record mapping key `key` (its line, and whether it repeats) and return it."""
    if key == "<<":
        raise YamlProblem(
            "YAML merge keys (<<) are not allowed in front matter",
            line,
            "write the keys out in full",
        )
    if isinstance(mapping, dict) and key in mapping:
        parsed.duplicates.append(((*path, key), line or 0))
    parsed.lines[(*path, key)] = line or 0
    return key


def _alias_problem(line: int | None) -> YamlProblem:
    return YamlProblem(
        "YAML aliases (*name) are not allowed in front matter", line, "write the value out in full"
    )


def _depth_problem(line: int | None) -> YamlProblem:
    return YamlProblem(f"front matter is nested more than {MAX_DEPTH} levels deep", line, _FLATTEN)


def _key_problem(line: int | None) -> YamlProblem:
    return YamlProblem("a mapping key must be plain text", line)


def _line_of(mark: object) -> int | None:
    line = getattr(mark, "line", None)
    return line + 1 if isinstance(line, int) else None


def parse(text: str) -> Parsed:
    """Parse front-matter `text` into plain data; raise YamlProblem when it is not acceptable."""
    # A character takes at most four bytes: most texts need not be encoded to be measured.
    if (
        len(text) * 4 > MAX_FRONT_MATTER_BYTES
        and len(text.encode("utf-8", "surrogatepass")) > MAX_FRONT_MATTER_BYTES
    ):
        raise YamlProblem(
            f"front matter is larger than {MAX_FRONT_MATTER_BYTES // 1024} KiB",
            1,
            "move long prose into the body below the closing ---",
        )
    loader: yaml.SafeLoader | None = None
    try:
        if _FAST is not None:
            fast = _from_nodes(text)
            return fast if fast is not None else _from_events(text, _FAST)
        # The pure-Python reader rejects control characters as soon as it is created.
        loader = _NoAliasLoader(text)
        node = loader.get_single_node()
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        message = " ".join(str(part) for part in (error.context, error.problem) if part)
        if "nesting depth" in message:
            # PyYAML 6.0.4 and later stop deep flow nesting in the scanner, before our check.
            raise _depth_problem(line) from None
        raise YamlProblem(f"invalid YAML: {message}", line, _yaml_hint(text, line)) from None
    except yaml.YAMLError as error:
        raise YamlProblem(f"invalid YAML: {error}", None) from None
    except RecursionError:
        raise YamlProblem("front matter is nested too deeply", None, _FLATTEN) from None
    finally:
        if loader is not None:
            loader.dispose()
    parsed = Parsed(data=None)
    if node is not None:
        parsed.data = _construct(node, (), parsed, 0)
    return parsed


def _yaml_hint(text: str, line: int | None) -> str:
    if line is None:
        return "check indentation and quoting"
    lines = text.splitlines()
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    if "\t" in source:
        return "YAML does not allow tabs for indentation; use spaces"
    if ": " in source.split(":", 1)[-1]:
        return "a value containing ': ' must be quoted"
    return "check indentation and quoting; values with ':', '#', '[' or '{' need quotes"


def _construct(node: Node, path: Path, parsed: Parsed, depth: int) -> object:
    if depth > MAX_DEPTH:
        raise _depth_problem(node.start_mark.line + 1)
    if isinstance(node, ScalarNode):
        return _scalar(str(node.value), node.style, str(node.tag), node.start_mark.line + 1)
    if isinstance(node, SequenceNode):
        items: list[object] = []
        for index, child in enumerate(node.value):
            parsed.lines[(*path, index)] = child.start_mark.line + 1
            items.append(_construct(child, (*path, index), parsed, depth + 1))
        return items
    if isinstance(node, MappingNode):
        mapping: dict[str, object] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise _key_problem(key_node.start_mark.line + 1)
            line = key_node.start_mark.line + 1
            key = _key(str(key_node.value), line, path, mapping, parsed)
            mapping[key] = _construct(value_node, (*path, key), parsed, depth + 1)
        return mapping
    raise YamlProblem("unsupported YAML node", node.start_mark.line + 1)  # pragma: no cover


def _scalar(value: str, style: str | None, tag: str, line: int | None) -> object:
    if style:
        # Quoted or block scalars are always strings.
        return value
    if tag not in _SCALAR_TAGS:
        # An explicit tag such as !!python/object is never honoured.
        raise YamlProblem(f"YAML tag '{tag}' is not allowed", line, "remove the tag")
    return _plain(value)


def _plain(value: str) -> object:
    """Return the core-schema value of plain scalar `value`: null, a boolean, a number or text.

    A plain scalar never ends with a line break (the scanners keep breaks only between words),
    so matching the whole value is the same as the anchored patterns YAML specifies.
    """
    word = _WORDS.get(value, value)
    if word is not value:
        return word
    if value[0] in _NUMBER_START:
        number = _NUMBER.fullmatch(value)
        if number is not None:
            return int(value) if number.lastgroup == "int" else float(value)
    return value
