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

__version__ = "0.1.0"

__all__ = [
    "AttemptContext",
    "BaseMiddleware",
    "BaseObserver",
    "BatchResult",
    "ConfigurationError",
    "DefaultErrorClassifier",
    "ErrorClassifier",
    "ErrorInfo",
    "FrameworkTimeoutError",
    "InvalidWorkItemError",
    "ItemCancelledError",
    "LLMCallStrategy",
    "LLMWorkItem",
    "MetricsObserver",
    "NotebookLLMError",
    "ParallelBatchProcessor",
    "PrepareOnceMixin",
    "ProcessingEvent",
    "ProcessorConfig",
    "RateLimitConfig",
    "RetryConfig",
    "RetryState",
    "TokenUsage",
    "WorkItemResult",
    "__version__",
    "backoff_delay",
    "current_attempt",
]
