"""One operator's process for bench/issue.py's team figures: issue+revoke cycles in a time window.

Started by bench/issue.py, never by hand. It reads one JSON line on stdin
(store, home, operator, passphrase, engine, role, ttl), unlocks the store as
that operator with its own service (`open_workbench`, as the CLI and the TUI
do), runs one untimed cycle (the IAM client and its connections, the store's
pool), and prints {"ready": ...}. Then it reads a second line (start, seconds),
waits for `start` (wall clock, the same for every agent), runs
`creds.issue` + `leases.revoke` cycles until `start + seconds` and prints
what it did as one JSON line: cycles, errors, each cycle's time, its CPU.
An error is counted and the next cycle begins; nothing is retried here.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cycle(service: Any, config: dict[str, Any]) -> None:
    issued = service.creds.issue(config["engine"], config["role"], ttl=config["ttl"])
    service.leases.revoke(issued.lease.lease_id)


def main() -> None:
    config = json.loads(sys.stdin.readline())
    from workbench.service import open_workbench, parse_location

    location = parse_location(config["store"], Path(config["home"]))
    service = open_workbench(location, config["passphrase"], operator=config["operator"])
    cycle(service, config)  # warm-up, untimed
    print(json.dumps({"ready": config["operator"]}), flush=True)

    window = json.loads(sys.stdin.readline())
    start, end = float(window["start"]), float(window["start"]) + float(window["seconds"])
    time.sleep(max(0.0, start - time.time()))
    cpu = cpu_seconds()
    times: list[float] = []
    errors: list[str] = []
    finished = start
    while time.time() < end:
        began = time.perf_counter()
        try:
            cycle(service, config)
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")
        else:
            times.append((time.perf_counter() - began) * 1000)
        finished = time.time()
    cpu = cpu_seconds() - cpu
    service.close()
    result = {
        "operator": config["operator"],
        "cycles": len(times),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:3],
        "elapsed": finished - start,
        "cycle_ms": times,
        "cpu": cpu,
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
