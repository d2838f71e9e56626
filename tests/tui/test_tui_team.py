"""Team mode in the TUI: bob's workbench on a shared PostgreSQL store shows alice's work live.

alice acts from another process (the CLI, her own key slot); bob's lease
table and audit stream follow through the store's change feed (LISTEN/NOTIFY),
with no reload pressed.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from tests.conftest import FAST_KDF, PASSPHRASE, MotoServer
from tests.e2e.conftest import WEBAPP
from tests.helpers import run_cli
from tests.tui.test_tui_leases import shown_ids
from tests.tui.tui_helpers import screen_text, settle, wait_until
from workbench.service import create_workbench, open_workbench, parse_location
from workbench.store import KdfParams
from workbench.tui.app import WorkbenchApp

BOB = "bob passphrase 42"


def _team_store(home: Path, aws: MotoServer, url: str) -> Any:
    location = parse_location(url, home)
    fast = KdfParams.fresh(**FAST_KDF)
    service = create_workbench(location, PASSPHRASE, operator="alice", kdf=fast)
    service.engines.point_at(
        "aws", aws.url, access_key="AKIAROOTEXAMPLE", secret_key="root-secret-value-123"
    )
    service.roles.write("aws", "webapp", WEBAPP)
    service.operators.add("bob", BOB, kdf=KdfParams.fresh(**FAST_KDF))
    service.close()
    return location


async def test_bob_sees_alices_lease_and_its_revocation_live(
    home: Path, aws: MotoServer, pg_url: str
) -> None:
    location = _team_store(home, aws, pg_url)
    bob = open_workbench(location, BOB, operator="bob")
    app = WorkbenchApp(home, "bob", service=bob, start_worker=False)
    try:
        async with app.run_test(size=(200, 50)) as pilot:  # wide: Issued by shows
            await settle(pilot)
            assert shown_ids(app) == []

            def alice(*args: str) -> Any:
                return run_cli(home, *args, WORKBENCH_STORE=pg_url, WORKBENCH_OPERATOR="alice")

            issued = await asyncio.to_thread(alice, "creds", "webapp", "--format", "json")
            assert issued.returncode == 0, issued.stderr
            written = time.monotonic()
            lease_id = json.loads(issued.stdout)["lease_id"]
            await wait_until(pilot, lambda: shown_ids(app) == [lease_id])
            print(f"bob's table showed alice's lease {time.monotonic() - written:.2f} s after")
            assert "alice" in screen_text(app)  # the Issued by column

            revoked = await asyncio.to_thread(alice, "lease", "revoke", lease_id)
            assert revoked.returncode == 0, revoked.stderr
            await wait_until(pilot, lambda: shown_ids(app) == [])
    finally:
        bob.close()
