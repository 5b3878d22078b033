"""A run's own HTTP session (notebookllm.gemini.transport): lean where that sends the same thing, the given client
where the environment would change the request (a proxy, a .netrc entry), closed when the run ends.

Every request goes through a recording relay on 127.0.0.1 in front of the emulator, through the real SDK: the relay
sees what the run sent, so the tests compare requests, not our internals.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from google import genai

import notebookllm as nl
from notebookllm.emulator import Emulator
from notebookllm.gemini import GeminiStrategy
from notebookllm.gemini import transport as transport_module
from notebookllm.gemini.transport import RunTransport

_PROXY_ENV = [n for name in ("HTTP", "HTTPS", "ALL", "NO") for n in (f"{name}_PROXY", f"{name.lower()}_proxy")]


class _Relay:
    """An HTTP server that records each request's headers and forwards it to the emulator: a reverse proxy when a
    client's base URL points at it, a forward proxy when ``HTTP_PROXY`` does (aiohttp sends it the absolute URL)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.seen: list[dict[str, str]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append(dict(request.headers))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                request.method, self.upstream + request.rel_url.path_qs, headers=headers, data=await request.read()
            ) as reply,
        ):
            body = await reply.read()
            return web.Response(status=reply.status, body=body, content_type=reply.content_type)


@pytest.fixture
async def relay(emulator: Emulator) -> AsyncIterator[tuple[_Relay, str]]:
    relay = _Relay(emulator.base_url)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", relay.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield relay, f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for name in _PROXY_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))


def _client_via(emulator: Emulator, url: str) -> genai.Client:
    """A client whose requests reach the emulator through the relay at ``url``."""
    return genai.Client(api_key=emulator.api_key, http_options={"base_url": url, "api_version": "v1beta"})


async def _run(client: Any, prompts: list[str]) -> nl.Results:
    return await nl.arun(prompts, prompt="{text}", strategy=GeminiStrategy(client), progress=False, cache=False)


async def test_a_run_sends_what_the_client_itself_sends(emulator: Emulator, relay: tuple[_Relay, str]) -> None:
    recorder, url = relay
    client = _client_via(emulator, url)
    await client.aio.models.generate_content(model="gemini-3.8-flash", contents="direct")
    results = await _run(client, ["one", "two"])
    assert [r.success for r in results] == [True, True]
    direct, *through_run = recorder.seen
    assert len(through_run) == 2
    for headers in through_run:
        assert {k: v for k, v in headers.items() if k != "Content-Length"} == {
            k: v for k, v in direct.items() if k != "Content-Length"
        }
    await client.aio.aclose()


async def test_a_proxy_in_the_environment_is_still_used(
    emulator: Emulator, relay: tuple[_Relay, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder, url = relay
    monkeypatch.setenv("HTTP_PROXY", url)  # the relay as a forward proxy; the client talks to the emulator
    client = emulator.client()
    results = await _run(client, ["one", "two", "three"])
    assert [r.success for r in results] == [True, True, True]
    assert len(recorder.seen) == 3  # a lean session (no environment) would have gone straight to the emulator
    await client.aio.aclose()


async def test_a_netrc_entry_for_the_host_is_still_sent(
    emulator: Emulator, relay: tuple[_Relay, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    recorder, url = relay
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login analyst password s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    client = _client_via(emulator, url)
    results = await _run(client, ["one"])
    assert [r.success for r in results] == [True]
    assert recorder.seen[0]["Authorization"].startswith("Basic ")  # as google-genai's own session sends it
    await client.aio.aclose()


async def test_the_lean_client_lives_while_a_run_is_open(emulator: Emulator) -> None:
    client = emulator.client()
    transport = RunTransport()
    await transport.open(client)
    await transport.open(client)  # a second run of the same strategy on this loop shares it
    lean = transport.client(client)
    assert lean is not client
    session = lean._api_client._http_options.aiohttp_client  # the SDK holds the session we gave it
    assert session.trust_env is False
    reply = await lean.aio.models.generate_content(model="gemini-3.8-flash", contents="hello")
    assert reply.text
    await transport.close()
    assert transport.client(client) is lean and not session.closed  # the other run still sends
    await transport.close()
    assert transport.client(client) is client and session.closed
    await client.aio.aclose()


async def test_a_client_given_its_own_session_is_used_as_given(emulator: Emulator) -> None:
    session = aiohttp.ClientSession(trust_env=True)
    client = emulator.client(aiohttp_client=session)
    transport = RunTransport()
    await transport.open(client)
    assert transport.client(client) is client
    await transport.close()
    assert not session.closed
    await session.close()


async def test_a_session_that_cannot_be_made_never_fails_the_run(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(client: Any) -> None:
        raise RuntimeError("no session today")

    monkeypatch.setattr(transport_module, "_lean", broken)
    client = emulator.client()
    results = await _run(client, ["one", "two"])
    assert [r.success for r in results] == [True, True]
    assert "sends through the client's own HTTP session" in caplog.text
    await client.aio.aclose()
