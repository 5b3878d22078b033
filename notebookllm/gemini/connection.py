"""Getting a ``genai.Client``: the real Gemini API when there is a key, else the embedded emulator, said plainly.

Example:
    >>> import notebookllm as nl
    >>> client = nl.connect()                  # GOOGLE_API_KEY / GEMINI_API_KEY set → real API; else the emulator
    >>> client = nl.connect(emulator=True)     # always the local emulator (offline, free, deterministic)
    >>> client = nl.connect(emulator=False)    # real API or MissingAPIKeyError naming the environment variables
    >>> client = nl.connect(model="gemini-3.5-flash-lite")   # the model strategies use when not given one

The default model can also be set once for every notebook with the environment variable ``NOTEBOOKLLM_MODEL``.
"""

from __future__ import annotations

import atexit
import html
import os
import threading
import time
from typing import TYPE_CHECKING, Any

from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from ..core.redaction import key_fingerprint, redact, register_secret
from ..quota_day import next_reset
from ._display import announce
from .classifier import is_key_error, is_model_not_found, retry_delay_of, spent_quota
from .errors import API_KEY_ENV_VARS, GeminiAccountError, GeminiError, GeminiModelUnavailableError, MissingAPIKeyError

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = [
    "DEFAULT_MODEL",
    "MODEL_ENV_VAR",
    "account_error",
    "account_of",
    "available_models",
    "connect",
    "default_client",
    "default_model",
    "embedded_emulator",
    "on_emulator",
]

DEFAULT_MODEL = "gemini-3.8-flash"
"""The newest generally available Flash model (read on ai.google.dev/gemini-api/docs/models, 2026-12-03).
The 2.5 family is deprecated and refused to new keys; 2.0 is shut down."""

MODEL_ENV_VAR = "NOTEBOOKLLM_MODEL"

_lock = threading.Lock()
_embedded: Emulator | None = None
_defaults: dict[str, Any] = {"client": None, "model": None}


def connect(
    api_key: str | None = None,
    *,
    emulator: bool | None = None,
    model: str | None = None,
    http_options: types.HttpOptions | dict[str, Any] | None = None,
) -> genai.Client:
    """A ``genai.Client`` for the real Gemini API, or for the embedded emulator when there is no key.

    Args:
        api_key: the Gemini API key; defaults to ``GOOGLE_API_KEY``, then ``GEMINI_API_KEY``.
        emulator: ``True`` always uses the local emulator, ``False`` never does (no key → :class:`MissingAPIKeyError`),
            ``None`` uses it only when there is no key. The emulator is started once per process and announced
            (an HTML banner in a notebook, an ``EmulatorInUseWarning`` in a terminal).
        model: the model Gemini strategies use when they are not given one (default: ``$NOTEBOOKLLM_MODEL``, else
            :data:`DEFAULT_MODEL`).
        http_options: passed to ``genai.Client`` (timeouts, retry options, ...).

    The returned client also becomes the default of Gemini strategies created without ``client=``.
    The key never appears in a repr or an error message of notebookllm.
    """
    key = None if emulator else (api_key or _key_from_env())
    if key is None and emulator is False:
        raise MissingAPIKeyError()
    if key is not None:
        register_secret(key)  # from now on redacted wherever notebookllm shows or stores text
        client = genai.Client(api_key=key, vertexai=False, http_options=http_options)
    else:
        emu = embedded_emulator()
        options = types.HttpOptions.model_validate(http_options or {}).model_copy(
            update={"base_url": emu.base_url, "api_version": "v1beta"}
        )
        client = genai.Client(api_key=emu.api_key, vertexai=False, http_options=options)
        why = "as asked" if emulator else f"because no Gemini API key is set ({' / '.join(API_KEY_ENV_VARS)})"
        announce(
            f"notebookllm: answers come from the local Gemini emulator at {emu.base_url} {why}; "
            "they are simulated, not Gemini's.",
            "<div style='padding:6px 10px;border-left:4px solid #e8a317;background:#fff8e6'>"
            f"<b>notebookllm is using the local Gemini emulator</b> {html.escape(why)}. Answers are simulated, "
            "not Gemini's. Set a key and call <code>nl.connect()</code> again for the real API.</div>",
        )
    with _lock:
        _defaults["client"] = client
        _defaults["model"] = model or _defaults["model"]
    return client


