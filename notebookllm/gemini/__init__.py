"""The Gemini integration: ``connect()``, Gemini strategies, replies with metadata, error classification, prices,
Batch API jobs (``GeminiBatch``).

Example:
    >>> import notebookllm as nl
    >>> client = nl.connect()   # real API with GOOGLE_API_KEY / GEMINI_API_KEY, else the embedded emulator
    >>> strategy = nl.GeminiStrategy(client, "gemini-2.5-flash", include_metadata=True)
"""

from ._display import EmulatorInUseWarning
from .batch import DEFAULT_INLINE_LIMIT_BYTES, GeminiBatch, job_state
from .batch_errors import BatchDeadlineError, BatchJobError, BatchJobFailedError, BatchJobNotDoneError, JsonReplyError
from .batch_replies import BatchReply
from .batch_service import BatchService
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
from .json_reply import JsonReply, parse_json_reply
from .media_parts import INLINE_REQUEST_LIMIT_BYTES, MediaParts
from .pricing import PRICES_AS_OF, ModelPrice, estimate_cost, price_for, set_price
from .response import GeminiResponse, usage_of
from .strategy import GeminiStrategy

__all__ = [
    "DEFAULT_INLINE_LIMIT_BYTES",
    "DEFAULT_MODEL",
    "INLINE_REQUEST_LIMIT_BYTES",
    "PRICES_AS_OF",
    "BatchDeadlineError",
    "BatchJobError",
    "BatchJobFailedError",
    "BatchJobNotDoneError",
    "BatchReply",
    "BatchService",
    "CacheVanishedError",
    "ContextCache",
    "EmulatorInUseWarning",
    "GeminiBatch",
    "GeminiBlockedError",
    "GeminiCachedStrategy",
    "GeminiEmptyResponseError",
    "GeminiError",
    "GeminiErrorClassifier",
    "GeminiResponse",
    "GeminiStrategy",
    "JsonReply",
    "JsonReplyError",
    "MediaParts",
    "MissingAPIKeyError",
    "ModelPrice",
    "connect",
    "default_client",
    "default_model",
    "embedded_emulator",
    "estimate_cost",
    "job_state",
    "parse_json_reply",
    "price_for",
    "set_price",
    "usage_of",
]
