"""Times and sizes as every face shows them: one writer of each form."""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime


def iso_utc(epoch: float) -> str:
    """`2026-11-28T14:10:57Z`: AWS's form (aws:CurrentTime, credential_process Expiration)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def rfc3339(epoch: float) -> str:
    """UTC with microseconds, as Vault's audit log writes it: 2026-11-28T13:10:57.123456Z."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_stamp(epoch: float) -> str:
    """`2026-11-28 14:10:57`, for tables a person reads (UTC)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))


def utc_time(epoch: float) -> str:
    """`14:10:57` (UTC)."""
    return time.strftime("%H:%M:%S", time.gmtime(epoch))


def expires_in(seconds: float) -> str:
    """A countdown read at a glance: `1d 02h`, `1h 05m`, `4m 09s`, `12s`, `expired`."""
    if seconds <= 0:
        return "expired"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours >= 24:
        days, hours = divmod(hours, 24)
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


_WHITESPACE = str.maketrans("", "", " \t\n\r")


def policy_size(text: str) -> int:
    """A policy's characters excluding whitespace, as IAM counts them against its quotas."""
    return len(text.translate(_WHITESPACE))


def in_words(seconds: float) -> str:
    """A span in prose for messages: `an hour`, `14 minutes` (humanize's words)."""
    if not seconds > 0:  # NaN too
        return _whole_seconds_in_words(0)
    return _whole_seconds_in_words(int(min(seconds, 1e12)))  # inf: "31,710 years"


@functools.lru_cache(maxsize=8192)
def _whole_seconds_in_words(seconds: int) -> str:
    """humanize's words, which read whole seconds only: `lease list` asks 10,000 times, for
    a few thousand distinct spans."""
    import humanize  # deferred: only messages need it

    return str(humanize.naturaldelta(seconds))


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """A count with its noun agreeing: `1 lease`, `3 leases`, `0 IAM users`."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
