"""A real PostgreSQL server for the tests: Debian's `postgresql` package, started by the tests.

`initdb` and `pg_ctl` make a throwaway cluster in a temporary folder that
listens on a Unix socket only (no TCP port, nothing outside the machine).
As root the server runs as the `postgres` user, as PostgreSQL requires.
Each test gets its own empty database; the server is stopped at the end.
No mock: if PostgreSQL is missing, the tests that need it fail saying how
to install it.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

INSTALL_HINT = (
    "PostgreSQL's server programs (initdb, pg_ctl) were not found: install Debian's "
    "`postgresql` package (`apt-get install postgresql`; .ci/run does this), "
    "or put their folder on PATH"
)


def _find_bin(name: str) -> str:
    """`name` from PATH, else the newest /usr/lib/postgresql/N/bin."""
    roots = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    for folder in reversed(roots):
        candidate = folder / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise RuntimeError(INSTALL_HINT)


class PgServer:
    """One PostgreSQL cluster in a temporary folder, on a Unix socket."""

    def __init__(self) -> None:
        self.initdb = _find_bin("initdb")
        self.pg_ctl = _find_bin("pg_ctl")
        self.root = Path(tempfile.mkdtemp(prefix="wb-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "sock"
        self.socket_dir.mkdir()
        self._as_postgres = os.geteuid() == 0
        self.user = "postgres" if self._as_postgres else pwd.getpwuid(os.geteuid()).pw_name
        if self._as_postgres:
            info = pwd.getpwnam("postgres")
            for path in (self.root, self.socket_dir):
                os.chown(path, info.pw_uid, info.pw_gid)
            self.root.chmod(0o755)
            self.socket_dir.chmod(0o777)
        self._start()

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)

    def _start(self) -> None:
        done = self._run(
            self.initdb,
            "-D",
            str(self.data),
            "-U",
            self.user,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        if done.returncode:
            raise RuntimeError(f"initdb failed: {done.stderr.strip()}")
        options = (
            f"-c listen_addresses='' -c unix_socket_directories={self.socket_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        done = self._run(
            self.pg_ctl,
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        if done.returncode:
            log = (self.root / "log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"pg_ctl start failed: {done.stderr.strip()}\n{log}")

    def url(self, dbname: str = "postgres") -> str:
        """A libpq URL to `dbname` over the Unix socket."""
        return f"postgresql://{self.user}@/{dbname}?host={self.socket_dir}"

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        """Run SQL with psql; its output (tuples only)."""
        done = subprocess.run(
            ["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", self.url(dbname), "-c", sql],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        if done.returncode:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def new_database(self) -> str:
        """A fresh empty database; its URL."""
        name = f"wb_{secrets.token_hex(6)}"
        self.psql(f"CREATE DATABASE {name}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        # The path, not the last "/": the socket folder in ?host= has slashes too.
        name = urllib.parse.urlsplit(url).path.lstrip("/")
        with contextlib.suppress(RuntimeError):
            self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")
        for _ in range(50):
            if not (self.data / "postmaster.pid").exists():
                break
            time.sleep(0.1)
        shutil.rmtree(self.root, ignore_errors=True)
