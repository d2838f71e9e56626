"""Durations in Vault's forms: `90`, `90s`, `15m`, `1h30m`, `768h`, `7d`."""

from __future__ import annotations

import math
import re

from workbench.domain.errors import InvalidInput
from workbench.domain.text import printable

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# ASCII digits only: `\d` and str.isdigit() also take Arabic-Indic, fullwidth
# and superscript digits, which no operator means as a TTL.
_PART = re.compile(r"([0-9]+)([smhd])")
_WHOLE = re.compile(r"(?:[0-9]+[smhd])+")
_SECONDS = re.compile(r"[0-9]+")
# Ten years: longer than any lease AWS or Vault would honour, short enough to
# keep datetime arithmetic far from overflow.
MAX_DURATION_SECONDS = 10 * 365 * 86400
# Digits beyond this (after leading zeros) already mean more than ten years;
# longer numbers are never converted (int() refuses 4,300+ digits anyway).
_MAX_DIGITS = len(str(MAX_DURATION_SECONDS))
# Longer text is not a duration anyone typed; it is never run through a regex.
MAX_DURATION_TEXT = 10_000
_SHOWN = 40

_HINT = "use seconds (90) or Vault's units s, m, h, d (90s, 15m, 1h30m, 768h)"


def _shown(value: object) -> str:
    """The value as a message shows it: repr, control characters escaped, cut short."""
    if isinstance(value, int) and abs(value) >= 10**_SHOWN:
        return f"(a number of more than {_SHOWN} digits)"
    text = printable(repr(value))
    return text if len(text) <= _SHOWN else f"{text[:_SHOWN]}... ({len(text)} characters)"


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def _number(digits: str) -> int | None:
    """The value of an ASCII digit string, or None when it is past ten years."""
    significant = digits.lstrip("0") or "0"
    if len(significant) > _MAX_DIGITS:
        return None
    return int(significant)


def _too_long(what: str, value: object) -> InvalidInput:
    return InvalidInput(f"{what} {_shown(value)} is longer than ten years; pick a shorter one")


def _seconds_of_text(text: str, what: str) -> int:
    raw = text.strip().lower()
    if not raw:
        raise InvalidInput(f"{what} is empty; {_HINT}")
    if len(raw) > MAX_DURATION_TEXT:
        raise InvalidInput(f"{what} {_shown(text)} is not a duration; {_HINT}")
    if _SECONDS.fullmatch(raw):
        seconds = _number(raw)
        if seconds is None:
            raise _too_long(what, text)
        return seconds
    if raw.startswith("-") and _SECONDS.fullmatch(raw[1:]):
        raise InvalidInput(f"{what} {_shown(text)} is negative; {_HINT}")
    if not _WHOLE.fullmatch(raw):
        raise InvalidInput(f"{what} {_shown(text)} is not a duration; {_HINT}")
    total = 0
    for digits, unit in _PART.findall(raw):
        amount = _number(digits)
        if amount is None:
            raise _too_long(what, text)
        total += amount * _UNIT_SECONDS[unit]
    return total


def _seconds_of_number(value: int | float, what: str) -> int:
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise InvalidInput(f"{what} {_shown(value)} is not a whole number of seconds; {_HINT}")
        if abs(value) > MAX_DURATION_SECONDS:
            raise _too_long(what, value) if value > 0 else _negative(what, value)
        return int(value)
    return value


def _negative(what: str, value: object) -> InvalidInput:
    return InvalidInput(f"{what} {_shown(value)} is negative; {_HINT}")


def parse_duration(text: object, *, what: str = "duration", field: str | None = None) -> int:
    """Return the number of seconds `text` names, or raise InvalidInput.

    Takes a string in Vault's forms or a number of seconds (a JSON number:
    an int, or a float with no fraction); anything else is refused. With
    `field`, the error names that input (see WorkbenchError) instead of `what`.
    """
    if field is not None:
        try:
            return parse_duration(text, what=f"{{field:{field}}}")
        except InvalidInput as error:
            raise InvalidInput(error.message, field=field) from None
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise InvalidInput(
            f'{what} must be a duration like "15m" or a number of seconds (got {_type_name(text)})'
        )
    seconds = (
        _seconds_of_text(text, what) if isinstance(text, str) else _seconds_of_number(text, what)
    )
    if seconds < 0:
        raise _negative(what, text)
    if seconds > MAX_DURATION_SECONDS:
        raise _too_long(what, text)
    return seconds


def format_duration(seconds: int) -> str:
    """Render seconds the way Vault does: `1h30m0s`, `45s`."""
    seconds = int(seconds)
    if seconds <= 0:
        return "0s"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"
