"""Classes of bad input, generated: wrong JSON types per role field, odd durations, deep JSON,
binary passphrase files.

Each goes through the service API, the CLI and (where a form takes it) the
TUI. Every call ends in success or one clear error, never a traceback: a
WorkbenchError naming what was wrong, exit 1 with one `error:` line, an error
shown in the TUI while it keeps running. Afterwards nothing was stored from the
bad input, the store reopens and `audit verify` passes.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual.widgets import Input, Select, Static, TextArea

from tests.conftest import PASSPHRASE, MotoServer, make_service
from tests.integration.test_fuzz_inputs import assert_clear, assert_clear_cli, run_main
from tests.tui.conftest import SIZE
from tests.tui.tui_helpers import settle
from workbench.domain.durations import MAX_DURATION_SECONDS
from workbench.domain.errors import InvalidInput, WorkbenchError
from workbench.domain.models import CredentialType
from workbench.service import Workbench
from workbench.service.role_schema import ROLE_FIELDS, RoleField, Shape, json_type
from workbench.store import Store
from workbench.tui.app import WorkbenchApp
from workbench.tui.confirm import PromptScreen
from workbench.tui.engine_form import EngineForm
from workbench.tui.issue_dialog import IssueRequestScreen
from workbench.tui.role_editor import RoleEditor


def fuzz_settings(examples: int) -> settings:
    """Deterministic (the same examples every run), no deadline: CI never flakes."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


ROLE_ARN = "arn:aws:iam::123456789012:role/fuzz"
MANAGED_POLICY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
EXISTING_ROLE = {"credential_type": "iam_user", "user_path": "/fuzz/"}


@pytest.fixture
def cli_service(store: Store, aws: MotoServer) -> Workbench:
    """Engine `aws` on the moto server with role `webapp`; the CLI opens the same store."""
    service: Workbench = make_service(store, aws)
    service.roles.write("aws", "webapp", EXISTING_ROLE)
    return service


def assert_store_intact(service: Workbench, home: Path, roles: set[str]) -> None:
    """Only the roles there were, nothing issued; the store reopens and its chain verifies."""
    assert {role.name for role in service.roles.list("aws")} == roles
    code, out, err = run_main(home, ["lease", "list", "--all", "--format", "json"])
    assert (code, json.loads(out)) == (0, []), err
    code, out, err = run_main(home, ["audit", "verify"])
    assert code == 0 and out.startswith("ok: "), (out, err)


def one_error_line(argv: list[str], code: int, err: str, *needles: str) -> str:
    """Exit 1 and exactly one `error:` line holding each needle, no traceback."""
    assert_clear_cli(argv, code, err)
    lines = err.strip().splitlines()
    assert code == 1 and len(lines) == 1 and lines[0].startswith("error: "), (argv, code, err)
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


# -- wrong JSON types, for every role field ---------------------------------------------------

scalars = (
    st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0, -0.0, 1e308, 2**63, 1.5])
    | st.booleans()
    | st.none()
    | st.text(max_size=8)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
not_strings = json_values.filter(lambda value: not isinstance(value, str))


def wrong_values(field: RoleField) -> st.SearchStrategy[Any]:
    """Values of a JSON type the field does not take, or lists/objects holding such values."""
    wrong_top = json_values.filter(lambda value: json_type(value) not in field.json_types)
    if field.shape is Shape.LIST:
        return wrong_top | st.lists(not_strings, min_size=1, max_size=3)
    if field.shape is Shape.TAGS:
        return (
            wrong_top
            | st.lists(not_strings, min_size=1, max_size=3)
            | st.dictionaries(st.text(min_size=1, max_size=6), not_strings, min_size=1, max_size=3)
        )
    return wrong_top