def default_client() -> genai.Client:
    """The client of the last :func:`connect` call; calls ``connect()`` if there was none."""
    with _lock:
        client = _defaults["client"]
    return client if client is not None else connect()


def default_model() -> str:
    """The model given to the last :func:`connect` call that named one, else ``$NOTEBOOKLLM_MODEL``, else
    :data:`DEFAULT_MODEL`."""
    return _defaults["model"] or os.environ.get(MODEL_ENV_VAR, "").strip() or DEFAULT_MODEL


async def available_models(client: genai.Client) -> list[str]:
    """The models ``client``'s key may use for ``generateContent`` (``models.list``), newest names first;
    empty when the list cannot be read."""
    try:
        pager = await client.aio.models.list(config={"page_size": 100})
        names = [
            (model.name or "").removeprefix("models/")
            async for model in pager
            if "generateContent" in (model.supported_actions or ())
        ]
    except Exception:  # the list only decorates an error message; never let it replace the error
        return []
    return sorted(filter(None, names), reverse=True)


async def account_error(client: genai.Client, model: str, exc: genai_errors.ClientError) -> GeminiError | None:
    """The error to raise instead of ``exc`` when it concerns the whole account, saying what to do: a retired or
    unknown model (:class:`GeminiModelUnavailableError`, listing the models the key can use), a refused key or a
    spent quota (:class:`GeminiAccountError`). ``None`` when ``exc`` concerns this request only."""
    detail = redact(exc.message or "")
    if is_model_not_found(exc):
        return GeminiModelUnavailableError(model, await available_models(client), detail or str(exc.code))
    if is_key_error(exc):
        return GeminiAccountError("auth", exc.code, exc.status, detail, model)
    spent = spent_quota(exc)
    if spent is not None:
        now = time.time()
        resets_at = None
        if spent == "daily":
            # Today's service often puts a per-minute window's seconds in a daily 429's RetryInfo ("36s", "47s" in
            # replies quoted on public issue trackers, 2026): no daily quota resets that soon, so the server's hint
            # counts only when it points past the documented reset.
            hint = retry_delay_of(exc)
            resets_at = max(next_reset(now), now + hint) if hint is not None else next_reset(now)
        return GeminiAccountError(
            "quota_exhausted", exc.code, exc.status, detail, model, spent=spent, resets_at=resets_at, now=now
        )
    return None


def account_of(client: genai.Client) -> tuple[str, str | None]:
    """``(base URL, key fingerprint)`` of ``client``: the account that batch jobs and uploaded files belong to,
    said without the key (see :func:`~notebookllm.core.redaction.key_fingerprint`)."""
    api = client._api_client
    return str(api._http_options.base_url or ""), key_fingerprint(api.api_key)


def embedded_emulator() -> Emulator:
    """The process-wide emulator behind ``connect()`` without a key, started on first use, stopped at exit."""
    global _embedded
    with _lock:
        if _embedded is None:
            from ..emulator import Emulator, EmulatorConfig

            emu = Emulator(EmulatorConfig(seed=0))
            emu.start()
            atexit.register(emu.stop)
            _embedded = emu
        return _embedded


def on_emulator(client: genai.Client | None = None) -> bool:
    """True when ``client``'s answers come from a notebookllm emulator running in this process, not from Gemini.

    Without ``client``: the client of the last :func:`connect` call, or, before any, whether ``connect()`` would
    choose the emulator (no key in the environment); nothing is started or sent. Tutorials use it to keep checks
    that only the emulator can pass (request counts, scripted faults) out of a run on the real API.

    Example:
        >>> if nl.on_emulator():                            # doctest: +SKIP
        ...     assert nl.gemini.embedded_emulator().count(endpoint="generateContent") == 30
    """
    if client is None:
        with _lock:
            client = _defaults["client"]
        if client is None:
            return _key_from_env() is None
    from ..emulator import Emulator

    options = getattr(getattr(client, "_api_client", None), "_http_options", None)
    return Emulator.serving(str(getattr(options, "base_url", None) or "")) is not None


def _key_from_env() -> str | None:
    # Same precedence as google-genai: GOOGLE_API_KEY wins over GEMINI_API_KEY.
    for name in API_KEY_ENV_VARS:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None
