"""notebookllm — run many Gemini calls from a notebook.

The public API is re-exported here; the layers behind it are ``notebookllm.core`` (provider-neutral engine),
``notebookllm.gemini``, ``notebookllm.store``, ``notebookllm.notebook`` and ``notebookllm.emulator``.
"""

import importlib
from typing import TYPE_CHECKING, Any

from .core.attempt import AttemptContext, current_attempt
from .core.backoff import backoff_delay
from .core.budget import Budget, Charge
from .core.classification import DefaultErrorClassifier, ErrorClassifier, ErrorInfo
from .core.config import ProcessorConfig, RateLimitConfig, RetryConfig
from .core.errors import (
    BudgetExceededError,
    ConfigurationError,
    FrameworkTimeoutError,
    InvalidWorkItemError,
    ItemCancelledError,
    LLMProviderError,
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

# The layers above the engine load on first use: `import notebookllm` for the engine alone stays light (no
# google-genai, pandas or ipywidgets), and `nl.connect` / `nl.run` import what they need when first touched.
_LAZY: dict[str, str] = {
    **dict.fromkeys(
        (
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
            "GeminiBatch",
            "GeminiLLM",
            "LLMService",
            "JsonReply",
            "JsonReplyError",
            "job_state",
            "parse_json_reply",
            "CacheVanishedError",
            "GeminiAccountError",
            "GeminiBlockedError",
            "GeminiCachedStrategy",
            "GeminiEmptyResponseError",
            "GeminiError",
            "GeminiErrorClassifier",
            "GeminiFinishReasonError",
            "GeminiModelUnavailableError",
            "GeminiResponse",
            "GeminiStrategy",
            "GeminiTruncatedError",
            "MissingAPIKeyError",
            "DEFAULT_MODEL",
            "ModelPrice",
            "connect",
            "estimate_cost",
            "on_emulator",
            "set_price",
        ),
        "notebookllm.gemini",
    ),
    **dict.fromkeys(("Comparison", "Results", "acompare", "arun", "compare", "run"), "notebookllm.notebook"),
    **dict.fromkeys(
        (
            "ConfusionMatrix",
            "DeadlineOutcome",
            "Estimate",
            "Evaluation",
            "Judge",
            "JudgeVerdict",
            "Significance",
            "aestimate",
            "estimate",
            "exact",
            "field",
            "judge",
        ),
        "notebookllm.notebook",
    ),
    "ModelVersionWarning": "notebookllm.notebook",
    **dict.fromkeys(("BatchLedger", "CacheMode", "LedgerEntry", "Store", "UploadMemory"), "notebookllm.store"),
    **dict.fromkeys(("File", "MediaError", "MultimodalPrompt"), "notebookllm.media"),
}
_SUBPACKAGES = frozenset({"core", "emulator", "gemini", "media", "notebook", "store"})

if TYPE_CHECKING:
    from .gemini import (
        DEFAULT_MODEL,
        PRICES_AS_OF,
        BatchCancelError,
        BatchDeadlineError,
        BatchJobError,
        BatchJobFailedError,
        BatchJobLostError,
        BatchJobLostWarning,
        BatchJobNotDoneError,
        BatchReply,
        BatchRequestsFailedError,
        CacheVanishedError,
        GeminiAccountError,
        GeminiBatch,
        GeminiBlockedError,
        GeminiCachedStrategy,
        GeminiEmptyResponseError,
        GeminiError,
        GeminiErrorClassifier,
        GeminiFinishReasonError,
        GeminiLLM,
        GeminiModelUnavailableError,
        GeminiResponse,
        GeminiStrategy,
        GeminiTruncatedError,
        JsonReply,
        JsonReplyError,
        LLMService,
        MissingAPIKeyError,
        ModelPrice,
        connect,
        estimate_cost,
        job_state,
        on_emulator,
        parse_json_reply,
        set_price,
    )
    from .media import File, MediaError, MultimodalPrompt
    from .notebook import (
        Comparison,
        ConfusionMatrix,
        DeadlineOutcome,
        Estimate,
        Evaluation,
        Judge,
        JudgeVerdict,
        ModelVersionWarning,
        Results,
        Significance,
        acompare,
        aestimate,
        arun,
        compare,
        estimate,
        exact,
        field,
        judge,
        run,
    )
    from .store import BatchLedger, CacheMode, LedgerEntry, Store, UploadMemory


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_SUBPACKAGES})


__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MODEL",
    "PRICES_AS_OF",
    "AttemptContext",
    "BaseMiddleware",
    "BaseObserver",
    "BatchCancelError",
    "BatchDeadlineError",
    "BatchJobError",
    "BatchJobFailedError",
    "BatchJobLostError",
    "BatchJobLostWarning",
    "BatchJobNotDoneError",
    "BatchLedger",
    "BatchReply",
    "BatchRequestsFailedError",
    "BatchResult",
    "Budget",
    "BudgetExceededError",
    "CacheMode",
    "CacheVanishedError",
    "Charge",
    "Comparison",
    "ConfigurationError",
    "ConfusionMatrix",
    "DeadlineOutcome",
    "DefaultErrorClassifier",
    "ErrorClassifier",
    "ErrorInfo",
    "Estimate",
    "Evaluation",
    "File",
    "FrameworkTimeoutError",
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
    "InvalidWorkItemError",
    "ItemCancelledError",
    "JsonReply",
    "JsonReplyError",
    "Judge",
    "JudgeVerdict",
    "LLMCallStrategy",
    "LLMProviderError",
    "LLMService",
    "LLMWorkItem",
    "LedgerEntry",
    "MediaError",
    "MetricsObserver",
    "MissingAPIKeyError",
    "ModelPrice",
    "ModelVersionWarning",
    "MultimodalPrompt",
    "NotebookLLMError",
    "ParallelBatchProcessor",
    "PrepareOnceMixin",
    "ProcessingEvent",
    "ProcessorConfig",
    "RateLimitConfig",
    "Results",
    "RetryConfig",
    "RetryState",
    "Significance",
    "Store",
    "TokenUsage",
    "UploadMemory",
    "WorkItemResult",
    "__version__",
    "acompare",
    "aestimate",
    "arun",
    "backoff_delay",
    "compare",
    "connect",
    "current_attempt",
    "estimate",
    "estimate_cost",
    "exact",
    "field",
    "job_state",
    "judge",
    "on_emulator",
    "parse_json_reply",
    "run",
    "set_price",
]
