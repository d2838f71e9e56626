"""The corpus: every policy under corpus/ yields exactly the codes expected.toml lists.

Each check has a policy that fires it and a near miss that does not; the
policies copied from Vault's and AWS's documentation produce no ERROR; and
every ERROR points (line, column) at the offending text.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from workbench.policy import PolicyKind, Severity, validate_policy

CORPUS = Path(__file__).parent / "policy_corpus"
EXPECTED: dict[str, dict[str, Any]] = tomllib.loads(
    (CORPUS / "expected.toml").read_text(encoding="utf-8")
)
SOURCE = Path(__file__).parents[2] / "workbench" / "policy"


def _run(name: str) -> tuple[str, list[Any]]:
    text = (CORPUS / f"{name}.json").read_text(encoding="utf-8")
    kind = PolicyKind(EXPECTED[name].get("kind", "inline_user"))
    return text, validate_policy(text, kind)


def test_corpus_is_large_and_complete() -> None:
    files = {path.stem for path in CORPUS.glob("*.json")}
    assert len(files) >= 60
    assert files == set(EXPECTED), "every corpus file needs an entry in expected.toml"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_policy_yields_exactly_the_expected_codes(name: str) -> None:
    _, findings = _run(name)
    assert Counter(f.code for f in findings) == Counter(EXPECTED[name]["codes"]), findings


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n.startswith("doc_")))
def test_documentation_policies_have_no_error(name: str) -> None:
    _, findings = _run(name)
    assert not [f for f in findings if f.severity is Severity.ERROR]


ERROR_CASES = sorted(n for n, e in EXPECTED.items() if e.get("at"))


@pytest.mark.parametrize("name", ERROR_CASES)
def test_each_error_points_at_the_offending_text(name: str) -> None:
    text, findings = _run(name)
    lines = text.split("\n")
    errors = [f for f in findings if f.severity is Severity.ERROR]
    assert errors
    for finding in errors:
        expected = EXPECTED[name]["at"][finding.code]
        here = lines[finding.line - 1][finding.column - 1 :]
        if expected == "":  # the error is that the text ended
            offset = sum(len(line) + 1 for line in lines[: finding.line - 1]) + finding.column - 1
            assert offset == len(text)
        else:
            assert here.startswith(expected), (finding, here[:40])


def test_every_error_in_the_corpus_has_a_position_expectation() -> None:
    for name, expected in EXPECTED.items():
        _, findings = _run(name)
        errors = {f.code for f in findings if f.severity is Severity.ERROR}
        assert errors <= set(expected.get("at", {})), name


def test_every_code_the_validator_emits_has_a_corpus_case() -> None:
    emitted = set()
    for path in SOURCE.glob("*.py"):
        emitted |= set(
            re.findall(r'^\s+"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)",$', path.read_text(), re.M)
        )
    covered = {code for expected in EXPECTED.values() for code in expected["codes"]}
    internal = {"VALIDATOR_FAILURE", "CATALOGUE_UNAVAILABLE"}
    assert emitted - covered - internal == set()
    assert len(emitted) > 50
    near_misses = [name for name, expected in EXPECTED.items() if not expected["codes"]]
    assert len(near_misses) >= 30
