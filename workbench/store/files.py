"""Where the store lives, and keeping its files private (0700 / 0600)."""

from __future__ import annotations

import os
import stat
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
    """Create `path` (and parents) 0700 whatever the umask; an existing one must be private."""
    try:
        path.mkdir(parents=True, mode=0o700)
    except FileExistsError:
        check_private_home(path)
        return
    path.chmod(0o700)


def check_private_home(home: Path) -> None:
    """Refuse a store folder other users can write: they could swap the store or its locks."""
    from workbench.domain.errors import InvalidInput  # deferred: keeps this module import-light

    try:
        info = home.stat()
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(info.st_mode):
        raise InvalidInput(f"WORKBENCH_HOME {home} is not a folder; choose a folder for the store")
    if info.st_mode & 0o022:
        raise InvalidInput(
            f"WORKBENCH_HOME {home} is writable by other users (mode {info.st_mode & 0o777:04o}); "
            f"make it private with `chmod 700 {home}`, or choose another folder"
        )
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise InvalidInput(
            f"WORKBENCH_HOME {home} belongs to another user (uid {info.st_uid}); "
            "use a folder of your own"
        )


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


def flock_is_held(path: Path, *, if_unreadable: bool) -> bool:
    """Whether some process holds a flock on `path` (a shared probe, released at once).

    A missing file is not held; a file that cannot be opened answers `if_unreadable`.
    """
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    except OSError:
        return if_unreadable
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