def body_with(field: RoleField, value: Any) -> dict[str, Any]:
    """A role body that would be valid but for `field`, with a credential type it applies to."""
    kind = (
        CredentialType.IAM_USER
        if CredentialType.IAM_USER in field.credential_types
        else sorted(field.credential_types, key=lambda kind: kind.value)[0]
    )
    body: dict[str, Any] = {"credential_type": kind.value}
    if kind is CredentialType.ASSUMED_ROLE:
        body["role_arns"] = [ROLE_ARN]
    if kind is CredentialType.FEDERATION_TOKEN:
        body["policy_arns"] = [MANAGED_POLICY]
    body[field.name] = value
    return body


def named_field(error: BaseException, field: RoleField) -> None:
    assert_clear(error)
    assert isinstance(error, InvalidInput), error
    assert "\n" not in str(error) and f"'{field.name}'" in str(error), str(error)


def refuses_by_name(service: Workbench, home: Path, folder: Path, field: RoleField) -> None:
    """Hypothesis examples of wrong types for one field: the API and both CLI commands."""

    @fuzz_settings(12)
    @given(value=wrong_values(field), as_text=st.booleans())
    def fuzz(value: Any, as_text: bool) -> None:
        body = body_with(field, value)
        for call in (service.roles.check, service.roles.write):
            with pytest.raises(WorkbenchError) as raised:
                call("aws", "typed", json.dumps(body) if as_text else body)
            named_field(raised.value, field)

        role_file = folder / "typed.json"
        role_file.write_text(json.dumps(body))
        argv = ["role", "write", "typed", "--file", str(role_file)]
        code, _out, err = run_main(home, argv)
        one_error_line(argv, code, err, "'typed'", f"'{field.name}'")

        argv = ["role", "import", str(role_file)]
        code, _out, err = run_main(home, argv)
        assert_clear_cli(argv, code, err)
        first, *rest = err.strip().splitlines()
        assert code == 1 and first == "error: no role was imported:", err
        assert len(rest) == 1 and f"'{field.name}'" in rest[0], err

    fuzz()


def test_wrong_json_types_for_every_role_field_are_refused_by_name(
    cli_service: Workbench, home: Path, tmp_path: Path
) -> None:
    for field in ROLE_FIELDS.values():
        refuses_by_name(cli_service, home, tmp_path, field)
    assert_store_intact(cli_service, home, {"webapp"})


@pytest.fixture
def no_debounce(monkeypatch: pytest.MonkeyPatch) -> None:
    """Validate on the next loop turn: the tests wait on workers, not on timers."""
    from workbench.tui.audit_stream import AuditStream

    monkeypatch.setattr(RoleEditor, "debounce_seconds", 0.0)
    monkeypatch.setattr(AuditStream, "debounce_seconds", 0.0)


def errors_shown(app: WorkbenchApp) -> list[str]:
    return [note.message for note in app._notifications if note.severity == "error"]


async def import_in_the_role_editor(
    service: Workbench, home: Path, folder: Path, cases: list[tuple[RoleField, Any]]
) -> None:
    """Each wrong-typed role file imported with ctrl+o, then its text typed in the form."""
    app = WorkbenchApp(home, "tester", service=service, start_worker=False)
    app.animation_level = "none"
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("2")
        await settle(pilot)
        editor = app.screen.query_one(RoleEditor)
        for number, (field, value) in enumerate(cases):
            role_file = folder / f"typed{number}.json"
            role_file.write_text(json.dumps(body_with(field, value)))
            before = len(errors_shown(app))
            await pilot.press("ctrl+o")
            await settle(pilot)
            assert isinstance(app.screen, PromptScreen), app.screen
            app.screen.query_one(Input).value = str(role_file)
            await pilot.press("enter")
            await settle(pilot)
            new = errors_shown(app)[before:]
            assert len(new) == 1 and f"'{field.name}'" in new[0], (field.name, value, new)
            assert "Traceback" not in new[0]

            # The same value typed as text: the form answers in one line and keeps going.
            await pilot.press("ctrl+n")
            if field.name != "credential_type":  # the selector offers only the four types
                kind = body_with(field, value)["credential_type"]
                editor.query_one("#role-type", Select).value = kind
                await settle(pilot)
            if field.name == "policy_document":
                editor.query_one("#policy", TextArea).load_text(json.dumps(value))
            elif field.name != "credential_type":
                editor.query_one(f"#field-{field.name}", Input).value = json.dumps(value)
            await settle(pilot)
            status = str(editor.query_one("#role-status").render())
            assert "Traceback" not in status and "\n" not in status.strip(), status
            assert app.is_running


