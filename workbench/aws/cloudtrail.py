"""CloudTrail LookupEvents: the calls made with an access key, or by a user or session."""

from __future__ import annotations

import json
from typing import Any

from workbench.aws.clients import AwsClients
from workbench.aws.errors import translate
from workbench.domain.trail import TrailEvent

RETENTION_SECONDS = 90 * 86400  # what LookupEvents reaches back


IAM_EVENTS_REGION = "us-east-1"  # where CloudTrail records IAM's (global) calls


def regions(clients: AwsClients) -> list[str]:
    """The regions whose event history a trail reads: the engine's, and us-east-1 for IAM.

    A custom endpoint (the embedded AWS) holds every call in one place.
    """
    spec = clients.spec
    if spec.iam_endpoint or spec.region == IAM_EVENTS_REGION:
        return [spec.region]
    return [spec.region, IAM_EVENTS_REGION]


def lookup(
    clients: AwsClients,
    attribute: str,
    value: str,
    *,
    start: float,
    end: float | None = None,
    region: str | None = None,
) -> list[TrailEvent]:
    """Every event whose `attribute` (AccessKeyId, Username) is `value` since `start`."""
    from datetime import UTC, datetime

    arguments: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": attribute, "AttributeValue": value}],
        "StartTime": datetime.fromtimestamp(start, UTC),
    }
    if end is not None:
        arguments["EndTime"] = datetime.fromtimestamp(end, UTC)
    events: list[TrailEvent] = []
    with translate("LookupEvents"):
        for page in (
            clients.client("cloudtrail").get_paginator("lookup_events").paginate(**arguments)
        ):
            events.extend(_event(raw) for raw in page.get("Events", []))
    return events


def _event(raw: dict[str, Any]) -> TrailEvent:
    try:
        detail = json.loads(raw.get("CloudTrailEvent") or "{}")
    except ValueError:
        detail = {}
    when: Any = raw.get("EventTime")
    source = str(detail.get("eventSource") or raw.get("EventSource") or "")
    identity = detail.get("userIdentity") or {}
    return TrailEvent(
        event_id=str(raw.get("EventId") or detail.get("eventID") or ""),
        time=when.timestamp() if hasattr(when, "timestamp") else float(when or 0),
        service=source.removesuffix(".amazonaws.com"),
        action=str(raw.get("EventName") or detail.get("eventName") or ""),
        error_code=detail.get("errorCode") or None,
        source_ip=str(detail.get("sourceIPAddress") or ""),
        user_agent=str(detail.get("userAgent") or ""),
        access_key_id=str(raw.get("AccessKeyId") or identity.get("accessKeyId") or ""),
    )
