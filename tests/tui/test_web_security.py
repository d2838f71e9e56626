"""`workbench web` over real HTTP: only the printed token (and this server's origin) gets in."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from textual.widgets import Input, Static

from tests.conftest import PASSPHRASE
from tests.tui.tui_helpers import settle
from workbench.store import Store
from workbench.tui.main_screen import MainScreen
from workbench.tui.unlock import UnlockScreen, retry_delay

URL_LINE = re.compile(r"Lease Workbench on (http://127\.0\.0\.1:(\d+)/\?token=([\w-]+))")


@dataclass
class Served:
    """A running `workbench web`: its printed URL, base, port and token."""

    url: str
    base: str
    port: int
    token: str
    process: subprocess.Popen[str]

    @property
    def cookie(self) -> dict[str, str]:
        return {f"workbench-web-{self.port}": self.token}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _stop(process: subprocess.Popen[str]) -> None:
    """SIGTERM the server (it stops its sessions), then make sure its whole group is gone."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    with contextlib.suppress(ProcessLookupError):  # a session's TUI that outlived the server
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    home, free_port = str(tmp_path / "home"), str(_free_port())
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench", "--home", home, "web", "--port", free_port],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, so every process it starts is ours to end
    )
    try:
        assert process.stdout is not None
        printed = ""
        while not (found := URL_LINE.search(printed)):
            line = process.stdout.readline()
            assert line, f"workbench web exited before printing its URL:\n{printed}"
            printed += line
        url, port, token = found.group(1), int(found.group(2)), found.group(3)
        yield Served(url, f"http://127.0.0.1:{port}", port, token, process)
    finally:
        _stop(process)


def test_the_printed_url_carries_a_long_random_token(served: Served) -> None:
    assert len(served.token) >= 43  # secrets.token_urlsafe(32)
    assert served.url == f"{served.base}/?token={served.token}"


async def test_the_page_needs_the_token(served: Served) -> None:
    async with aiohttp.ClientSession() as client:
        async with client.get(f"{served.base}/") as response:
            assert response.status == 403
        async with client.get(f"{served.base}/?token=not-the-token") as response:
            assert response.status == 403
        async with client.get(f"{served.base}/?token={served.token[:-1]}é") as response:
            assert response.status == 403
        async with client.get(f"{served.base}/static/js/textual.js") as response:
            assert response.status == 403
        async with client.get(f"{served.base}/ws") as response:
            assert response.status == 403


async def test_the_token_opens_the_page_and_its_cookie_the_rest(served: Served) -> None:
    # unsafe=True: keep cookies for an IP address host, as browsers do.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        async with client.get(served.url) as response:
            assert response.status == 200
            page = await response.text()
            cookie = response.cookies[f"workbench-web-{served.port}"]
        assert cookie.value == served.token
        assert cookie["httponly"] and cookie["samesite"] == "Strict"
        assert "textual-terminal" in page
        # Nothing from another host: no Google Fonts, no CDN, every asset from this server.
        assert re.findall(r"https?://[^\s\"')]+", page) == []
        assert '<script src="/static/js/textual.js">' in page
        # The page's own requests carry no token, only the cookie the client now holds.
        async with client.get(f"{served.base}/static/js/textual.js") as response:
            assert response.status == 200
        async with client.get(f"{served.base}/static/fonts/RobotoMono-VariableFont_wght.ttf") as r:
            assert r.status == 200


async def test_the_token_is_printed_once_and_not_logged_with_each_request(served: Served) -> None:
    async with aiohttp.ClientSession() as client:
        for _ in range(3):
            async with client.get(served.url) as response:
                assert response.status == 200
    _stop(served.process)
    assert served.process.stdout is not None
    assert served.token not in served.process.stdout.read()


