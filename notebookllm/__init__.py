"""notebookllm — run many Gemini calls from a notebook.

The public API is re-exported here; the layers behind it are ``notebookllm.core`` (provider-neutral engine),
``notebookllm.gemini``, ``notebookllm.store``, ``notebookllm.notebook`` and ``notebookllm.emulator``.
"""

from .core.attempt import AttemptContext, current_attempt
from .core.backoff import backoff_delay
from .core.classification import DefaultErrorClassifier, ErrorClassifier, ErrorInfo
from .core.config import ProcessorConfig, RateLimitConfig, RetryConfig
from .core.errors import (
    ConfigurationError,
    FrameworkTimeoutError,
    InvalidWorkItemError,
    ItemCancelledError,
    NotebookLLMError,
)
from .core.events import BaseObserver, ProcessingEvent
from .core.metrics import MetricsObserver
from .core.middleware import BaseMiddleware
from .core.mixins import PrepareOnceMixin
from .core.processor import ParallelBatchProcessor
from .core.results import BatchResult, WorkItemResult
from .core.retry_state import RetryState
from .core.strategy import LLMCallStrategy
from .core.tokens import TokenUsage
from .core.work_item import LLMWorkItem
from .gemini import (
    PRICES_AS_OF,
    CacheVanishedError,
    GeminiBlockedError,
    GeminiCachedStrategy,
    GeminiEmptyResponseError,
    GeminiError,
    GeminiErrorClassifier,
    GeminiResponse,
    GeminiStrategy,
    MissingAPIKeyError,
    ModelPrice,
    connect,
    estimate_cost,
    set_price,
)
from .notebook import Comparison, Results, acompare, arun, compare, run
from .store import CacheMode, Store

__version__ = "0.1.0"

__all__ = [
    "PRICES_AS_OF",
    "AttemptContext",
    "BaseMiddleware",
    "BaseObserver",
    "BatchResult",
    "CacheMode",
    "CacheVanishedError",
    "Comparison",
    "ConfigurationError",
    "DefaultErrorClassifier",
    "ErrorClassifier",
    "ErrorInfo",
    "FrameworkTimeoutError",
    "GeminiBlockedError",
    "GeminiCachedStrategy",
    "GeminiEmptyResponseError",
    "GeminiError",
    "GeminiErrorClassifier",
    "GeminiResponse",
    "GeminiStrategy",
    "InvalidWorkItemError",
    "ItemCancelledError",
    "LLMCallStrategy",
    "LLMWorkItem",
    "MetricsObserver",
    "MissingAPIKeyError",
    "ModelPrice",
    "NotebookLLMError",
    "ParallelBatchProcessor",
    "PrepareOnceMixin",
    "ProcessingEvent",
    "ProcessorConfig",
    "RateLimitConfig",
    "Results",
    "RetryConfig",
    "RetryState",
    "Store",
    "TokenUsage",
    "WorkItemResult",
    "__version__",
    "acompare",
    "arun",
    "backoff_delay",
    "compare",
    "connect",
    "current_attempt",
    "estimate_cost",
    "run",
    "set_price",
]
