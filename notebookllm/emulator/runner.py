"""``Emulator``: the server in a background thread with its own event loop, plus the handles tests use.

>>> with Emulator(EmulatorConfig(seed=0)) as emu:            # doctest: +SKIP
...     reply = emu.client().models.generate_content(model="gemini-2.5-flash", contents="Hi")
...     emu.count(endpoint="generateContent")
1
"""

from __future__ import annotations

import asyncio
import functools
import socket
import ssl
import threading
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .config import EmulatorConfig
from .faults import Fault
from .log import LogRecord, RequestLog
from .server import EmulatorServer

if TYPE_CHECKING:
    from google import genai

_START_TIMEOUT_S = 30.0
# Requests still running at stop() (hangs) get this long before they are cancelled.
_SHUTDOWN_GRACE_S = 0.2


# Base URL → the emulator serving it, for the emulators running in this process (dict updates are atomic).
_serving: dict[str, Emulator] = {}


@functools.lru_cache(maxsize=1)
def _shared_ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context()


class Emulator:
    """A local Gemini API server. Start with ``with``/``async with``, or ``start()``/``stop()`` for the process
    lifetime. Keyword arguments override fields of ``config``: ``Emulator(seed=3, rpm=10)``."""

    def __init__(self, config: EmulatorConfig | None = None, **overrides: Any) -> None:
        self.config = replace(config or EmulatorConfig(), **overrides)
        self._server = EmulatorServer(self.config)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------------

    def start(self) -> Emulator:
        """Bind the port and serve in a daemon thread; returns once requests are accepted. Idempotent."""
        if self._thread is not None:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # as servers do: a restarted emulator gets its port back while the old connections sit in TIME_WAIT
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.config.host, self.config.port))
        sock.listen(1024)
        self._port = sock.getsockname()[1]
        ready = threading.Event()
        failure: list[BaseException] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._serve, args=(sock, ready, failure), name=f"notebookllm-emulator-{self._port}", daemon=True
        )
        self._thread.start()
        if not ready.wait(_START_TIMEOUT_S) or failure:
            self.stop()
            raise RuntimeError(f"the emulator failed to start: {failure[0] if failure else 'timeout'}")
        _serving[self.base_url] = self
        return self

    def stop(self) -> None:
        """Stop serving and join the thread. Idempotent."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        _serving.pop(self.base_url, None)
        if self._runner is not None and loop.is_running():
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(_START_TIMEOUT_S)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(_START_TIMEOUT_S)
        loop.close()
        self._loop = self._thread = self._runner = self._port = None

    def _serve(self, sock: socket.socket, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            self._runner = web.AppRunner(
                self._server.app(),
                handle_signals=False,
                access_log=None,
                shutdown_timeout=_SHUTDOWN_GRACE_S,
                handler_cancellation=True,  # a client that gives up (timeout during a hang) frees its handler
            )
            loop.run_until_complete(self._runner.setup())
            loop.run_until_complete(web.SockSite(self._runner, sock).start())
        except BaseException as exc:  # reported to start(), which raises
            failure.append(exc)
            ready.set()
            return
        ready.set()
        loop.run_forever()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def __aenter__(self) -> Emulator:
        return self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        self.stop()

    # -- connection ------------------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulator is not running; use `with Emulator() as emu` or emu.start()")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.config.host}:{self.port}"

    @staticmethod
    def serving(base_url: str) -> Emulator | None:
        """The emulator running in this process at ``base_url`` (a trailing ``/`` ignored), else None.

        >>> Emulator.serving("https://generativelanguage.googleapis.com") is None
        True
        """
        return _serving.get(base_url.rstrip("/"))

    @property
    def api_key(self) -> str:
        """The key the emulator expects (any non-empty key works when the config's api_key is None)."""
        return self.config.api_key or "emulator-key"

    def client(
        self,
        *,
        api_version: str | None = "v1beta",
        timeout_ms: int | None = None,
        api_key: str | None = None,
        **http_options: Any,
    ) -> genai.Client:
        """A ``genai.Client`` pointed at this emulator (``client.aio`` too); extra keywords go to HttpOptions.
        ``api_key`` defaults to the key the emulator expects (another key: for an emulator that accepts any);
        ``api_version=None`` leaves the SDK's default version.

        Keep the client in a variable: a collected ``genai.Client`` closes its transport, so a chained
        ``emu.client().models.generate_content(...)`` can fail with "the client has been closed".
        """
        from google import genai
        from google.genai import types

        # The SDK builds three TLS contexts per Client (~0.2 s) even for plain http; one shared context skips that
        # (aiohttp, a dependency of this package, is then the aio transport, which takes it as "ssl").
        context = _shared_ssl_context()
        http_options.setdefault("client_args", {"verify": context})
        http_options.setdefault("async_client_args", {"ssl": context})
        options = types.HttpOptions(base_url=self.base_url, api_version=api_version, timeout=timeout_ms, **http_options)
        return genai.Client(vertexai=False, api_key=api_key or self.api_key, http_options=options)

    # -- test handles ----------------------------------------------------------------------------------------------

    def script(self, match: str, faults: Iterable[str | int | Fault]) -> None:
        """The next generation requests whose prompt contains ``match`` fail as listed (fault specs: 503, "429",
        "429:7.5", "daily", "hang", "truncate", "non-json", ...), then succeed."""
        self._server.state.scripts.add(match, faults)

    def pending_faults(self) -> int:
        """How many scripted faults are still to happen (0 once every script has been served)."""
        return self._server.state.scripts.pending()

    def exhaust_daily_quota(self, model: str | None = None) -> None:
        """From now on (until reset) requests to ``model`` (every model if None) get the daily-quota 429."""
        self._server.state.quotas.exhaust_daily(model)

    def point_alias(self, alias: str, model: str) -> None:
        """From now on (until reset) replies to ``alias`` (e.g. ``"gemini-flash-latest"``) come from ``model``: their
        ``modelVersion`` names it, as when Google moves an alias to a newer model."""
        if alias not in self._server.state.aliases:
            raise ValueError(f"{alias!r} is not an alias; aliases: {', '.join(sorted(self._server.state.aliases))}")
        self._server.state.aliases[alias] = model

    @property
    def log(self) -> list[LogRecord]:
        """A snapshot of the request log."""
        return self._server.state.log.records()

    def count(self, endpoint: str | None = None, status: int | None = None, model: str | None = None) -> int:
        """How many logged requests match every given filter."""
        return self._server.state.log.count(endpoint=endpoint, status=status, model=model)

    def counts(self) -> dict[str, int]:
        """Requests per endpoint."""
        return self._server.state.log.counts()

    def batch_rows_billed(self) -> int:
        """How many batch requests the jobs have answered (billed at the batch price): with
        ``count(endpoint="generateContent")`` it tells how often each row of a run was paid for. Read from the
        request log (its ``generateContent.batch`` records), so :meth:`reset_log` starts it again too."""
        return self.count(endpoint="generateContent.batch", status=200)

    def reset_log(self) -> None:
        """Empty the request log (everything else is kept)."""
        self._server.state.log = RequestLog()

    def reset(self) -> None:
        """Fresh state: no caches, files, batches, scripts, quota usage, repeat counters or log."""
        self._server.reset()

    def __repr__(self) -> str:
        where = self.base_url if self._port is not None else "stopped"
        return f"Emulator({where}, seed={self.config.seed})"
