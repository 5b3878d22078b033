"""Framework overhead per item: ParallelBatchProcessor against a bare asyncio.Semaphore + gather loop, and both
against the physical limit — awaiting the strategy's ``execute`` for each item in a plain loop, with no concurrency
at all (what any scheduler must at least spend).

20,000 zero-latency items at 100 workers, all three in the same process, interleaved; prints µs per item for each
and the ratios. Target: the processor at most 3x the bare loop. It was 2x until each attempt got a task of its own
(``ParallelBatchProcessor._call``): here that costs about 20 µs an item, through the SDK it saves about 0.3 ms of
client CPU a request (benchmarks/README.md).

    .venv/bin/python benchmarks/overhead.py [--items 20000] [--workers 100] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time

from notebookllm import LLMCallStrategy, LLMWorkItem, ParallelBatchProcessor, ProcessorConfig

_USAGE = {"input_tokens": 10, "output_tokens": 5}


class _Instant(LLMCallStrategy[str]):
    """A zero-latency model: returns at once, as fast as a strategy can."""

    async def execute(self, prompt, attempt, timeout, state=None):
        return prompt, _USAGE


async def _limit(prompts: list[str], workers: int) -> float:
    strategy = _Instant()
    start = time.perf_counter()
    results = [await strategy.execute(p, 1, 60.0) for p in prompts]
    elapsed = time.perf_counter() - start
    assert len(results) == len(prompts)
    return elapsed


async def _bare(prompts: list[str], workers: int) -> float:
    strategy = _Instant()
    semaphore = asyncio.Semaphore(workers)

    async def one(prompt: str) -> tuple[str, object]:
        async with semaphore:
            return await strategy.execute(prompt, 1, 60.0)

    start = time.perf_counter()
    results = await asyncio.gather(*(one(p) for p in prompts))
    elapsed = time.perf_counter() - start
    assert len(results) == len(prompts)
    return elapsed


async def _processor(prompts: list[str], workers: int) -> float:
    strategy = _Instant()
    start = time.perf_counter()
    processor = ParallelBatchProcessor(ProcessorConfig(max_workers=workers))
    for i, prompt in enumerate(prompts):
        await processor.add_work(LLMWorkItem(str(i), strategy, prompt))
    batch = await processor.process_all()
    elapsed = time.perf_counter() - start
    assert batch.succeeded == len(prompts)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each; the best is reported")
    args = parser.parse_args()
    prompts = [f"prompt {i}" for i in range(args.items)]
    runs = {"limit": _limit, "bare": _bare, "processor": _processor}
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(args.repeat):
        for name, fn in runs.items():
            gc.collect()
            best[name] = min(best[name], asyncio.run(fn(prompts, args.workers)))
    limit_us, bare_us, proc_us = (best[name] / args.items * 1e6 for name in runs)
    print(f"items={args.items} workers={args.workers} best of {args.repeat}")
    print(f"physical limit (plain await loop) : {limit_us:7.2f} µs/item")
    print(f"bare semaphore + gather           : {bare_us:7.2f} µs/item ({bare_us / limit_us:.1f}x the limit)")
    print(f"ParallelBatchProcessor            : {proc_us:7.2f} µs/item ({proc_us / limit_us:.1f}x the limit)")
    print(f"processor / bare                  : {proc_us / bare_us:7.2f}x (target <= 3x)")


if __name__ == "__main__":
    main()
