"""Issuance hardening: unique ASCII user names, unaudited credentials withdrawn, own tags kept."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MotoServer
from tests.helpers import one_error_line, run_cli, setup_cli_store, user_names
from workbench.domain.errors import AuditFailure
from workbench.domain.models import LeaseState
from workbench.service import Workbench

IAM_USER_NAME = re.compile(r"[A-Za-z0-9_+=,.@-]{1,64}")


@pytest.fixture
def cli_home(home: Path, aws: MotoServer) -> Path:
    setup_cli_store(home, aws)
    return home


def write_role(home: Path, tmp_path: Path, name: str, body: dict[str, Any]) -> None:
    role_file = tmp_path / f"{name}.json"
    role_file.write_text(json.dumps(body))
    written = run_cli(home, "role", "write", name, "--file", str(role_file))
    assert written.returncode == 0, written.stderr


# -- username templates ------------------------------------------------------


@pytest.mark.parametrize("template", ["wb-{{random 0}}", "wb-{{random 4}}", "wb-{{random 99999}}"])
def test_a_template_without_eight_random_characters_is_refused(
    cli_home: Path, template: str
) -> None:
    before = run_cli(cli_home, "config", "read").stdout
    one_error_line(
        run_cli(cli_home, "config", "root", "--username-template", template),
        "username template",
        "random",
    )
    assert run_cli(cli_home, "config", "read").stdout == before


def test_a_template_with_eight_random_characters_is_taken(cli_home: Path) -> None:
    taken = run_cli(cli_home, "config", "root", "--username-template", "wb-{{random 8}}")
    assert taken.returncode == 0, taken.stderr


def test_a_non_ascii_operator_still_gets_an_iam_user_name(
    cli_home: Path, iam: Any, tmp_path: Path
) -> None:
    write_role(cli_home, tmp_path, "webapp", {"credential_type": "iam_user"})
    issued = run_cli(cli_home, "--as", "Ωmega", "creds", "webapp", "--format", "json")
    assert issued.returncode == 0, issued.stderr
    (name,) = set(user_names(iam))
    assert IAM_USER_NAME.fullmatch(name), name
    assert "mega" in name  # the operator's name survives, minus what IAM refuses


# -- a response the audit devices cannot take ----------------------------------


def test_an_issuance_whose_response_cannot_be_audited_is_withdrawn(
    service: Workbench, iam: Any, tmp_path: Path
) -> None:
    service.roles.write("aws", "webapp", {"credential_type": "iam_user"})
    trail = tmp_path / "audit.jsonl"
    service.audit.enable_file_device(str(trail), name="siem")
    created: list[tuple[str, str]] = []

    def break_the_device(parsed: dict[str, Any], **_kwargs: Any) -> None:
        key = parsed["AccessKey"]
        created.append((key["UserName"], key["SecretAccessKey"]))
        trail.rename(tmp_path / "audit.jsonl.moved")
        trail.mkdir()  # the response entry now has nowhere to go

    client = service._ctx.clients(service.engines.get("aws")).iam
    client.meta.events.register("after-call.iam.CreateAccessKey", break_the_device)
    with pytest.raises(AuditFailure, match="withdrawn") as raised:
        service.creds.issue("aws", "webapp")
    ((user_name, secret_key),) = created  # the user and its key existed...
    assert set(user_names(iam)) == set()  # ...and are gone
    assert service.leases.list() == []
    (lease,) = service.leases.list(include_history=True)
    assert (lease.iam_user_name, lease.state) == (user_name, LeaseState.REVOKED)
    assert secret_key not in str(raised.value)


# -- the workbench's own tags --------------------------------------------------


@pytest.mark.parametrize(
    ("iam_tags", "needle"),
    [
        ({"lease-workbench:store": "someone-elses-store"}, "lease-workbench:store"),
        ({"lease-workbench:lease": "aws/creds/x/y"}, "lease-workbench:lease"),
        ({f"team-{i}": "x" for i in range(49)}, "iam_tags"),
    ],
    ids=["store-tag", "lease-tag", "49-tags"],
)
def test_a_role_that_would_clash_with_the_own_tags_is_refused(
    cli_home: Path, iam: Any, tmp_path: Path, iam_tags: dict[str, str], needle: str
) -> None:
    write_role(cli_home, tmp_path, "tagged", {"credential_type": "iam_user", "iam_tags": iam_tags})
    one_error_line(run_cli(cli_home, "creds", "tagged"), needle)
    assert set(user_names(iam)) == set()
    listed = run_cli(cli_home, "lease", "list", "--all", "--format", "json")
    assert json.loads(listed.stdout) == []


def test_forty_eight_role_tags_leave_room_for_the_own_two(
    cli_home: Path, iam: Any, tmp_path: Path
) -> None:
    iam_tags = {f"team-{i}": "x" for i in range(48)}
    write_role(cli_home, tmp_path, "tagged", {"credential_type": "iam_user", "iam_tags": iam_tags})
    issued = run_cli(cli_home, "creds", "tagged")
    assert issued.returncode == 0, issued.stderr
    (name,) = set(user_names(iam))
    tags = {tag["Key"] for tag in iam.list_user_tags(UserName=name)["Tags"]}
    assert tags == {*iam_tags, "lease-workbench:store", "lease-workbench:lease"}
