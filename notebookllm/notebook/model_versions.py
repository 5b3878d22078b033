"""Reproducibility when a model moves: a run whose model (usually an alias such as ``gemini-flash-latest``, which
Google points at newer models over time) now answers as a different model version than the rows the store holds
for it warns once, naming both.

Every result row carries the version that answered in ``Results.df["model_version"]`` (the reply's
``modelVersion``), rows served from the store and from batch jobs included.

Example:
    >>> import warnings
    >>> warnings.filterwarnings("ignore", category=ModelVersionWarning)  # to silence it  # doctest: +SKIP
    >>> results = nl.run(df, prompt="Classify: {review}", model="gemini-flash-latest")  # doctest: +SKIP
    ModelVersionWarning: gemini-flash-latest answered as gemini-3.8-flash-001 now; 120 stored rows came from
    gemini-3.7-flash-002
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..core.results import WorkItemResult
    from ..store import Store

__all__ = ["ModelVersionWarning", "version_change", "warn_if_version_changed"]


class ModelVersionWarning(UserWarning):
    """A model answered this run as another version than the store's earlier rows for it: the results mix two
    models. Filter it with ``warnings.filterwarnings("ignore", category=nl.ModelVersionWarning)``."""


def version_change(results: Iterable[WorkItemResult[Any, Any]], store: Store) -> str | None:
    """What changed: ``"gemini-flash-latest answered as X now; 120 stored rows came from Y"`` for each model whose
    fresh (not stored) replies in ``results`` came from a version the store's other rows of that model did not;
    ``None`` when nothing did. One indexed lookup per model answered."""
    answered: dict[str, str] = {}
    for result in results:
        metadata = result.metadata or {}
        model, version = metadata.get("model"), metadata.get("model_version")
        if not result.from_cache and model and version:
            answered.setdefault(model, version)
    changes = []
    for model, version in answered.items():
        earlier = {v: n for v, n in store.model_versions(model).items() if v != version}
        if earlier:
            came = "; ".join(f"{n:,} stored row{'s' if n != 1 else ''} came from {v}" for v, n in earlier.items())
            changes.append(f"{model} answered as {version} now; {came}")
    return " · ".join(changes) or None


def warn_if_version_changed(results: Iterable[WorkItemResult[Any, Any]], store: Store) -> None:
    """Warn (:class:`ModelVersionWarning`) once with :func:`version_change`'s text, when there is one."""
    change = version_change(results, store)
    if change is not None:
        warnings.warn(change, ModelVersionWarning, stacklevel=3)
