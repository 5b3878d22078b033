"""Speed of the store: per-item cost of a fresh run (cache lookup + commit) and of a fully cached rerun.

Results are Gemini-shaped: a pydantic output, token counts and the metadata a Gemini reply carries. The store's
figures use a strategy keyed by ``cache_namespace`` (the core's default fingerprint), so they measure the store;
the per-item cost of ``GeminiStrategy.request_key`` (the cache key, computed by the strategy, not the store) is measured
on its own, on fewer items.

    .venv/bin/python benchmarks/store_speed.py                 # 100,000 items
    .venv/bin/python benchmarks/store_speed.py --items 20000

Targets (issue 6): lookup + commit < 100 µs per item; a fully cached rerun of 100,000 items < 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from google import genai
from google.genai import types
from pydantic import BaseModel

from notebookllm.core.results import WorkItemResult
from notebookllm.core.strategy import LLMCallStrategy
from notebookllm.core.tokens import TokenUsage
from notebookllm.core.work_item import LLMWorkItem
from notebookllm.gemini import GeminiStrategy
from notebookllm.store import Store


class Verdict(BaseModel):
    label: str
    confidence: float


def _result(item: LLMWorkItem[str, None]) -> WorkItemResult[Verdict, None]:
    now = time.time()
    return WorkItemResult(
        item_id=item.item_id,
        success=True,
        output=Verdict(label="positive", confidence=0.93),
        attempts=1,
        token_usage=TokenUsage(input_tokens=42, output_tokens=9),
        metadata={
            "finish_reason": "STOP",
            "safety_ratings": {"HARM_CATEGORY_HARASSMENT": "NEGLIGIBLE", "HARM_CATEGORY_HATE_SPEECH": "NEGLIGIBLE"},
            "blocked": False,
            "block_reason": None,
            "model": "gemini-2.5-flash",
            "model_version": "gemini-2.5-flash-001",
            "emulated": False,
            "cost_usd": 0.0000351,
        },
        latency_s=0.8,
        started_at=now - 0.8,
        finished_at=now,
    )


class _Namespaced(LLMCallStrategy[Verdict]):
    cache_namespace = "benchmarks.store_speed/1"

    async def execute(self, prompt: str, attempt: int, timeout: float) -> tuple[Verdict, None]:
        raise NotImplementedError  # never run: the benchmark records made-up results


def _items(strategy: LLMCallStrategy[Verdict], n: int) -> list[LLMWorkItem[str, None]]:
    return [LLMWorkItem(f"row-{i}", strategy, f"Classify review {i}: the product works.") for i in range(n)]


def _gemini_fingerprint_us(n: int) -> float:
    # Never contacted: fingerprints are computed locally.
    client = genai.Client(api_key="benchmark", http_options=types.HttpOptions(base_url="http://127.0.0.1:9"))
    strategy = GeminiStrategy(client, "gemini-2.5-flash", temperature=0.0, response_schema=Verdict)
    start = time.perf_counter()
    for item in _items(strategy, n):
        strategy.request_key(item.prompt)
    return (time.perf_counter() - start) / n * 1e6


async def _measure(n: int, folder: Path) -> dict[str, float]:
    items = _items(_Namespaced(), n)
    results = [_result(item) for item in items]  # built outside the timings: the processor makes these
    store = Store.open(folder / "store.sqlite")

    start = time.perf_counter()
    session = store.begin_run(items)  # every lookup misses
    lookup_miss = time.perf_counter() - start
    start = time.perf_counter()
    for result in results:
        await session.record(result)
    queued = time.perf_counter() - start
    await session.close()
    committed = time.perf_counter() - start

    start = time.perf_counter()
    rerun = store.begin_run(items)
    cached_rerun = time.perf_counter() - start
    assert len(rerun.finished) == n and not rerun.pending
    store.close()
    return {
        "GeminiStrategy cache key (request_key) per item, µs": _gemini_fingerprint_us(min(n, 2000)),
        "fresh run: lookup (miss) per item, µs": lookup_miss / n * 1e6,
        "fresh run: record() on the loop per item, µs": queued / n * 1e6,
        "fresh run: lookup + commit per item, µs": (lookup_miss + committed) / n * 1e6,
        "cached rerun: per item, µs": cached_rerun / n * 1e6,
        f"cached rerun of {n:,} items, s": cached_rerun,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best of each figure is shown")
    args = parser.parse_args()
    best: dict[str, float] = {}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as folder:
            for name, value in asyncio.run(_measure(args.items, Path(folder))).items():
                best[name] = min(value, best.get(name, value))
    for name, value in best.items():
        print(f"{name:<48} {value:10.2f}")


if __name__ == "__main__":
    main()
