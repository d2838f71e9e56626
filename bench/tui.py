"""TUI figures with 10,000 live leases; the start to the unlock screen beside a bare app's.

Run: .venv/bin/python bench/tui.py [--leases 10000] [--ticks 20] [--paints 3] [--rounds 7]

Everything is measured in fresh processes run as an installed package runs: its
modules' bytecode compiled by an untimed warm-up run (in a temporary
PYTHONPYCACHEPREFIX; this machine's PYTHONDONTWRITEBYTECODE would otherwise
compile the workbench's own modules from source on every start, while
Textual's come precompiled from pip). `--source` keeps that setting.

Goals (issues 7 and 15):
- start to the unlock screen <= 1.5x the start of Textual's hello world (an App
  showing a Static "Hello"): both launched in a fresh interpreter and timed the
  same way, from launching it to its first screen mounted and ready (the
  workbench's has found the store, so it knows whether to ask for the
  passphrase once or twice); interleaved over `--rounds` rounds, medians;
- first paint of the lease pane <= 0.5 s: from creating the app (on an
  unlocked service) to the first lease row drawn, the lease list read in the
  pane's worker and the main screen's modules imported in that time, as after
  an unlock; median of `--paints` fresh processes;
- the UI thread's work per countdown tick <= 16 ms at its worst (the max, not
  only the median): main-thread CPU time from one tick's answer to the next,
  over `--ticks` real one-second ticks, so it holds all the UI thread did in
  that second (the poll's answer, drawing the visible lines, any collection);
  then as many ticks with another connection committing a write every second,
  as a revoker or another operator does, so every tick reloads the leases;
- peak memory <= 200 MB (the app process's maximum RSS).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, closing, contextmanager
from pathlib import Path
from typing import Any

from _common import FAST_KDF, PASSPHRASE, ROOT, line, verdict

GOALS = {"first_paint": 0.5, "tick_ms": 16.0, "peak_mb": 200.0, "start_ratio": 1.5}
SIZE = (140, 40)
# Both apps' start, timed by the same code: launched, first screen mounted, ready.
START_CHILD = r"""
import asyncio
import sys
import time


def workbench():
    from pathlib import Path

    from workbench.tui.app import WorkbenchApp
    from workbench.tui.unlock import UnlockScreen

    app = WorkbenchApp(Path(sys.argv[2]), "bench", start_worker=False)
    # Ready: it has found the store, so it knows whether to ask once or twice.
    return app, UnlockScreen, lambda screen: screen.exists is not None


def bare():
    from textual.app import App
    from textual.screen import Screen
    from textual.widgets import Static

    class Hello(App):
        def compose(self):
            yield Static("Hello")

    return Hello(), Screen, lambda screen: True


async def main():
    app, first_screen, ready = {"workbench": workbench, "bare": bare}[sys.argv[1]]()
    async with app.run_test(size=(120, 36)) as pilot:
        while not isinstance(app.screen, first_screen) or not app.screen.is_mounted:
            await pilot.pause(0.001)
        await pilot.pause()
        while not ready(app.screen):
            await pilot.pause(0.001)
        await pilot.pause()
        print(time.time(), time.process_time(), "boto3" in sys.modules, flush=True)


asyncio.run(main())
"""


def seed(home: Path, count: int) -> Any:
    """A store with engine `aws` and `count` live leases spread over the next hour."""
    from workbench.domain.models import CredentialType, Lease, LeaseState
    from workbench.service import Workbench
    from workbench.store import KdfParams, Store

    store = Store.create(home, PASSPHRASE, KdfParams.fresh(**FAST_KDF))
    service = Workbench(store, operator="bench")
    service.engines.enable("aws")
    now = time.time()
    roles = ("webapp", "analytics", "backup", "deploy", "ci")
    states = (LeaseState.ACTIVE,) * 17 + (
        LeaseState.PENDING,
        LeaseState.REVOKING,
        LeaseState.IRREVOCABLE,
    )
    with store.transaction():
        for index in range(count):
            role = roles[index % len(roles)]
            store.leases.insert(
                Lease(
                    lease_id=f"aws/creds/{role}/{index:024d}",
                    engine="aws",
                    role=role,
                    credential_type=CredentialType.IAM_USER,
                    state=states[index % len(states)],
                    issue_time=now - 60,
                    expire_time=now + 30 + (index * 3600 / count),
                    max_expire_time=now + 43200,
                    renewable=True,
                    iam_user_name=f"wb-bench-{role}-{index}",
                    access_key_id=f"AKIA{index:016d}",
                    updated_time=now,
                )
            )
    return service


@asynccontextmanager
async def painted(
    service: Any, home: Path, size: tuple[int, int] = (140, 40)
) -> AsyncIterator[tuple[float, Any, Any]]:
    """The app on an unlocked `service`, headless, once the lease table drew its first row.

    Yields (first paint: seconds from creating the app to that row, app, pilot);
    the lease list is read in the pane's worker, as always.
    """
    from workbench.tui.app import WorkbenchApp
    from workbench.tui.lease_table import LeaseTable

    first_row: list[float] = []
    original = LeaseTable.render_line

    def render_line(self: LeaseTable, y: int) -> Any:
        if y == 1 and self.rows and not first_row:
            first_row.append(time.perf_counter())
        return original(self, y)

    LeaseTable.render_line = render_line  # type: ignore[method-assign]
    try:
        started = time.perf_counter()
        app = WorkbenchApp(home, "bench", service=service, start_worker=False)
        async with app.run_test(size=size) as pilot:
            while not first_row:
                if time.perf_counter() - started > 120:
                    raise SystemExit("no lease row drawn after 120 s")
                await pilot.pause(0.002)
            LeaseTable.render_line = original  # type: ignore[method-assign]
            yield first_row[0] - started, app, pilot
    finally:
        LeaseTable.render_line = original  # type: ignore[method-assign]


async def measure_app(service: Any, home: Path, ticks: int) -> dict[str, Any]:
    """First paint, then (if `ticks`) the UI thread's CPU time per real one-second tick."""
    from workbench.tui.lease_table import LeaseTable

    pauses = watch_gc()
    cpu = time.process_time()
    async with painted(service, home, SIZE) as (first_paint, app, pilot):
        cpu = time.process_time() - cpu  # every thread's, to the first row drawn
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen: Any = app.screen
        figures: dict[str, Any] = {"first_paint": first_paint, "paint_cpu": cpu}
        figures["rows"] = screen.query_one(LeaseTable).lease_count
        # Steady state (and an app that can exit cleanly): the other panes mounted and
        # their first reads shown.
        await screen.mount_panes()
        await app.workers.wait_for_complete()
        await pilot.pause()
        if ticks:
            figures["ticks_ms"] = await tick_costs(screen, ticks)
            with written_every_second(home):
                figures["reload_ticks_ms"] = await tick_costs(screen, ticks)
        await app.workers.wait_for_complete()
    figures["gc_pause_ms"] = max(pauses, default=0.0)
    return figures


