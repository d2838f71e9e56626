"""TUI figures with 10,000 live leases, and the time from start to the unlock screen.

Run: .venv/bin/python bench/tui.py [--leases 10000] [--ticks 10]

Goals (issue 7):
- first paint of the lease pane <= 0.5 s (Textual's plain DataTable takes
  about 1-2.3 s for 10k rows): from creating the app to the first lease row
  drawn, the lease list read in a worker;
- main-thread time per countdown tick <= 16 ms: the tick itself (change
  token, redraw request) plus drawing every visible line of the table and
  the activity graph, as the compositor asks for them; measured directly and
  as the main thread's CPU time over real one-second ticks;
- peak memory <= 200 MB (the process's maximum RSS);
- start to unlock screen <= 0.5 s: from launching a fresh interpreter to the
  unlock screen shown and ready (it has found the store, so it knows whether to
  ask for the passphrase once or twice).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from _common import FAST_KDF, PASSPHRASE, ROOT, line, verdict

GOALS = {"first_paint": 0.5, "tick_ms": 16.0, "peak_mb": 200.0, "unlock": 0.5}
UNLOCK_CHILD = r"""
import time
import asyncio, sys
from pathlib import Path
from workbench.tui.app import WorkbenchApp
from workbench.tui.unlock import UnlockScreen

async def main():
    app = WorkbenchApp(Path(sys.argv[1]), "bench", start_worker=False)
    async with app.run_test(size=(120, 36)) as pilot:
        while not isinstance(app.screen, UnlockScreen) or not app.screen.is_mounted:
            await pilot.pause(0.001)
        await pilot.pause()
        while app.screen.exists is None:  # it knows whether to ask once or twice
            await pilot.pause(0.001)
        await pilot.pause()
        print(time.time(), "boto3" in sys.modules, flush=True)

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


async def measure_app(service: Any, home: Path, ticks: int) -> dict[str, float]:
    from textual.geometry import Region

    from workbench.tui.activity import ActivityGraph
    from workbench.tui.lease_table import LeaseTable

    pauses = watch_gc()
    async with painted(service, home) as (first_paint, app, pilot):
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen: Any = app.screen
        table = screen.query_one(LeaseTable)
        graph = screen.query_one(ActivityGraph)
        shown = table.lease_count

        direct = []  # CPU time of this (the main) thread: what a tick takes from the UI
        for _ in range(ticks):
            begin = time.thread_time()
            screen.tick()
            for widget in (table, graph):
                widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
            direct.append((time.thread_time() - begin) * 1000)
            await pilot.pause()

        # The real thing: the app's own one-second interval, main-thread CPU time only.
        await app.workers.wait_for_complete()
        cpu_start, wall_start = time.thread_time(), time.perf_counter()
        await asyncio.sleep(ticks)
        cpu_per_tick = (time.thread_time() - cpu_start) * 1000 / ticks
        wall = time.perf_counter() - wall_start
    return {
        "first_paint": first_paint,
        "rows": shown,
        "tick_direct_ms": statistics.median(direct),
        "tick_direct_max_ms": max(direct),
        "gc_pause_ms": max(pauses, default=0.0),
        "tick_real_ms": cpu_per_tick,
        "real_seconds": wall,
    }


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


def measure_unlock(runs: int) -> tuple[float, bool]:
    times = []
    boto = False
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        from workbench.store import KdfParams, Store

        Store.create(home, PASSPHRASE, KdfParams.fresh(**FAST_KDF)).close()
        for _ in range(runs):
            launched = time.time()
            done = subprocess.run(
                [sys.executable, "-c", UNLOCK_CHILD, str(home)],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            ready_at, boto_line = done.stdout.split()
            times.append(float(ready_at) - launched)  # interpreter start-up included
            boto = boto or boto_line == "True"
    return statistics.median(times), boto


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leases", type=int, default=10_000)
    parser.add_argument("--ticks", type=int, default=10)
    parser.add_argument("--unlock-runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        begin = time.perf_counter()
        service = seed(home, args.leases)
        print(f"seeded {args.leases} live leases in {time.perf_counter() - begin:.1f} s")
        figures = asyncio.run(measure_app(service, home, args.ticks))
        service.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    unlock, boto = measure_unlock(args.unlock_runs)

    print(f"\nTUI with {int(figures['rows'])} live leases (140x40, headless)")
    line(
        "first paint of the lease pane",
        f"{figures['first_paint']:.3f} s (goal <= {GOALS['first_paint']} s: "
        f"{verdict(figures['first_paint'] <= GOALS['first_paint'])})",
    )
    line(
        "main thread per tick (tick + redraw)",
        f"{figures['tick_direct_ms']:.2f} ms median, {figures['tick_direct_max_ms']:.2f} ms max "
        f"(goal <= {GOALS['tick_ms']:.0f} ms: "
        f"{verdict(figures['tick_direct_max_ms'] <= GOALS['tick_ms'])})",
    )
    line(
        "main thread CPU per real tick",
        f"{figures['tick_real_ms']:.2f} ms ({args.ticks} one-second ticks, everything on the "
        "main thread)",
    )
    line(
        "longest GC pause (any thread)",
        f"{figures['gc_pause_ms']:.1f} ms (the lease snapshot is kept out of full collections)",
    )
    line(
        "peak memory (max RSS)",
        f"{peak_mb:.0f} MB (goal <= {GOALS['peak_mb']:.0f} MB: "
        f"{verdict(peak_mb <= GOALS['peak_mb'])})",
    )
    line(
        "start to unlock screen",
        f"{unlock:.3f} s median of {args.unlock_runs} fresh processes (goal <= "
        f"{GOALS['unlock']} s: {verdict(unlock <= GOALS['unlock'])}); boto3 imported: {boto}",
    )


if __name__ == "__main__":
    main()
