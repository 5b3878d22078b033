"""Peak memory of a large run: 100,000 items queued, processed and their results kept.

Target: peak RSS under 250 MB (the whole process: interpreter, pydantic, the package, items and results).

    .venv/bin/python benchmarks/memory.py [--items 100000] [--workers 100]   # ParallelBatchProcessor
    .venv/bin/python benchmarks/memory.py --through arun     # nl.arun with its defaults (the store on), then results.df
    .venv/bin/python benchmarks/memory.py --through batch    # one Batch API job built, submitted, mapped back, .df

``--through batch`` sends the job to the emulator in its own process, so only the client's memory is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time

import notebookllm as nl
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


async def _run_df(n: int, workers: int, batch: bool) -> None:
    prompts = [f"Classify the sentiment of review {i}." for i in range(n)]
    with tempfile.TemporaryDirectory() as directory:
        store = os.path.join(directory, "store.sqlite")
        start = time.perf_counter()
        if batch:
            from end_to_end import MODEL, _emulator

            with _emulator(batch_pending_s=0.0, batch_running_s=0.0) as emulator:
                strategy = nl.GeminiStrategy(emulator.client(), MODEL)
                results = await nl.arun(
                    prompts, prompt="{text}", strategy=strategy, mode="batch", store=store, progress=False
                )
        else:
            results = await nl.arun(
                prompts, prompt="{text}", strategy=_Echo(), max_workers=workers, store=store, progress=False
            )
        run_mb = _peak_rss_mb()
        df = results.df
        elapsed = time.perf_counter() - start
    assert int(df["success"].sum()) == n
    what = "one Batch API job (built, submitted, mapped back)" if batch else f"nl.arun, {workers} workers"
    print(f"items={n} through {what}, store on, in {elapsed:.1f} s; results.df {df.shape}")
    print(f"peak RSS after the run  : {run_mb:6.1f} MB")
    print(f"peak RSS with results.df: {_peak_rss_mb():6.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=100)
    parser.add_argument("--through", choices=["processor", "arun", "batch"], default="processor")
    args = parser.parse_args()
    print(f"peak RSS at start       : {_peak_rss_mb():6.1f} MB")
    if args.through == "processor":
        asyncio.run(_run(args.items, args.workers))
    else:
        asyncio.run(_run_df(args.items, args.workers, batch=args.through == "batch"))


if __name__ == "__main__":
    main()
