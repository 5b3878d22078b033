"""Counts, latency percentiles and tokens of a run, from its events.

Example:
    >>> metrics = MetricsObserver()
    >>> processor = ParallelBatchProcessor(config, observers=[metrics])  # doctest: +SKIP
    >>> await processor.process_all()  # doctest: +SKIP
    >>> metrics.get_metrics()["items_failed"], metrics.get_metrics()["latency_p95_s"]  # doctest: +SKIP
    >>> print(metrics.to_prometheus())  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from .events import BaseObserver, ProcessingEvent
from .results import WorkItemResult

__all__ = ["MetricsObserver"]

_COUNTED = {
    ProcessingEvent.ITEM_STARTED: "attempts",
    ProcessingEvent.ITEM_COMPLETED: "items_succeeded",
    ProcessingEvent.ITEM_FAILED: "items_failed",
    ProcessingEvent.ITEM_RETRYING: "retries",
    ProcessingEvent.RATE_LIMIT_HIT: "rate_limit_hits",
    ProcessingEvent.COOLDOWN_STARTED: "cooldowns",
}
_PERCENTILES = (50, 90, 95, 99)
_TOKEN_FIELDS = ("input_tokens", "output_tokens", "cached_input_tokens", "thoughts_tokens")


def _percentile(ordered: list[float], p: int) -> float:
    """Nearest-rank percentile of a sorted list (0.0 when empty)."""
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class MetricsObserver(BaseObserver):
    """Collects what a run did. One observer may watch several runs; its figures add up."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter({name: 0 for name in _COUNTED.values()})
        self._latencies: list[float] = []
        self._tokens: Counter[str] = Counter({name: 0 for name in _TOKEN_FIELDS})
        self._errors: Counter[str] = Counter()

    async def on_event(self, event: ProcessingEvent, data: dict[str, Any]) -> None:
        name = _COUNTED.get(event)
        if name is not None:
            self._counts[name] += 1
        if event in (ProcessingEvent.ITEM_COMPLETED, ProcessingEvent.ITEM_FAILED):
            result: WorkItemResult[Any, Any] = data["result"]
            self._latencies.append(result.latency_s)
            for field in _TOKEN_FIELDS:
                self._tokens[field] += getattr(result.token_usage, field)
            if not result.success:
                self._errors[result.error_info.category if result.error_info else "unknown"] += 1

    def get_metrics(self) -> dict[str, Any]:
        """A snapshot: counts, ``latency_p50_s`` … ``latency_p99_s``, token totals, failures by category."""
        ordered = sorted(self._latencies)
        metrics: dict[str, Any] = dict(self._counts)
        metrics["items_finished"] = metrics["items_succeeded"] + metrics["items_failed"]
        for p in _PERCENTILES:
            metrics[f"latency_p{p}_s"] = _percentile(ordered, p)
        metrics["latency_mean_s"] = sum(ordered) / len(ordered) if ordered else 0.0
        metrics.update(self._tokens)
        metrics["errors_by_category"] = dict(self._errors)
        return metrics

    def to_prometheus(self, prefix: str = "notebookllm") -> str:
        """The metrics in the Prometheus text exposition format."""
        m = self.get_metrics()
        lines: list[str] = []

        def emit(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
            lines.append(f"# HELP {prefix}_{name} {help_text}")
            lines.append(f"# TYPE {prefix}_{name} {kind}")
            lines.extend(f"{prefix}_{name}{labels} {value:g}" for labels, value in samples)

        for name in (*_COUNTED.values(), "items_finished"):
            emit(f"{name}_total", "counter", name.replace("_", " "), [("", m[name])])
        emit(
            "tokens_total",
            "counter",
            "tokens billed, failed attempts included",
            [(f'{{kind="{f.removesuffix("_tokens")}"}}', m[f]) for f in _TOKEN_FIELDS],
        )
        emit(
            "item_latency_seconds",
            "summary",
            "seconds from an item's start to its result",
            [(f'{{quantile="{p / 100:g}"}}', m[f"latency_p{p}_s"]) for p in _PERCENTILES],
        )
        lines.append(f"{prefix}_item_latency_seconds_sum {sum(self._latencies):g}")
        lines.append(f"{prefix}_item_latency_seconds_count {len(self._latencies)}")
        emit(
            "errors_total",
            "counter",
            "failed items by error category",
            [(f'{{category="{c}"}}', n) for c, n in sorted(m["errors_by_category"].items())],
        )
        return "\n".join(lines) + "\n"
