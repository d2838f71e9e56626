"""State shared by every command: where the store is, how to unlock it, output."""

from __future__ import annotations

import getpass
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from workbench.domain.errors import InvalidInput, WorkbenchError
from workbench.domain.text import printable

if TYPE_CHECKING:
    from workbench.service import StoreLocation, Workbench

PASSPHRASE_ENV = "WORKBENCH_PASSPHRASE"
NEW_PASSPHRASE_TRIES = 3  # a new passphrase refused at a terminal is asked again, this often


@dataclass
class CliState:
    """Global options, and the store/service opened on first use."""

    home: str | None = None
    passphrase_file: str | None = None
    store: str | None = None
    operator: str | None = None  # the key slot to unlock (--operator)
    label: str | None = None  # the audit's display name, if not the operator's (--as)
    _service: Workbench | None = field(default=None, repr=False)

    @property
    def home_path(self) -> Path:
        from workbench.service import default_home

        return Path(self.home).expanduser() if self.home else default_home()

    @property
    def location(self) -> StoreLocation:
        """Where the store is: --store (a URL or a folder), else the SQLite file in --home."""
        from workbench.service import parse_location

        return parse_location(self.store, self.home_path)

    @property
    def operator_name(self) -> str:
        """Who acts, as the audit names them: --as, else the operator, else the OS user."""
        if self.label:
            return self.label
        if self.operator:
            return self.operator
        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return "operator"

    def passphrase(self, prompt: str = "Passphrase") -> str:
        """From --passphrase-file, else $WORKBENCH_PASSPHRASE, else a hidden prompt."""
        if self.passphrase_file:
            return read_passphrase_file(self.passphrase_file)
        if PASSPHRASE_ENV in os.environ:
            return passphrase_from_env(PASSPHRASE_ENV)
        if not sys.stdin.isatty():
            raise InvalidInput(
                f"no passphrase: set {PASSPHRASE_ENV} or pass --passphrase-file "
                "(stdin is not a terminal, so there is nobody to ask)"
            )
        return _checked(str(click.prompt(prompt, hide_input=True)), "the prompt")

    def new_passphrase(self, prompt: str = "New passphrase") -> str:
        """A new passphrase: prompted twice, or from the same sources as `passphrase`."""
        if self.passphrase_file or PASSPHRASE_ENV in os.environ or not sys.stdin.isatty():
            return self.passphrase(prompt)
        return ask_new_passphrase(prompt)

    def service(self) -> Workbench:
        """The unlocked service facade, closed when the command ends."""
        if self._service is None:
            from workbench.service import open_workbench

            self._service = open_workbench(
                self.location, self.passphrase(), operator=self.operator, label=self.label
            )
            click.get_current_context().call_on_close(self._service.close)
        return self._service


def ask_new_passphrase(prompt: str) -> str:
    """A new passphrase typed twice; at a terminal, one too short is asked for again.

    From a pipe there is nobody to ask again: a short one is an error at once.
    """
    from workbench.domain.passphrase import check_new_passphrase

    left = NEW_PASSPHRASE_TRIES if sys.stdin.isatty() else 1
    while True:
        passphrase = _checked(
            str(click.prompt(prompt, hide_input=True, confirmation_prompt=True)), "the prompt"
        )
        try:
            check_new_passphrase(passphrase)
            return passphrase
        except InvalidInput as error:
            left -= 1
            if not left:
                raise
            click.echo(f"{error}; try again", err=True)


def _checked(passphrase: str, source: str) -> str:
    from workbench.service import check_passphrase_text

    return check_passphrase_text(passphrase, source)


def read_passphrase_file(path: str) -> str:
    """A passphrase file's first line ending stripped; at most 4 KiB of UTF-8 text."""
    from workbench.service import PASSPHRASE_FILE_LIMIT, read_text_file

    text = read_text_file(path, what="passphrase file", limit=PASSPHRASE_FILE_LIMIT)
    return text.rstrip("\r\n")


