"""Peak memory of a large run: 100,000 items queued, processed and their results kept.

Target: peak RSS under 250 MB (the whole process: interpreter, pydantic, the package, items and results).

    .venv/bin/python benchmarks/memory.py [--items 100000] [--workers 100]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time

from notebookllm import LLMCallStrategy, LLMWorkItem, ParallelBatchProcessor, ProcessorConfig


class _Echo(LLMCallStrategy[str]):
    """Returns a short output and a token count, like a small classification reply."""

    async def execute(self, prompt, attempt, timeout, state=None):
        return "positive", {"input_tokens": len(prompt) // 4, "output_tokens": 1}


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB on Linux


async def _run(n: int, workers: int) -> None:
    strategy = _Echo()
    processor = ParallelBatchProcessor(ProcessorConfig(max_workers=workers))
    start = time.perf_counter()
    for i in range(n):
        await processor.add_work(LLMWorkItem(f"row-{i}", strategy, f"Classify the sentiment of review {i}."))
    queued_mb = _peak_rss_mb()
    batch = await processor.process_all()
    elapsed = time.perf_counter() - start
    assert batch.succeeded == n
    print(f"items={n} workers={workers} queued+processed in {elapsed:.1f} s, {len(batch.results)} results kept")
    print(f"peak RSS after queueing : {queued_mb:6.1f} MB")
    print(f"peak RSS after the run  : {_peak_rss_mb():6.1f} MB (target < 250 MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=100)
    args = parser.parse_args()
    print(f"peak RSS at start       : {_peak_rss_mb():6.1f} MB")
    asyncio.run(_run(args.items, args.workers))


if __name__ == "__main__":
    main()
