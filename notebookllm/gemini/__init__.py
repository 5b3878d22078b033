"""The Gemini integration: ``connect()``, Gemini strategies, replies with metadata, error classification, prices.

Example:
    >>> import notebookllm as nl
    >>> client = nl.connect()   # real API with GOOGLE_API_KEY / GEMINI_API_KEY, else the embedded emulator
    >>> strategy = nl.GeminiStrategy(client, "gemini-2.5-flash", include_metadata=True)
"""

from ._display import EmulatorInUseWarning
from .cached import GeminiCachedStrategy
from .classifier import GeminiErrorClassifier
from .connection import DEFAULT_MODEL, connect, default_client, default_model, embedded_emulator
from .context_cache import ContextCache
from .errors import (
    CacheVanishedError,
    GeminiBlockedError,
    GeminiEmptyResponseError,
    GeminiError,
    MissingAPIKeyError,
)
from .pricing import PRICES_AS_OF, ModelPrice, estimate_cost, price_for, set_price
from .response import GeminiResponse, usage_of
from .strategy import GeminiStrategy

__all__ = [
    "DEFAULT_MODEL",
    "PRICES_AS_OF",
    "CacheVanishedError",
    "ContextCache",
    "EmulatorInUseWarning",
    "GeminiBlockedError",
    "GeminiCachedStrategy",
    "GeminiEmptyResponseError",
    "GeminiError",
    "GeminiErrorClassifier",
    "GeminiResponse",
    "GeminiStrategy",
    "MissingAPIKeyError",
    "ModelPrice",
    "connect",
    "default_client",
    "default_model",
    "embedded_emulator",
    "estimate_cost",
    "price_for",
    "set_price",
    "usage_of",
]
