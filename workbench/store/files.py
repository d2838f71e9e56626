"""Where the store lives, and keeping its files private (0700 / 0600)."""

from __future__ import annotations

import os
from pathlib import Path

DB_NAME = "workbench.db"


def default_home() -> Path:
    """`$WORKBENCH_HOME`, else the platform's per-user data folder."""
    env = os.environ.get("WORKBENCH_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs  # deferred: only needed when no home is given

    return Path(platformdirs.user_data_dir("lease-workbench", appauthor=False))


def db_path(home: Path) -> Path:
    """The database file of the store in `home`."""
    return home / DB_NAME


def store_exists(home: Path) -> bool:
    """Whether `home` holds a store (cheap: no SQLite import)."""
    return db_path(home).exists()


def make_private_dir(path: Path) -> None:
    """Create `path` (and parents) and make it 0700 whatever the umask."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)


def tighten(db_path: Path) -> None:
    """Make the database and its WAL/SHM companions 0600."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = db_path.with_name(db_path.name + suffix)
        try:
            if candidate.stat().st_mode & 0o077:
                candidate.chmod(0o600)
        except FileNotFoundError:
            continue


def create_private_file(path: Path) -> None:
    """Create an empty 0600 file that must not exist yet."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    path.chmod(0o600)
