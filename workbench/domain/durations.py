"""Durations in Vault's forms: `90`, `90s`, `15m`, `1h30m`, `768h`, `7d`."""

from __future__ import annotations

import re

from workbench.domain.errors import InvalidInput

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+)([smhd])")
_WHOLE = re.compile(r"(?:\d+[smhd])+")
# Ten years: longer than any lease AWS or Vault would honour, short enough to
# keep datetime arithmetic far from overflow.
MAX_DURATION_SECONDS = 10 * 365 * 86400

_HINT = "use seconds (90) or Vault's units s, m, h, d (90s, 15m, 1h30m, 768h)"


def parse_duration(text: str | int, *, what: str = "duration") -> int:
    """Return the number of seconds `text` names, or raise InvalidInput."""
    if isinstance(text, int) and not isinstance(text, bool):
        seconds = text
    else:
        raw = str(text).strip().lower()
        if not raw:
            raise InvalidInput(f"{what} is empty; {_HINT}")
        if raw.isdigit():
            seconds = int(raw)
        elif _WHOLE.fullmatch(raw):
            seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in _PART.findall(raw))
        else:
            raise InvalidInput(f"{what} {str(text)!r} is not a duration; {_HINT}")
    if seconds < 0:
        raise InvalidInput(f"{what} {text!r} is negative; {_HINT}")
    if seconds > MAX_DURATION_SECONDS:
        raise InvalidInput(f"{what} {text!r} is longer than ten years; pick a shorter one")
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
