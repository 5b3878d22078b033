"""``nl.run(..., mode="auto")``: online or a Batch API job, decided before anything is sent, and said in one line.

The rows the store answers are free and decide nothing. For the rest, the run works out how long they would take
online at its own limits (``max_workers``, ``rpm``, ``tpm``; the median latency of the store's replies of the model,
else 1 s) — as ``nl.estimate`` does, without counting tokens. At :data:`BATCH_AFTER_S` (15 minutes) or more it
chooses a batch job (half the price, ready within the Batch API's 24-hour target); below, online. It stays online
whenever a batch job cannot do the run: nothing to send, a dry run, a strategy the Batch API does not
take (anything but one plain ``GeminiStrategy``).

With ``deadline=``, a batch job is chosen only when the deadline leaves it at least :data:`MIN_JOB_WINDOW_S` before
the moment the rows it has not answered must go online to finish in time (the deadline less their online time and a
safety margin, see :mod:`notebookllm.notebook.deadline`); the job then runs with that deadline. A deadline nearer than
that runs online at once.

The limits a run observes count too: a run given no ``rpm=`` / ``tpm=`` is paced at the per-minute limits an earlier
429 reported for the model (:mod:`notebookllm.notebook.observed_limits`) before the choice, which then plans with
them. A declared quota tier is not an input: Google shows each project's limits in AI Studio and no longer
publishes per-tier tables for today's models.

Example:
    >>> results = nl.run(df, prompt="Classify: {review}", strategy=strategy, rpm=60, mode="auto")  # doctest: +SKIP
    notebookllm: mode="auto" chose batch: 2,000 rows to send would take about 33.3 min online (paced by rpm=60) ...
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..core.work_item import LLMWorkItem
from .deadline import clock_text, give_up_time, model_history, online_time
from .estimate import answered_by_store, duration_text
from .runner import RunOptions

__all__ = ["BATCH_AFTER_S", "MIN_JOB_WINDOW_S", "ModeChoice", "choose_mode"]

BATCH_AFTER_S = 15 * 60
"""Rows that would take at least this long online (seconds) go to a batch job under ``mode="auto"``."""

MIN_JOB_WINDOW_S = 10 * 60
"""Under a deadline, the least time (seconds) a batch job must get before its rows would have to go online."""


@dataclass(frozen=True)
class ModeChoice:
    """What ``mode="auto"`` chose (``"online"`` or ``"batch"``) and why; ``str()`` is the line it prints."""

    mode: str
    reason: str

    def __str__(self) -> str:
        return f'notebookllm: mode="auto" chose {self.mode}: {self.reason}'


def choose_mode(items: Sequence[LLMWorkItem[Any, Any]], options: RunOptions) -> ModeChoice:
    """Online or batch for ``items`` run with ``options`` (see the module docstring). Sends nothing."""
    from ..gemini import GeminiCachedStrategy, GeminiStrategy

    strategies = {id(item.strategy): item.strategy for item in items}
    if options.config.dry_run:
        return ModeChoice("online", "a dry run sends nothing")
    store, history = model_history(items, options)
    free = answered_by_store(items, store, options, history)
    pending = [item for item in items if item.item_id not in free]
    if not pending:
        return ModeChoice("online", f"the store answers all {len(items):,} rows, nothing to send")
    (strategy, *others) = strategies.values()
    if others or not isinstance(strategy, GeminiStrategy) or isinstance(strategy, GeminiCachedStrategy):
        return ModeChoice("online", "a batch job takes one GeminiStrategy without a context cache")
    seconds, limit = online_time(pending, options, history)
    online = f"{len(pending):,} rows to send would take about {duration_text(seconds)} online ({limit})"
    if free:
        online += f"; {len(free):,} more the store answers"
    if seconds >= BATCH_AFTER_S and options.deadline is not None:
        give_up = give_up_time(options.deadline, seconds)
        window = (give_up - datetime.now(timezone.utc)).total_seconds()
        deadline = f"the deadline {clock_text(options.deadline)}"
        if window < MIN_JOB_WINDOW_S:
            return ModeChoice("online", f"{online}: {deadline} leaves no time for a batch job's wait")
        return ModeChoice(
            "batch",
            f"{online}: a batch job costs half; what it has not answered by {clock_text(give_up)} "
            f"finishes online before {deadline}",
        )
    if seconds >= BATCH_AFTER_S:
        return ModeChoice("batch", f"{online}: a batch job costs half, ready within 24 h")
    reason = f"{online}, under {duration_text(BATCH_AFTER_S)}: not worth a batch job's wait"
    if options.deadline is not None:
        remaining = (options.deadline - datetime.now(timezone.utc)).total_seconds()
        deadline = f"the deadline {clock_text(options.deadline)}, {duration_text(remaining)} away"
        reason += (
            f"; done before {deadline}" if seconds <= remaining else f"; {deadline}, is nearer: online is quickest"
        )
    return ModeChoice("online", reason)
