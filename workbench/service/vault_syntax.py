"""Vault's CLI syntax for this engine, parsed: `vault read aws/creds/webapp` becomes a request.

Both faces take the same words: `workbench vault ARGS...` on the shell and
the TUI's `:` command line. `parse` turns the words into a `VaultCommand`
(command, path, flags, key=value data); `workbench.service.vault_run` maps
it onto the facade. Vault's rules are kept: flags come before the path,
`key=@FILE` reads a file, `key=-` (or a lone `-`, a JSON body) reads stdin,
and a key given twice becomes a list.
"""

from __future__ import annotations

import difflib
import json
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from workbench.domain.errors import InvalidInput
from workbench.domain.text import printable
from workbench.service.user_files import DOCUMENT_FILE_LIMIT, read_text_file

COMMANDS = (
    "read",
    "write",
    "list",
    "delete",
    "secrets enable",
    "secrets disable",
    "secrets list",
    "lease lookup",
    "lease renew",
    "lease revoke",
    "status",
)
FORMATS = ("table", "json")
# Flags every command takes (Vault's output flags), then each command's own;
# True marks a flag that takes no value (`-prefix`), False one that does.
GLOBAL_FLAGS = {"format": False, "field": False}
COMMAND_FLAGS: dict[str, dict[str, bool]] = {
    "write": {"force": True, "f": True},
    "secrets enable": {"path": False},
    "lease renew": {"increment": False},
    "lease revoke": {"prefix": True, "force": True, "f": True, "sync": True},
}
# How many positional arguments each command takes (read/write also take key=value data).
_POSITIONALS = {
    "read": "PATH",
    "write": "PATH",
    "list": "PATH",
    "delete": "PATH",
    "secrets enable": "TYPE",
    "secrets disable": "PATH",
    "secrets list": "",
    "lease lookup": "ID",
    "lease renew": "ID",
    "lease revoke": "ID",
    "status": "",
}
_TAKES_DATA = {"read", "write"}
SECRET_KEYS = frozenset({"secret_key"})
_SHOWN_SECRET = "<hidden>"


class VaultUsageError(InvalidInput):
    """The words do not fit the command's usage (a flag, a missing path): exit 2, as click's."""


@dataclass(frozen=True)
class VaultCommand:
    """One Vault command, parsed: what to do, where, with which flags and data."""

    command: str
    path: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    flags: dict[str, str | bool] = field(default_factory=dict)
    format: str = "table"
    field: str | None = None
    words: tuple[str, ...] = ()
    secret_on_command_line: bool = False
    """A secret was typed as `secret_key=VALUE`: on a shell, visible in `ps` and history."""

    def flag(self, name: str) -> bool:
        """A yes/no flag given as `-name` or `-name=true` (`-f` stands for `-force`)."""
        return _flag(self.flags, name)

    def option(self, name: str) -> str | None:
        """A flag's value (`-increment=30m`), or None when not given."""
        value = self.flags.get(name)
        return value if isinstance(value, str) else None

    @property
    def text(self) -> str:
        """The command as typed, secret values hidden (for titles and notifications)."""
        shown = []
        for typed in self.words:
            key, equals, value = typed.partition("=")
            hidden = equals and key in SECRET_KEYS and value != "-" and not value.startswith("@")
            shown.append(f"{key}={_SHOWN_SECRET}" if hidden else shlex.quote(typed))
        return "vault " + " ".join(shown)


def split_line(line: str) -> list[str]:
    """A typed command line as a shell would split it (quotes kept together)."""
    try:
        return shlex.split(line)
    except ValueError as error:
        raise VaultUsageError(f"cannot split the command line: {error}") from None


def parse(args: Sequence[str], *, stdin: Callable[[str], str] | None = None) -> VaultCommand:
    """The Vault command `args` spell (a leading `vault` is optional).

    `stdin(key)` reads standard input for `key=-` (or a lone `-`: key
    "the request body"); None where there is none (the TUI). Unknown commands
    name the closest known one.
    """
    words = list(args)
    if words and words[0] == "vault":
        words = words[1:]
    if not words:
        raise VaultUsageError(f"give a Vault command: {', '.join(COMMANDS)}")
    command, rest = _command(words)
    flags, positionals = _flags(command, rest)
    fmt = str(flags.pop("format", "table"))
    if fmt not in FORMATS:
        raise VaultUsageError(
            f"-format={printable(fmt)} is not offered here; use {' or '.join(FORMATS)}"
        )
    field_name = flags.pop("field", None)
    wanted = _POSITIONALS[command]
    data: dict[str, Any] = {}
    secret_typed = False
    if command in _TAKES_DATA and positionals:
        data, secret_typed = _data(positionals[1:], stdin)
        positionals = positionals[:1]
    if wanted and not positionals:
        raise VaultUsageError(f"`vault {command}` needs {wanted}: vault {command} {wanted}")
    if len(positionals) > (1 if wanted else 0):
        extra = " ".join(printable(word) for word in positionals[1 if wanted else 0 :])
        raise VaultUsageError(f"`vault {command}` takes {wanted or 'no argument'}; extra: {extra}")
    if command == "lease revoke" and _flag(flags, "force") and not _flag(flags, "prefix"):
        raise VaultUsageError(
            "-force needs -prefix too, as in Vault: vault lease revoke -force -prefix PREFIX"
        )
    return VaultCommand(
        command=command,
        path=positionals[0].strip() if positionals else "",
        data=data,
        flags=flags,
        format=fmt,
        field=str(field_name) if field_name is not None else None,
        words=tuple(words),
        secret_on_command_line=secret_typed,
    )


