"""Generated input never makes validate_policy raise; it yields findings instead."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.policy import Finding, PolicyKind, validate_policy

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=30,
)

words = st.sampled_from(
    [
        "*",
        "s3:GetObject",
        "s3:Get*",
        "iam:PassRole",
        "ec2:*",
        "s4:x",
        "arn:aws:s3:::b/*",
        "arn:aws:iam::123456789012:role/*",
        "${aws:username}",
        "${",
        "Allow",
        "Deny",
        "",
        "2012-10-17",
    ]
)
element = st.one_of(words, st.lists(words, max_size=3), json_values)
statement = st.dictionaries(
    st.sampled_from(
        [
            "Sid",
            "Effect",
            "Action",
            "NotAction",
            "Resource",
            "NotResource",
            "Condition",
            "Principal",
            "Other",
        ]
    ),
    element,
)
condition = st.dictionaries(
    st.sampled_from(
        [
            "StringEquals",
            "Bool",
            "DateGreaterThan",
            "NullIfExists",
            "ForAllValues:StringLike",
            "IpAddress",
            "NumericLessThan",
            "Nope",
        ]
    ),
    st.dictionaries(
        st.sampled_from(["aws:SourceIp", "aws:CurrentTime", "s3:prefix", "aws:ResourceTag/", "x"]),
        element,
        max_size=2,
    ),
    max_size=3,
)
policies = st.fixed_dictionaries(
    {
        "Statement": st.lists(
            statement
            | st.builds(
                lambda c: {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": c},
                condition,
            ),
            max_size=3,
        )
    },
    optional={"Version": st.sampled_from(["2012-10-17", "2008-10-17", "x"]), "Id": json_values},
)


def _check(text: str, findings: list[Finding]) -> None:
    assert isinstance(findings, list)
    assert all(isinstance(f, Finding) for f in findings)
    assert "VALIDATOR_FAILURE" not in {f.code for f in findings}, findings
    line_count = text.count("\n") + 1
    assert all(1 <= f.line <= line_count and f.column >= 1 for f in findings)
    assert [(f.line, f.column) for f in findings] == sorted((f.line, f.column) for f in findings)


@SETTINGS
@given(st.text(max_size=300))
def test_random_text_yields_findings(text: str) -> None:
    findings = validate_policy(text)
    _check(text, findings)
    assert findings  # random text is never a valid policy


@SETTINGS
@given(json_values, st.sampled_from(list(PolicyKind)), st.integers(0, 3000))
def test_random_json_never_raises(value: Any, kind: PolicyKind, reserved: int) -> None:
    text = json.dumps(value, indent=1)
    _check(text, validate_policy(text, kind, reserved_chars=reserved))


@SETTINGS
@given(policies)
def test_policy_shaped_json_never_raises(policy: dict[str, Any]) -> None:
    text = json.dumps(policy, indent=2)
    _check(text, validate_policy(text))


@SETTINGS
@given(policies, st.integers(0, 400), st.integers(0, 3))
def test_damaged_policy_text_never_raises(policy: dict[str, Any], cut: int, mode: int) -> None:
    text = json.dumps(policy, indent=2)
    cut = min(cut, len(text))
    damaged = [
        text[:cut],
        text[:cut] + text[cut + 1 :],
        text[:cut] + "," + text[cut:],
        text[:cut] + '"' + text[cut:],
    ][mode]
    _check(damaged, validate_policy(damaged))
