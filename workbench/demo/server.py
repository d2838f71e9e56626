"""The embedded AWS: moto's threaded server on loopback, a free port, its calls recorded."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import socket
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from workbench.demo import moto_iam
from workbench.demo.cloudtrail import (
    LOOKUP_TARGET,
    Caller,
    CloudTrailRecorder,
    Event,
    answer_lookup,
    error_details,
    s3_action,
)

DEMO_ACCOUNT = "123456789012"  # moto's default account id
LEGACY_USER = "legacy-app"  # a pre-existing user with a static key, for static roles
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")


class EmbeddedAws:
    """A moto server other terminals can use too (the aws CLI, boto3).

    Every call it serves is recorded in `recorder` (a CloudTrailRecorder), and
    `client("cloudtrail").lookup_events(...)` reads them back as CloudTrail would.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        # AWS managed policies exist in real IAM; moto loads them only if asked.
        os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        for name in ("werkzeug", "moto"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        moto_iam.install()  # an inactive key refused, conditions evaluated as IAM does
        self.recorder = CloudTrailRecorder()
        self._server = _recording_server(host, port, self.recorder)
        self._server.start()
        bound_host, bound_port = self._server.get_host_and_port()
        self.url = f"http://{bound_host}:{bound_port}"

    def _post(self, path: str, body: bytes = b"", content_type: str = "text/plain") -> None:
        request = urllib.request.Request(
            f"{self.url}{path}", data=body, method="POST", headers={"Content-Type": content_type}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()

    def reset(self) -> None:
        """Empty the account (and switch authorization off)."""
        self.set_authorization(False)
        self._post("/moto-api/reset")

    def set_authorization(self, on: bool) -> None:
        """Make moto check signatures and IAM policies (process-wide in moto)."""
        # moto authorizes once a count of free calls is used up; off = a count never reached.
        self._post("/moto-api/reset-auth", b"0" if on else str(10**12).encode())

    def client(self, service: str, **credentials: Any) -> Any:
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=credentials.get("access_key", "bootstrap"),
            aws_secret_access_key=credentials.get("secret_key", "bootstrap"),
            aws_session_token=credentials.get("session_token"),
        )

    def stop(self) -> None:
        self._server.stop()


def _recording_server(host: str, port: int, recorder: CloudTrailRecorder) -> Any:
    """moto's ThreadedMotoServer, serving its app wrapped in a RecordingApp."""
    from moto.moto_server.werkzeug_app import (  # deferred: ~0.4 s
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from moto.server import ThreadedMotoServer
    from werkzeug.serving import make_server

    # Bound here, so a taken port is an OSError in the caller's thread (werkzeug's own
    # bind would sys.exit in moto's thread and leave start() waiting forever).
    listener = socket.create_server((host, port), backlog=128)

    class RecordingMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:  # moto's own, with the app wrapped
            app = RecordingApp(DomainDispatcherApplication(create_backend_app), recorder)
            with listener:  # werkzeug serves a duplicate of it
                self._server = make_server(
                    host,
                    port,
                    app,
                    True,
                    request_handler=MotoRequestHandler,
                    fd=listener.fileno(),
                )
            self._server_ready_event.set()
            self._server.serve_forever()

    return RecordingMotoServer(ip_address=host, port=port, verbose=False)


def bootstrap_account(aws: EmbeddedAws) -> tuple[str, str]:
    """Create what the sample roles refer to, an admin user for the engine, and an
    application's user with a key of its own (`legacy-app`, for a static role).

    Returns the admin's access key pair (the engine's root credentials).
    """
    iam = aws.client("iam")
    iam.create_group(GroupName="analysts")
    iam.create_role(
        RoleName="deploy",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {
                            "AWS": [
                                f"arn:aws:iam::{DEMO_ACCOUNT}:root",
                                f"arn:aws:iam::{DEMO_ACCOUNT}:user/workbench-root",
                            ]
                        },
                        "Action": ["sts:AssumeRole", "sts:TagSession"],
                    }
                ],
            }
        ),
    )
    iam.create_user(UserName="workbench-root")
    iam.put_user_policy(
        UserName="workbench-root",
        PolicyName="admin",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            }
        ),
    )
    key = iam.create_access_key(UserName="workbench-root")["AccessKey"]
    # An application's user with a long-lived key: what a static role takes over.
    iam.create_user(UserName=LEGACY_USER)
    iam.create_access_key(UserName=LEGACY_USER)
    return key["AccessKeyId"], key["SecretAccessKey"]


# -- reading a request: who, which service, which action ---------------------------


def credential_scope(environ: dict[str, Any], query: dict[str, str]) -> tuple[str, str, str]:
    """(access key id, region, service) from the SigV4 credential scope, else blanks."""
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match:
        return match.group(1), match.group(2), match.group(3)
    parts = query.get("X-Amz-Credential", "").split("/")
    if len(parts) == 5:
        return parts[0], parts[2], parts[3]
    sigv2 = environ.get("HTTP_AUTHORIZATION", "").split()
    if len(sigv2) == 2 and sigv2[0] == "AWS" and ":" in sigv2[1]:
        return sigv2[1].split(":", 1)[0], "us-east-1", "s3"  # S3's SigV2: `AWS KEY:signature`
    return query.get("AWSAccessKeyId", ""), "", ""


