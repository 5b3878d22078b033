"""Fixtures of the batch tests: a ledger in a memory store, batches on the emulator, and a flaky front for it."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
from google import genai
from google.genai import types

from notebookllm.emulator import Emulator
from notebookllm.gemini import GeminiBatch, GeminiStrategy
from notebookllm.store import BatchLedger, Store

MODEL = "gemini-2.5-flash"


@pytest.fixture
def ledger() -> BatchLedger:
    return BatchLedger(Store.open(memory=True))


@pytest.fixture
def make_batch(emulator_client: genai.Client, ledger: BatchLedger) -> Callable[..., GeminiBatch]:
    """``make_batch(client=None, **strategy_options)``: a GeminiBatch on the shared emulator and ledger."""

    def make(client: genai.Client | None = None, *, batch_ledger: BatchLedger | None = None, **options: Any):
        batch_options = {k: options.pop(k) for k in ("filter_json", "inline_limit_bytes") if k in options}
        strategy = GeminiStrategy(client or emulator_client, MODEL, **options)
        return GeminiBatch(strategy, ledger=batch_ledger or ledger, **batch_options)

    return make


class FlakyFront:
    """An HTTP front for an emulator that answers the next ``fail_gets`` job polls (``GET .../batches/x``) with
    503 UNAVAILABLE and forwards everything else unchanged; ``on_cancel()``, when set, is called as a
    ``batches.cancel`` request arrives (before it is forwarded)."""

    def __init__(self, emulator: Emulator) -> None:
        self.target = urlsplit(emulator.base_url)
        self.fail_gets = 0
        self.failed = 0
        self.on_cancel: Callable[[], None] | None = None
        front = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                if self.command == "GET" and "/batches/" in self.path and front.fail_gets > 0:
                    front.fail_gets -= 1
                    front.failed += 1
                    body = json.dumps({"error": {"code": 503, "message": "blip", "status": "UNAVAILABLE"}}).encode()
                    self._reply(503, [("Content-Type", "application/json")], body)
                    return
                if self.command == "POST" and self.path.endswith(":cancel") and front.on_cancel is not None:
                    front.on_cancel()
                data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                conn = http.client.HTTPConnection(front.target.hostname, front.target.port, timeout=30)
                conn.request(self.command, self.path, data, headers)
                response = conn.getresponse()
                skip = ("transfer-encoding", "connection", "content-length")
                self._reply(response.status, [h for h in response.getheaders() if h[0].lower() not in skip],
                            response.read())  # fmt: skip
                conn.close()

            def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                self.send_response(status)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def client(self, api_key: str) -> genai.Client:
        options = types.HttpOptions(base_url=f"http://127.0.0.1:{self.server.server_port}", api_version="v1beta")
        return genai.Client(api_key=api_key, vertexai=False, http_options=options)


@pytest.fixture
def front_for() -> Iterator[Callable[[Emulator], FlakyFront]]:
    """``front_for(emulator)``: a started :class:`FlakyFront` for that emulator, shut down after the test."""
    fronts: list[FlakyFront] = []

    def make(emulator: Emulator) -> FlakyFront:
        front = FlakyFront(emulator)
        front.thread.start()
        fronts.append(front)
        return front

    yield make
    for front in fronts:
        front.server.shutdown()
        front.server.server_close()


@pytest.fixture
def flaky_front(emulator: Emulator, front_for: Callable[[Emulator], FlakyFront]) -> FlakyFront:
    return front_for(emulator)


@pytest.fixture
def seed_project(emulator_client: genai.Client, tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A project folder (the store goes there) whose default client, as after ``nl.connect()``, is the emulator's."""
    from notebookllm.gemini import connection

    monkeypatch.chdir(tmp_path)
    saved = dict(connection._defaults)
    connection._defaults.update(client=emulator_client, model=MODEL)
    yield tmp_path
    connection._defaults.update(saved)
    Store.open().close()
