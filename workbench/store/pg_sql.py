"""Text for team mode's PostgreSQL that needs no driver: placeholders and URLs without passwords.

The repositories write their SQL once, in SQLite's placeholder style (`?` and
`:name`); `to_psycopg` rewrites it for psycopg (`%s`, `%(name)s`). `redact_url`
is how a server is named in every message: its URL with the password gone.
Neither imports psycopg, so the CLI can name a store without loading it.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

# String literals and quoted identifiers pass through untouched ('' and "" escape
# their quote; a backslash is an ordinary character, as with standard strings);
# `::` is a cast, not a named placeholder.
_TOKEN = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|::|\?|:[A-Za-z_][A-Za-z0-9_]*|%""")


def _replacement(match: re.Match[str]) -> str:
    token = match.group()
    if token == "?":
        return "%s"
    if token == "%":
        return "%%"
    if token.startswith(":") and token != "::":
        return f"%({token[1:]})s"
    return token.replace("%", "%%")


@functools.lru_cache(maxsize=512)
def to_psycopg(sql: str) -> str:
    """`sql` with SQLite's placeholders (`?`, `:name`) as psycopg's, and `%` doubled.

    Only placeholders outside string literals and quoted names change; the SQL is
    the repositories' own constants, so an unclosed quote is a bug, said loudly.
    """
    rest = _TOKEN.sub("", sql)
    if "'" in rest or '"' in rest:
        raise ValueError(f"unclosed quote in SQL: {sql[:80]!r}")
    return _TOKEN.sub(_replacement, sql)


_SECRET_PARAMETERS = ("password", "sslpassword")
_KEY_VALUE_PASSWORD = re.compile(r"""\b(?:ssl)?password\s*=\s*(?:'(?:[^'\\]|\\.)*'|\S*)\s*""", re.I)


def redact_url(url: str) -> str:
    """The store's URL as it may be shown: user, host, port, database; never a password.

    Takes a `postgresql://` URL or a libpq key=value string.
    """
    if "://" not in url:
        return _KEY_VALUE_PASSWORD.sub("", url).strip()
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")
    userinfo, host = netloc[0], netloc[2]
    user = userinfo.partition(":")[0]
    netloc_text = f"{user}@{host}" if userinfo else host
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k not in _SECRET_PARAMETERS
    ]
    return urlunsplit(
        (parts.scheme, netloc_text, parts.path, urlencode(query, quote_via=quote, safe="/"), "")
    )


def password_of(url: str) -> str | None:
    """The password written in a URL, if any (to scrub it from a driver's messages)."""
    if "://" in url:
        parts = urlsplit(url)
        userinfo = parts.netloc.rpartition("@")[0]
        if ":" in userinfo:
            return userinfo.partition(":")[2] or None
        query = dict(parse_qsl(parts.query))
        return query.get("password") or None
    match = _KEY_VALUE_PASSWORD.search(url)
    if not match:
        return None
    value = match.group().split("=", 1)[1].strip()
    return value.strip("'") or None


def scrub(text: str, url: str) -> str:
    """`text` with the URL's password (raw or percent-encoded) replaced by `***`."""
    secret = password_of(url)
    if not secret:
        return text
    for form in {secret, unquote(secret), quote(unquote(secret), safe="")}:
        if form:
            text = text.replace(form, "***")
    return text
