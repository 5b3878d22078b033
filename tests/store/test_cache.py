"""The response cache: keys per item on the request, modes, what is (not) cached, what a rerun saves."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel
from store_helpers import KeyedStrategy, items_for, run_items

from notebookllm.core.errors import InvalidWorkItemError, ItemCancelledError
from notebookllm.core.results import WorkItemResult
from notebookllm.store import CacheMode, Store, StoredError, StoreWarning

PROMPTS = [f"review {i}" for i in range(6)]


async def test_rerun_answers_from_the_cache_and_reports_what_it_saved(store: Store) -> None:
    strategy = KeyedStrategy()
    first = await run_items(store, items_for(strategy, PROMPTS))
    assert len(strategy.calls) == 6 and first.session.saved.items == 0

    again = KeyedStrategy()
    second = await run_items(store, items_for(again, PROMPTS))

    assert again.calls == []
    assert all(r.from_cache and r.success for r in second.results.values())
    assert [second.results[f"row-{i}"].output for i in range(6)] == [f"m1:{p}" for p in PROMPTS]
    assert second.results["row-2"].context == {"row": 2}
    saved = second.session.saved
    assert (saved.items, saved.tokens.input_tokens, saved.tokens.output_tokens) == (6, 60, 24)
    assert saved.cost_usd == pytest.approx(0.006)


@pytest.mark.parametrize(
    "change",
    [
        {"model": "m2"},
        {"temperature": 0.7},
        {"schema": {"type": "object", "properties": {"label": {"type": "string"}}}},
        {"system_prompt": "You are terse."},
        {"cache_tags": {"corpus": "v2"}},
    ],
    ids=lambda change: next(iter(change)),
)
async def test_changing_the_request_invalidates_every_row(store: Store, change: dict[str, Any]) -> None:
    await run_items(store, items_for(KeyedStrategy(), PROMPTS))

    changed = KeyedStrategy(**change)
    outcome = await run_items(store, items_for(changed, PROMPTS))

    assert sorted(changed.calls) == sorted(PROMPTS)
    assert not any(r.from_cache for r in outcome.results.values())


async def test_editing_one_row_re_requests_that_row_only(store: Store) -> None:
    await run_items(store, items_for(KeyedStrategy(), PROMPTS))

    edited = [*PROMPTS[:3], "review 3, edited", *PROMPTS[4:]]
    strategy = KeyedStrategy()
    outcome = await run_items(store, items_for(strategy, edited))

    assert strategy.calls == ["review 3, edited"]
    assert outcome.requested == ["row-3"]


async def test_read_only_serves_but_writes_nothing(store: Store) -> None:
    await run_items(store, items_for(KeyedStrategy(), PROMPTS[:3]))

    strategy = KeyedStrategy()
    outcome = await run_items(store, items_for(strategy, PROMPTS), cache_mode=CacheMode.READ_ONLY)

    assert sorted(strategy.calls) == PROMPTS[3:]
    assert sorted(outcome.requested) == ["row-3", "row-4", "row-5"]
    assert store.size_report().replies == 3


async def test_refresh_requests_everything_and_overwrites(store: Store) -> None:
    await run_items(store, items_for(KeyedStrategy(output="old"), PROMPTS))

    fresh = KeyedStrategy(output="new")
    await run_items(store, items_for(fresh, PROMPTS), cache_mode="refresh")
    assert sorted(fresh.calls) == sorted(PROMPTS)

    reader = await run_items(store, items_for(KeyedStrategy(), PROMPTS))
    assert {r.output for r in reader.results.values()} == {"new"}


async def test_off_neither_reads_nor_writes(store: Store) -> None:
    await run_items(store, items_for(KeyedStrategy(), PROMPTS[:2]))

    strategy = KeyedStrategy()
    await run_items(store, items_for(strategy, PROMPTS), cache_mode=False)

    assert sorted(strategy.calls) == sorted(PROMPTS)
    assert store.size_report().replies == 2


def test_cache_mode_accepts_values_and_bools() -> None:
    assert CacheMode.coerce("rw") is CacheMode.READ_WRITE
    assert CacheMode.coerce(True) is CacheMode.READ_WRITE
    assert CacheMode.coerce(None) is CacheMode.OFF
    assert CacheMode.coerce(CacheMode.REFRESH) is CacheMode.REFRESH
    with pytest.raises(ValueError, match="'rw', 'read', 'refresh', 'off'"):
        CacheMode.coerce("write")


async def test_failed_and_blocked_replies_are_not_cached_by_default(store: Store) -> None:
    strategy = KeyedStrategy(fail=["review 1"], block=["review 2"])
    first = await run_items(store, items_for(strategy, PROMPTS))
    assert not first.results["row-1"].success
    assert first.results["row-2"].metadata["blocked"]

    again = KeyedStrategy(fail=["review 1"], block=["review 2"])
    await run_items(store, items_for(again, PROMPTS))

    assert sorted(again.calls) == ["review 1", "review 2"]


async def test_cache_failures_stores_and_serves_failures(store: Store) -> None:
    first = await run_items(store, items_for(KeyedStrategy(fail=["review 1"]), PROMPTS), cache_failures=True)

    again = KeyedStrategy()
    outcome = await run_items(store, items_for(again, PROMPTS), cache_failures=True)

    assert again.calls == []
    failed = outcome.results["row-1"]
    assert failed.from_cache and not failed.success
    assert isinstance(failed.error, StoredError)
    assert failed.error.original_type == "ValueError" and failed.error.message == "bad reply to review 1"
    assert failed.error_info == first.results["row-1"].error_info is not None

    # ...and a run that does not ask for failures requests that row again.
    third = KeyedStrategy()
    await run_items(store, items_for(third, PROMPTS))
    assert third.calls == ["review 1"]


async def test_an_interrupted_item_is_never_stored(store: Store) -> None:
    items = items_for(KeyedStrategy(), PROMPTS[:1])
    session = store.begin_run(items, cache_failures=True)
    cancelled = WorkItemResult("row-0", False, error=ItemCancelledError("interrupted"))
    async with session:
        assert not await session.record(cancelled)
    assert store.size_report().replies == 0


class Verdict(BaseModel):
    label: str
    score: float


async def test_outputs_come_back_as_the_same_types(store: Store) -> None:
    verdict = Verdict(label="positive", score=0.9)
    await run_items(store, items_for(KeyedStrategy(output=verdict), PROMPTS[:2]))

    outcome = await run_items(store, items_for(KeyedStrategy(), PROMPTS[:2]))

    restored = outcome.results["row-0"].output
    assert type(restored) is Verdict and restored == verdict


async def test_session_rejects_bad_input(store: Store) -> None:
    items = items_for(KeyedStrategy(), ["a", "b"])
    with pytest.raises(InvalidWorkItemError, match="duplicate item_id 'row-0'"):
        store.begin_run([items[0], items[0]])
    session = store.begin_run(items)
    with pytest.raises(KeyError, match="not part of this run"):
        session.record_nowait(WorkItemResult("row-9", True, output="x"))
    await session.close()


async def test_an_unstorable_output_warns_once_and_stays_in_memory(store: Store) -> None:
    with pytest.warns(StoreWarning, match="kept in memory only.*register_codec") as caught:
        outcome = await run_items(store, items_for(KeyedStrategy(output=object()), PROMPTS[:3]))
    # Only ours: the garbage collector may report an earlier test's unclosed transport inside this block.
    assert len([w for w in caught if issubclass(w.category, StoreWarning)]) == 1
    assert all(r.success for r in outcome.results.values())
    assert store.size_report().replies == 0
