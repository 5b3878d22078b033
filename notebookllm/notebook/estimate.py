"""``nl.estimate``: what a run will cost and how long it will take, before you pay for it.

* **Input tokens** from Gemini's countTokens (``client.aio.models.count_tokens``): every distinct prompt when there
  are up to ``exact_limit`` (300) of them; above that a stratified sample — prompts grouped by length, each group
  sampled in proportion, its tokens per character applied to the whole group — and the estimate says so. A system
  instruction is counted once and added to every request, as Gemini bills it.
* **Output tokens** (thinking included) from the store's history: the replies it holds for these very requests,
  else its latest replies of the same model; capped by ``max_output_tokens``, which alone gives an upper bound when
  there is no history. Without either the cost covers input only, and says so.
* **Cost** online and as a Batch API job, from the price table (:func:`~notebookllm.gemini.estimate_cost`).
* **Free rows**: those the store already answers (nothing is sent for them).
* **Wall time** at ``max_workers`` / ``rpm`` / ``tpm``, with the median latency of the store's history (or 1 s,
  stated).

A ``GeminiCachedStrategy``'s context cache (its contents and system instruction) is not counted; the estimate says
so.

Nothing is generated: the only requests are countTokens calls.

Example:
    >>> est = nl.estimate(df, prompt="Classify: {review}", strategy=strategy, rpm=1000)  # doctest: +SKIP
    >>> est.online_cost_usd, est.batch_cost_usd, est.wall_s                             # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.errors import ConfigurationError
from ..core.tokens import TokenUsage
from ..sync import run_sync
from .inputs import Data, PromptSpec, build_items
from .results import format_usd
from .runner import RunOptions, default_strategy, run_fingerprint
from .tables import key_value_html, key_value_text

__all__ = ["DEFAULT_LATENCY_S", "EXACT_LIMIT", "Estimate", "aestimate", "estimate"]

EXACT_LIMIT = 300
"""Up to this many distinct prompts are counted one by one; above it, a stratified sample of this size."""

DEFAULT_LATENCY_S = 1.0
"""Seconds per request assumed for the wall time when the store has no reply of the model yet."""

_STRATA = 10
_HISTORY = 1000


@dataclass(frozen=True)
class Estimate:
    """What a run would send, cost and take. ``str()`` and Jupyter show it as a small table.

    ``input_tokens`` and ``output_tokens`` cover the rows to send (not the free ones); ``output_tokens`` is ``None``
    when nothing tells how long replies are. ``sampled`` says whether input tokens come from a sample of
    ``counted`` prompts (of ``distinct`` distinct ones).
    """

    model: str
    rows: int
    free_rows: int
    distinct: int
    counted: int
    input_tokens: int
    output_tokens: int | None
    output_source: str
    online_cost_usd: float | None
    batch_cost_usd: float | None
    wall_s: float
    latency_s: float
    latency_source: str
    limit: str
    notes: tuple[str, ...] = ()

    @property
    def rows_to_send(self) -> int:
        """Rows the store does not answer."""
        return self.rows - self.free_rows

    @property
    def sampled(self) -> bool:
        """Whether input tokens were extrapolated from a sample."""
        return self.counted < self.distinct

    def _lines(self) -> list[tuple[str, str]]:
        how = (
            f"stratified sample of {self.counted:,} of {self.distinct:,} distinct prompts (±1% expected)"
            if self.sampled
            else f"exact: countTokens of all {self.distinct:,} distinct prompts"
        )
        output = "unknown" if self.output_tokens is None else f"{self.output_tokens:,}"
        only_input = " (input only)" if self.output_tokens is None else ""
        return [
            ("model", self.model),
            ("rows", f"{self.rows:,} ({self.free_rows:,} answered by the store, free; {self.rows_to_send:,} to send)"),
            ("input tokens", f"{self.input_tokens:,} ({how})"),
            ("output tokens", f"{output} ({self.output_source})"),
            ("cost online", format_usd(self.online_cost_usd) + only_input),
            ("cost as a batch job", format_usd(self.batch_cost_usd) + only_input),
            (
                "wall time online",
                f"{duration_text(self.wall_s)} ({self.limit}; {self.latency_s:.2f}s per request, "
                f"{self.latency_source})",
            ),
            *(("note", note) for note in self.notes),
        ]

    def __str__(self) -> str:
        return key_value_text(self._lines())

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return key_value_html(self._lines(), "notebookllm-estimate")


async def aestimate(
    data: Data,
    *,
    prompt: PromptSpec | None = None,
    strategy: Any = None,
    model: str | None = None,
    id_column: str | None = None,
    max_workers: int = 16,
    rpm: float | None = None,
    tpm: int | None = None,
    store: Any = None,
    cache: Any = True,
    exact_limit: int = EXACT_LIMIT,
    seed: int = 0,
) -> Estimate:
    """Estimate a run of ``data`` with the same arguments as ``nl.arun`` would take (see the module docstring).

    Args:
        strategy, model: a ``GeminiStrategy`` (or a model for the default one); its client counts the tokens.
        max_workers, rpm, tpm: the limits the run will use (for the wall time).
        store, cache: the store the run will read (``cache=False``: no row is free, no history).
        exact_limit: the most distinct prompts counted one by one.
        seed: the sample's seed (above ``exact_limit``).

    Raises:
        ConfigurationError, InvalidWorkItemError: as ``nl.arun`` would, before any request.
    """
    from ..gemini import GeminiCachedStrategy, GeminiStrategy
    from ..gemini.pricing import estimate_cost

    options = RunOptions.build(max_workers=max_workers, rpm=rpm, tpm=tpm, store=store, cache=cache)
    if strategy is not None and model is not None:
        raise ConfigurationError("pass either strategy= or model=, not both")
    strategy = strategy if strategy is not None else default_strategy(model)
    if not isinstance(strategy, GeminiStrategy):
        raise ConfigurationError(f"estimate needs a GeminiStrategy (to count tokens), got {type(strategy).__name__}")
    if not isinstance(exact_limit, int) or exact_limit < 1:
        raise ConfigurationError(f"exact_limit must be a positive number of prompts, got {exact_limit!r}")
    _, items = build_items(data, prompt=prompt, strategy=strategy, id_column=id_column)

    store_obj = open_store(options)
    history = store_obj.recent_replies(strategy.model, limit=_HISTORY) if store_obj is not None else []
    free = answered_by_store(items, store_obj, options, history)
    pending = [item for item in items if item.item_id not in free]

    cached = isinstance(strategy, GeminiCachedStrategy)
    counter = _Counter(strategy, options.config.max_workers)
    system_tokens = 0 if cached else await counter.system_tokens()  # a cached strategy keeps it in the cache
    prompt_tokens, distinct, counted = await _input_tokens([i.prompt for i in pending], counter, exact_limit, seed)
    input_tokens = prompt_tokens + system_tokens * len(pending)

    per_reply, source = _output_per_reply(list(free.values()), history, strategy.config.max_output_tokens)
    output_tokens = None if per_reply is None else round(per_reply * len(pending))
    usage = TokenUsage(input_tokens=input_tokens, output_tokens=output_tokens or 0)
    latency, latency_source = typical_latency(history)
    tokens_per_request = (input_tokens + (output_tokens or 0)) / len(pending) if pending else 0.0
    wall, limit = wall_time(len(pending), latency, tokens_per_request, options)
    return Estimate(
        model=strategy.model,
        rows=len(items),
        free_rows=len(free),
        distinct=distinct,
        counted=counted,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        output_source=source,
        online_cost_usd=estimate_cost(usage, strategy.model),
        batch_cost_usd=estimate_cost(usage, strategy.model, batch=True),
        wall_s=wall,
        latency_s=latency,
        latency_source=latency_source,
        limit=limit,
        notes=("not counted: the context cache's tokens, billed at the cached rate with every request",)
        if cached
        else (),
    )


def estimate(data: Data, **options: Any) -> Estimate:
    """:func:`aestimate`, synchronously (also inside Jupyter's running loop)."""
    return run_sync(aestimate(data, **options))


class _Counter:
    """countTokens for one strategy's model, at most ``workers`` calls at once."""

    def __init__(self, strategy: Any, workers: int) -> None:
        self._strategy = strategy
        self._gate = asyncio.Semaphore(workers)

    async def count(self, text: str) -> int:
        return await _count(self._gate, self._strategy, text)

    async def system_tokens(self) -> int:
        system = self._strategy.config.system_instruction
        return 0 if system is None else await _count(self._gate, self._strategy, system)


async def count_tokens(requests: Sequence[tuple[Any, Any]], workers: int) -> list[int]:
    """countTokens of each ``(GeminiStrategy, contents)`` on the strategy's client and model, at most ``workers``
    calls at once; the counts in order."""
    gate = asyncio.Semaphore(workers)
    return list(await asyncio.gather(*(_count(gate, strategy, contents) for strategy, contents in requests)))


async def _count(gate: asyncio.Semaphore, strategy: Any, contents: Any) -> int:
    async with gate:
        reply = await strategy.client.aio.models.count_tokens(model=strategy.model, contents=contents)
    return int(reply.total_tokens or 0)


async def _input_tokens(prompts: list[str], counter: _Counter, exact_limit: int, seed: int) -> tuple[int, int, int]:
    """Input tokens of every prompt (duplicates included), the number of distinct prompts, and how many were
    counted."""
    multiplicity: dict[str, int] = {}
    for text in prompts:
        multiplicity[text] = multiplicity.get(text, 0) + 1
    distinct = list(multiplicity)
    if len(distinct) <= exact_limit:
        counts = await asyncio.gather(*(counter.count(text) for text in distinct))
        return sum(c * multiplicity[t] for c, t in zip(counts, distinct, strict=True)), len(distinct), len(distinct)
    lengths = np.fromiter((len(t) for t in distinct), dtype=np.int64, count=len(distinct))
    weights = np.fromiter((multiplicity[t] for t in distinct), dtype=np.int64, count=len(distinct))
    strata = _strata(lengths)
    rng = np.random.default_rng(seed)
    picks: list[np.ndarray] = []
    for members in strata:
        share = max(1, round(exact_limit * len(members) / len(distinct)))
        picks.append(rng.choice(members, size=min(share, len(members)), replace=False))
    sampled = await asyncio.gather(*(asyncio.gather(*(counter.count(distinct[i]) for i in chosen)) for chosen in picks))
    total = 0.0
    for members, chosen, counts in zip(strata, picks, sampled, strict=True):
        per_char = sum(counts) / max(1, int(lengths[chosen].sum()))
        total += per_char * float((lengths[members] * weights[members]).sum())
    return round(total), len(distinct), sum(len(c) for c in picks)


def _strata(lengths: np.ndarray) -> list[np.ndarray]:
    """Prompt indices grouped by length into (up to) ``_STRATA`` groups of about equal size."""
    order = np.argsort(lengths, kind="stable")
    return [group for group in np.array_split(order, _STRATA) if len(group)]


def _output_per_reply(
    answered: Sequence[Any], history: list[tuple[int, float | None]], max_output_tokens: int | None
) -> tuple[float | None, str]:
    """Expected output (+ thinking) tokens per reply, and where the figure comes from."""
    own = [r.token_usage.output_tokens + r.token_usage.thoughts_tokens for r in answered if r.success]
    if own:
        mean, source = statistics.fmean(own), f"mean of the {len(own):,} rows the store answers"
    elif history:
        mean = statistics.fmean(t for t, _ in history)
        source = f"mean of {len(history):,} stored replies of the model, any prompt"
    elif max_output_tokens is not None:
        return float(max_output_tokens), "max_output_tokens: an upper bound"
    else:
        return None, "no stored reply and no max_output_tokens: run a small sample first"
    if max_output_tokens is not None and mean > max_output_tokens:
        return float(max_output_tokens), source + ", capped by max_output_tokens"
    return mean, source


def wall_time(rows: int, latency: float, tokens_per_request: float, options: RunOptions) -> tuple[float, str]:
    """Seconds to send ``rows`` requests online at ``options``' limits, and the limit that sets the pace."""
    limits = options.config.rate_limit
    rates = {f"max_workers={options.config.max_workers}": options.config.max_workers / latency}
    if limits.requests_per_minute:
        rates[f"rpm={limits.requests_per_minute:g}"] = limits.requests_per_minute / 60
    if limits.tokens_per_minute and tokens_per_request:
        rates[f"tpm={limits.tokens_per_minute:,}"] = limits.tokens_per_minute / 60 / tokens_per_request
    binding = min(rates, key=rates.__getitem__)
    if rows == 0:
        return 0.0, "nothing to send"
    return max(latency, rows / rates[binding]), f"paced by {binding}"


def duration_text(seconds: float) -> str:
    """``"12.3s"``, ``"4.5 min"`` or ``"2.1 h"``."""
    if seconds < 90:
        return f"{seconds:.1f}s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def answered_by_store(
    items: Sequence[Any], store: Any, options: RunOptions, history: list[tuple[int, float | None]]
) -> dict[str, Any]:
    """Item id → the result the store holds for it (read only: nothing is claimed or written)."""
    # Without a stored reply of the model no row can be free: skip keying every row (the costly part).
    if store is None or options.cache not in ("rw", "read") or not history:
        return {}
    return store.begin_run(items, run_fingerprint=run_fingerprint(items), cache_mode="read").finished


def typical_latency(history: list[tuple[int, float | None]]) -> tuple[float, str]:
    """Seconds per request (the median of the stored replies, else :data:`DEFAULT_LATENCY_S`) and its source."""
    # Rows a batch job answered carry no request latency (0): only online replies say how long a request takes.
    latencies = [lat for _, lat in history if lat is not None and lat > 0]
    if not latencies:
        return DEFAULT_LATENCY_S, "assumed: no stored reply yet"
    return statistics.median(latencies), f"median of {len(latencies):,} stored replies"


def open_store(options: RunOptions) -> Any:
    """The store ``options`` name (``None`` with ``cache="off"``)."""
    return None if options.cache == "off" else options.open_store()
