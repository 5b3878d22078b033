"""A run freezes the heap from before it (``core/heap.py``) and gives it back, whatever way the run ends."""

from __future__ import annotations

import asyncio
import gc

import pytest

from notebookllm import LLMCallStrategy, LLMWorkItem, ParallelBatchProcessor, ProcessorConfig
from notebookllm.core.heap import frozen_heap


class _Seen(LLMCallStrategy[int]):
    """Answers with the number of frozen objects at the moment its request would be sent."""

    def __init__(self, gate: asyncio.Event | None = None) -> None:
        self.gate = gate

    async def execute(self, prompt: str, attempt: int, timeout: float) -> tuple[int, None]:
        if self.gate is not None:
            await self.gate.wait()
        return gc.get_freeze_count(), None


async def _run(strategy: LLMCallStrategy[int], items: int = 3) -> list[int]:
    async with ParallelBatchProcessor(ProcessorConfig(max_workers=2)) as processor:
        for i in range(items):
            await processor.add_work(LLMWorkItem(str(i), strategy, "p"))
        batch = await processor.process_all()
    return [r.output for r in batch.results]


async def _until_frozen() -> None:
    """Let the run started just before reach its workers (a few turns of the loop)."""
    for _ in range(100):
        if gc.get_freeze_count():
            return
        await asyncio.sleep(0)
    raise AssertionError("the run never froze the heap")


@pytest.fixture(autouse=True)
def _unfrozen():
    assert gc.get_freeze_count() == 0, "a test before this one left the heap frozen"
    yield
    gc.unfreeze()


async def test_a_run_sends_with_the_older_heap_frozen_and_unfreezes_it_after():
    counts = await _run(_Seen())
    assert len(counts) == 3 and all(count > 0 for count in counts)
    assert gc.get_freeze_count() == 0


async def test_overlapping_runs_unfreeze_when_the_last_one_ends():
    gate = asyncio.Event()
    slow = asyncio.ensure_future(_run(_Seen(gate), items=1))
    await _until_frozen()
    assert await _run(_Seen()) == [gc.get_freeze_count()] * 3
    assert gc.get_freeze_count() > 0, "the first run is still going"
    gate.set()
    assert (await slow)[0] > 0
    assert gc.get_freeze_count() == 0


async def test_a_cancelled_run_unfreezes():
    gate = asyncio.Event()
    run = asyncio.ensure_future(_run(_Seen(gate)))
    await _until_frozen()
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert gc.get_freeze_count() == 0


async def test_a_heap_the_process_froze_itself_stays_frozen():
    gc.freeze()
    assert all(count > 0 for count in await _run(_Seen()))
    assert gc.get_freeze_count() > 0, "the run unfroze what it had not frozen"


async def test_with_the_collector_disabled_nothing_is_frozen():
    gc.disable()
    try:
        assert await _run(_Seen()) == [0, 0, 0]
    finally:
        gc.enable()


def test_nested_blocks_in_threads_share_one_freeze():
    import threading

    seen: list[int] = []
    inside, leave = threading.Event(), threading.Event()

    def other_thread() -> None:
        with frozen_heap():
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=other_thread)
    thread.start()
    assert inside.wait(10)
    with frozen_heap():
        seen.append(gc.get_freeze_count())
    assert gc.get_freeze_count() > 0, "the other thread's block is still open"
    leave.set()
    thread.join(10)
    assert seen[0] > 0 and gc.get_freeze_count() == 0
