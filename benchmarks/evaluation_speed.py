"""Evaluation speed: scoring 100,000 rows against labels, and ``nl.estimate`` of 50,000 rows on the emulator.

1. ``results.score(labels=...)`` then ``.scores`` (exact match after normalisation, a 2,000-resample bootstrap
   interval, macro-F1, cost and latency percentiles) over 100,000 results, the DataFrame already built (its cost
   is ``notebook_speed.py``'s). Baseline in the same run: one vectorised pandas line computing the bare accuracy
   (``(out.str.strip().str.casefold() == label).mean()``). Target: under 1 s.
2. ``nl.estimate`` of 50,000 distinct prompts on the in-process emulator (stratified sample of 300 countTokens
   calls): on a fresh store, and on a store holding replies of the model, where every row is looked up. Also
   measured alone in the same run: the request fingerprints that lookup needs (the same work ``nl.run`` does
   before its first request). Target: under 10 s.

    .venv/bin/python benchmarks/evaluation_speed.py [--rows 100000] [--estimate-rows 50000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import os
import time

import pandas as pd

import notebookllm as nl
from notebookllm import WorkItemResult
from notebookllm.core.strategy import fingerprint_digest
from notebookllm.core.tokens import TokenUsage
from notebookllm.emulator import Emulator
from notebookllm.notebook import Results
from notebookllm.store import Store

_CLASSES = ("positive", "negative", "neutral")


def scoring(rows: int, repeat: int) -> tuple[float, float, float]:
    """Best seconds of ours and of the pandas one-liner, and our accuracy (checked against the one-liner)."""
    usage = TokenUsage(input_tokens=40, output_tokens=2)
    metadata = {"finish_reason": "STOP", "blocked": False, "cost_usd": 1.7e-5}
    outputs = [f" {_CLASSES[i % 3].capitalize()}." if i % 5 else _CLASSES[(i + 1) % 3] for i in range(rows)]
    results = [
        WorkItemResult(str(i), True, out, token_usage=usage, metadata=metadata, latency_s=0.2 + (i % 7) / 10)
        for i, out in enumerate(outputs)
    ]
    inputs = pd.DataFrame(
        {"text": [f"review {i}" for i in range(rows)], "label": [_CLASSES[i % 3] for i in range(rows)]}
    )
    run = Results(inputs, results)
    _ = run.df  # built once, as in a notebook: its cost is measured by notebook_speed.py
    best_ours = best_bare = float("inf")
    accuracy = bare = 0.0
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        scores = run.score(labels="label").scores
        best_ours = min(best_ours, time.perf_counter() - start)
        accuracy = float(scores.loc["run", "accuracy"])
        gc.collect()
        start = time.perf_counter()
        bare = float((run.df["output"].str.strip(" .").str.casefold() == inputs["label"]).mean())
        best_bare = min(best_bare, time.perf_counter() - start)
    assert abs(accuracy - bare) < 1e-12, (accuracy, bare)
    return best_ours, best_bare, accuracy


def estimate(rows: int, repeat: int) -> tuple[float, float, float, str]:
    """Best seconds of ``nl.estimate`` on a fresh store and on a store holding replies of the model (every row
    is then looked up), of the request fingerprints that lookup needs alone, and the estimate's input line."""
    frame = pd.DataFrame({"review": [f"review {i}: " + "fine words here " * (i % 40) for i in range(rows)]})
    prompt = "Classify the sentiment: {review}"
    best = {"fresh": float("inf"), "stored": float("inf"), "keys": float("inf")}
    line = ""
    with Emulator() as emu:
        strategy = nl.GeminiStrategy(emu.client(), "gemini-2.5-flash")
        fresh, stored = Store.open(memory=True), Store.open(memory=True)
        nl.run(frame.head(20), prompt=prompt, strategy=strategy, store=stored, progress=False)
        for _ in range(repeat):
            for name, store in (("fresh", fresh), ("stored", stored)):
                gc.collect()
                start = time.perf_counter()
                est = nl.estimate(frame, prompt=prompt, strategy=strategy, store=store)
                best[name] = min(best[name], time.perf_counter() - start)
                line = str(est).splitlines()[2]
            gc.collect()
            start = time.perf_counter()
            for review in frame["review"]:
                fingerprint_digest(strategy.request_fingerprint(prompt.format(review=review)))
            best["keys"] = min(best["keys"], time.perf_counter() - start)
    return best["fresh"], best["stored"], best["keys"], line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--estimate-rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    ours, bare, accuracy = scoring(args.rows, args.repeat)
    print(f"scoring {args.rows:,} rows (score + scores): {ours:.3f} s (target < 1 s); accuracy {accuracy:.4f}")
    print(f"  bare pandas accuracy one-liner: {bare:.3f} s — ours {ours / bare:.1f}× (intervals, F1, costs included)")
    fresh, stored, keys, line = estimate(args.estimate_rows, args.repeat)
    print(f"estimate of {args.estimate_rows:,} rows, fresh store: {fresh:.2f} s (target < 10 s)")
    print(
        f"estimate of {args.estimate_rows:,} rows, store holding replies of the model: {stored:.2f} s (target < 10 s)"
    )
    print(f"  request fingerprints for that store lookup, measured alone: {keys:.2f} s ({keys / stored:.0%})")
    print(f"  {line}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