def _flag(flags: dict[str, str | bool], name: str) -> bool:
    """A yes/no flag given as `-name`, `-f` or `-name=true`."""
    value = flags.get(name, flags.get("f") if name == "force" else None)
    return value is True or (isinstance(value, str) and value.lower() in {"true", "1", "yes"})


def _command(words: list[str]) -> tuple[str, list[str]]:
    """The command's words (`lease renew`) and what follows them."""
    first = words[0]
    if first in COMMANDS:
        return first, words[1:]
    groups = {command.split()[0] for command in COMMANDS if " " in command}
    if first in groups:
        if len(words) < 2 or words[1].startswith("-"):
            choices = [c for c in COMMANDS if c.startswith(f"{first} ")]
            raise VaultUsageError(f"`vault {first}` needs a subcommand: {', '.join(choices)}")
        both = f"{first} {words[1]}"
        if both in COMMANDS:
            return both, words[2:]
        raise InvalidInput(_unknown(both))
    raise InvalidInput(_unknown(first))


def _unknown(typed: str) -> str:
    """One line naming the closest command this workbench knows."""
    names = [*COMMANDS, *sorted({command.split()[0] for command in COMMANDS})]
    close = difflib.get_close_matches(typed, names, n=1, cutoff=0.6)
    shown = printable(typed)[:60]
    if close:
        return f"unknown command `vault {shown}`; did you mean `vault {close[0]}`?"
    return (
        f"unknown command `vault {shown}`; this workbench knows the AWS secrets engine's: "
        f"{', '.join(COMMANDS)}"
    )


def _flags(command: str, words: list[str]) -> tuple[dict[str, str | bool], list[str]]:
    """Flags (before the first argument, as Vault's parser takes them) and the arguments."""
    known = {**GLOBAL_FLAGS, **COMMAND_FLAGS.get(command, {})}
    flags: dict[str, str | bool] = {}
    index = 0
    while index < len(words):
        word = words[index]
        if word == "--":
            index += 1
            break
        if not word.startswith("-") or word == "-":
            break
        name, equals, value = word.lstrip("-").partition("=")
        if name not in known:
            raise VaultUsageError(_unknown_flag(command, name, known))
        if known[name]:  # a yes/no flag
            flags[name] = value if equals else True
        elif equals:
            flags[name] = value
        elif index + 1 < len(words):
            index += 1
            flags[name] = words[index]
        else:
            raise VaultUsageError(f"-{name} needs a value: -{name}=VALUE")
        index += 1
    positionals = words[index:]
    for word in positionals[1:]:
        if word.startswith("-") and word != "-":
            raise VaultUsageError(
                f"flags go before the path, as in Vault: vault {command} "
                f"{printable(word)} {printable(positionals[0])}"
            )
    return flags, positionals


def _unknown_flag(command: str, name: str, known: dict[str, bool]) -> str:
    shown = printable(name)[:40]
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    if close:
        return f"`vault {command}` has no flag -{shown}; did you mean -{close[0]}?"
    offered = ", ".join(f"-{flag}" for flag in known)
    return f"`vault {command}` has no flag -{shown}; it takes {offered}"


def _data(words: list[str], stdin: Callable[[str], str] | None) -> tuple[dict[str, Any], bool]:
    """key=value pairs, `@FILE` or `-` bodies; values from files and stdin read here."""
    data: dict[str, Any] = {}
    stdin_used = False
    secret_typed = False

    def from_stdin(what: str) -> str:
        nonlocal stdin_used
        if stdin is None:
            raise VaultUsageError(
                f"{what} from stdin (-): there is no stdin here; type the value, or "
                "KEY=@FILE to read it from a file"
            )
        if stdin_used:
            raise VaultUsageError("only one value can come from stdin (-)")
        stdin_used = True
        return stdin(what)

    for word in words:
        if word == "-" or (word.startswith("@") and "=" not in word):
            text = (
                from_stdin("the request body")
                if word == "-"
                else read_text_file(word[1:], what="request body", limit=DOCUMENT_FILE_LIMIT)
            )
            data.update(_json_body(text, word))
            continue
        key, equals, value = word.partition("=")
        if not equals or not key:
            raise VaultUsageError(
                f"{printable(word)[:60]!r} is not KEY=VALUE (Vault's data form, e.g. ttl=15m)"
            )
        if value == "-":
            value = from_stdin(key).removesuffix("\n").removesuffix("\r")
        elif value.startswith("@"):
            text = read_text_file(value[1:], what=f"file for {key}", limit=DOCUMENT_FILE_LIMIT)
            value = text.removesuffix("\n").removesuffix("\r")
        elif key in SECRET_KEYS:
            secret_typed = True
        if key in data:
            previous = data[key]
            data[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            data[key] = value
    return data, secret_typed


def _json_body(text: str, source: str) -> dict[str, Any]:
    where = "stdin" if source == "-" else printable(source[1:])
    try:
        body = json.loads(text)
    except (json.JSONDecodeError, RecursionError, ValueError) as error:
        raise InvalidInput(f"the request body from {where} is not JSON ({error})") from None
    if not isinstance(body, dict):
        raise InvalidInput(f"the request body from {where} must be a JSON object")
    return body
