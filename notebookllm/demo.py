"""``notebookllm demo``: the engine end to end on a scripted stand-in for the model (no network, no API key).

A few hundred sample reviews are classified by a strategy whose "model" answers after a short random delay,
drops the connection now and then (retried with backoff), answers a rate-limit error once in a while (every
worker pauses, then a ramp), and gives unusable replies for a few items (not retried). It prints a results table
and a summary.
"""

from __future__ import annotations

import argparse
import asyncio
import random
from typing import Any

from .core.attempt import current_attempt
from .core.classification import DefaultErrorClassifier, ErrorInfo
from .core.config import ProcessorConfig, RateLimitConfig, RetryConfig
from .core.metrics import MetricsObserver
from .core.processor import ParallelBatchProcessor
from .core.results import BatchResult
from .core.retry_state import RetryState
from .core.strategy import LLMCallStrategy
from .core.work_item import LLMWorkItem

_LABELS = ("positive", "negative", "neutral")
_SUBJECTS = ("battery", "screen", "delivery", "price", "manual", "support", "sound", "camera")
_VERDICTS = ("is great", "broke after a week", "is fine I guess", "exceeded expectations", "was a let-down")


class _DemoRateLimit(Exception):
    """The scripted model's 429, with the delay a server would send."""

    retry_after = 0.2


class _DemoClassifier(DefaultErrorClassifier):
    def classify(self, exc: BaseException) -> ErrorInfo:
        if isinstance(exc, _DemoRateLimit):
            return ErrorInfo(retryable=True, is_rate_limit=True, retry_after=exc.retry_after, category="rate_limit")
        return super().classify(exc)


class _ScriptedSentiment(LLMCallStrategy[str]):
    """Classifies a review; its faults are drawn from a seeded generator, so every run is the same."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    async def execute(self, prompt: str, attempt: int, timeout: float, state: RetryState | None = None):
        rng = self._rng
        await asyncio.sleep(rng.uniform(0.002, 0.02))
        roll = rng.random()
        usage = {"input_tokens": len(prompt) // 4, "output_tokens": 2, "cached_input_tokens": len(prompt) // 8}
        if roll < 0.10:
            raise ConnectionError("connection reset by peer")
        if roll < 0.11:
            raise _DemoRateLimit("429 RESOURCE_EXHAUSTED")
        if roll < 0.13 and attempt == 1:
            current_attempt().bill(usage)  # an unusable reply is still billed: the result counts it
            raise ValueError("reply is not one of the labels")
        return _LABELS[sum(map(ord, prompt)) % 3], usage


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--items", type=int, default=300, help="sample items to process (default 300)")
    parser.add_argument("--workers", type=int, default=32, help="concurrent workers (default 32)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the scripted model's faults")
    parser.add_argument("--rows", type=int, default=12, help="result rows to print (default 12)")


def _reviews(n: int) -> list[str]:
    return [f"Review {i}: the {_SUBJECTS[i % 8]} {_VERDICTS[(i * 3) % 5]}." for i in range(n)]


def _table(batch: BatchResult[Any, Any], rows: int) -> str:
    failed = [r for r in batch.results if not r.success]
    shown = batch.results[: max(0, rows - len(failed))] + failed[:rows]
    header = f"{'item':<10} {'ok':<3} {'output':<9} {'attempts':>8} {'in':>5} {'out':>4} {'ms':>6}  error"
    lines = [header, "-" * len(header)]
    for r in shown:
        error = f"{r.error_type}: {r.error_message}" if r.error else ""
        lines.append(
            f"{r.item_id:<10} {'yes' if r.success else 'no':<3} {r.output or '':<9} {r.attempts:>8} "
            f"{r.input_tokens:>5} {r.output_tokens:>4} {r.latency_s * 1000:>6.0f}  {error}"
        )
    return "\n".join(lines)


async def _main(args: argparse.Namespace) -> BatchResult[Any, Any]:
    strategy = _ScriptedSentiment(args.seed)
    metrics = MetricsObserver()
    config = ProcessorConfig(
        max_workers=args.workers,
        timeout_per_item=5,
        retry=RetryConfig(max_attempts=3, initial_wait=0.05, max_wait=0.5),
        rate_limit=RateLimitConfig(slow_start_items=4, slow_start_interval=0.05),
    )
    async with ParallelBatchProcessor(config, error_classifier=_DemoClassifier(), observers=[metrics]) as processor:
        for i, review in enumerate(_reviews(args.items)):
            await processor.add_work(LLMWorkItem(f"review-{i}", strategy, review, context={"row": i}))
        batch = await processor.process_all()
    m = metrics.get_metrics()
    print(_table(batch, args.rows))
    print()
    print(f"items {batch.total_items}: {batch.succeeded} succeeded, {batch.failed} failed")
    print(
        f"attempts {m['attempts']} (retries {m['retries']}, rate-limit hits {m['rate_limit_hits']}, "
        f"cooldowns {m['cooldowns']})"
    )
    print(
        f"tokens: input {batch.total_input_tokens}, output {batch.total_output_tokens}, "
        f"cached {batch.total_cached_tokens} (cache hit rate {batch.cache_hit_rate():.0%})"
    )
    print(f"latency p50 {m['latency_p50_s'] * 1000:.0f} ms, p95 {m['latency_p95_s'] * 1000:.0f} ms")
    print(f"failures by category: {m['errors_by_category'] or 'none'}")
    return batch


def run(args: argparse.Namespace) -> int:
    """Run the demo; exit code 0 when every item ended with a result."""
    batch = asyncio.run(_main(args))
    return 0 if batch.total_items == args.items else 1
