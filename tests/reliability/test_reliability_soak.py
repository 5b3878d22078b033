"""The fault soak: many items against the emulator, each with a seeded fault plan — 5xx (20 %), 429 bursts with
RetryInfo (5 %), hangs beyond the attempt timeout (2 %), truncated bodies (1 %), malformed JSON in JSON mode (1 %),
safety blocks (1 %), connection resets (1 %). Asserted from the emulator's own request log: exactly one result per
item, none lost or duplicated, successes exactly the items the plan lets succeed, no item past its attempt budget,
every planned fault injected, and the run's token totals equal to what the emulator billed in the replies that
reached it (a truncated body's tokens are billed but cannot be read).

CI runs a small seeded version; ``make soak`` runs 10,000 items (``NOTEBOOKLLM_SOAK_ITEMS``).
"""

from __future__ import annotations

import collections
import os
import random
from typing import Any

import pandas as pd
from pydantic import BaseModel

import notebookllm as nl
from notebookllm import RateLimitConfig, RetryConfig
from notebookllm.emulator import Emulator

ITEMS = int(os.environ.get("NOTEBOOKLLM_SOAK_ITEMS", "300"))
SEED = int(os.environ.get("NOTEBOOKLLM_SOAK_SEED", "11"))
MAX_ATTEMPTS = 4
TIMEOUT_S = 5.0  # far above a loaded machine's reply time: only the planned hangs time out


class Verdict(BaseModel):
    label: str


def _plan(rng: random.Random) -> tuple[str, str, int]:
    """(kind, marker, failed requests before the success) for one item."""
    draw = rng.random()
    if draw < 0.20:
        n = rng.randint(1, MAX_ATTEMPTS - 1)
        return "5xx", f"[[fail:{rng.choice(['500', '503'])}x{n}]]", n
    if draw < 0.25:
        n = rng.randint(1, 3)
        return "429", f"[[fail:429:0.05x{n}]]", n
    if draw < 0.27:
        return "hang", "[[fail:hangx1]]", 1
    if draw < 0.28:
        return "truncated", "[[fail:truncatex1]]", 1
    if draw < 0.29:
        return "bad-json", "[[bad-json]]", 0
    if draw < 0.30:
        return "blocked", "[[block]]", 0
    if draw < 0.31:
        return "reset", "[[fail:resetx1]]", 1
    return "clean", "", 0


def test_fault_soak(make_emulator: Any) -> None:
    emu: Emulator = make_emulator(seed=SEED, hang_s=TIMEOUT_S * 4)
    rng = random.Random(SEED)
    # one of every kind first, so that a small run still meets each fault
    every_kind = [
        ("5xx", "[[fail:503x3]]", 3),
        ("429", "[[fail:429:0.05x2]]", 2),
        ("hang", "[[fail:hangx1]]", 1),
        ("truncated", "[[fail:truncatex1]]", 1),
        ("bad-json", "[[bad-json]]", 0),
        ("blocked", "[[block]]", 0),
        ("reset", "[[fail:resetx1]]", 1),
    ]
    plans = every_kind + [_plan(rng) for _ in range(ITEMS - len(every_kind))]
    frame = pd.DataFrame({"text": [f"item {i} {marker}" for i, (_, marker, _) in enumerate(plans)]})
    strategy = nl.GeminiStrategy(client=emu.client(), response_schema=Verdict)
    results = nl.run(
        frame,
        prompt="Judge: {text}",
        strategy=strategy,
        cache=False,
        progress=False,
        max_workers=16,
        timeout=TIMEOUT_S,
        retry=RetryConfig(max_attempts=MAX_ATTEMPTS, initial_wait=0.001, max_wait=0.01),
        rate_limit=RateLimitConfig(slow_start_items=0, max_rate_limit_waits=10),
    )
    df = results.df
    kinds = [kind for kind, _, _ in plans]
    injected = collections.Counter(kind for kind, _, n in plans for _ in range(max(n, 1)) if kind != "clean")

    # exactly one result per item, in order: nothing lost, nothing duplicated
    assert len(results.results) == ITEMS and [r.item_id for r in results] == [str(i) for i in range(ITEMS)]
    # successes exactly the items the plan lets succeed; blocks are not retried
    expected_success = [kind != "blocked" for kind in kinds]
    assert df["success"].tolist() == expected_success, df.loc[df["success"] != expected_success, ["text", "error"]]
    assert df.loc[[k == "blocked" for k in kinds], "blocked"].all()
    # no item past its attempt budget; rate-limit waits counted apart
    assert (df["attempts"] <= MAX_ATTEMPTS).all()
    assert df["rate_limit_waits"].tolist() == [n if kind == "429" else 0 for kind, _, n in plans]
    expected_attempts = [1 if k in ("clean", "bad-json", "blocked", "429") else n + 1 for k, _, n in plans]
    # a reset may be re-sent by the HTTP client itself (a dropped pooled connection) before it is an attempt
    reset = [kind == "reset" for kind in kinds]
    assert df.loc[reset, "attempts"].isin([1, 2]).all()
    kept = [not r for r in reset]
    assert df.loc[kept, "attempts"].tolist() == [e for e, k in zip(expected_attempts, kept, strict=True) if k]

    # from the emulator's own log: every request the plan calls for, and not one more
    log = [r for r in emu.log if r.endpoint == "generateContent"]
    status = collections.Counter(r.status for r in log)
    assert status[429] == injected["429"]
    assert status[500] + status[503] == injected["5xx"]
    assert status[200] == ITEMS + injected["truncated"]  # one answer per item, plus the truncated 200s
    assert status[0] == injected["reset"]  # dropped connections: no answer, re-sent once
    hung = len(log) - sum(status[s] for s in (0, 200, 429, 500, 503))
    assert hung <= injected["hang"]  # a hung request is logged when the server notices the client left
    faults = collections.Counter(r.fault for r in log if r.fault is not None)
    assert faults["500"] + faults["503"] == injected["5xx"] and faults["429"] == injected["429"]
    assert faults["truncate"] == injected["truncated"] and faults["reset"] == injected["reset"]
    # token totals equal what the emulator billed, less what it billed in bodies the client could not read
    billed = sum(r.billed_tokens for r in log if r.fault not in ("truncate", "hang"))
    unreadable = sum(r.billed_tokens for r in log if r.fault == "truncate")
    counted = int(df[["input_tokens", "output_tokens", "thoughts_tokens"]].to_numpy().sum())
    assert counted == billed
    print(
        f"\nsoak: {ITEMS:,} items, seed {SEED}; faults injected: "
        + ", ".join(f"{kind} {n:,}" for kind, n in sorted(injected.items()))
        + f"; requests {len(log):,}; lost 0, duplicated 0; succeeded {int(df['success'].sum()):,}"
        + f"; tokens counted {counted:,} = billed {billed:,} (+{unreadable:,} in truncated bodies)"
    )