async def tick_costs(screen: Any, ticks: int) -> list[float]:
    """Main-thread CPU time (ms) from one tick's answer to the next, for `ticks` ticks.

    A window holds everything the UI thread did in that second: the poll's
    answer, the redraw it asked for (every visible line of the table and the
    graph, as the compositor draws them), messages, any cyclic collection.
    The first window is left out: it starts before the panes settled.
    """
    marks: list[float] = []
    answer = screen._ticked  # the poll's answer, called on the UI thread
    done = asyncio.Event()  # waited on, not polled: a polling loop here is UI-thread work too

    def timed(token: int) -> None:
        marks.append(time.thread_time())
        answer(token)
        if len(marks) == ticks + 2:
            done.set()

    screen._ticked = timed
    try:
        await done.wait()
    finally:
        del screen._ticked
    return [(end - begin) * 1000 for begin, end in itertools.pairwise(marks[1:])]


@contextmanager
def written_every_second(home: Path) -> Iterator[None]:
    """Another connection commits a write to the store every second, as a revoker or another
    operator does (10,000 leases spread over an hour end ~3 a second): each tick's poll
    sees the change and the lease pane reloads. The write touches one lease's
    updated_time, which the table does not show (a write that changes no value does not
    move SQLite's data_version)."""
    stop = threading.Event()

    def write() -> None:
        with closing(sqlite3.connect(home / "workbench.db")) as conn:
            while not stop.wait(1.0):
                with conn:
                    conn.execute(
                        "UPDATE leases SET updated_time = ? "
                        "WHERE rowid = (SELECT min(rowid) FROM leases)",
                        (time.time(),),
                    )

    writer = threading.Thread(target=write, name="bench-writer", daemon=True)
    writer.start()
    try:
        yield
    finally:
        stop.set()
        writer.join()


def watch_gc() -> list[float]:
    """Durations (ms) of the cyclic GC's passes from now on: they stall the UI thread too."""
    pauses: list[float] = []
    began: list[float] = [0.0]

    def callback(phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
        else:
            pauses.append((time.perf_counter() - began[0]) * 1000)

    gc.callbacks.append(callback)
    return pauses


def app_child(home: Path, ticks: int) -> None:
    """In a fresh process: unlock (untimed), measure the app, print the figures as JSON."""
    from workbench.service import open_workbench

    service = open_workbench(home, PASSPHRASE)
    try:
        figures = asyncio.run(measure_app(service, home, ticks))
    finally:
        service.close()
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures), flush=True)


