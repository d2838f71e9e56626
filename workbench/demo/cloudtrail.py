"""CloudTrail for the embedded AWS: a record of the calls it served, and LookupEvents on it.

moto has no LookupEvents. `RecordingApp` wraps moto's WSGI app: it notes who
called what in a `CloudTrailRecorder` (never a secret, a body or a signature)
and answers CloudTrail's LookupEvents itself, in CloudTrail's own JSON shape.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import collections
import json
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from typing import Any

ACCOUNT_ID = "123456789012"  # moto's default account id
LOOKUP_TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
MAX_RESULTS = 50
# LookupEvents attribute -> the event field it matches (CloudTrail allows one attribute).
LOOKUP_KEYS = {
    "AccessKeyId": "access_key_id",
    "EventId": "event_id",
    "EventName": "event_name",
    "EventSource": "event_source",
    "ReadOnly": "read_only_text",
    "Username": "username",
}
NO_RESOURCES = {"ResourceType", "ResourceName"}  # valid keys; no recorded event has resources
READ_ONLY_PREFIXES = ("Get", "List", "Describe", "Head", "Lookup")
_XML_CODE = re.compile(r"<Code>([^<]{1,200})</Code>")
_XML_MESSAGE = re.compile(r"<Message>([^<]{0,2000})</Message>")
_ERROR_BODY_LIMIT = 64 * 1024


@dataclass(frozen=True, slots=True)
class Caller:
    """Who an access key belongs to, as CloudTrail's userIdentity says it."""

    type: str = "Unknown"
    username: str = ""
    arn: str = ""
    account_id: str = ACCOUNT_ID


@dataclass(frozen=True, slots=True)
class Event:
    """One call the embedded AWS served: what CloudTrail would record of it."""

    seq: int
    time: float  # epoch seconds, when the request arrived
    event_id: str
    request_id: str
    access_key_id: str
    caller: Caller
    service: str
    region: str
    event_name: str
    status: int
    error_code: str
    error_message: str
    source_ip: str
    user_agent: str
    session_token: bool

    @property
    def event_source(self) -> str:
        return f"{self.service}.amazonaws.com"

    @property
    def read_only(self) -> bool:
        return self.event_name.startswith(READ_ONLY_PREFIXES)

    @property
    def read_only_text(self) -> str:
        return "true" if self.read_only else "false"

    @property
    def username(self) -> str:
        return self.caller.username

    def cloudtrail_event(self) -> dict[str, Any]:
        """The record as CloudTrail stores it (the `CloudTrailEvent` JSON)."""
        identity: dict[str, Any] = {
            "type": self.caller.type,
            "accessKeyId": self.access_key_id,
            "accountId": self.caller.account_id,
        }
        if self.caller.arn:
            identity["arn"] = self.caller.arn
        if self.caller.type == "IAMUser":
            identity["userName"] = self.caller.username
        record: dict[str, Any] = {
            "eventVersion": "1.08",
            "userIdentity": identity,
            "eventTime": iso_time(self.time),
            "eventSource": self.event_source,
            "eventName": self.event_name,
            "awsRegion": self.region,
            "sourceIPAddress": self.source_ip,
            "userAgent": self.user_agent,
        }
        if self.error_code:
            record["errorCode"] = self.error_code
        if self.error_message:
            record["errorMessage"] = self.error_message
        record.update(
            requestParameters=None,
            responseElements=None,
            additionalEventData={"httpStatus": self.status, "sessionToken": self.session_token},
            requestID=self.request_id,
            eventID=self.event_id,
            readOnly=self.read_only,
            eventType="AwsApiCall",
            managementEvent=True,
            recipientAccountId=ACCOUNT_ID,
            eventCategory="Management",
        )
        return record

    def lookup_shape(self) -> dict[str, Any]:
        """The event as LookupEvents lists it."""
        shape: dict[str, Any] = {
            "EventId": self.event_id,
            "EventName": self.event_name,
            "ReadOnly": self.read_only_text,
            "AccessKeyId": self.access_key_id,
            "EventTime": self.time,
            "EventSource": self.event_source,
            "Resources": [],
            "CloudTrailEvent": json.dumps(self.cloudtrail_event()),
        }
        if self.username:
            shape["Username"] = self.username
        return shape


