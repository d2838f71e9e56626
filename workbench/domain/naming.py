"""IAM user names from the engine's username template, and lease ids."""

from __future__ import annotations

import re
import secrets
import string
import time

from workbench.domain.errors import InvalidInput

# Every IAM user the workbench creates carries these tags, so reconcile finds
# it by tag (never by a name template that may have changed since).
STORE_TAG = "lease-workbench:store"
LEASE_TAG = "lease-workbench:lease"
IAM_USER_NAME_MAX = 64
# 62^8 > 2 x 10^14 names per second of unix_time: two leases cannot share a user.
MIN_RANDOM_CHARS = 8
MAX_RANDOM_CHARS = 64
_ALPHABET = string.ascii_letters + string.digits
# IAM's own character set for user names (ASCII only: real IAM refuses "Ω").
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_+=,.@-]")
IAM_NAME = re.compile(r"[A-Za-z0-9_+=,.@-]+")
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)(?:\s+([0-9]+))?\s*\}\}")
_FIELDS = ("display_name", "role_name", "unix_time", "random")


def random_token(length: int) -> str:
    """A random base62 string (Vault's lease ids use 24 such characters)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_lease_id(engine: str, role: str) -> str:
    """`ENGINE/creds/ROLE/RANDOM`, Vault's lease id shape."""
    return f"{engine}/creds/{role}/{random_token(24)}"


def check_template(template: str) -> None:
    """Reject a username template that uses unknown placeholders or no randomness."""
    names = [match.group(1) for match in _PLACEHOLDER.finditer(template)]
    unknown = sorted(set(names) - set(_FIELDS))
    if unknown:
        raise InvalidInput(
            f"username template uses unknown placeholder(s) {', '.join(unknown)}; "
            f"allowed: {', '.join('{{' + name + '}}' for name in _FIELDS)}"
        )
    if "random" not in names:
        raise InvalidInput(
            "username template must contain {{random N}} so every IAM user name is unique"
        )
    lengths = [
        _random_length(match.group(2))
        for match in _PLACEHOLDER.finditer(template)
        if match.group(1) == "random"
    ]
    if any(length > MAX_RANDOM_CHARS for length in lengths):
        raise InvalidInput(
            f"username template: {{{{random N}}}} takes N up to {MAX_RANDOM_CHARS} "
            "(IAM user names are at most 64 characters)"
        )
    if sum(lengths) < MIN_RANDOM_CHARS:
        raise InvalidInput(
            f"username template has only {sum(lengths)} random character(s); use "
            f"{{{{random {MIN_RANDOM_CHARS}}}}} or more so two leases can never get the same "
            "IAM user name"
        )
    if _NAME_CHARS.search(_PLACEHOLDER.sub("", template)):
        raise InvalidInput(
            "username template has characters IAM refuses in user names; "
            "allowed: letters, digits and + = , . @ _ -"
        )


def _random_length(digits: str | None) -> int:
    """N of `{{random N}}` (8 when absent); anything past the maximum counts as too long."""
    if digits is None:
        return 8
    return int(digits) if len(digits) <= 3 else MAX_RANDOM_CHARS + 1


def template_prefix(template: str) -> str:
    """The fixed text before the first placeholder (what `reconcile` matches)."""
    match = _PLACEHOLDER.search(template)
    return template[: match.start()] if match else template


def render_username(
    template: str,
    *,
    display_name: str,
    role_name: str,
    now: float | None = None,
    max_length: int = IAM_USER_NAME_MAX,
) -> str:
    """Render the template into a valid IAM name of at most `max_length` characters.

    If the result is too long, the display and role names are shortened, never
    the random part or the time, so names stay unique after truncation.
    """
    check_template(template)
    clean_display = _NAME_CHARS.sub("_", display_name) or "op"
    clean_role = _NAME_CHARS.sub("_", role_name) or "role"
    stamp = str(int(now if now is not None else time.time()))
    randoms: list[str] = []

    def fill(display: str, role: str) -> str:
        index = 0

        def substitute(match: re.Match[str]) -> str:
            nonlocal index
            name = match.group(1)
            if name == "display_name":
                return display
            if name == "role_name":
                return role
            if name == "unix_time":
                return stamp
            if len(randoms) <= index:
                randoms.append(random_token(_random_length(match.group(2))))
            index += 1
            return randoms[index - 1]

        return _PLACEHOLDER.sub(substitute, template)

    name = fill(clean_display, clean_role)
    excess = len(name) - max_length
    if excess > 0:
        # Take the excess from the longer of the two names first.
        display, role = clean_display, clean_role
        while excess > 0 and (len(display) > 1 or len(role) > 1):
            if len(display) >= len(role) and len(display) > 1:
                display = display[:-1]
            else:
                role = role[:-1]
            name = fill(display, role)
            excess = len(name) - max_length
        if excess > 0:
            raise InvalidInput(
                f"username template yields names longer than {max_length} characters "
                "even with the role and operator names cut short; shorten its fixed text"
            )
    if not IAM_NAME.fullmatch(name):
        raise InvalidInput(
            "username template yields a name IAM refuses; allowed: letters, digits "
            "and + = , . @ _ -"
        )
    return name
