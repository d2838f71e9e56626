"""`workbench web`: the TUI in a browser on 127.0.0.1, open only to whoever holds the printed token.

The page drives a session that can create a store, unlock one and issue credentials, so
loopback is not enough: another local user, or a web page in the operator's browser, can
reach 127.0.0.1 too. Every request must carry the token (in the URL, or in the HttpOnly
cookie the first valid request sets), name this server as its Host, and, for the
websocket, come from this server's own origin.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hmac
import secrets
import shlex
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from textual_serve.server import Server

from workbench.domain.errors import WorkbenchError

HOST = "127.0.0.1"  # loopback only, and a token on top: the page can issue credentials
TEMPLATES = Path(__file__).with_name("web_templates")  # textual-serve's page minus Google Fonts

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def web_command(home: Path | str | None, operator: str | None = None) -> str:
    """The command each browser session runs: the workbench TUI (unlock screen first)."""
    command = [sys.executable, "-m", "workbench"]
    if home:
        command += ["--home", str(home)]
    if operator:
        command += ["--as", operator]
    return shlex.join(command)


def _authority(host: str, port: int) -> str:
    """How a browser names host:port in Host and Origin (it leaves out the default port)."""
    return host if port == 80 else f"{host}:{port}"


class TokenServer(Server):
    """textual-serve's Server behind a guard: no token, a foreign Host or Origin -> 403."""

    def __init__(self, command: str, *, port: int, token: str | None = None) -> None:
        super().__init__(
            command, host=HOST, port=port, title="Lease Workbench", templates_path=TEMPLATES
        )
        self.token = token or secrets.token_urlsafe(32)
        self.cookie_name = f"workbench-web-{port}"  # cookies ignore ports; servers must not mix
        self.hosts = frozenset(_authority(name, port) for name in (HOST, "localhost"))
        self.origins = frozenset(f"http://{host}" for host in self.hosts)

    @property
    def url(self) -> str:
        """The URL to open: the page, with the token that lets it in."""
        return f"{self.public_url}/?token={self.token}"

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._guard)
        return app

    async def on_startup(self, app: web.Application) -> None:
        """Say nothing yet: the URL is printed once the port listens (see `_announce`)."""

    def _announce(self, *_aiohttp_banner: object) -> None:
        print(f"Lease Workbench on {self.url}", flush=True)
        print("Open that URL in a browser; requests without its token are refused.", flush=True)
        print("Press Ctrl+C to stop.", flush=True)

    def serve(self, debug: bool = False) -> None:
        """Serve until SIGINT/SIGTERM, with no access log (the first request line has the token)."""
        self.debug = debug
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # Windows: Ctrl+C still stops it
                loop.add_signal_handler(signum, self.request_exit)
        web.run_app(
            self._make_app(),
            host=self.host,
            port=self.port,
            handle_signals=False,
            loop=loop,
            access_log=None,
            print=self._announce,  # called once the site listens
        )

    def _is_token(self, offered: str | None) -> bool:
        """Whether `offered` is the token (compared in constant time)."""
        if offered is None:
            return False
        return hmac.compare_digest(offered.encode("utf-8", "replace"), self.token.encode())

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Refuse what lacks the token, names another Host, or comes from another origin."""
        if request.host not in self.hosts:
            raise web.HTTPForbidden(text="Forbidden: this server answers only to 127.0.0.1.\n")
        offered = request.query.get("token")
        if not (self._is_token(offered) or self._is_token(request.cookies.get(self.cookie_name))):
            raise web.HTTPForbidden(text="Forbidden: open the URL `workbench web` printed.\n")
        origin = request.headers.get("Origin")
        is_websocket = request.headers.get("Upgrade", "").lower() == "websocket"
        if (origin is not None or is_websocket) and origin not in self.origins:
            raise web.HTTPForbidden(text="Forbidden: a page from another origin.\n")
        response = await handler(request)
        if not response.prepared:  # a websocket or a download has sent its headers already
            response.headers["Referrer-Policy"] = "no-referrer"
            response.headers["X-Frame-Options"] = "DENY"
            if self._is_token(offered):
                response.set_cookie(
                    self.cookie_name, self.token, path="/", httponly=True, samesite="Strict"
                )
        return response


def serve(*, home: Path | str | None, port: int, operator: str | None = None) -> None:
    """Serve until interrupted; every browser tab gets its own workbench process."""
    server = TokenServer(web_command(home, operator), port=port)
    try:
        server.serve()
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        raise WorkbenchError(
            f"port {port} on {HOST} is already in use; choose another with --port"
        ) from None
