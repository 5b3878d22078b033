"""The models the emulator serves (``models.get``/``models.list``), as today's service serves them.

Read on ai.google.dev (models, deprecations and caching pages) on 2026-12-03:

* current: the Gemini 3.x Flash models (3.8 newest), Flash-Lite (3.5, 3.1), the 3.1 Pro preview, and the
  ``-latest`` aliases. They think by default, except Flash-Lite;
* deprecated: the 2.5 family still answers keys that used it before, and refuses new keys with 404 "is no longer
  available to new users" (``EmulatorConfig(new_user=True)`` reproduces that);
* shut down: 2.0 and the 3 Pro preview answer 404 NOT_FOUND like any unknown model.

>>> model_resource("gemini-3.8-flash")["name"]
'models/gemini-3.8-flash'
>>> min_cache_tokens("gemini-2.5-flash"), min_cache_tokens("gemini-3.8-flash")
(2048, 4096)
>>> ALIASES["gemini-flash-latest"]
'gemini-3.8-flash'
"""

from __future__ import annotations

from typing import Any

from .errors import ApiError

CURRENT_MODELS: tuple[str, ...] = (
    "gemini-3.8-flash",
    "gemini-3.7-flash",
    "gemini-3.6-flash",
    "gemini-3.5-flash",
    "gemini-3.5-flash-lite",
    "gemini-3.1-flash-lite",
    "gemini-3.1-pro-preview",
    "gemini-3-flash-preview",
    "gemini-flash-latest",
    "gemini-flash-lite-latest",
    "gemini-pro-latest",
)
ALIASES: dict[str, str] = {
    "gemini-flash-latest": "gemini-3.8-flash",
    "gemini-flash-lite-latest": "gemini-3.5-flash-lite",
    "gemini-pro-latest": "gemini-3.1-pro-preview",
}
"""What each ``-latest`` alias resolves to today; a reply names the resolved model in ``modelVersion``, as the
service does (``EmulatorConfig(aliases=...)`` or ``Emulator.point_alias`` move an alias, as Google does over time)."""
DEPRECATED_MODELS: tuple[str, ...] = ("gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro")
SHUT_DOWN_MODELS: tuple[str, ...] = ("gemini-2.0-flash", "gemini-2.0-flash-lite", "gemini-3-pro-preview")
KNOWN_MODELS: tuple[str, ...] = CURRENT_MODELS + DEPRECATED_MODELS
"""Every model that answers (a deprecated one only for keys that used it before)."""

_METHODS = ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]


def thinks_by_default(model: str) -> bool:
    """Gemini 2.5 and 3.x models think unless told not to; Flash-Lite models do not."""
    return model.startswith(("gemini-2.5", "gemini-3", "gemini-flash-latest", "gemini-pro-latest")) and (
        "lite" not in model
    )


def min_cache_tokens(model: str) -> int:
    """The smallest context cache the service accepts for ``model`` (2,048 on 2.5, 4,096 on 3.x)."""
    return 2048 if model.startswith("gemini-2.") else 4096


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
    """The real API's 404 for a model it doesn't serve (shut down, misspelt)."""
    return ApiError.not_found(
        f"models/{model} is not found for API version {version}, or is not supported for generateContent. "
        "Call ListModels to see the list of available models and their supported methods."
    )


def retired_for_new_users(model: str) -> ApiError:
    """The real API's 404 for a deprecated model asked for by a key that never used it."""
    return ApiError.not_found(
        f"This model models/{model} is no longer available to new users. "
        "Please update your code to use a newer model for the latest features and improvements."
    )
