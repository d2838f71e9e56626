"""Errors carry their field and hint; each face phrases them in its own words."""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path
from typing import Any

import pytest

from workbench.cli.common import CLI_HINTS, cli_message
from workbench.domain.durations import parse_duration
from workbench.domain.errors import InvalidInput, NotFound
from workbench.tui.display import FIELD_LABELS, TUI_HINTS, error_text


def test_a_duration_error_names_the_field_each_faces_way() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_duration("soon", field="lease_max")
    assert caught.value.field == "lease_max"
    assert cli_message(caught.value).startswith("--lease-max ")
    assert error_text(caught.value).startswith("Lease max ")
    assert "{field:" not in str(caught.value)


def test_a_hint_is_a_command_in_the_cli_and_a_key_in_the_tui() -> None:
    error = NotFound("role 'web' not found", hint="list_roles", hint_args={"engine": "aws"})
    assert cli_message(error) == (
        "role 'web' not found; `workbench role list --engine aws` shows the roles"
    )
    assert "Roles pane (2)" in error_text(error)
    assert "workbench role" not in error_text(error)


def test_outside_text_in_a_message_is_left_as_it_is() -> None:
    error = InvalidInput("tag {x} and {field:unknown_thing} and {0}", field="unknown_thing")
    assert error_text(error) == "tag {x} and unknown thing and {0}"
    assert cli_message(error) == "tag {x} and --unknown-thing and {0}"


CORE = Path(__file__).resolve().parents[2] / "workbench"
FACES = ("cli", "tui", "demo")


def _core_sources() -> list[Path]:
    return [
        path
        for path in CORE.rglob("*.py")
        if path.relative_to(CORE).parts[0] not in FACES and path.name != "__main__.py"
    ]


def test_every_hint_the_core_raises_is_phrased_by_both_faces() -> None:
    raised = {
        code
        for path in _core_sources()
        for code in re.findall(r'hint="([a-z_]+)"', path.read_text(encoding="utf-8"))
    }
    assert raised, "the scan found no hints: the pattern no longer matches the code"
    assert raised - CLI_HINTS.keys() == set()
    assert raised - TUI_HINTS.keys() == set()


def _flag_built_from_parts(node: ast.JoinedStr) -> bool:
    """An f-string that writes a CLI flag from parts: `f"--{name}"` (Vault's own `-flag`s
    belong to the Vault syntax both faces share)."""
    parts = node.values
    for part, after in itertools.pairwise(parts):
        if (
            isinstance(part, ast.Constant)
            and isinstance(part.value, str)
            and re.search(r"(^|[\s`'(])--$", part.value)
            and isinstance(after, ast.FormattedValue)
        ):
            return True
    return False


def test_no_core_message_names_a_cli_flag_or_command() -> None:
    # A string literal in the core that tells a person to type a flag or a command is
    # wrong in the TUI; such advice is a hint code that each face phrases.
    offenders = []
    for path in _core_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and re.search(r"(^|[\s`'(])--[a-z]|`workbench ", node.value)
            ):
                offenders.append(f"{path.relative_to(CORE)}:{node.lineno}: {node.value!r}")
            if isinstance(node, ast.JoinedStr) and _flag_built_from_parts(node):
                offenders.append(f"{path.relative_to(CORE)}:{node.lineno}: {ast.unparse(node)}")
    assert offenders == []


def test_every_field_the_core_names_has_the_tui_s_own_label() -> None:
    # A field without a label would reach the TUI as its parameter name (lease_max).
    named = {
        name
        for path in _core_sources()
        for name in re.findall(
            r'\{field:([a-z_]+)\}|field="([a-z_]+)"', path.read_text(encoding="utf-8")
        )
        for name in name
        if name
    }
    assert {"ttl", "lease", "lease_max", "region"} <= named
    assert sorted(named - FIELD_LABELS.keys()) == []


@pytest.mark.parametrize(
    ("call", "cli", "tui"),
    [
        (
            lambda service: service.engines.write_lease("aws", lease="2h", lease_max="1h"),
            "--lease is longer than --lease-max",
            "Lease (default TTL) is longer than Lease max",
        ),
        (
            lambda service: service.engines.write_lease("aws", lease="soon", lease_max="1h"),
            "--lease 'soon' is not a duration",
            "Lease (default TTL) 'soon' is not a duration",
        ),
        (
            lambda service: service.creds.issue("aws", "webapp", ttl="soon"),
            "--ttl 'soon' is not a duration",
            "TTL 'soon' is not a duration",
        ),
        (
            lambda service: service.engines.write_root("aws", region="mars-1"),
            "--region 'mars-1' is not an AWS region",
            "Region 'mars-1' is not an AWS region",
        ),
    ],
)
def test_config_and_issue_errors_speak_each_faces_words(
    tmp_path: Path, call: Any, cli: str, tui: str
) -> None:
    from tests.conftest import PASSPHRASE, fast_kdf
    from workbench.service import Workbench
    from workbench.store import Store

    service = Workbench(Store.create(tmp_path / "h", PASSPHRASE, fast_kdf()), operator="t")
    service.engines.enable("aws")
    service.roles.write("aws", "webapp", {"credential_type": "iam_user"})
    with pytest.raises(InvalidInput) as caught:
        call(service)
    assert cli_message(caught.value).startswith(cli)
    assert error_text(caught.value).startswith(tui)
    assert "--" not in error_text(caught.value) and "_" not in error_text(caught.value)[:30]
    service.close()


def test_no_message_puts_a_possessive_after_a_quoted_name() -> None:
    # "engine 'aws''s template": a name quoted by !r (or in quotes) takes no 's.
    possessive = re.compile(r"""!r\}'s\b|'\{[^{}]*\}''s\b""")
    offenders = [
        f"{path.relative_to(CORE)}:{number}: {line.strip()}"
        for path in sorted(CORE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if possessive.search(line)
    ]
    assert offenders == []


def test_root_credential_errors_name_the_fields_each_faces_way(tmp_path: Path) -> None:
    from tests.conftest import PASSPHRASE, fast_kdf
    from workbench.service import Workbench
    from workbench.store import Store

    service = Workbench(Store.create(tmp_path / "h", PASSPHRASE, fast_kdf()), operator="t")
    service.engines.enable("aws")
    with pytest.raises(InvalidInput) as caught:
        service.engines.write_root("aws", access_key="AKIAONLY")
    assert cli_message(caught.value) == "give --access-key and --secret-key together"
    assert error_text(caught.value) == "give Access key ID and Secret key together"
    with pytest.raises(InvalidInput) as caught:
        service.engines.write_root("aws", iam_endpoint="ftp://x")
    assert cli_message(caught.value).startswith("--iam-endpoint 'ftp://x' is not an http(s) URL")
    assert error_text(caught.value).startswith("IAM endpoint 'ftp://x' is not")
    service.close()
