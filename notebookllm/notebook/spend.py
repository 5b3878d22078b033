"""The spend cap of ``nl.run(..., max_cost=, max_tokens=)``: a :class:`~notebookllm.core.budget.Budget` whose
estimate of one Gemini request is meant never to come out below its bill.

* **Input tokens**: Gemini's countTokens of each distinct prompt the run will send (free, not billed; the rows the
  store answers are not counted), plus the system instruction once per request and, for a prompt with files, the
  tokens the API bills for them; files are priced as audio where that is dearer.
* **Output tokens** (thinking included, as Gemini bills it): ``max_output_tokens`` times ``candidate_count`` when
  the strategy sets it, a hard bound. Without it, the longest reply of the model in the store's history, which
  bounds typical runs but not every reply; with neither there is nothing to bound the reply by, and the run is
  refused before any request (set ``max_output_tokens``, or run a small sample first).
* **Cost**: the price table (:func:`~notebookllm.gemini.estimate_cost`) at the strategy's service tier, or at the
  Batch API's price for ``mode="batch"``.

**Batch jobs** (:meth:`GeminiSpend.admit`): a job cannot be stopped request by request, so the cap is decided before
it is submitted: the unanswered rows, in order, while their estimates add up within the cap; the first that does
not fit and every row after it fail with ``BudgetExceededError`` ($0, unsent). When the job ends each submitted row
counts at what it was billed, so the summary shows the real spend; a rerun with a higher cap submits the rest.

**Context caches** (:class:`~notebookllm.gemini.GeminiCachedStrategy`): each request also carries the cache's
tokens (countTokens of its contents and system instruction; tools are not counted) at the cached-input price.
Creating the cache bills those tokens once at the input price, and storage is billed per token-hour; a run that
will create one counts both (storage for the ``cache_ttl_seconds`` it asks for) as spent before its first request,
and a cap too small for that is refused before the cache exists, naming the cache's cost. A request that will renew
the cache (its TTL nearly over) or recreate it (expired) carries that storage or creation in its estimate, and what
the cache has bought is counted before the next request is reserved. When the run ends the cache counts at its bill
(nothing for a cache adopted from an earlier run, which that run paid for). A cache deleted by someone else
mid-run is recreated at a cost no estimate foresaw.

Example:
    >>> results = nl.run(df, prompt="Classify: {review}", strategy=strategy, max_cost=0.50)  # doctest: +SKIP
    >>> results.summary().budget  # doctest: +SKIP
    '$0.4980 / $0.5000'
    >>> job = nl.run(df, prompt="Classify: {review}", strategy=strategy, mode="batch", max_cost=0.50)  # doctest: +SKIP
    >>> job.budget  # doctest: +SKIP
    '$0.2110 / $0.5000 · 1,204 rows not sent'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..core.budget import Budget, Charge
from ..core.errors import BudgetExceededError, ConfigurationError
from ..core.results import WorkItemResult
from ..core.tokens import TokenUsage, format_usd
from ..core.work_item import LLMWorkItem
from ..media import MultimodalPrompt

if TYPE_CHECKING:
    from ..gemini.context_cache import ContextCache

__all__ = ["GeminiSpend"]

_HISTORY = 1000


class GeminiSpend:
    """Counts the prompts a capped run will send and estimates each request (the budget's ``estimate``).

    Build it with :meth:`create` (checks the strategies, reads the store's history). Online: call :meth:`prepare`
    for each batch of items before they run (countTokens of the prompts not counted yet; the context caches the run
    will create, counted as spent), give :attr:`budget` to the processor, and call :meth:`settle_caches` when the
    run ends. A batch job: :meth:`admit` its items before submitting, :meth:`settle` its results.
    """

    def __init__(
        self, budget_options: dict[str, Any], outputs: dict[int, int], workers: int, *, batch: bool = False
    ) -> None:
        self._outputs = outputs  # id(strategy) → output tokens to expect at most
        self._workers = workers
        self._batch = batch
        self._prompt_tokens: dict[tuple[int, str], int] = {}
        self._system_tokens: dict[int, int] = {}
        self._held: dict[str, Any] = {}  # item id → the budget's hold of a batch row until the job ends
        self._online: set[str] = set()  # rows of a batch job finished online (a deadline): online prices
        self._cache_tokens: dict[int, int] = {}  # id(strategy) → tokens its context cache holds (countTokens)
        self._prepaid: list[_PrepaidCache] = []
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
        batch: bool = False,
    ) -> GeminiSpend:
        """Check that every strategy can be estimated; raises :class:`ConfigurationError` (before any request).

        ``batch``: the requests go as Batch API jobs, estimated at the batch price (see :meth:`admit`).
        """
        from ..gemini import GeminiStrategy
        from ..gemini.pricing import price_for

        outputs: dict[int, int] = {}
        for item in items:
            strategy = item.strategy
            if id(strategy) in outputs:
                continue
            if not isinstance(strategy, GeminiStrategy):
                raise ConfigurationError(
                    f"max_cost= / max_tokens= estimate Gemini requests: {type(strategy).__name__} is not supported; "
                    "for other strategies give ParallelBatchProcessor a core Budget with your own estimate"
                )
            if max_cost is not None and price_for(strategy.model) is None:
                raise ConfigurationError(
                    f"max_cost=: no price for model {strategy.model!r}; add one with nl.gemini.set_price(...)"
                )
            outputs[id(strategy)] = _output_bound(strategy, store)
        return cls({"max_cost": max_cost, "max_tokens": max_tokens}, outputs, workers, batch=batch)

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
        for strategy in {id(item.strategy): item.strategy for item in items}.values():
            cache = self._cache_of(strategy)
            if cache is not None and id(strategy) not in self._cache_tokens:
                self._cache_tokens[id(strategy)] = await cache.count_tokens()
        counts = await count_tokens(list(todo.values()), self._workers)
        for (strategy_id, text), tokens in zip(todo, counts, strict=True):
            if text is None:
                self._system_tokens[strategy_id] = tokens
            else:
                self._prompt_tokens[(strategy_id, text)] = tokens

    async def prepare(self, items: Sequence[LLMWorkItem[Any, Any]]) -> None:
        """Before ``items`` run online: :meth:`count` them, and count as spent what each context cache the run
        will create costs (its tokens at the input price, its storage for the TTL asked for).

        Raises:
            ConfigurationError: the cap is too small even for a cache (before the cache is created).
        """
        await self.count(items)
        for strategy in {id(item.strategy): item.strategy for item in items}.values():
            cache = self._cache_of(strategy)
            if cache is None or cache.live or any(p.cache is cache for p in self._prepaid):
                continue  # no cache, or one held from an earlier run of this strategy: nothing to create
            self._prepaid.append(_PrepaidCache.buy(self.budget, strategy, self._cache_tokens[id(strategy)]))

    def settle_caches(self) -> None:
        """The run has ended: count each context cache at what creating and storing it billed (nothing for a cache
        adopted from an earlier run; renewals included)."""
        for prepaid in self._prepaid:
            prepaid.settle(self.budget, final=True)

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
        cache = self._cache_of(strategy)
        cached = self._cache_tokens.get(id(strategy), 0)
        input_tokens = self._prompt_tokens[key] + self._system_tokens[id(strategy)] + media + cached
        output_tokens = self._outputs[id(strategy)]
        # A cache too small to create goes with every request at the full input price instead.
        cached = 0 if cache is not None and cache.inline else cached
        usage = TokenUsage(input_tokens=input_tokens, output_tokens=output_tokens, cached_input_tokens=cached)
        price = {
            "batch": self._batch and item.item_id not in self._online,
            "service_tier": requested_service_tier(strategy.config),
        }
        cost = estimate_cost(usage, strategy.model, **price)
        if media:
            as_audio = estimate_cost(usage, strategy.model, **price, audio_input_tokens=media)
            cost = None if cost is None or as_audio is None else max(cost, as_audio)
        if cache is not None and cached and cost is not None:
            self._sync_caches()
            cost += _upkeep(cache, cached)
        return Charge(tokens=usage.total_tokens, cost_usd=cost)

    def _sync_caches(self) -> None:
        # Right before a request is reserved: storage a renewal bought (or a cache recreated) since counts now.
        for prepaid in self._prepaid:
            prepaid.settle(self.budget, final=False)

    async def admit(
        self, items: Sequence[LLMWorkItem[Any, Any]]
    ) -> tuple[list[LLMWorkItem[Any, Any]], list[WorkItemResult[Any, Any]]]:
        """The budget step of a Batch API job, before it is submitted: counts ``items``, then splits them into the
        items to submit (in order, while their estimates add up within the caps) and a failed result
        (``BudgetExceededError``, $0, unsent) for each of the others. Call :meth:`settle` with the job's results."""
        await self.count(items)
        self.budget.check(items)
        held, refused = self.budget.admit(items)
        self._held.update(held)
        return [item for item in items if item.item_id in held], refused

    def settle(self, results: Iterable[WorkItemResult[Any, Any]]) -> None:
        """The admitted rows of a batch job have ended: count each at what it was billed instead of its estimate."""
        for result in results:
            hold = self._held.pop(result.item_id, None)
            if hold is not None:
                billed = result.token_usage if result.token_usage.total_tokens else None  # a failed job bills nothing
                self.budget.settle(hold, result.metadata.get("cost_usd"), billed)

    def go_online(self, items: Iterable[LLMWorkItem[Any, Any]]) -> None:
        """Admitted rows of a batch job that its job did not answer and that now run online (``deadline=``): their
        holds are released (a job bills only what it answered) and their requests are estimated at the online
        price, so the cap may stop some of them that fitted at the batch price."""
        for item in items:
            hold = self._held.pop(item.item_id, None)
            if hold is not None:
                self.budget.release(hold)
            self._online.add(item.item_id)

    @staticmethod
    def _cache_of(strategy: Any) -> ContextCache | None:
        return getattr(strategy, "context_cache", None)


class _PrepaidCache:
    """A context cache a capped run will create: counted as spent at its estimate before the first request, at
    least that while the run goes on (more once renewals buy storage), and at its bill when the run ends (from the
    handle's running totals: nothing for a cache adopted from an earlier run)."""

    def __init__(self, cache: ContextCache, hold: Any) -> None:
        self.cache = cache
        self._hold = hold
        self._created = cache.created_tokens
        self._bought = cache.bought_token_hours

    @classmethod
    def buy(cls, budget: Budget, strategy: Any, tokens: int) -> _PrepaidCache:
        cache: ContextCache = strategy.context_cache
        creating, storing = _cache_costs(cache, tokens, tokens * cache.ttl_seconds / 3600)
        what = (
            f"the context cache of {cache.model} ({tokens:,} tokens: {format_usd(creating)} to create at the input "
            f"price, {format_usd(storing)} to store for its {cache.ttl_seconds / 3600:g} h TTL)"
        )
        try:
            hold = budget.prepay(Charge(tokens=tokens, cost_usd=creating + storing), what)
        except BudgetExceededError as exc:
            raise ConfigurationError(
                f"the spend cap is too small even for {what}: {exc}; raise the cap or shorten cache_ttl_seconds"
            ) from None
        return cls(cache, hold)

    def settle(self, budget: Budget, *, final: bool) -> None:
        """Count the cache at what it has billed so far: while the run goes on never below the estimate paid
        ahead (the cache may still be on its way), at the bill once it has ended (``final``)."""
        created = self.cache.created_tokens - self._created
        billed = sum(_cache_costs(self.cache, created, self.cache.bought_token_hours - self._bought))
        budget.rebill(self._hold, billed, created, final=final)


def _cache_costs(cache: ContextCache, created_tokens: int, token_hours: float) -> tuple[float, float]:
    """US dollars for creating a cache of ``created_tokens`` (input price) and for ``token_hours`` of storage."""
    from ..gemini.pricing import cache_storage_cost, estimate_cost

    creating = estimate_cost(TokenUsage(input_tokens=created_tokens), cache.model) or 0.0
    return creating, cache_storage_cost(token_hours, 1.0, cache.model) or 0.0


def _upkeep(cache: ContextCache, tokens: int) -> float:
    """What one request may buy for the cache it uses: storage for another TTL when a renewal is due, a new cache
    when it has expired (recreated on use)."""
    if cache.inline or cache.name is None:
        return 0.0
    ttl_hours = cache.ttl_seconds / 3600
    if not cache.live:
        return sum(_cache_costs(cache, tokens, tokens * ttl_hours))
    return _cache_costs(cache, 0, tokens * ttl_hours)[1] if cache.renewal_due else 0.0


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
