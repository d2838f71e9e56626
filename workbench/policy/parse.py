"""A small JSON parser that keeps every value's offset and notices duplicate keys.

The stdlib `json` module gives neither, and a validator that runs on every
keystroke needs both: findings point at the offending token, and IAM treats a
repeated key as a mistake even though `json.loads` silently keeps the last
one. Strings are decoded by the stdlib's C `scanstring`, so the Python loop
only walks structure.
"""

from __future__ import annotations

import json.decoder
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from json.decoder import JSONDecodeError

# the stdlib's C string decoder; typeshed does not declare it
scanstring: Callable[[str, int, bool], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]

MAX_DEPTH = 64

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_LITERALS = (("true", True), ("false", False), ("null", None))


@dataclass(slots=True)
class JsonValue:
    """Any JSON value; `start` is the offset of its first character."""

    start: int


@dataclass(slots=True)
class JsonString(JsonValue):
    value: str


@dataclass(slots=True)
class JsonNumber(JsonValue):
    value: float
    text: str


@dataclass(slots=True)
class JsonBool(JsonValue):
    value: bool


@dataclass(slots=True)
class JsonNull(JsonValue):
    pass


@dataclass(slots=True)
class JsonArray(JsonValue):
    items: list[JsonValue] = field(default_factory=list)


@dataclass(slots=True)
class Member:
    """One `"key": value` pair of an object, with the key's offset."""

    key: str
    key_start: int
    value: JsonValue


@dataclass(slots=True)
class JsonObject(JsonValue):
    members: list[Member] = field(default_factory=list)

    def get(self, key: str) -> Member | None:
        """The first member named `key` (duplicates are reported separately)."""
        for member in self.members:
            if member.key == key:
                return member
        return None


@dataclass(slots=True)
class Duplicate:
    """A key that appears twice in one object."""

    key: str
    key_start: int
    first_start: int
    owner: JsonObject


@dataclass(slots=True)
class ParseResult:
    """The parsed tree, or the first syntax error and where it is."""

    root: JsonValue | None
    error: str | None = None
    error_offset: int = 0
    duplicates: list[Duplicate] = field(default_factory=list)


