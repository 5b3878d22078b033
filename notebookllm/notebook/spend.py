"""The spend cap of ``nl.run(..., max_cost=, max_tokens=)``: a :class:`~notebookllm.core.budget.Budget` whose
estimate of one Gemini request is meant never to come out below its bill.

* **Input tokens**: Gemini's countTokens of each distinct prompt the run will send (free, not billed; the rows the
  store answers are not counted), plus the system instruction once per request and, for a prompt with files, the
  tokens the API bills for them; files are priced as audio where that is dearer.
* **Output tokens** (thinking included, as Gemini bills it): ``max_output_tokens`` times ``candidate_count`` when
  the strategy sets it, a hard bound. Without it, the longest reply of the model in the store's history, which
  bounds typical runs but not every reply; with neither there is nothing to bound the reply by, and the run is
  refused before any request (set ``max_output_tokens``, or run a small sample first).
* **Cost**: the price table (:func:`~notebookllm.gemini.estimate_cost`) at the strategy's service tier.

A :class:`~notebookllm.gemini.GeminiCachedStrategy` is refused: the context cache it bills with every request is
not part of this estimate yet.

Example:
    >>> results = nl.run(df, prompt="Classify: {review}", strategy=strategy, max_cost=0.50)  # doctest: +SKIP
    >>> results.summary().budget  # doctest: +SKIP
    '$0.4980 / $0.5000'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..core.budget import Budget, Charge
from ..core.errors import ConfigurationError
from ..core.tokens import TokenUsage
from ..core.work_item import LLMWorkItem
from ..media import MultimodalPrompt

__all__ = ["GeminiSpend"]

_HISTORY = 1000


class GeminiSpend:
    """Counts the prompts a capped run will send and estimates each request (the budget's ``estimate``).

    Build it with :meth:`create` (checks the strategies, reads the store's history), call :meth:`count` for each
    batch of items before they run (countTokens of the prompts not counted yet), and give :attr:`budget` to the
    processor.
    """

    def __init__(self, budget_options: dict[str, Any], outputs: dict[int, int], workers: int) -> None:
        self._outputs = outputs  # id(strategy) → output tokens to expect at most
        self._workers = workers
        self._prompt_tokens: dict[tuple[int, str], int] = {}
        self._system_tokens: dict[int, int] = {}
        self.budget = Budget(**budget_options, estimate=self.estimate)

    @classmethod
    def create(
        cls,
        items: Sequence[LLMWorkItem[Any, Any]],
        *,
        max_cost: float | None,
        max_tokens: int | None,
        store: Any,
        workers: int,
    ) -> GeminiSpend:
        """Check that every strategy can be estimated; raises :class:`ConfigurationError` (before any request)."""
        from ..gemini import GeminiCachedStrategy, GeminiStrategy
        from ..gemini.pricing import price_for

        outputs: dict[int, int] = {}
        for item in items:
            strategy = item.strategy
            if id(strategy) in outputs:
                continue
            if not isinstance(strategy, GeminiStrategy) or isinstance(strategy, GeminiCachedStrategy):
                raise ConfigurationError(
                    f"max_cost= / max_tokens= estimate Gemini requests: {type(strategy).__name__} is not supported "
                    "(a GeminiCachedStrategy's context cache is not estimated yet); for other strategies give "
                    "ParallelBatchProcessor a core Budget with your own estimate"
                )
            if max_cost is not None and price_for(strategy.model) is None:
                raise ConfigurationError(
                    f"max_cost=: no price for model {strategy.model!r}; add one with nl.gemini.set_price(...)"
                )
            outputs[id(strategy)] = _output_bound(strategy, store)
        return cls({"max_cost": max_cost, "max_tokens": max_tokens}, outputs, workers)

    async def count(self, items: Sequence[LLMWorkItem[Any, Any]]) -> None:
        """countTokens of every distinct prompt (and system instruction) of ``items`` not counted yet."""
        from .estimate import count_tokens

        todo: dict[tuple[int, str | None], tuple[Any, Any]] = {}  # (strategy, prompt or None: its system) → request
        for item in items:
            strategy: Any = item.strategy
            if id(strategy) not in self._system_tokens:
                system = strategy.config.system_instruction
                if system is None:
                    self._system_tokens[id(strategy)] = 0
                else:
                    todo[(id(strategy), None)] = (strategy, system)
            key = (id(strategy), str(item.prompt))
            if key not in self._prompt_tokens:
                todo[key] = (strategy, key[1])
        counts = await count_tokens(list(todo.values()), self._workers)
        for (strategy_id, text), tokens in zip(todo, counts, strict=True):
            if text is None:
                self._system_tokens[strategy_id] = tokens
            else:
                self._prompt_tokens[(strategy_id, text)] = tokens

    def estimate(self, item: LLMWorkItem[Any, Any]) -> Charge:
        """The most one request of ``item`` is expected to bill (see the module docstring)."""
        from ..gemini.pricing import estimate_cost
        from ..gemini.strategy import requested_service_tier

        strategy: Any = item.strategy
        prompt = item.prompt
        key = (id(strategy), str(prompt))
        if key not in self._prompt_tokens:
            raise ConfigurationError(f"item {item.item_id!r} was not counted before the run")
        media = prompt.media_tokens if isinstance(prompt, MultimodalPrompt) else 0
        input_tokens = self._prompt_tokens[key] + self._system_tokens[id(strategy)] + media
        output_tokens = self._outputs[id(strategy)]
        usage = TokenUsage(input_tokens=input_tokens, output_tokens=output_tokens)
        tier = requested_service_tier(strategy.config)
        cost = estimate_cost(usage, strategy.model, service_tier=tier)
        if media:
            as_audio = estimate_cost(usage, strategy.model, service_tier=tier, audio_input_tokens=media)
            cost = None if cost is None or as_audio is None else max(cost, as_audio)
        return Charge(tokens=usage.total_tokens, cost_usd=cost)


def _output_bound(strategy: Any, store: Any) -> int:
    """Output (+ thinking) tokens one request of ``strategy`` is expected to bill at most."""
    config = strategy.config
    candidates = config.candidate_count or 1
    if config.max_output_tokens is not None:
        return int(config.max_output_tokens) * candidates
    history = store.recent_replies(strategy.model, limit=_HISTORY) if store is not None else []
    if not history:
        raise ConfigurationError(
            f"max_cost= / max_tokens= need a bound on reply length: set max_output_tokens on the strategy (a hard "
            f"bound), or run a small sample first so the store knows how long {strategy.model}'s replies are"
        )
    return max(tokens for tokens, _ in history) * candidates