def test_the_role_editor_takes_wrong_json_types(
    cli_service: Workbench, home: Path, tmp_path: Path, no_debounce: None
) -> None:
    fields = st.sampled_from(list(ROLE_FIELDS.values()))
    cases = fields.flatmap(lambda field: st.tuples(st.just(field), wrong_values(field)))

    @fuzz_settings(3)
    @given(batch=st.lists(cases, min_size=3, max_size=3))
    def fuzz(batch: list[tuple[RoleField, Any]]) -> None:
        asyncio.run(import_in_the_role_editor(cli_service, home, tmp_path, batch))

    fuzz()
    assert_store_intact(cli_service, home, {"webapp"})


# -- durations ----------------------------------------------------------------------------------

NON_ASCII_DIGITS = st.characters(categories=["Nd"]).filter(lambda char: not char.isascii())
UNITS = st.sampled_from(["", "s", "m", "h", "d"])
ascii_digits = st.text(alphabet="0123456789", max_size=4)
non_ascii_durations = st.builds(
    lambda head, digits, tail, unit: head + digits + tail + unit,
    ascii_digits,
    st.text(alphabet=NON_ASCII_DIGITS, min_size=1, max_size=4),
    ascii_digits,
    UNITS,
)
# Thousands of digits, the first not 0: always longer than ten years (leading zeros are not).
many_digits = st.builds(
    lambda first, count, unit: first + "7" * count + unit,
    st.sampled_from("123456789"),
    st.integers(1000, 6000),
    UNITS,
)
negative = st.builds(lambda n, unit: f"-{n}{unit}", st.integers(0, 10**30), UNITS)
huge = st.builds(lambda n, unit: f"{n}{unit}", st.integers(MAX_DURATION_SECONDS + 1, 10**40), UNITS)
bad_durations = non_ascii_durations | many_digits | negative | huge


def test_durations_beyond_ascii_and_size_are_refused_everywhere(
    cli_service: Workbench, home: Path
) -> None:
    before = cli_service.engines.get("aws").lease_config

    @fuzz_settings(40)
    @given(duration=bad_durations, where=st.sampled_from(["ttl", "lease", "lease_max", "for"]))
    def fuzz(duration: str, where: str) -> None:
        option = "--" + where.replace("_", "-")
        if where == "ttl":
            argv = ["creds", "webapp", "--ttl", duration]
        elif where == "for":
            argv = ["demo", "--headless", "--for", duration]
        else:
            values = {"lease": "1h", "lease_max": "2h", where: duration}
            argv = ["config", "lease", "--lease", values["lease"], "--lease-max"]
            argv.append(values["lease_max"])
        code, _out, err = run_main(home, argv)
        one_error_line(argv, code, err, option)
        for call in (
            lambda: cli_service.creds.issue("aws", "webapp", ttl=duration),
            lambda: cli_service.engines.write_lease("aws", duration, "2h"),
            lambda: cli_service.engines.write_lease("aws", "1h", duration),
        ):
            with pytest.raises(InvalidInput) as raised:
                call()
            assert_clear(raised.value)

    fuzz()
    assert cli_service.engines.get("aws").lease_config == before
    assert_store_intact(cli_service, home, {"webapp"})


