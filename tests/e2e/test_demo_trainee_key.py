"""The demo banner's try-it key, as a trainee uses it: read off an 80x24 terminal, run
with the real AWS CLI, and still working after its first lease would have ended.

The demo runs with its leases scaled down (`--lease 10s --lease-max 20s`, where
the default is 2m/5m), so "later" is past a whole max TTL in seconds rather
than minutes: the key on screen must work at start and again after 25 s (the
demo replaced it before it ran low), and `y` copies the command whole.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.test_demo_tmux import _capture, _wait_for, needs_tmux

KEY_LINE = re.compile(r"AWS_ACCESS_KEY_ID=(AKIA\w+) \\")
SECRET_LINE = re.compile(r"AWS_SECRET_ACCESS_KEY=(\S+) \\")
ENDPOINT = re.compile(r"embedded AWS \(moto\) at (http://127\.0\.0\.1:\d+)")


def _banner_key(session: str) -> tuple[str, str, str]:
    """(endpoint, access key, secret) as the banner shows them now."""
    screen = _wait_for(session, KEY_LINE.pattern)
    endpoint, key, secret = (p.search(screen) for p in (ENDPOINT, KEY_LINE, SECRET_LINE))
    assert endpoint and key and secret, screen
    return endpoint.group(1), key.group(1), secret.group(1)


def _caller(
    aws_cli: Path, endpoint: str, key: str, secret: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "WORKBENCH_"))} | {
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
    }
    return subprocess.run(
        [str(aws_cli), "--endpoint-url", endpoint, "--region", "us-east-1",
         "sts", "get-caller-identity", "--output", "json"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@needs_tmux
def test_the_banner_key_works_at_80x24_and_stays_live(tmp_path: Path, aws_cli: Path) -> None:
    session = f"wb-trainee-{os.getpid()}"
    temp = tmp_path / "tmp"
    temp.mkdir()
    command = (
        f"env -u COLUMNS -u LINES TMPDIR={temp} {sys.executable} -m workbench demo "
        "--lease 10s --lease-max 20s"
    )
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command], check=True
    )
    subprocess.run(["tmux", "set-option", "-t", session, "set-clipboard", "on"], check=False)
    try:
        endpoint, key, secret = _banner_key(session)
        screen = _capture(session)
        assert all(len(line.rstrip()) <= 80 for line in screen.splitlines())
        first = _caller(aws_cli, endpoint, key, secret)
        assert first.returncode == 0, first.stderr
        assert '"Arn"' in first.stdout

        # `y` puts the command on the clipboard whole, on one line (tmux keeps OSC 52).
        subprocess.run(["tmux", "send-keys", "-t", session, "y"], check=True)
        copied = ""
        deadline = time.monotonic() + 30
        while key not in copied and time.monotonic() < deadline:
            time.sleep(0.3)
            copied = subprocess.run(
                ["tmux", "show-buffer"], capture_output=True, text=True, check=False
            ).stdout
        assert f"AWS_ACCESS_KEY_ID={key} AWS_SECRET_ACCESS_KEY={secret} aws" in copied

        time.sleep(25)  # past the first key's whole max TTL
        later_endpoint, later_key, later_secret = _banner_key(session)
        assert later_endpoint == endpoint and later_key != key
        later = _caller(aws_cli, later_endpoint, later_key, later_secret)
        assert later.returncode == 0, later.stderr
    finally:
        subprocess.run(["tmux", "send-keys", "-t", session, "C-q"], check=False)
        time.sleep(1)
        subprocess.run(["tmux", "kill-session", "-t", session], check=False, capture_output=True)