def form_action(environ: dict[str, Any]) -> str:
    """`Action=` from a query-protocol form body; the body is put back for moto to read."""
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return ""
    try:
        size = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return ""
    if size <= 0:
        return ""
    body: bytes = environ["wsgi.input"].read(size)
    environ["wsgi.input"] = io.BytesIO(body)
    for name, value in parse_qsl(body.decode("utf-8", "replace")):
        if name == "Action":
            return value
    return ""


# -- the WSGI wrapper ----------------------------------------------------------------

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class RecordingApp:
    """moto's WSGI app, with every call recorded and LookupEvents answered here."""

    def __init__(
        self,
        app: WsgiApp,
        recorder: CloudTrailRecorder,
        identify: Callable[[str], Caller] | None = None,
    ) -> None:
        self.app = app
        self.recorder = recorder
        self.identify = identify or moto_caller

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/moto-api"):
            if path.rstrip("/") == "/moto-api/reset" and environ.get("REQUEST_METHOD") == "POST":
                self.recorder.clear()  # the account is emptied: so is its trail
            return self.app(environ, start_response)
        if environ.get("HTTP_X_AMZ_TARGET") == LOOKUP_TARGET:
            return self._lookup(environ, start_response)
        return self._recorded(environ, start_response, path)

    def _lookup(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        size = int(environ.get("CONTENT_LENGTH") or 0)
        status, answer = answer_lookup(self.recorder, environ["wsgi.input"].read(size))
        body = json.dumps(answer).encode()
        headers = [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("Content-Length", str(len(body))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ]
        if status != 200:
            headers.append(("x-amzn-ErrorType", answer["__type"]))
        start_response(f"{status} {'OK' if status == 200 else 'Bad Request'}", headers)
        return [body]

    def _recorded(
        self, environ: dict[str, Any], start_response: Callable[..., Any], path: str
    ) -> Any:
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        access_key, region, service = credential_scope(environ, query)
        method = environ.get("REQUEST_METHOD", "GET")
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        action = target.rsplit(".", 1)[-1] if target else query.get("Action", "")
        if not action and service != "s3":
            action = form_action(environ)
        if not service and action in {"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"}:
            service = "sts"  # unsigned by design
        if not action and service in {"s3", ""}:
            service = "s3"  # moto's default for what it cannot place otherwise
            copy = "HTTP_X_AMZ_COPY_SOURCE" in environ
            action = s3_action(method, path, query, copy)
        caller = self.identify(access_key) if access_key else Caller()
        if service == "iam" and self.recorder.latency_ms > 0:
            time.sleep(self.recorder.latency_ms / 1000)
        seq, arrived = self.recorder.begin()
        answer: dict[str, Any] = {"status": 500, "headers": []}

        def recording_start_response(status: str, headers: Any, *exc_info: Any) -> Any:
            answer["status"], answer["headers"] = int(status.split(maxsplit=1)[0]), headers
            return start_response(status, headers, *exc_info)

        def record(code: str = "", message: str = "") -> None:
            headers = {name.lower(): value for name, value in answer["headers"]}
            request_id = headers.get("x-amzn-requestid") or headers.get("x-amz-request-id")
            if answer["status"] >= 400 and not code:  # a JSON service may say it in a header
                code = headers.get("x-amzn-errortype", "").split(":", 1)[0]
            self.recorder.add(
                Event(
                    seq=seq,
                    time=arrived,
                    event_id=str(uuid.uuid4()),
                    request_id=request_id or str(uuid.uuid4()),
                    access_key_id=access_key,
                    caller=caller,
                    service=service or "unknown",
                    region=region or "us-east-1",
                    event_name=action or f"{method} {path[:100]}",
                    status=answer["status"],
                    error_code=code,
                    error_message=message,
                    source_ip=environ.get("REMOTE_ADDR", ""),
                    user_agent=environ.get("HTTP_USER_AGENT", "")[:1000],
                    session_token="HTTP_X_AMZ_SECURITY_TOKEN" in environ
                    or "X-Amz-Security-Token" in query,
                )
            )

        try:
            body = self.app(environ, recording_start_response)
        except Exception:
            record("InternalFailure")
            raise
        if answer["status"] < 400:
            record()
            return body
        # An error answer is small: read it for its code, then pass it on as it was.
        chunks = list(body)
        getattr(body, "close", lambda: None)()
        record(*error_details(b"".join(chunks)))
        return chunks


def moto_caller(access_key: str) -> Caller:
    """Whose key it is, read from moto's IAM and STS state (Unknown if neither knows it)."""
    from moto.iam.models import get_account_id_from, iam_backends  # deferred: moto
    from moto.sts.models import sts_backends

    account_id = get_account_id_from(access_key)
    backends = iam_backends.get(account_id)
    iam = backends.get("aws") if backends is not None else None
    key = iam.access_keys.get(access_key) if iam is not None else None
    if key is None or iam is None:
        return Caller(account_id=account_id)
    if key.user_name:
        user = iam.users.get(key.user_name)
        return Caller("IAMUser", key.user_name, user.arn if user else "", account_id)
    sts = sts_backends.get(account_id)
    sts_backend = sts.get("aws") if sts is not None else None
    if sts_backend is not None:
        for role in list(sts_backend.assumed_roles):
            if role.access_key_id == access_key:
                return Caller("AssumedRole", role.session_name, role.arn, account_id)
    return Caller("AssumedRole" if key.role_arn else "Unknown", account_id=account_id)
