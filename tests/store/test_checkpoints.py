"""Run checkpoints: a rerun of the same run resumes, also for strategies without a request fingerprint."""

from __future__ import annotations

import pytest
from store_helpers import KeyedStrategy, UncacheableStrategy, items_for, run_items

from notebookllm.core.results import WorkItemResult
from notebookllm.store import Store

PROMPTS = [f"row text {i}" for i in range(5)]


async def _finish_some(store: Store, strategy: UncacheableStrategy, done: int, **begin: object) -> None:
    """A run that records ``done`` results, then stops (the kernel died)."""
    items = items_for(strategy, PROMPTS)
    session = store.begin_run(items, **begin)  # type: ignore[arg-type]
    async with session:
        for item in items[:done]:
            await session.record(WorkItemResult(item.item_id, True, output=f"answer {item.prompt}", attempts=1))


async def test_a_named_run_resumes_uncacheable_items(store: Store) -> None:
    await _finish_some(store, UncacheableStrategy(), 3, run_name="nightly")

    strategy = UncacheableStrategy()
    outcome = await run_items(store, items_for(strategy, PROMPTS), run_name="nightly")

    assert sorted(strategy.calls) == PROMPTS[3:]
    assert [outcome.results[f"row-{i}"].output for i in range(3)] == [f"answer {p}" for p in PROMPTS[:3]]
    assert outcome.session.run_id == "name:nightly"
    assert store.size_report().runs == 1


async def test_a_run_fingerprint_identifies_the_run_when_it_has_no_name(store: Store) -> None:
    await _finish_some(store, UncacheableStrategy(), 2, run_fingerprint="fp-1")

    same, other = UncacheableStrategy(), UncacheableStrategy()
    await run_items(store, items_for(same, PROMPTS), run_fingerprint="fp-1")
    await run_items(store, items_for(other, PROMPTS), run_fingerprint="fp-2")

    assert sorted(same.calls) == PROMPTS[2:]
    assert sorted(other.calls) == PROMPTS


async def test_without_run_identity_uncacheable_items_are_neither_stored_nor_resumed(store: Store) -> None:
    await _finish_some(store, UncacheableStrategy(), 3)

    strategy = UncacheableStrategy()
    await run_items(store, items_for(strategy, PROMPTS))

    assert sorted(strategy.calls) == PROMPTS
    assert store.size_report().replies == 0


async def test_an_edited_prompt_is_re_requested_within_the_same_run(store: Store) -> None:
    await _finish_some(store, UncacheableStrategy(), 5, run_name="r")

    strategy = UncacheableStrategy()
    await run_items(store, items_for(strategy, [*PROMPTS[:4], "edited"]), run_name="r")

    assert strategy.calls == ["edited"]


async def test_cacheable_items_resume_whatever_the_run_is_called(store: Store) -> None:
    items = items_for(KeyedStrategy(), PROMPTS)
    session = store.begin_run(items, run_name="first")
    async with session:
        await session.record(WorkItemResult("row-0", True, output="kept", attempts=1))

    resumed = store.begin_run(items_for(KeyedStrategy(), PROMPTS), run_name="second")
    assert resumed.finished["row-0"].output == "kept"
    assert [item.item_id for item in resumed.pending] == ["row-1", "row-2", "row-3", "row-4"]
    await resumed.close()


@pytest.mark.parametrize("mode", ["read", "off"])
async def test_modes_without_writes_do_not_record_the_run(store: Store, mode: str) -> None:
    await run_items(store, items_for(UncacheableStrategy(), PROMPTS), run_name="r", cache_mode=mode)
    report = store.size_report()
    assert (report.replies, report.runs) == (0, 0)