def passphrase_from_env(name: str) -> str:
    """$NAME as a passphrase; bytes that are not UTF-8 are refused, not passed on."""
    return _checked(os.environ[name], f"${name}")


def check_arguments(args: list[str]) -> None:
    """Refuse command-line arguments that are not UTF-8 (Python keeps such bytes as surrogates)."""
    for position, arg in enumerate(args, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInput(
                f"argument {position} ({arg.encode('utf-8', 'backslashreplace').decode()}) "
                "is not UTF-8 text"
            ) from None


pass_state = click.make_pass_decorator(CliState)


def emit_json(value: Any) -> None:
    """Print JSON the way `vault ... -format=json` does: indented, sorted."""
    click.echo(json.dumps(value, indent=2, sort_keys=True, default=str))


def emit_table(headers: list[str], rows: list[list[str]]) -> None:
    """A plain aligned table; text is printed as itself (control characters escaped)."""
    # A row of printable text (nearly all) is checked once, in C, not cell by cell.
    rows = [
        row if "".join(row).isprintable() else [printable(cell) for cell in row] for row in rows
    ]
    widths = [len(header) for header in headers]
    if rows:
        columns = zip(*rows, strict=True)
        widths = [
            max(width, *map(len, cells)) for width, cells in zip(widths, columns, strict=True)
        ]
    line = "  ".join(f"{{:<{width}}}" for width in widths).format
    lines = [line(*headers).rstrip(), "  ".join("-" * width for width in widths)]
    lines.extend(line(*row).rstrip() for row in rows)
    # One write: echoing 10,000 rows one at a time took longer than reading them.
    click.echo("\n".join(lines))


def format_option(*choices: str, help: str | None = None) -> Any:
    """The `--format` option (the first choice is the default), passed on as `fmt`."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=choices[0],
        show_default=True,
        help=help,
    )


def engine_option(function: Any) -> Any:
    """The `--engine` option every engine-scoped command takes."""
    return click.option(
        "--engine",
        "-e",
        default="aws",
        show_default=True,
        envvar="WORKBENCH_ENGINE",
        help="Engine (Vault: mount) to act on.",
    )(function)


# The CLI's words for what an error concerns (WorkbenchError.field and .hint).
CLI_HINTS = {
    "create_store": "create one with `workbench init`",
    "unlock_as_operator": (
        "unlock as one of them with --operator NAME (or WORKBENCH_OPERATOR), or ask one of "
        "them to run `workbench operator add {operator}`"
    ),
    "list_operators": "`workbench operator list` shows the operators",
    "unlock_again": "run the command again to unlock the store with its new key",
    "confirm_take_over": "add --yes to take it over",
    "verify_audit": "`workbench audit verify` shows where the chain breaks",
    "list_audit_devices": "`workbench audit list` shows them",
    "check_root": "check the engine's root credentials (`workbench config read`)",
    "set_root": (
        "set them with `workbench config root --access-key ... --secret-key ...` or `--profile`"
    ),
    "check_profile": "check `workbench config root --profile`",
    "enable_engine": "`workbench engine enable {engine}` turns it on",
    "list_roles": "`workbench role list --engine {engine}` shows the roles",
    "list_all_leases": "`workbench lease list --all` shows every lease",
    "list_leases": "see `workbench lease list`",
    "revoke_prefix": "`workbench lease revoke --prefix {prefix}`",
    "delete_role_with_leases": (
        "`workbench role delete {role} --revoke-leases` or "
        "`workbench lease revoke --prefix {prefix}`"
    ),
}


def cli_flag(name: str) -> str:
    """An input as the CLI names it: `lease_max` is `--lease-max`."""
    return "--" + _FLAG_NAMES.get(name, name.replace("_", "-"))


_FLAG_NAMES = {"label": "as"}


def cli_message(error: WorkbenchError) -> str:
    """The error in the CLI's words, its control characters escaped."""
    return printable(error.phrased(cli_flag, CLI_HINTS), keep_newlines=True)
