"""The models the emulator serves (``models.get``/``models.list``); any other model answers 404 like the real API.

>>> model_resource("gemini-2.5-flash")["name"]
'models/gemini-2.5-flash'
"""

from __future__ import annotations

from typing import Any

from .errors import ApiError

KNOWN_MODELS: tuple[str, ...] = (
    "gemini-2.5-flash",
    "gemini-2.5-flash-lite",
    "gemini-2.5-pro",
    "gemini-2.0-flash",
    "gemini-2.0-flash-lite",
    "gemini-3-pro-preview",
    "gemini-flash-latest",
    "gemini-flash-lite-latest",
    "gemini-pro-latest",
)
_METHODS = ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]


def model_resource(model: str) -> dict[str, Any]:
    """The Model resource for a bare model id."""
    return {
        "name": f"models/{model}",
        "baseModelId": model,
        "version": "001",
        "displayName": model.replace("-", " ").title(),
        "description": "Served by the notebookllm emulator.",
        "inputTokenLimit": 1_048_576,
        "outputTokenLimit": 65_536,
        "supportedGenerationMethods": _METHODS,
        "temperature": 1.0,
        "topP": 0.95,
        "topK": 64,
        "maxTemperature": 2.0,
        "thinking": model.startswith(("gemini-2.5", "gemini-3")),
    }


def unknown_model(model: str, version: str) -> ApiError:
    """The real API's 404 for a model it doesn't serve."""
    return ApiError.not_found(
        f"models/{model} is not found for API version {version}, or is not supported for generateContent. "
        "Call ListModels to see the list of available models and their supported methods."
    )
