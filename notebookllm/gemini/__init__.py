"""The Gemini integration: ``connect()``, Gemini strategies, replies with metadata, error classification, prices,
Batch API jobs (``GeminiBatch``; the seed guide's ``GeminiLLM`` and ``LLMService``).

Example:
    >>> import notebookllm as nl
    >>> client = nl.connect()   # real API with GOOGLE_API_KEY / GEMINI_API_KEY, else the embedded emulator
    >>> strategy = nl.GeminiStrategy(client, include_metadata=True)   # the default model: nl.DEFAULT_MODEL
"""

from ._display import EmulatorInUseWarning
from .batch import BATCH_API_VERSION, DEFAULT_INLINE_LIMIT_BYTES, GeminiBatch, job_state
from .batch_errors import (
    BatchCancelError,
    BatchDeadlineError,
    BatchJobError,
    BatchJobFailedError,
    BatchJobLostError,
    BatchJobLostWarning,
    BatchJobNotDoneError,
    BatchRequestsFailedError,
    JsonReplyError,
)
from .batch_replies import BatchReply
from .cached import GeminiCachedStrategy
from .classifier import GeminiErrorClassifier
from .connection import (
    DEFAULT_MODEL,
    MODEL_ENV_VAR,
    available_models,
    connect,
    default_client,
    default_model,
    embedded_emulator,
    on_emulator,
)
from .context_cache import ContextCache
from .errors import (
    CacheVanishedError,
    GeminiAccountError,
    GeminiBlockedError,
    GeminiEmptyResponseError,
    GeminiError,
    GeminiFinishReasonError,
    GeminiModelUnavailableError,
    GeminiTruncatedError,
    MissingAPIKeyError,
)
from .finish_reasons import BLOCKED_REASON_OUTCOMES, FINISH_REASON_OUTCOMES, finish_outcome
from .gemini_llm import GeminiLLM
from .json_reply import JsonReply, parse_json_reply
from .llm_service import LLMService
from .media_parts import INLINE_REQUEST_LIMIT_BYTES, MediaParts
from .pricing import PRICES_AS_OF, ModelPrice, cache_saving, cache_storage_cost, estimate_cost, price_for, set_price
from .response import GeminiResponse, usage_of
from .strategy import GeminiStrategy

__all__ = [
    "BATCH_API_VERSION",
    "BLOCKED_REASON_OUTCOMES",
    "DEFAULT_INLINE_LIMIT_BYTES",
    "DEFAULT_MODEL",
    "FINISH_REASON_OUTCOMES",
    "INLINE_REQUEST_LIMIT_BYTES",
    "MODEL_ENV_VAR",
    "PRICES_AS_OF",
    "BatchCancelError",
    "BatchDeadlineError",
    "BatchJobError",
    "BatchJobFailedError",
    "BatchJobLostError",
    "BatchJobLostWarning",
    "BatchJobNotDoneError",
    "BatchReply",
    "BatchRequestsFailedError",
    "CacheVanishedError",
    "ContextCache",
    "EmulatorInUseWarning",
    "GeminiAccountError",
    "GeminiBatch",
    "GeminiBlockedError",
    "GeminiCachedStrategy",
    "GeminiEmptyResponseError",
    "GeminiError",
    "GeminiErrorClassifier",
    "GeminiFinishReasonError",
    "GeminiLLM",
    "GeminiModelUnavailableError",
    "GeminiResponse",
    "GeminiStrategy",
    "GeminiTruncatedError",
    "JsonReply",
    "JsonReplyError",
    "LLMService",
    "MediaParts",
    "MissingAPIKeyError",
    "ModelPrice",
    "available_models",
    "cache_saving",
    "cache_storage_cost",
    "connect",
    "default_client",
    "default_model",
    "embedded_emulator",
    "estimate_cost",
    "finish_outcome",
    "job_state",
    "on_emulator",
    "parse_json_reply",
    "price_for",
    "set_price",
    "usage_of",
]
