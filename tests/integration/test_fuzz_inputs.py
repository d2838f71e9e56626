"""Bad input at scale: random role files, TTLs, lease ids, prefixes, engine names, policies.

Every call through the service API or the CLI ends in success or a clear
one-line error (a WorkbenchError; exit 1 with one `error:` line), never a
traceback or another exception; afterwards the store reopens and its audit
chain verifies.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import PASSPHRASE, MotoServer, make_service
from workbench.domain.errors import WorkbenchError
from workbench.service import Workbench
from workbench.store import Store

API_SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
CLI_SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
ROLE_FIELDS = [
    "credential_type",
    "policy_document",
    "policy_arns",
    "iam_groups",
    "iam_tags",
    "user_path",
    "permissions_boundary_arn",
    "role_arns",
    "default_sts_ttl",
    "max_sts_ttl",
    "session_tags",
    "external_id",
    "mfa_serial_number",
]
# Messages that legitimately run to several lines: the policy findings under
# a one-line summary (role write / import).
MULTI_LINE_FIRST_LINES = ("nothing was saved", "no role was imported:")

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
weird_text = st.text(max_size=80) | st.sampled_from(
    ["", " ", "\n", "a\n", "aws\n", "\x00", "../..", "%", "_", "aws/", "*", "é", "\u202e", "-1"]
)
valid_names = st.sampled_from(["aws", "webapp", "sts", "x", "A-1.b_c", "a" * 64])
names = (
    valid_names
    # one character away from valid: the edges a regex's anchors get wrong
    | st.builds(
        lambda name, edge, front: edge + name if front else name + edge,
        valid_names,
        st.sampled_from(["\n", "\r\n", " ", "\t", "/", "\x00", "a", "é"]),
        st.booleans(),
    )
    | weird_text
)
durations = (
    st.sampled_from(["1s", "15m", "1h30m", "768h", "0", "0s", "-5", "1.5h", "10y", "99999999999"])
    | st.integers(min_value=-(10**12), max_value=10**12)
    | weird_text
    | st.none()
)
actions = st.sampled_from(["s3:GetObject", "s3:*", "*", "iam:PassRole", "ec2:Describe*", "nope"])
statements = st.fixed_dictionaries(
    {
        "Effect": st.sampled_from(["Allow", "Deny", "Maybe"]),
        "Action": actions | st.lists(actions, max_size=3),
        "Resource": st.sampled_from(["*", "arn:aws:s3:::b/*", "arn:bad", ""]),
    },
    optional={"Condition": json_values, "Sid": st.text(max_size=10)},
)
policies = (
    st.fixed_dictionaries(
        {"Version": st.sampled_from(["2012-10-17", "2008-10-17", "x"]), "Statement": statements}
    )
    | st.builds(
        lambda statements: {"Version": "2012-10-17", "Statement": statements},
        st.lists(statements, max_size=3),
    )
    | json_values
    | weird_text
    | st.builds(json.dumps, json_values)
)
field_values = {
    "credential_type": st.sampled_from(
        ["iam_user", "assumed_role", "federation_token", "session_token", "IAM_USER", "vault"]
    )
    | json_values,
    "policy_document": policies,
    "policy_arns": st.lists(
        st.sampled_from(
            ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::123456789012:policy/p", "x"]
        ),
        max_size=12,
    )
    | json_values,
    "iam_groups": st.lists(st.text(max_size=10), max_size=12) | st.text(max_size=30),
    "iam_tags": st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=4)
    | json_values,
    "user_path": st.sampled_from(["/", "/wb/", "wb", "/a b/", "//", "/" + "x" * 600 + "/"])
    | weird_text,
    "permissions_boundary_arn": st.sampled_from(["arn:aws:iam::aws:policy/X", "arn"]) | json_values,
    "role_arns": st.lists(
        st.sampled_from(["arn:aws:iam::123456789012:role/r", "arn:aws:iam::1:role/r", ""]),
        max_size=3,
    )
    | json_values,
    "default_sts_ttl": durations,
    "max_sts_ttl": durations,
    "session_tags": st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3)
    | json_values,
    "external_id": st.text(max_size=20) | json_values,
    "mfa_serial_number": st.sampled_from(["arn:aws:iam::123456789012:mfa/u", "GAHT12345678"])
    | json_values,
}
role_bodies = (
    st.fixed_dictionaries(
        {"credential_type": field_values["credential_type"]},
        optional={name: field_values[name] for name in ROLE_FIELDS[1:]},
    )
    | st.dictionaries(st.sampled_from([*ROLE_FIELDS, "policy", "arn", "ttl"]), json_values)
    | st.dictionaries(st.text(max_size=12), json_values, max_size=4)
    | json_values
)
role_texts = (
    st.builds(lambda body: json.dumps(body, allow_nan=True), role_bodies)
    | weird_text
    | st.binary(max_size=60).map(lambda raw: raw.decode("latin-1"))
    | st.builds(lambda body, cut: json.dumps(body)[:cut], role_bodies, st.integers(0, 40))
)
lease_ids = (
    st.builds(
        lambda role, rest: f"aws/creds/{role}/{rest}",
        st.sampled_from(["iam", "sts-role", "nope"]),
        st.text(alphabet=string.ascii_letters + string.digits, max_size=24),
    )
    | weird_text
)
prefixes = (
    st.sampled_from(["aws/", "aws/creds/", "aws/creds/iam/", "aws/creds/%", "aws/creds/_", "a"])
    | weird_text
)


def assert_clear(error: BaseException) -> None:
    """A WorkbenchError with a one-line message (findings may follow a summary line)."""
    assert isinstance(error, WorkbenchError), f"{type(error).__name__}: {error}"
    message = str(error)
    assert message.strip(), f"{type(error).__name__} with an empty message"
    first, _, rest = message.partition("\n")
    if rest:
        assert first.endswith(MULTI_LINE_FIRST_LINES), f"multi-line error: {message!r}"
    assert "Traceback" not in message


def attempt(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception as error:
        assert_clear(error)
        return None


@pytest.fixture
def fuzz_service(store: Store, aws: MotoServer) -> Workbench:
    service: Workbench = make_service(store, aws)
    service.roles.write("aws", "iam", {"credential_type": "iam_user", "user_path": "/fuzz/"})
    service.roles.write(
        "aws", "sts-role", {"credential_type": "session_token", "default_sts_ttl": "15m"}
    )
    return service


def _operation(service: Workbench, draw: Any) -> None:
    kind = draw(
        st.sampled_from(
            [
                "write_role",
                "check_role",
                "issue",
                "renew",
                "revoke",
                "revoke_prefix",
                "lookup",
                "list",
                "engine",
                "lease_config",
                "root_config",
                "delete_role",
                "read_role",
            ]
        )
    )
    engine = draw(st.sampled_from(["aws", "aws", "aws"]) | names)
    if kind in {"write_role", "check_role"}:
        body = draw(role_bodies | role_texts)
        name = draw(names)
        call = service.roles.write if kind == "write_role" else service.roles.check
        attempt(lambda: call(engine, name, body))
    elif kind == "issue":
        role = draw(st.sampled_from(["iam", "sts-role"]) | names)
        ttl = draw(durations)
        role_arn = draw(st.none() | weird_text)
        mfa_code = draw(st.none() | weird_text)
        revoke_after = draw(st.booleans())
        issued = attempt(
            lambda: service.creds.issue(engine, role, ttl=ttl, role_arn=role_arn, mfa_code=mfa_code)
        )
        if issued is not None and revoke_after:
            attempt(lambda: service.leases.revoke(issued.lease.lease_id))
    elif kind == "renew":
        # Draws never depend on the store's state (hypothesis replays them).
        use_live, index, lease_id = draw(st.booleans()), draw(st.integers(0, 999)), draw(lease_ids)
        increment = draw(durations)
        live = [lease.lease_id for lease in service.leases.list()]
        if use_live and live:
            lease_id = live[index % len(live)]
        attempt(lambda: service.leases.renew(lease_id, increment))
    elif kind == "revoke":
        force = draw(st.booleans())
        lease_id = draw(lease_ids)
        attempt(lambda: service.leases.revoke(lease_id, force=force))
    elif kind == "revoke_prefix":
        prefix = draw(prefixes)
        force = draw(st.booleans())
        attempt(lambda: service.leases.revoke_prefix(prefix, force=force))
    elif kind == "lookup":
        lease_id = draw(lease_ids)
        attempt(lambda: service.leases.lookup(lease_id))
    elif kind == "list":
        prefix = draw(st.none() | prefixes)
        attempt(lambda: service.leases.list(prefix, include_history=True))
    elif kind == "engine":
        name = draw(names.filter(lambda n: n != "aws"))
        enable = draw(st.booleans())
        attempt(lambda: (service.engines.enable if enable else service.engines.disable)(name))
    elif kind == "lease_config":
        lease, lease_max = draw(durations), draw(durations)
        attempt(lambda: service.engines.write_lease(engine, lease, lease_max))
    elif kind == "root_config":
        changes = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "region": weird_text | st.sampled_from(["us-east-1", "eu-west-3"]),
                    "max_retries": st.integers(-5, 30),
                    "username_template": weird_text
                    | st.sampled_from(
                        ["wb-{{random 8}}", "{{role_name}}-{{random 4}}", "{{nope}} {{random}}"]
                    ),
                    "bogus": st.text(max_size=5),
                },
            )
        )
        attempt(lambda: service.engines.write_root(engine, **changes))
    elif kind == "delete_role":
        name = draw(names)
        revoke_leases = draw(st.booleans())
        attempt(lambda: service.roles.delete(engine, name, revoke_leases=revoke_leases))
    else:
        name = draw(names)
        attempt(lambda: service.roles.read(engine, name))


def test_service_api_takes_any_input(fuzz_service: Workbench, home: Path) -> None:
    @API_SETTINGS
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        for _ in range(data.draw(st.integers(1, 4), label="operations")):
            _operation(fuzz_service, data.draw)
        assert fuzz_service.audit.verify().ok

    fuzz()
    assert_store_reopens(fuzz_service, home)


def assert_store_reopens(service: Workbench, home: Path) -> None:
    """A fresh unlock of the store the fuzzing left behind: readable, chain intact."""
    service.close()
    reopened = Workbench(Store.open(home, PASSPHRASE), operator="after")
    try:
        assert reopened.audit.verify().ok
        reopened.leases.list(include_history=True)
        for engine in reopened.engines.list():
            reopened.roles.list(engine.name)
    finally:
        reopened.close()


# -- the CLI ------------------------------------------------------------------------------


def run_main(home: Path, argv: list[str]) -> tuple[int, str, str]:
    """`workbench ARGV` in this process: (exit status, stdout, stderr)."""
    from workbench.cli.app import main

    runner = CliRunner()
    env = {"WORKBENCH_HOME": str(home), "WORKBENCH_PASSPHRASE": PASSPHRASE}
    with runner.isolation(env=env) as (out, err, _output):
        try:
            main(argv)
            code: Any = 0
        except SystemExit as exit_:
            code = exit_.code
    return (
        code if isinstance(code, int) else 1,
        out.getvalue().decode("utf-8", "replace"),
        err.getvalue().decode("utf-8", "replace"),
    )


def assert_clear_cli(argv: list[str], code: int, err: str) -> None:
    where = f"workbench {argv!r} -> {code}: {err!r}"
    assert "Traceback" not in err, where
    assert code in (0, 1, 2), where
    if code == 1:
        lines = [line for line in err.splitlines() if not line.startswith(("warning:", "note:"))]
        assert lines and lines[0].startswith("error:"), where
        if len(lines) > 1:
            assert lines[0].endswith(MULTI_LINE_FIRST_LINES), where
    if code == 2:
        assert "Error:" in err, where  # click's usage message


def test_cli_takes_any_input(fuzz_service: Workbench, home: Path, tmp_path: Path) -> None:
    @CLI_SETTINGS
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        argv = _cli_argv(data, tmp_path)
        code, _out, err = run_main(home, argv)
        assert_clear_cli(argv, code, err)
        assert fuzz_service.audit.verify().ok

    fuzz()
    assert_store_reopens(fuzz_service, home)


def _cli_argv(data: st.DataObject, tmp_path: Path) -> list[str]:
    command = data.draw(
        st.sampled_from(["creds", "renew", "revoke", "prefix", "lookup", "role", "engine", "lease"])
    )
    engine = data.draw(st.sampled_from(["aws", "aws"]) | names.filter(lambda n: "\x00" not in n))
    if command == "creds":
        ttl = data.draw(durations.filter(lambda v: v is not None).map(str))
        role = data.draw(st.sampled_from(["iam", "sts-role"]) | names)
        argv = ["creds", "--engine", engine, role, "--ttl", ttl, "--format", "json"]
    elif command == "renew":
        argv = ["lease", "renew", data.draw(lease_ids), "--increment", str(data.draw(durations))]
    elif command == "revoke":
        argv = ["lease", "revoke", data.draw(lease_ids)]
    elif command == "prefix":
        argv = ["lease", "revoke", "--prefix", data.draw(prefixes), "--yes"]
    elif command == "lookup":
        argv = ["lease", "lookup", data.draw(lease_ids)]
    elif command == "role":
        role_file = tmp_path / "role.json"
        role_file.write_text(data.draw(role_texts), encoding="utf-8", errors="surrogatepass")
        argv = ["role", "write", data.draw(names), "--file", str(role_file), "--engine", engine]
    elif command == "engine":
        argv = ["engine", data.draw(st.sampled_from(["enable", "disable"])), data.draw(names)]
    else:
        argv = ["config", "lease", "--engine", engine]
        argv += ["--lease", str(data.draw(durations)), "--lease-max", str(data.draw(durations))]
    return [arg.replace("\x00", "") for arg in argv]