def child_env(pycache: Path | None) -> dict[str, str]:
    """This environment, with compiled bytecode kept in `pycache` (None: as it is)."""
    env = dict(os.environ)
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def run_child(args: list[str], env: dict[str, str], what: str) -> str:
    """A fresh Python process's output; a failed one ends the bench with its stderr."""
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=False, cwd=ROOT, env=env
    )
    if done.returncode:
        raise SystemExit(f"{what} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def run_app(home: Path, ticks: int, env: dict[str, str]) -> dict[str, Any]:
    args = [__file__, "--app-child", str(home), "--ticks", str(ticks)]
    return dict(json.loads(run_child(args, env, "the app's run").splitlines()[-1]))


def start_once(app: str, home: Path, env: dict[str, str]) -> tuple[float, float, bool]:
    """One fresh process: (wall seconds from launch to ready, its CPU seconds, boto3 loaded)."""
    launched = time.time()
    out = run_child(["-c", START_CHILD, app, str(home)], env, f"the {app} start")
    ready_at, cpu, boto = out.split()
    return float(ready_at) - launched, float(cpu), boto == "True"  # interpreter start included


def measure_start(home: Path, rounds: int, env: dict[str, str]) -> dict[str, Any]:
    """The bare app and the workbench, one after the other, `rounds` times (order alternating)."""
    apps = ("bare", "workbench")
    for app in apps:
        start_once(app, home, env)  # untimed: compiles the bytecode, warms the file cache
    wall: dict[str, list[float]] = {app: [] for app in apps}
    cpu: dict[str, list[float]] = {app: [] for app in apps}
    boto = False
    for round_number in range(rounds):
        for app in apps if round_number % 2 == 0 else reversed(apps):
            seconds, cpu_seconds, loaded = start_once(app, home, env)
            wall[app].append(seconds)
            cpu[app].append(cpu_seconds)
            boto = boto or (app == "workbench" and loaded)
    return {"wall": wall, "cpu": cpu, "boto": boto}


def spread(values: list[float], unit: str = "s", digits: int = 3) -> str:
    """`median (min-max)`."""
    return (
        f"{statistics.median(values):.{digits}f} {unit} "
        f"({min(values):.{digits}f}-{max(values):.{digits}f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leases", type=int, default=10_000)
    parser.add_argument("--ticks", type=int, default=20)
    parser.add_argument("--paints", type=int, default=3, help="first paints (fresh processes)")
    parser.add_argument("--rounds", type=int, default=7, help="start rounds (bare, workbench)")
    parser.add_argument(
        "--source", action="store_true", help="keep PYTHONDONTWRITEBYTECODE as it is set"
    )
    parser.add_argument("--app-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.app_child:
        app_child(args.app_child, args.ticks)
        return

    load = os.getloadavg()
    print(
        f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)"
    )
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        pycache = None if args.source else Path(folder) / "pycache"
        env = child_env(pycache)
        begin = time.perf_counter()
        seed(home, args.leases).close()
        print(f"seeded {args.leases} live leases in {time.perf_counter() - begin:.1f} s")
        run_app(home, 0, env)  # untimed: compiles the bytecode
        runs = [run_app(home, 0, env) for _ in range(args.paints - 1)]
        figures = run_app(home, args.ticks, env)
        runs.append(figures)
        paints = [run["first_paint"] for run in runs]
        paint_cpu = [run["paint_cpu"] for run in runs]
        start = measure_start(home, args.rounds, env)

    bytecode = "compiled from source each run" if args.source else "compiled once, as installed"
    print(
        f"\nTUI with {int(figures['rows'])} live leases ({SIZE[0]}x{SIZE[1]}, headless; "
        f"bytecode {bytecode})"
    )
    paint = statistics.median(paints)
    line(
        "first paint of the lease pane",
        f"{spread(paints)} of {len(paints)}, CPU {spread(paint_cpu)} "
        f"(goal <= {GOALS['first_paint']} s: {verdict(paint <= GOALS['first_paint'])})",
    )
    for label, key in (
        ("UI thread per tick (CPU, one second)", "ticks_ms"),
        ("same, the store written every second", "reload_ticks_ms"),
    ):
        ticks = figures[key]
        line(
            label,
            f"{statistics.median(ticks):.1f} ms median, {max(ticks):.1f} ms max of {len(ticks)} "
            f"(goal: max <= {GOALS['tick_ms']:.0f} ms: {verdict(max(ticks) <= GOALS['tick_ms'])})",
        )
    line(
        "longest GC pause (any thread)",
        f"{figures['gc_pause_ms']:.1f} ms (first paint and ticks; it stalls the UI thread too)",
    )
    line(
        "peak memory (max RSS)",
        f"{figures['peak_mb']:.0f} MB (goal <= {GOALS['peak_mb']:.0f} MB: "
        f"{verdict(figures['peak_mb'] <= GOALS['peak_mb'])})",
    )
    bare, ours = (statistics.median(start["wall"][app]) for app in ("bare", "workbench"))
    ratio = ours / bare
    line(
        "start: bare Textual app (Static)",
        f"{spread(start['wall']['bare'])}, CPU {spread(start['cpu']['bare'])}",
    )
    line(
        "start: workbench to unlock screen",
        f"{spread(start['wall']['workbench'])}, "
        f"CPU {spread(start['cpu']['workbench'])}; boto3 imported: {start['boto']}",
    )
    cpu_ratio = statistics.median(start["cpu"]["workbench"]) / statistics.median(
        start["cpu"]["bare"]
    )
    line(
        "start: workbench / bare",
        f"{ratio:.2f}x wall, {cpu_ratio:.2f}x CPU (medians of {args.rounds} interleaved rounds; "
        f"goal <= {GOALS['start_ratio']}x: {verdict(ratio <= GOALS['start_ratio'])})",
    )


if __name__ == "__main__":
    main()
