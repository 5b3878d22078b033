"""Keeping API keys out of everything this layer shows: error columns, HTML views, progress lines.

An SDK error message or a proxy's reply can quote the key it was sent; a saved notebook would then publish it.
The keys in the environment (``GEMINI_API_KEY``, ``GOOGLE_API_KEY``) and anything shaped like a Google API key
are replaced by ``[REDACTED]``.

Example:
    >>> redact("403 for key AIza" + "x" * 35)
    '403 for key [REDACTED]'
"""

from __future__ import annotations

import os
import re

__all__ = ["REDACTED", "redact"]

REDACTED = "[REDACTED]"

_ENV_KEYS = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
_GOOGLE_KEY = re.compile(r"AIza[0-9A-Za-z_\-]{35}")
# Secrets shorter than this are not worth replacing (and would mangle ordinary words).
_MIN_SECRET_LEN = 8


def _secrets() -> set[str]:
    found = {os.environ.get(name) or "" for name in _ENV_KEYS}
    return {s for s in found if len(s) >= _MIN_SECRET_LEN}


def redact(text: str) -> str:
    """``text`` with every known secret and every Google-API-key-shaped string replaced by ``[REDACTED]``."""
    for secret in _secrets():
        if secret in text:
            text = text.replace(secret, REDACTED)
    return _GOOGLE_KEY.sub(REDACTED, text)