class _SyntaxError(Exception):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def type_name(value: JsonValue) -> str:
    """The JSON type of a value, as a person would say it."""
    names = {
        JsonString: "a string",
        JsonNumber: "a number",
        JsonBool: "a boolean",
        JsonNull: "null",
        JsonArray: "an array",
        JsonObject: "an object",
    }
    return names.get(type(value), "a value")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.duplicates: list[Duplicate] = []

    def skip(self, pos: int) -> int:
        match = _WHITESPACE.match(self.text, pos)
        assert match is not None
        return match.end()

    def unexpected(self, pos: int, expected: str) -> _SyntaxError:
        text = self.text
        if pos >= len(text):
            return _SyntaxError(f"the text ends too soon: expected {expected}", pos)
        char = text[pos]
        if char == "'":
            return _SyntaxError('JSON strings use double quotes ("), not single quotes', pos)
        if text.startswith(("//", "/*"), pos):
            return _SyntaxError("JSON does not allow comments; remove it", pos)
        if char == "#":
            return _SyntaxError("JSON does not allow comments; remove it", pos)
        return _SyntaxError(f"expected {expected}, found {char!r}", pos)

    def value(self, pos: int, depth: int) -> tuple[JsonValue, int]:
        text = self.text
        if depth > MAX_DEPTH:
            raise _SyntaxError(f"nested deeper than {MAX_DEPTH} levels", pos)
        char = text[pos : pos + 1]
        if char == '"':
            return self.string(pos)
        if char == "{":
            return self.object(pos, depth)
        if char == "[":
            return self.array(pos, depth)
        match = _NUMBER.match(text, pos)
        if match is not None:
            number_text = match.group()
            try:
                number = (
                    float(number_text) if any(c in number_text for c in ".eE") else int(number_text)
                )
            except ValueError:  # int() refuses 4,300+ digits
                raise _SyntaxError(
                    f"a number of {len(number_text):,} digits is too long to read", pos
                ) from None
            return JsonNumber(pos, number, number_text), match.end()
        for word, literal in _LITERALS:
            if text.startswith(word, pos):
                end = pos + len(word)
                if literal is None:
                    return JsonNull(pos), end
                return JsonBool(pos, literal), end
        return self.value_error(pos)

    def value_error(self, pos: int) -> tuple[JsonValue, int]:
        text = self.text
        word = re.match(r"[A-Za-z_][A-Za-z0-9_]*", text[pos : pos + 40])
        if word is not None and word.group() in {"True", "False", "None", "NaN", "Infinity"}:
            raise _SyntaxError(
                f"{word.group()} is not JSON; use true, false, null or a string", pos
            )
        if word is not None:
            raise _SyntaxError(f"text {word.group()!r} must be in double quotes", pos)
        raise self.unexpected(pos, "a value")

    def string(self, pos: int) -> tuple[JsonString, int]:
        try:
            value, end = scanstring(self.text, pos + 1, True)
        except JSONDecodeError as error:
            if error.msg.startswith("Unterminated string"):
                raise _SyntaxError("this string has no closing double quote", pos) from None
            if error.msg.startswith("Invalid control character"):
                message = "a line break or tab inside a string must be written as \\n or \\t"
                raise _SyntaxError(message, error.pos) from None
            raise _SyntaxError(f"{error.msg.lower()} in this string", error.pos) from None
        return JsonString(pos, value), end

    def object(self, start: int, depth: int) -> tuple[JsonObject, int]:
        text = self.text
        node = JsonObject(start)
        seen: dict[str, int] = {}
        pos = self.skip(start + 1)
        if text.startswith("}", pos):
            return node, pos + 1
        while True:
            if not text.startswith('"', pos):
                raise self.unexpected(pos, "a key in double quotes")
            key_node, pos = self.string(pos)
            pos = self.skip(pos)
            if not text.startswith(":", pos):
                raise self.unexpected(pos, f"':' after the key {key_node.value!r}")
            pos = self.skip(pos + 1)
            value, pos = self.value(pos, depth + 1)
            key = key_node.value
            if key in seen:
                self.duplicates.append(Duplicate(key, key_node.start, seen[key], node))
            else:
                seen[key] = key_node.start
            node.members.append(Member(key, key_node.start, value))
            pos = self.skip(pos)
            if text.startswith("}", pos):
                return node, pos + 1
            if not text.startswith(",", pos):
                raise self.unexpected(pos, "',' or '}' after the value")
            comma = pos
            pos = self.skip(pos + 1)
            if text.startswith("}", pos):
                raise _SyntaxError(
                    "remove the comma before '}' (JSON has no trailing commas)", comma
                )

    def array(self, start: int, depth: int) -> tuple[JsonArray, int]:
        text = self.text
        node = JsonArray(start)
        pos = self.skip(start + 1)
        if text.startswith("]", pos):
            return node, pos + 1
        while True:
            item, pos = self.value(pos, depth + 1)
            node.items.append(item)
            pos = self.skip(pos)
            if text.startswith("]", pos):
                return node, pos + 1
            if not text.startswith(",", pos):
                raise self.unexpected(pos, "',' or ']' after the value")
            comma = pos
            pos = self.skip(pos + 1)
            if text.startswith("]", pos):
                raise _SyntaxError(
                    "remove the comma before ']' (JSON has no trailing commas)", comma
                )


def parse_json(text: str) -> ParseResult:
    """Parse JSON text into a tree of positioned values; never raises."""
    parser = _Parser(text)
    try:
        pos = parser.skip(0)
        if pos >= len(text):
            return ParseResult(None, "the policy is empty; it must be a JSON object", pos)
        root, pos = parser.value(pos, 0)
        pos = parser.skip(pos)
        if pos < len(text):
            message = "unexpected text after the end of the policy; remove it"
            return ParseResult(None, message, pos, parser.duplicates)
    except _SyntaxError as error:
        return ParseResult(None, error.message, error.offset, parser.duplicates)
    except RecursionError:
        return ParseResult(None, "the policy is nested too deeply", 0)
    return ParseResult(root, duplicates=parser.duplicates)
