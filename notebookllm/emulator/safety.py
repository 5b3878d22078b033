"""Safety ratings for the four harm categories, and whether a request's safetySettings block a rating.

>>> ratings({"HARM_CATEGORY_HARASSMENT": "HIGH"}, blocked=None)[0]
{'category': 'HARM_CATEGORY_HARASSMENT', 'probability': 'HIGH'}
"""

from __future__ import annotations

from typing import Any

CATEGORIES = (
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
)
PROBABILITIES = ("NEGLIGIBLE", "LOW", "MEDIUM", "HIGH")
BLOCK_REASONS = ("SAFETY", "OTHER", "BLOCKLIST", "PROHIBITED_CONTENT", "IMAGE_SAFETY")

_ALIASES = {
    "harassment": "HARM_CATEGORY_HARASSMENT",
    "hate": "HARM_CATEGORY_HATE_SPEECH",
    "hate-speech": "HARM_CATEGORY_HATE_SPEECH",
    "hate_speech": "HARM_CATEGORY_HATE_SPEECH",
    "sexual": "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    "sexually-explicit": "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    "sexually_explicit": "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    "dangerous": "HARM_CATEGORY_DANGEROUS_CONTENT",
    "dangerous-content": "HARM_CATEGORY_DANGEROUS_CONTENT",
    "dangerous_content": "HARM_CATEGORY_DANGEROUS_CONTENT",
}
for _category in CATEGORIES:
    _ALIASES[_category.lower()] = _category

# Lowest probability each threshold blocks; the default (unset/unspecified/OFF/BLOCK_NONE) blocks nothing,
# as for the Gemini 2.x models.
_THRESHOLD_MIN_LEVEL = {"BLOCK_LOW_AND_ABOVE": 1, "BLOCK_MEDIUM_AND_ABOVE": 2, "BLOCK_ONLY_HIGH": 3}


def category_from_name(name: str) -> str:
    """``"harassment"`` / ``"hate"`` / ``"sexual"`` / ``"dangerous"`` (or the full enum name) → the enum name."""
    try:
        return _ALIASES[name.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown harm category {name!r} (harassment, hate, sexual, dangerous)") from None


def ratings(levels: dict[str, str], blocked: str | None) -> list[dict[str, Any]]:
    """One rating per category: ``levels`` overrides NEGLIGIBLE; ``blocked`` names the category that blocked.

    None at all when nothing was rated above NEGLIGIBLE and nothing blocked: today's service leaves
    ``safetyRatings`` out of ordinary replies (ratings appear only when a filter has something to say).
    """
    if not levels and blocked is None:
        return []
    result = []
    for category in CATEGORIES:
        rating: dict[str, Any] = {"category": category, "probability": levels.get(category, "NEGLIGIBLE")}
        if category == blocked:
            rating["blocked"] = True
        result.append(rating)
    return result


def blocking_category(levels: dict[str, str], safety_settings: list[dict[str, Any]] | None) -> str | None:
    """The first category whose rating reaches the request's threshold for it, else None."""
    if not levels or not safety_settings:
        return None
    for setting in safety_settings:
        category = setting.get("category")
        min_level = _THRESHOLD_MIN_LEVEL.get(setting.get("threshold", ""))
        level = levels.get(category or "")
        if min_level is not None and level is not None and PROBABILITIES.index(level) >= min_level:
            return category
    return None
