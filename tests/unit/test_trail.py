"""What a responder is shown of a credential's trail: flags, and where CloudTrail is asked."""

from __future__ import annotations

from workbench.aws.clients import AwsClients, ClientSpec
from workbench.aws.cloudtrail import regions
from workbench.domain.trail import BURST_COUNT, TrailEvent, flag, summary


def event(n: int, action: str, error: str | None = None, at: float = 0.0) -> TrailEvent:
    return TrailEvent(f"e{n}", at, "iam", action, error, "10.0.0.1", "aws-cli/2", "AKIA1")


def test_persistence_and_escalation_calls_are_flagged_and_reads_are_not() -> None:
    flagged = flag(
        [event(1, "ListUsers"), event(2, "CreateAccessKey"), event(3, "AttachUserPolicy")]
    )
    assert [(e.action, e.flags) for e in flagged] == [
        ("ListUsers", []),
        ("CreateAccessKey", ["persistence"]),
        ("AttachUserPolicy", ["escalation"]),
    ]


def test_a_burst_of_refusals_is_flagged_and_scattered_ones_are_not() -> None:
    burst = [event(n, "ListRoles", "AccessDenied", at=n) for n in range(BURST_COUNT)]
    scattered = [event(10 + n, "ListRoles", "AccessDenied", at=1000 + n * 61) for n in range(6)]
    flagged = flag(burst + scattered)
    assert all("denied burst" in e.flags for e in flagged[:BURST_COUNT])
    assert all(e.flags == [] for e in flagged[BURST_COUNT:])
    assert summary(flagged)["errors"] == BURST_COUNT + 6
    assert len(summary(flagged)["flagged"]) == BURST_COUNT


def test_real_aws_trails_read_the_engines_region_and_us_east_1_for_iam() -> None:
    assert regions(AwsClients(ClientSpec(region="eu-west-1"))) == ["eu-west-1", "us-east-1"]
    assert regions(AwsClients(ClientSpec(region="us-east-1"))) == ["us-east-1"]
    embedded = ClientSpec(region="eu-west-1", iam_endpoint="http://127.0.0.1:5000")
    assert regions(AwsClients(embedded)) == ["eu-west-1"]  # one endpoint holds every call
