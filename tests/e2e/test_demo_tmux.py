"""`workbench demo` as a person sees it: in a real terminal (tmux), leases ticking."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

needs_tmux = pytest.mark.skipif(
    shutil.which("tmux") is None and os.environ.get("CI") != "true",
    reason="tmux is not installed (CI installs it; see .ci/run)",
)


def _capture(session: str) -> str:
    return subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True, check=True
    ).stdout


def _wait_for(session: str, pattern: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _capture(session)
        if re.search(pattern, screen):
            return screen
        time.sleep(0.25)
    raise AssertionError(f"{pattern!r} never appeared; the screen was:\n{screen}")


@needs_tmux
def test_demo_shows_leases_ticking_and_quits_cleanly(tmp_path: Path) -> None:
    session = f"wb-demo-{os.getpid()}"
    marker = tmp_path / "exited"
    temp = tmp_path / "tmp"
    temp.mkdir()
    # Textual sizes itself from COLUMNS/LINES when set (pytest sets them): drop them.
    command = (
        f"env -u COLUMNS -u LINES TMPDIR={temp} {sys.executable} -m workbench demo; "
        f"echo $? > {marker}"
    )
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "140", "-y", "40", command], check=True
    )
    subprocess.run(
        ["tmux", "resize-window", "-t", session, "-x", "140", "-y", "40"],
        check=False,
        capture_output=True,
    )
    try:
        countdown = re.compile(r"\bwebapp\s+iam_user\s+(AKIA\w+)\s+\S+\s+(\d+m \d+s|\d+s)\s")
        first = _wait_for(session, countdown.pattern)
        assert "DEMO" in first
        before = dict(countdown.findall(first))
        assert before, first
        time.sleep(2.5)
        after = dict(countdown.findall(_capture(session)))
        changed = [lease for lease in before if lease in after and after[lease] != before[lease]]
        assert changed, f"countdowns did not tick: {before} -> {after}"
        assert list(temp.glob("workbench-demo-*")), "the demo's temporary store"
        subprocess.run(["tmux", "send-keys", "-t", session, "C-q"], check=True)
        deadline = time.monotonic() + 30
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert marker.read_text().strip() == "0"
        assert list(temp.glob("workbench-demo-*")) == [], "temporary store left behind"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False, capture_output=True)
