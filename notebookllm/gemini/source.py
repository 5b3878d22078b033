"""Where a client's answers come from, as part of the response cache key.

Answers stored while the local emulator answered must never come back as real ones after the user sets a key, and
the other way round; so the cache key of a request holds its source: ``"service"`` (the Gemini API), ``"vertex"``
(Vertex AI), ``"local"`` (an emulator or anything on this machine, whatever its port: the embedded emulator gets a
new port in every process), or the host of any other endpoint (a proxy).

Example:
    >>> from google import genai
    >>> answer_source(genai.Client(api_key="k", http_options={"base_url": "http://127.0.0.1:8765/"}))
    'local'
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

__all__ = ["answer_source"]

_SERVICE_HOSTS = frozenset({"generativelanguage.googleapis.com"})
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})


def answer_source(client: Any) -> str:
    """``"service"``, ``"vertex"``, ``"local"`` or the endpoint's host name for a ``genai.Client``."""
    api = getattr(client, "_api_client", None)
    if api is None:  # not a genai.Client (a test double, a wrapper): its answers are its own
        return f"client:{type(client).__module__}.{type(client).__qualname__}"
    if getattr(api, "vertexai", False):
        return "vertex"
    options = getattr(api, "_http_options", None)
    host = urlsplit(str(getattr(options, "base_url", None) or "")).hostname or ""
    if not host or host in _SERVICE_HOSTS:
        return "service"
    if host in _LOCAL_HOSTS or host.startswith("127."):
        return "local"
    return host
