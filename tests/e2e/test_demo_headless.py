"""`workbench demo`: the lifecycle live on an embedded account, then nothing left behind."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.helpers import WORKBENCH


def test_headless_demo_revokes_a_seeded_lease_and_cleans_up(tmp_path: Path) -> None:
    result = subprocess.run(
        [*WORKBENCH, "demo", "--headless", "--for", "8s"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    store = Path(re.search(r"temporary store at (\S+)", out).group(1))  # type: ignore[union-attr]
    revoked = re.search(r"worker revoked: (aws/creds/webapp/\S+) revoked", out)
    assert revoked, out
    issued_user = re.search(rf"issued {re.escape(revoked.group(1))} .*IAM user (\S+)\)", out)
    assert issued_user, out
    final_users = re.findall(r"^  IAM user (\S+) ->", out, flags=re.M)
    assert issued_user.group(1) not in final_users
    assert final_users, "the longer seeded lease keeps its user"
    assert "(0 stray)" in out
    assert "temporary store removed" in out
    assert not store.exists() and not store.parent.exists()


AUTH_SCRIPT = """
import json
from workbench.demo import Demo
demo = Demo(seeded=())
service = demo.start()
results = {}
try:
    issued = service.creds.issue("aws", "webapp", ttl="1m")
    root = service.engines.get("aws").root
    admin = demo.aws.client("s3", access_key=root.access_key, secret_key=root.secret_key)
    admin.create_bucket(Bucket="webapp-assets")
    admin.put_object(Bucket="webapp-assets", Key="index.html", Body=b"hello")
    key = {"access_key": issued.lease.access_key_id, "secret_key": issued.lease.secret_key}
    s3 = demo.aws.client("s3", **key)
    def attempt(name, call):
        try:
            call()
            results[name] = "ok"
        except Exception as error:
            results[name] = error.response["Error"]["Code"]
    attempt("allowed", lambda: s3.get_object(Bucket="webapp-assets", Key="index.html"))
    attempt("not_allowed", lambda: s3.delete_object(Bucket="webapp-assets", Key="index.html"))
    attempt("iam", lambda: demo.aws.client("iam", **key).list_users())
    service.leases.revoke(issued.lease.lease_id)
    attempt("after_revoke", lambda: s3.get_object(Bucket="webapp-assets", Key="index.html"))
    results["guard"] = service.engines.read_config("aws")["expiry_guard"]
finally:
    demo.stop()
print(json.dumps(results))
"""


def test_demo_account_checks_keys_and_revocation_cuts_them_off() -> None:
    result = subprocess.run(
        [sys.executable, "-c", AUTH_SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    results = json.loads(result.stdout.strip().splitlines()[-1])
    assert results == {
        "allowed": "ok",
        "not_allowed": "AccessDenied",
        "iam": "AccessDenied",
        "after_revoke": "InvalidAccessKeyId",
        "guard": True,  # the embedded AWS evaluates its DateGreaterThan as IAM does
    }
