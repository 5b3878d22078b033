"""notebookllm — run many Gemini calls from a notebook.

The public API is re-exported here; the layers behind it are ``notebookllm.core`` (provider-neutral engine),
``notebookllm.gemini``, ``notebookllm.store``, ``notebookllm.notebook`` and ``notebookllm.emulator``.
"""

from .core.attempt import AttemptContext, current_attempt
from .core.classification import DefaultErrorClassifier, ErrorClassifier, ErrorInfo
from .core.errors import (
    ConfigurationError,
    FrameworkTimeoutError,
    InvalidWorkItemError,
    ItemCancelledError,
    NotebookLLMError,
)
from .core.retry_state import RetryState
from .core.strategy import LLMCallStrategy
from .core.tokens import TokenUsage

__version__ = "0.1.0"

__all__ = [
    "AttemptContext",
    "ConfigurationError",
    "DefaultErrorClassifier",
    "ErrorClassifier",
    "ErrorInfo",
    "FrameworkTimeoutError",
    "InvalidWorkItemError",
    "ItemCancelledError",
    "LLMCallStrategy",
    "NotebookLLMError",
    "RetryState",
    "TokenUsage",
    "__version__",
    "current_attempt",
]
