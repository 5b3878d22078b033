"""Keeping API keys out of everything notebookllm shows or stores: error columns, HTML views, progress lines, the
SQLite store.

An SDK error message or a proxy's reply can quote the key it was sent; a saved notebook or a shared store would
then publish it. :func:`redact` replaces:

* every secret registered with :func:`register_secret` (``nl.connect(api_key=...)`` registers the key it uses),
* the keys in the environment (``GEMINI_API_KEY``, ``GOOGLE_API_KEY``),
* anything shaped like a Google API key, and the value of ``key=`` / ``api_key=`` / ``access_token=`` query
  parameters and ``x-goog-api-key`` headers quoted in a message.

Example:
    >>> redact("403 for key AIza" + "x" * 35)
    '403 for key [REDACTED]'
    >>> redact("GET /v1beta/models?key=abc123&alt=sse")
    'GET /v1beta/models?key=[REDACTED]&alt=sse'
"""

from __future__ import annotations

import hashlib
import logging
import os
import re

__all__ = ["REDACTED", "RedactingFilter", "get_logger", "key_fingerprint", "redact", "register_secret"]

REDACTED = "[REDACTED]"

_ENV_KEYS = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
# Secrets shorter than this are not worth replacing (and would mangle ordinary words).
_MIN_SECRET_LEN = 8
_PATTERN = re.compile(
    r"AIza[0-9A-Za-z_\-]{35}|(\b(?:api_?key|key|access_token)=|x-goog-api-key[\"']?\s*:\s*[\"']?)[^\s&\"',}]+",
    re.IGNORECASE,
)
_registered: set[str] = set()


def register_secret(value: str | None) -> None:
    """Have :func:`redact` replace ``value`` from now on (values shorter than 8 characters are ignored)."""
    if value and len(value) >= _MIN_SECRET_LEN:
        _registered.add(value)


def redact(text: str) -> str:
    """``text`` with every known secret and every key-shaped string replaced by ``[REDACTED]``."""
    for secret in _registered.union(os.environ.get(name) or "" for name in _ENV_KEYS):
        if len(secret) >= _MIN_SECRET_LEN and secret in text:
            text = text.replace(secret, REDACTED)
    return _PATTERN.sub(lambda m: (m.group(1) or "") + REDACTED, text)


class RedactingFilter(logging.Filter):
    """Rewrites a log record's message and traceback through :func:`redact` before any handler sees it.

    notebookllm's own loggers carry it (see :func:`get_logger`): an error message quoting a key back (a proxy
    echoing the request, a misconfigured gateway) never reaches a log unmasked.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact(record.exc_text or logging.Formatter().formatException(record.exc_info))
        return True


_FILTER = RedactingFilter()


def get_logger(name: str) -> logging.Logger:
    """The logger ``name`` with :class:`RedactingFilter` attached (every notebookllm module logs through one)."""
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger


def key_fingerprint(api_key: str | None) -> str | None:
    """A digest that tells keys apart without revealing them (16 hex digits of a salted SHA-256), or ``None``.

    What is stored to say which key made something (a batch job, an uploaded file) is this, never the key.

    >>> key_fingerprint("k1") != key_fingerprint("k2") and "k1" not in key_fingerprint("k1")
    True
    """
    if not api_key:
        return None
    return hashlib.sha256(b"notebookllm-key\0" + api_key.encode()).hexdigest()[:16]
