"""`workbench init` at a terminal: a passphrase too short is asked for again, not fatal."""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
from pathlib import Path

from tests.helpers import HANG_GUARD_SECONDS, WORKBENCH, cli_env, run_cli, wait_for


class Terminal:
    """`workbench ARGS` on a pseudo-terminal, as a person at a prompt runs it."""

    def __init__(self, home: Path, *args: str) -> None:
        self.master, slave = os.openpty()
        env = cli_env(home)
        env.pop("WORKBENCH_PASSPHRASE")
        self.process = subprocess.Popen(
            [*WORKBENCH, *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,  # no controlling terminal: getpass reads this one
        )
        os.close(slave)
        self.output = ""
        self.seen = 0  # what the last read_until matched ends here

    def read_until(self, text: str) -> str:
        """Everything written so far, once `text` comes after what the last call matched."""

        def arrived() -> bool:
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                with contextlib.suppress(OSError):  # the process ended and closed its side
                    self.output += os.read(self.master, 4096).decode(errors="replace")
            return text in self.output[self.seen :]

        wait_for(arrived, f"{text!r} on the terminal (after {self.output[self.seen :]!r})")
        self.seen = self.output.index(text, self.seen) + len(text)
        return self.output

    def type(self, line: str) -> None:
        os.write(self.master, f"{line}\n".encode())

    def close(self) -> int:
        code = self.process.wait(timeout=HANG_GUARD_SECONDS)
        os.close(self.master)
        return code


def test_a_short_passphrase_at_the_prompt_is_asked_for_again(home: Path) -> None:
    terminal = Terminal(home, "init")
    try:
        for typed in ("short", "x" * 7):
            terminal.read_until("Passphrase for the new store")
            terminal.type(typed)
            terminal.read_until("Repeat for confirmation")
            terminal.type(typed)
            terminal.read_until(f"the passphrase is too short ({len(typed)} characters)")
        terminal.read_until("Passphrase for the new store")
        terminal.type("long enough now")
        terminal.read_until("Repeat for confirmation")
        terminal.type("long enough now")
        terminal.read_until("Created the store")
    finally:
        code = terminal.close()
    assert code == 0
    opened = run_cli(home, "engine", "list", WORKBENCH_PASSPHRASE="long enough now")
    assert opened.returncode == 0 and "aws" in opened.stdout


def test_three_short_passphrases_end_it_with_one_clear_error(home: Path) -> None:
    terminal = Terminal(home, "init")
    try:
        for _ in range(3):
            terminal.read_until("Passphrase for the new store")
            terminal.type("short")
            terminal.read_until("Repeat for confirmation")
            terminal.type("short")
        shown = terminal.read_until("error: the passphrase is too short")
    finally:
        code = terminal.close()
    assert code == 1
    assert "Traceback" not in shown
    assert not list(home.glob("*.db"))  # nothing created


def test_a_short_passphrase_from_the_environment_is_a_clear_error(home: Path) -> None:
    done = run_cli(home, "init", WORKBENCH_PASSPHRASE="short")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "error: the passphrase is too short (5 characters); use at least 8"
    )