async def test_another_host_name_is_refused_even_with_the_token(served: Served) -> None:
    # A DNS-rebinding page reaches 127.0.0.1 under its own name.
    async with aiohttp.ClientSession() as client:
        async with client.get(served.url, headers={"Host": "evil.example"}) as response:
            assert response.status == 403
        async with client.get(served.url, headers={"Host": f"localhost:{served.port}"}) as r:
            assert r.status == 200


async def _upgrade(served: Served, *, cookies: dict[str, str], origin: str | None) -> int:
    """The status of a websocket handshake to /ws (101 when accepted)."""
    headers = {"Origin": origin} if origin else {}
    async with aiohttp.ClientSession(cookies=cookies) as client:
        try:
            async with client.ws_connect(
                f"{served.base}/ws?width=80&height=24", headers=headers
            ) as websocket:
                await websocket.close()
                return 101
        except aiohttp.WSServerHandshakeError as refused:
            return refused.status


async def test_the_websocket_needs_the_cookie_and_this_origin(served: Served) -> None:
    same_origin = served.base
    assert await _upgrade(served, cookies={}, origin=same_origin) == 403
    wrong_cookie = {f"workbench-web-{served.port}": served.token[:-1]}
    assert await _upgrade(served, cookies=wrong_cookie, origin=same_origin) == 403
    assert await _upgrade(served, cookies=served.cookie, origin="http://evil.example") == 403
    assert (
        await _upgrade(served, cookies=served.cookie, origin=f"{same_origin}.evil.example") == 403
    )
    assert await _upgrade(served, cookies=served.cookie, origin=None) == 403
    assert await _upgrade(served, cookies=served.cookie, origin=same_origin) == 101
    localhost = f"http://localhost:{served.port}"
    assert await _upgrade(served, cookies=served.cookie, origin=localhost) == 101


def _workbench(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_without_the_web_extra_it_says_what_to_install(tmp_path: Path) -> None:
    blocker = tmp_path / "blocked" / "textual_serve"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('textual-serve is not installed')\n")
    env = {**os.environ, "PYTHONPATH": str(blocker.parent)}
    result = _workbench("--home", str(tmp_path / "home"), "web", "--port", "1", env=env)
    assert result.returncode == 1
    assert result.stderr == (
        "error: workbench web needs the web extra: pip install 'lease-workbench[web]'\n"
    )


def test_a_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _workbench("--home", str(tmp_path / "home"), "web", "--port", str(port))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: port {port} on 127.0.0.1 is already in use; choose another with --port"
    )
    assert "Traceback" not in result.stderr


def test_each_wrong_passphrase_after_the_first_doubles_the_wait_up_to_a_minute() -> None:
    assert [retry_delay(failures) for failures in range(1, 10)] == [0, 1, 2, 4, 8, 16, 32, 60, 60]


async def test_wrong_passphrases_make_the_next_try_wait(store: Store, make_app: Any) -> None:
    store.close()
    app = make_app()
    now = [1000.0]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)  # the screen looks for the store off the UI thread
        screen = app.screen
        assert isinstance(screen, UnlockScreen)
        screen.clock = lambda: now[0]
        field = screen.query_one("#passphrase", Input)
        error = screen.query_one("#unlock-error", Static)

        async def attempt(passphrase: str) -> None:
            field.value = passphrase
            await pilot.press("enter")
            await settle(pilot)

        await attempt("wrong once")
        assert str(error.render()) == "Wrong passphrase; try again."
        await attempt("wrong twice")
        assert str(error.render()) == "Wrong passphrase; try again in 1 s."
        await attempt(PASSPHRASE)  # even the right one is refused until the wait is over
        assert app.screen is screen
        assert str(error.render()) == "Too many wrong passphrases; wait 1 s."
        now[0] += 0.5
        await attempt(PASSPHRASE)
        assert app.screen is screen
        now[0] += 0.5
        await attempt("wrong a third time")
        assert str(error.render()) == "Wrong passphrase; try again in 2 s."
        now[0] += 2
        await attempt(PASSPHRASE)
        assert isinstance(app.screen, MainScreen)
