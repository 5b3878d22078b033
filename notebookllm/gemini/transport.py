"""The HTTP session a run's Gemini requests go through: the SDK's own, minus aiohttp's per-request environment lookups.

google-genai sends ``client.aio`` requests through an aiohttp session it creates with ``trust_env=True``. aiohttp then
looks, for every request, for a proxy in the environment and for credentials in ``~/.netrc``, each in a worker
thread (aiohttp 3.14): two hand-overs between threads a request. Measured end to end (2,000 requests, 200 at a time,
the emulator in its own process answering after 100 ms, the client on one core): 2.29 ms of client CPU a request
through the SDK's session, 1.67 ms through the same session without the lookups — 1.38× the requests a second.

So while a run of a :class:`~notebookllm.gemini.GeminiStrategy` is open on an event loop, its requests go through a
session of its own made with ``trust_env=False`` (a session belongs to one loop), handed to a ``genai.Client`` like the
user's through the SDK's public ``HttpOptions(aiohttp_client=...)``; the run's end closes it. Only where that sends the
same bytes to the same place: a Gemini API key client on the SDK's default aiohttp transport, an SDK that takes a
session, no proxy in the environment for the endpoint and no ``.netrc`` entry for its host (read once, when the run
opens). Otherwise the run sends through the client as given. Uploads, caches and batch jobs always use the given
client.

Example:
    >>> transport = RunTransport()
    >>> async def run(client):
    ...     await transport.open(client)                # on the run's loop
    ...     try:
    ...         return await transport.client(client).aio.models.generate_content(model="m", contents="hi")
    ...     finally:
    ...         await transport.close()
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import aiohttp
from aiohttp.helpers import basicauth_from_netrc, get_env_proxy_for_url, netrc_from_env
from google import genai
from google.genai import types
from yarl import URL

from ..core.redaction import get_logger

__all__ = ["RunTransport"]

_log = get_logger(__name__)

_DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/"
_READ_BUFFER_SIZE = 2**22  # what google-genai gives its own session: whole large replies in one read


@dataclass
class _Lean:
    client: genai.Client = field(repr=False)  # holds the key
    session: aiohttp.ClientSession


class RunTransport:
    """Which client a strategy's requests use on each event loop: a lean one while a run is open there.

    Runs may overlap (two processors sharing a strategy): the lean client lives until the last of them closes.
    """

    def __init__(self) -> None:
        self._runs: dict[asyncio.AbstractEventLoop, int] = {}
        self._open: dict[asyncio.AbstractEventLoop, _Lean] = {}

    async def open(self, client: genai.Client) -> None:
        """A run starts on the running loop: make the lean client for ``client`` unless a run is open here."""
        loop = asyncio.get_running_loop()
        runs = self._runs.get(loop, 0)
        if runs == 0:
            try:
                lean = await _lean(client)
            except Exception:  # a saving, never a reason for a run to fail: send through the client as given
                _log.warning("notebookllm: the run sends through the client's own HTTP session", exc_info=True)
                lean = None
            if lean is not None:
                self._open[loop] = lean
        self._runs[loop] = runs + 1

    def client(self, client: genai.Client) -> genai.Client:
        """The client to send through on the running loop: the lean one while a run is open, else ``client``."""
        lean = self._open.get(asyncio.get_running_loop())
        return client if lean is None else lean.client

    async def close(self) -> None:
        """A run on the running loop ended; the last one closes the lean client."""
        loop = asyncio.get_running_loop()
        runs = self._runs.get(loop, 0) - 1
        if runs > 0:
            self._runs[loop] = runs
            return
        self._runs.pop(loop, None)
        lean = self._open.pop(loop, None)
        if lean is not None:
            try:
                await lean.client.aio.aclose()
                lean.client.close()
            finally:
                await lean.session.close()


async def _lean(client: genai.Client) -> _Lean | None:
    """A client sending like ``client`` through a ``trust_env=False`` session on the running loop, or ``None`` where
    that could change what is sent (see the module docstring)."""
    if "aiohttp_client" not in types.HttpOptions.model_fields:  # an SDK too old to take a session
        return None
    api = getattr(client, "_api_client", None)
    if api is None or api.vertexai or not api.api_key:
        return None
    options: types.HttpOptions = api._http_options
    async_args = dict(options.async_client_args or {})
    if options.aiohttp_client is not None or options.httpx_async_client is not None or "transport" in async_args:
        return None  # the user chose the transport
    if _environment_applies(URL(options.base_url or _DEFAULT_BASE_URL)):
        return None
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), trust_env=False, read_bufsize=_READ_BUFFER_SIZE
    )
    update: dict[str, object] = {"aiohttp_client": session}
    # The TLS context the client's own aiohttp requests carry; given none, the SDK builds three (~0.05 s each).
    context = getattr(api, "_async_client_session_request_args", {}).get("ssl")
    if context is not None:
        update["client_args"] = {"verify": context, **(options.client_args or {})}
        update["async_client_args"] = {"ssl": context, **async_args}
    try:
        lean = genai.Client(vertexai=False, api_key=api.api_key, http_options=options.model_copy(update=update))
    except BaseException:
        await session.close()
        raise
    return _Lean(lean, session)


def _environment_applies(url: URL) -> bool:
    """Whether aiohttp's ``trust_env`` would change a request to ``url``: a proxy or a ``.netrc`` entry applies."""
    for lookup in (get_env_proxy_for_url, lambda u: basicauth_from_netrc(netrc_from_env(), u.host or "")):
        try:
            lookup(url)
        except LookupError:
            continue
        return True
    return False
