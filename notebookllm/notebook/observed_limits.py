"""Limits a run observes: a 429 reports the limit it enforced (``QuotaFailure`` ``quotaValue``). The run's store
keeps the latest per account and model, and a later run of that model given no ``rpm=``/``tpm=`` paces at the
per-minute ones, saying so once (``mode="auto"`` then plans with them too).

Only runs with a store (``cache`` not off) and one ``GeminiStrategy`` record and use them.

Example:
    >>> results = nl.run(df, prompt="Classify: {review}")            # a 429 reports 10 requests/min  # doctest: +SKIP
    >>> results = nl.run(df2, prompt="Classify: {review}")                                         # doctest: +SKIP
    notebookllm: pacing at 10 requests/min, the limit Google reported on 2026-12-03 (pass rpm= to choose)
    >>> observed_limits(nl.Store.open(), "gemini-3.8-flash").rpm                                  # doctest: +SKIP
    10.0
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..core.classification import ErrorClassifier, ErrorInfo
from ..core.work_item import LLMWorkItem

if TYPE_CHECKING:
    from google import genai

    from ..gemini import GeminiStrategy
    from ..store import Store
    from ..store.limits import ObservedLimits
    from .runner import RunOptions

__all__ = ["LimitRecorder", "account_name", "observed_limits", "pace_at_observed", "recorder_for"]


def account_name(client: genai.Client) -> str:
    """The account limits are kept under: base URL and key fingerprint (never the key)."""
    from ..gemini.connection import account_of

    base_url, fingerprint = account_of(client)
    return f"{base_url} {fingerprint or '-'}"


def observed_limits(store: Store, model: str, *, client: genai.Client | None = None) -> ObservedLimits | None:
    """The limits Google last reported for ``model`` to ``client``'s account (any account when ``None``), from
    ``store``; ``None`` when no 429 reported one. ``.rpm`` / ``.tpm`` are per minute, ``.rpd`` / ``.tpd`` per day.

    Example:
        >>> from notebookllm.store import Store
        >>> observed_limits(Store.open(memory=True), "gemini-3.8-flash") is None
        True
    """
    return store.observed_limits(model, None if client is None else account_name(client))


class LimitRecorder(ErrorClassifier):
    """Classifies with ``delegate`` and keeps the limits a 429 reports in ``store`` (429s are rare, and classifying
    happens only for failed attempts: nothing is added to the success path)."""

    def __init__(self, delegate: ErrorClassifier, store: Store, strategy: GeminiStrategy) -> None:
        self._delegate = delegate
        self._store = store
        self._model = strategy.model
        self._account = account_name(strategy.client)
        self._kept: dict[str, dict[str, float]] = {}  # written once per run and value: a 429 storm writes nothing more

    def classify(self, exc: BaseException) -> ErrorInfo:
        from google.genai import errors as genai_errors

        from ..gemini.classifier import reported_limits

        api = exc if isinstance(exc, genai_errors.APIError) else exc.__cause__  # a spent quota wraps the 429
        if isinstance(api, genai_errors.APIError):
            for model, limits in reported_limits(api, self._model).items():
                kept = self._kept.setdefault(model, {})
                new = {kind: value for kind, value in limits.items() if kept.get(kind) != value}
                if new:
                    self._store.remember_limits(self._account, model, new)
                    kept.update(new)
        return self._delegate.classify(exc)


def recorder_for(
    delegate: ErrorClassifier, items: Sequence[LLMWorkItem[Any, Any]], options: RunOptions
) -> ErrorClassifier:
    """``delegate`` wrapped in a :class:`LimitRecorder` when the run has a store and one ``GeminiStrategy``."""
    strategy = _one_gemini_strategy(items, options)
    return delegate if strategy is None else LimitRecorder(delegate, options.open_store(), strategy)


def pace_at_observed(items: Sequence[LLMWorkItem[Any, Any]], options: RunOptions) -> RunOptions:
    """``options`` pacing at the per-minute limits last reported for the run's model and account when neither
    ``rpm`` nor ``tpm`` is set (said in one line); else ``options`` unchanged."""
    rate_limit = options.config.rate_limit
    if rate_limit.requests_per_minute is not None or rate_limit.tokens_per_minute is not None:
        return options
    strategy = _one_gemini_strategy(items, options)
    if strategy is None:
        return options
    limits = observed_limits(options.open_store(), strategy.model, client=strategy.client)
    if limits is None or not limits.per_minute:
        return options
    print(f"notebookllm: {limits.text()} (pass rpm= / tpm= to choose)")  # once: the paced options are reused
    tpm = None if limits.tpm is None else int(limits.tpm)
    paced = rate_limit.model_copy(update={"requests_per_minute": limits.rpm, "tokens_per_minute": tpm})
    return dataclasses.replace(options, config=options.config.model_copy(update={"rate_limit": paced}))


def _one_gemini_strategy(items: Sequence[LLMWorkItem[Any, Any]], options: RunOptions) -> GeminiStrategy | None:
    """The run's one ``GeminiStrategy`` when it has a store and sends requests; else ``None``."""
    from ..gemini import GeminiStrategy

    if options.cache == "off" or options.config.dry_run:
        return None
    strategies = {id(item.strategy): item.strategy for item in items}
    if len(strategies) != 1:
        return None
    (strategy,) = strategies.values()
    return strategy if isinstance(strategy, GeminiStrategy) else None