async def durations_in_the_forms(service: Workbench, home: Path, durations: list[str]) -> None:
    """Each duration in the engine form's lease fields, then as the issue dialog's TTL."""
    app = WorkbenchApp(home, "tester", service=service, start_worker=False)
    app.animation_level = "none"
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        form = app.screen.query_one(EngineForm)
        for number, duration in enumerate(durations):
            before = len(errors_shown(app))
            field = "#field-lease" if number % 2 else "#field-lease_max"
            form.query_one(field, Input).value = duration
            await pilot.press("ctrl+s")
            await settle(pilot)
            new = errors_shown(app)[before:]
            assert len(new) == 1 and "Traceback" not in new[0], (duration, new)
            assert "\n" not in new[0], new
            form.reload()  # the stored config back in the fields for the next one
            await settle(pilot)

        await pilot.press("1")
        await settle(pilot)
        for duration in durations:
            await pilot.press("i")
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, IssueRequestScreen)
            dialog.query_one("#issue-ttl", Input).value = duration
            await pilot.press("enter")
            await settle(pilot)
            # Refused in the dialog, which stays open with the TTL as typed.
            assert app.screen is dialog, duration
            said = str(dialog.query_one("#issue-error", Static).render())
            assert said and "Traceback" not in said and "\n" not in said, (duration, said)
            assert dialog.query_one("#issue-ttl", Input).value == duration
            await pilot.press("escape")
            await settle(pilot)
        assert app.is_running


def test_the_tui_forms_refuse_odd_durations(
    cli_service: Workbench, home: Path, no_debounce: None
) -> None:
    before = cli_service.engines.get("aws").lease_config

    @fuzz_settings(2)
    @given(batch=st.lists(bad_durations, min_size=3, max_size=3))
    def fuzz(batch: list[str]) -> None:
        asyncio.run(durations_in_the_forms(cli_service, home, batch))

    fuzz()
    assert cli_service.engines.get("aws").lease_config == before
    assert_store_intact(cli_service, home, {"webapp"})


# -- deeply nested JSON -------------------------------------------------------------------------