class LookupRefused(ValueError):
    """A LookupEvents request CloudTrail would refuse: its error code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class CloudTrailRecorder:
    """The calls the embedded AWS served, newest last, bounded; thread-safe."""

    def __init__(self, limit: int = 100_000) -> None:
        self.latency_ms = 0.0  # slept before each IAM call is passed on (for benchmarks)
        self._events: collections.deque[Event] = collections.deque(maxlen=limit)
        self._lock = threading.Lock()
        self._seq = 0
        self._last_time = 0.0

    def begin(self) -> tuple[int, float]:
        """A sequence number and a time for a request arriving now (both never go back)."""
        with self._lock:
            self._seq += 1
            self._last_time = max(time.time(), self._last_time)
            return self._seq, self._last_time

    def add(self, event: Event) -> None:
        """Keep the event in arrival order (a slow call finishing late still sorts by arrival)."""
        with self._lock:
            events = self._events
            if len(events) == events.maxlen:
                if events and event.seq < events[0].seq:
                    return  # older than everything kept
                events.popleft()
            index = len(events)
            while index and events[index - 1].seq > event.seq:
                index -= 1
            events.insert(index, event)

    def clear(self) -> None:
        with self._lock:
            self._events.clear()

    def events(self) -> list[Event]:
        """Every event kept, oldest first."""
        with self._lock:
            return list(self._events)

    def lookup(
        self,
        *,
        attribute: tuple[str, str] | None = None,
        start: float | None = None,
        end: float | None = None,
        max_results: int = MAX_RESULTS,
        next_token: str | None = None,
    ) -> tuple[list[Event], str | None]:
        """Events newest first, filtered as LookupEvents filters, a page and the next token."""
        field, wanted = None, ""
        if attribute is not None:
            wanted = attribute[1]
            if attribute[0] not in LOOKUP_KEYS and attribute[0] not in NO_RESOURCES:
                raise LookupRefused("InvalidLookupAttributesException", "unknown AttributeKey")
            field = LOOKUP_KEYS.get(attribute[0])
            if field is None:
                return [], None
        if not 1 <= max_results <= MAX_RESULTS:
            raise LookupRefused("InvalidMaxResultsException", "MaxResults must be 1 to 50")
        if start is not None and end is not None and start > end:
            raise LookupRefused("InvalidTimeRangeException", "StartTime is after EndTime")
        events = self.events()
        stop = len(events)
        if next_token is not None:
            stop = bisect.bisect_left(events, _token_seq(next_token), key=lambda e: e.seq)
        page: list[Event] = []
        for index in range(stop - 1, -1, -1):
            event = events[index]
            if end is not None and event.time > end:
                continue
            if start is not None and event.time < start:
                break  # older events only from here on
            if field is not None and getattr(event, field) != wanted:
                continue
            if len(page) == max_results:
                return page, _token(page[-1].seq)
            page.append(event)
        return page, None


def _token(seq: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"before": seq}).encode()).decode()


def _token_seq(token: str) -> int:
    try:
        seq = json.loads(base64.urlsafe_b64decode(token.encode()))["before"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise LookupRefused("InvalidNextTokenException", "invalid NextToken") from None
    if not isinstance(seq, int):
        raise LookupRefused("InvalidNextTokenException", "invalid NextToken")
    return seq


def iso_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(value: Any, name: str) -> float | None:
    """A LookupEvents time: epoch seconds (botocore's JSON) or ISO 8601 text."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    raise LookupRefused("ValidationException", f"{name} is not a timestamp")


def answer_lookup(recorder: CloudTrailRecorder, body: bytes) -> tuple[int, dict[str, Any]]:
    """LookupEvents on the recorder: (HTTP status, JSON answer or CloudTrail's error)."""
    try:
        request = json.loads(body or b"{}")
        if not isinstance(request, dict):
            raise LookupRefused("SerializationException", "the request is not a JSON object")
        attributes = request.get("LookupAttributes") or []
        if not isinstance(attributes, list) or len(attributes) > 1:
            raise LookupRefused(
                "InvalidLookupAttributesException", "LookupAttributes takes one attribute"
            )
        attribute = None
        if attributes:
            item = attributes[0]
            if not isinstance(item, dict):
                raise LookupRefused("InvalidLookupAttributesException", "bad LookupAttributes")
            attribute = (str(item.get("AttributeKey")), str(item.get("AttributeValue", "")))
        max_results = request.get("MaxResults", MAX_RESULTS)
        if not isinstance(max_results, int):
            raise LookupRefused("InvalidMaxResultsException", "MaxResults must be 1 to 50")
        events, token = recorder.lookup(
            attribute=attribute,
            start=_epoch(request.get("StartTime"), "StartTime"),
            end=_epoch(request.get("EndTime"), "EndTime"),
            max_results=max_results,
            next_token=request.get("NextToken"),
        )
        if request.get("EventCategory") == "insight":
            events, token = [], None  # no Insights events are ever recorded here
    except json.JSONDecodeError:
        return 400, {"__type": "SerializationException", "message": "the body is not JSON"}
    except LookupRefused as error:
        return 400, {"__type": error.code, "message": str(error)}
    answer: dict[str, Any] = {"Events": [event.lookup_shape() for event in events]}
    if token is not None:
        answer["NextToken"] = token
    return 200, answer


# -- naming a call and its error, as CloudTrail does ------------------------------


_S3_SUBRESOURCES = {
    "acl": "Acl",
    "cors": "Cors",
    "encryption": "Encryption",
    "lifecycle": "Lifecycle",
    "location": "Location",
    "logging": "Logging",
    "notification": "Notification",
    "ownershipControls": "OwnershipControls",
    "policy": "Policy",
    "publicAccessBlock": "PublicAccessBlock",
    "replication": "Replication",
    "tagging": "Tagging",
    "versioning": "Versioning",
    "website": "Website",
}
_VERBS = {"GET": "Get", "PUT": "Put", "DELETE": "Delete", "HEAD": "Head", "POST": "Post"}


def s3_action(method: str, path: str, query: dict[str, str], copy: bool = False) -> str:
    """A REST S3 call's API name (path-style addressing), e.g. ListBuckets or GetObject."""
    bucket, _, key = path.lstrip("/").partition("/")
    verb = _VERBS.get(method, method.title())
    if not bucket:
        return "ListBuckets" if method == "GET" else f"{verb}Service"
    if not key:
        if "uploads" in query:
            return "ListMultipartUploads"
        if "versions" in query:
            return "ListObjectVersions"
        if "delete" in query:
            return "DeleteObjects"
        for name, suffix in _S3_SUBRESOURCES.items():
            if name in query:
                return f"{verb}Bucket{suffix}"
        if method == "GET":
            return "ListObjectsV2" if query.get("list-type") == "2" else "ListObjects"
        names = {"PUT": "CreateBucket", "DELETE": "DeleteBucket", "HEAD": "HeadBucket"}
        return names.get(method, f"{verb}Bucket")
    if "uploads" in query:
        return "CreateMultipartUpload"
    if "uploadId" in query:
        names = {"PUT": "UploadPart", "POST": "CompleteMultipartUpload", "GET": "ListParts"}
        return names.get(method, "AbortMultipartUpload")
    for name in ("tagging", "acl"):
        if name in query:
            return f"{verb}Object{_S3_SUBRESOURCES[name]}"
    if method == "PUT" and copy:
        return "CopyObject"
    return f"{verb}Object"


def error_details(body: bytes) -> tuple[str, str]:
    """(code, message) of an AWS error answer: XML `<Code>` or JSON `__type` / `code`."""
    text = body[:_ERROR_BODY_LIMIT].decode("utf-8", "replace")
    code = message = ""
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            code = str(data.get("__type") or data.get("code") or data.get("Code") or "")
            code = code.rsplit("#", 1)[-1]  # `namespace#Code`
            message = str(data.get("message") or data.get("Message") or "")
    else:
        if found := _XML_CODE.search(text):
            code = unescape(found.group(1))
        if found := _XML_MESSAGE.search(text):
            message = unescape(found.group(1))
    return code.strip()[:200], message.strip()[:1000]
