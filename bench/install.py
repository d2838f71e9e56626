"""`make demo`'s cold start: installing what the demo runs vs everything `make test` needs.

Run: .venv/bin/python bench/install.py [--rounds 2]

Each round makes two fresh virtual environments from a fresh clone of this
repository and installs, with pip's cache off (as on a new machine):
- demo: `pip install -e '.[demo]'` (what `make demo` installs), then the time
  to the `workbench demo --help` answer;
- test: `pip install -e '.[test,web]'` (what `make test` installs; what `make
  demo` installed before it had its own stamp).
The two alternate (demo, test, test, demo, ...) so the registry's and the
machine's moods hit both alike. It prints each install's seconds, the median
ratio demo / test, and the venvs' sizes. Network time dominates: read the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, line, median

EXTRAS = {"demo": ".[demo]", "test": ".[test,web]"}


def _size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def install(kind: str, work: Path) -> tuple[float, float]:
    """Seconds to a working install of `kind` from a fresh clone, and the venv's MB."""
    clone = work / f"clone-{kind}"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    env = {**os.environ, "PIP_NO_CACHE_DIR": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    venv = clone / ".venv"
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    for step in (["--upgrade", "pip"], ["-e", EXTRAS[kind]]):  # pip's chatter kept off the table
        subprocess.run([*pip, *step], check=True, env=env, cwd=clone, capture_output=True)
    subprocess.run(
        [str(venv / "bin" / "workbench"), "demo", "--help"],
        check=True,
        capture_output=True,
        cwd=clone,
    )
    seconds = time.monotonic() - started
    size = _size_mb(venv)
    shutil.rmtree(clone, ignore_errors=True)
    return seconds, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"demo": [], "test": []}
    sizes: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="wb-install-") as folder:
        for round_number in range(args.rounds):
            order = ("demo", "test") if round_number % 2 == 0 else ("test", "demo")
            for kind in order:
                seconds, sizes[kind] = install(kind, Path(folder))
                times[kind].append(seconds)
                line(f"round {round_number + 1}: {kind}", f"{seconds:.1f} s")
    for kind in ("demo", "test"):
        line(f"{kind} install (median)", f"{median(times[kind]):.1f} s, {sizes[kind]:.0f} MB")
    ratios = [d / t for d, t in zip(times["demo"], times["test"], strict=True)]
    line("demo / test (median of rounds)", f"{median(ratios):.2f}")


if __name__ == "__main__":
    main()