def nested(kind: str, depth: int) -> str:
    """JSON nested `depth` deep, built as text (json.dumps would recurse)."""
    if kind == "lists":
        return "[" * depth + "]" * depth
    if kind == "objects":
        return '{"a":' * depth + "1" + "}" * depth
    return '[{"a":' * (depth // 2) + "[]" + "}]" * (depth // 2)


depths = st.integers(1, 100_000) | st.sampled_from([63, 64, 65, 99, 100, 101, 1000, 100_000])
shapes = st.sampled_from(["lists", "objects", "mixed"])


def deep_file(kind: str, depth: int, where: str) -> str:
    inner = nested(kind, depth)
    if where == "role":
        return inner
    if where == "policy_document":
        return '{"credential_type": "iam_user", "policy_document": ' + inner + "}"
    if where == "policy_string":
        return json.dumps({"credential_type": "iam_user", "policy_document": inner})
    return '{"Version": "2012-10-17", "Statement": ' + inner + "}"  # a policy file


def test_deeply_nested_role_and_policy_files(
    cli_service: Workbench, home: Path, tmp_path: Path
) -> None:
    @fuzz_settings(30)
    @given(
        kind=shapes,
        depth=depths,
        where=st.sampled_from(["role", "policy_document", "policy_string", "policy"]),
    )
    def fuzz(kind: str, depth: int, where: str) -> None:
        text = deep_file(kind, depth, where)
        path = tmp_path / "deep.json"
        path.write_text(text)
        if where == "policy":
            argv = ["policy", "check", str(path)]
            code, out, err = run_main(home, argv)
            assert "Traceback" not in out + err, (argv, err)
            assert code == 1 and " ERROR " in out, (depth, out, err)  # findings, one per line
            return
        with pytest.raises(WorkbenchError) as raised:
            cli_service.roles.write("aws", "deep", text)
        assert_clear(raised.value)
        for argv in (["role", "write", "deep", "--file", str(path)], ["role", "import", str(path)]):
            code, _out, err = run_main(home, argv)
            assert_clear_cli(argv, code, err)
            assert code == 1, (argv, err)

    fuzz()
    assert_store_intact(cli_service, home, {"webapp"})


# -- binary passphrase files --------------------------------------------------------------------

with_a_nul = st.builds(
    lambda raw, cut: raw[:cut] + b"\x00" + raw[cut:], st.binary(max_size=16), st.integers(0, 16)
)
passphrase_bytes = (
    st.binary(max_size=64)
    | st.binary(min_size=4097, max_size=20_000)  # larger than the 4 KiB a passphrase file holds
    | st.builds(lambda raw: PASSPHRASE.encode() + raw, st.binary(min_size=1, max_size=8))
    | with_a_nul
    | st.sampled_from([b"\xff\xfe", b"\xc3(", b"\xed\xa0\x80", b"\n", b"\x00" * 16])
)


def test_binary_passphrase_files_unlock_only_with_the_passphrase(
    cli_service: Workbench, home: Path, tmp_path: Path
) -> None:
    @fuzz_settings(40)
    @given(raw=passphrase_bytes, command=st.sampled_from([["lease", "list"], ["audit", "verify"]]))
    def fuzz(raw: bytes, command: list[str]) -> None:
        path = tmp_path / "passphrase"
        path.write_bytes(raw)
        argv = ["--passphrase-file", str(path), *command]
        code, _out, err = run_main(home, argv)
        try:
            right = raw.decode("utf-8").rstrip("\r\n") == PASSPHRASE
        except UnicodeDecodeError:
            right = False
        if right:  # the passphrase and a line ending or two: it unlocks
            assert code == 0, err
        else:
            assert "passphrase" in one_error_line(argv, code, err), err

    fuzz()
    assert_store_intact(cli_service, home, {"webapp"})


# -- what the fuzzing found: each case on its own -----------------------------------------------

LONG_NUMBER = "9" * 5000  # past the 4,300 digits Python's int() converts


def test_a_role_file_with_a_number_of_thousands_of_digits_is_one_error_line(
    cli_service: Workbench, home: Path, tmp_path: Path
) -> None:
    text = '{"credential_type": "session_token", "default_sts_ttl": ' + LONG_NUMBER + "}"
    with pytest.raises(InvalidInput, match="digits"):
        cli_service.roles.check("aws", "long", text)
    role_file = tmp_path / "long.json"
    role_file.write_text(text)
    argv = ["role", "write", "long", "--file", str(role_file)]
    code, _out, err = run_main(home, argv)
    one_error_line(argv, code, err, "'long'", "digits")
    code, _out, err = run_main(home, ["role", "import", str(role_file)])
    assert code == 1 and "digits" in err and "Traceback" not in err, err
    assert_store_intact(cli_service, home, {"webapp"})


def test_a_policy_with_a_number_of_thousands_of_digits_is_an_error_not_a_warning(
    cli_service: Workbench, home: Path, tmp_path: Path
) -> None:
    policy = (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket",'
        ' "Resource": "*", "Condition": {"NumericLessThan": {"s3:max-keys": '
        + LONG_NUMBER
        + "}}}]}"
    )
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(policy)
    code, out, err = run_main(home, ["policy", "check", str(policy_file)])
    assert code == 1 and "ERROR JSON_SYNTAX_ERROR" in out and "too long" in out, (out, err)
    assert "VALIDATOR_FAILURE" not in out

    # Once saved with only a warning, and `creds` then failed with a traceback.
    role_file = tmp_path / "counted.json"
    role_file.write_text(json.dumps({"credential_type": "iam_user", "policy_document": policy}))
    argv = ["role", "write", "counted", "--file", str(role_file)]
    code, _out, err = run_main(home, argv)
    assert_clear_cli(argv, code, err)
    assert code == 1 and "nothing was saved" in err and "too long" in err, err
    code, _out, err = run_main(home, ["creds", "counted"])
    one_error_line(["creds", "counted"], code, err, "'counted'")
    assert_store_intact(cli_service, home, {"webapp"})
