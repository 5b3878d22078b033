"""Running a list of work items online or through the Batch API, for runs that mix strategies (``nl.compare``).

``mode="batch"`` submits one Batch API job per strategy (a job holds one model and one generation config), all of
them at once, each through the runner's batch path: the store answers what it has, the job ledger re-attaches an
interrupted run to its jobs.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..core.errors import ConfigurationError
from ..core.work_item import LLMWorkItem
from .runner import RunOptions, RunOutcome, budget_line, run_batch_items, run_items, run_spend

__all__ = ["MODES", "check_mode", "run_in_mode"]

MODES = ("online", "batch")


def check_mode(mode: Any) -> str:
    """``mode`` if it is ``"online"`` or ``"batch"``; else a :class:`ConfigurationError`."""
    if mode not in MODES:
        raise ConfigurationError(f"mode must be 'online' or 'batch', got {mode!r}")
    return str(mode)


async def run_in_mode(items: list[LLMWorkItem[Any, Any]], options: RunOptions, mode: str) -> RunOutcome:
    """Run ``items`` online (one processor run) or as batch jobs (one per strategy); results in item order."""
    if mode == "online" or options.config.dry_run:
        return await run_items(items, options)
    groups: dict[int, list[LLMWorkItem[Any, Any]]] = {}
    for item in items:
        groups.setdefault(id(item.strategy), []).append(item)
    # A Progress instance draws one run: concurrent jobs each get their own display.
    each = options if len(groups) == 1 else options.updated()
    spend = run_spend(items, options, batch=True)  # one cap for all the jobs, as online for all the variants
    outcomes = await asyncio.gather(*(run_batch_items(group, each, spend) for group in groups.values()))
    by_id = {r.item_id: r for outcome in outcomes for r in outcome.results}
    return RunOutcome(
        [by_id[i.item_id] for i in items],
        interrupted=any(o.interrupted for o in outcomes),
        wall_s=max((o.wall_s for o in outcomes), default=0.0),
        progress=outcomes[0].progress if outcomes else None,
        budget=None if spend is None else budget_line(spend.budget),
        deadline=outcomes[0].deadline if len(outcomes) == 1 else None,
    )
