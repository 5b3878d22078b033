"""Peak memory of a large run: 100,000 items queued, processed and their results kept.

Target: peak RSS under 250 MB (the whole process: interpreter, pydantic, the package, items and results).

    .venv/bin/python benchmarks/memory.py [--items 100000] [--workers 100]   # ParallelBatchProcessor
    .venv/bin/python benchmarks/memory.py --through arun     # nl.arun with its defaults (the store on), then results.df
    .venv/bin/python benchmarks/memory.py --through batch    # one Batch API job built, submitted, mapped back, .df
    .venv/bin/python benchmarks/memory.py --through batch --phases [--tracemalloc]   # where the batch path's goes

``--through batch`` sends the job to the emulator in its own process, so only the client's memory is measured.
``--phases`` prints the peak RSS at the end of each phase of the batch path (building the requests, the upload,
waiting, the download, reading and mapping the replies, storing, ``results.df``); ``--tracemalloc`` adds the Python
heap held at that point and its peak during the phase (tracing slows the run and adds its own memory to the RSS).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from functools import wraps
from typing import Any

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


class _Phases:
    """Prints a line at the end of each phase of a run: the wall and CPU time of this process since the previous
    line (the emulator's work is another process's), the peak RSS so far and, with tracemalloc on, the Python heap
    held now and its peak since the previous line. A phase ends when the function that does it returns (its
    wrapper's ``label``)."""

    def __init__(self) -> None:
        self._last = time.perf_counter()
        self._cpu = time.process_time()
        print(
            f"{'phase (ends when it returns)':<36} {'s':>6} {'CPU s':>6} {'peak RSS':>9} {'heap':>8} {'heap peak':>9}"
        )

    def mark(self, label: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        heap = ""
        if tracemalloc.is_tracing():
            held, peak = tracemalloc.get_traced_memory()
            heap = f"{held / 2**20:6.1f} MB {peak / 2**20:7.1f} MB"
            tracemalloc.reset_peak()
        print(f"{label:<36} {now - self._last:6.1f} {cpu - self._cpu:6.1f} {_peak_rss_mb():6.1f} MB {heap}", flush=True)
        self._last, self._cpu = time.perf_counter(), time.process_time()

    def wrap(self, owner: Any, name: str, label: str) -> None:
        """Mark ``label`` each time ``owner.name`` returns (a coroutine function: when it is done)."""
        function: Callable[..., Any] = getattr(owner, name)
        if asyncio.iscoroutinefunction(function):

            @wraps(function)
            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                result = await function(*args, **kwargs)
                self.mark(label)
                return result
        else:

            @wraps(function)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                result = function(*args, **kwargs)
                self.mark(label)
                return result

        setattr(owner, name, wrapper)


def _watch_batch_path(phases: _Phases) -> None:
    """The phases of ``nl.arun(mode="batch")`` (the SDK's calls included), in the order they run."""
    from google.genai import batches, files

    from notebookllm.gemini import batch
    from notebookllm.notebook import runner
    from notebookllm.store import ledger, store

    for owner, name, label in [
        (runner, "build_items", "rows -> work items"),
        (store.Store, "begin_run", "store: run session begun"),
        (batch, "build_requests", "requests built"),
        (batch, "payload_fingerprint", "payload fingerprint"),
        (batch, "inlined_requests", "inline requests (a small job)"),
        (files.AsyncFiles, "upload", "input file written and uploaded"),
        (batches.AsyncBatches, "create", "SDK: job created"),
        (ledger.BatchLedger, "record", "ledger: job recorded"),
        (batch.GeminiBatch, "await_job", "job waited for"),
        (files.AsyncFiles, "download", "SDK: output file downloaded"),
        (batch.GeminiBatch, "afetch_batch_replies", "output read, parsed, mapped back"),
        (runner, "run_batch_items", "results recorded in the store"),
        (runner.RunOutcome, "results_for", "Results returned"),
    ]:
        phases.wrap(owner, name, label)


async def _run_df(n: int, workers: int, batch: bool, phases: _Phases | None = None) -> None:
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
        if phases is not None:
            phases.mark("results.df")
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
    parser.add_argument("--phases", action="store_true", help="with --through batch: peak RSS after each phase")
    parser.add_argument("--tracemalloc", action="store_true", help="with --phases: the Python heap per phase too")
    args = parser.parse_args()
    if args.phases and args.through != "batch":
        parser.error("--phases goes with --through batch")
    print(f"peak RSS at start       : {_peak_rss_mb():6.1f} MB")
    if args.through == "processor":
        asyncio.run(_run(args.items, args.workers))
        return
    phases = None
    if args.phases:
        if args.tracemalloc:
            tracemalloc.start()
        phases = _Phases()
        _watch_batch_path(phases)
    asyncio.run(_run_df(args.items, args.workers, batch=args.through == "batch", phases=phases))


if __name__ == "__main__":
    main()
