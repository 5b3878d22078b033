"""The fault soak: many items against the emulator, each with a seeded fault plan — 5xx (20 %), 429 bursts with
RetryInfo (5 %), hangs beyond the attempt timeout (2 %), truncated bodies (1 %), malformed JSON in JSON mode (1 %),
safety blocks (1 %), connection resets (1 %). Asserted from the emulator's own request log: exactly one result per
item, none lost or duplicated, successes exactly the items the plan lets succeed, no item past its attempt budget,
every planned fault injected, the run's token totals equal to what the emulator billed in the replies that
reached it (a truncated body's tokens are billed but cannot be read), and no request inside a cooldown: after each
429 the emulator logged with its RetryInfo delay, no request arrived before the cooldown it started had ended,
except requests already in flight when the 429 came (counted, and bounded by what had been sent and not yet arrived).

CI runs a small seeded version; ``make soak`` runs 10,000 items (``NOTEBOOKLLM_SOAK_ITEMS``).
"""

from __future__ import annotations

import collections
import os
import random
import time
from typing import Any

import pandas as pd
import pytest
from pydantic import BaseModel

import notebookllm as nl
from notebookllm import BaseObserver, ProcessingEvent, RateLimitConfig, RetryConfig
from notebookllm.emulator import Emulator, LogRecord

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


class _Timeline(BaseObserver):
    """When each attempt passed the rate gate and each 429 reached the run, on the clock of the emulator log's
    ``arrived`` (``time.monotonic()``, which is also the run loop's ``loop.time()``)."""

    def __init__(self) -> None:
        self.sends: list[float] = []
        self.rate_limits: list[tuple[float, float]] = []  # (when the run met the 429, its retry delay)

    async def on_event(self, event: ProcessingEvent, data: dict[str, Any]) -> None:
        if event is ProcessingEvent.ITEM_STARTED:
            self.sends.append(time.monotonic())
        elif event is ProcessingEvent.RATE_LIMIT_HIT:
            self.rate_limits.append((time.monotonic(), data["error_info"].retry_after))


def _cooldowns(timeline: _Timeline, log: list[LogRecord]) -> tuple[int, int, int]:
    """Checks the run's cooldowns against the emulator's log; returns (cooldowns checked, requests inside one,
    requests in flight when the 429 came that arrived inside it).

    A 429 arrives at the emulator, then the run holds every request for its RetryInfo delay from the moment it meets
    the 429 (a moment its observer sees just after). So, pairing the k-th 429 to arrive with the k-th the run met,
    the span from when the run met it to when it arrived plus its delay lies inside one of the run's cooldowns,
    whatever the machine's load. Inside a cooldown nothing passes the rate gate, so a request arriving there must
    have been sent before it began and not yet have arrived. A connection the emulator dropped (status 0) is re-sent
    by the HTTP client as the same attempt: the re-sent request is that attempt's arrival.
    """
    rate_limited = sorted((r for r in log if r.status == 429), key=lambda r: r.arrived or 0.0)
    met = sorted(timeline.rate_limits)
    assert len(met) == len(rate_limited) > 0
    assert all(r.arrived is not None and r.arrived <= t for r, (t, _) in zip(rate_limited, met, strict=True))
    (delay,) = {r.retry_delay_s for r in rate_limited}  # one delay: the k-th met is not always the k-th to arrive
    assert delay is not None and all(d == pytest.approx(delay) for _, d in met)
    windows: list[list[float]] = []
    for record, (start, _) in zip(rate_limited, met, strict=True):
        end = (record.arrived or 0.0) + delay
        if start >= end:
            continue  # the run met this 429 later than its delay: nothing left to check of it
        if windows and start <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], end)
        else:
            windows.append([start, end])
    arrivals = sorted(r.arrived for r in log if r.status != 0 and r.arrived is not None)
    inside = in_flight = 0
    for start, end in windows:
        assert not [t for t in timeline.sends if start < t < end], "an attempt passed the gate inside a cooldown"
        sent_before = sum(t <= start for t in timeline.sends)
        arrived_before = sum(a <= start for a in arrivals)
        arrived_during = sum(start < a < end for a in arrivals)
        inside += max(0, arrived_during - (sent_before - arrived_before))
        in_flight += min(arrived_during, sent_before - arrived_before)
    return len(windows), inside, in_flight


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
    timeline = _Timeline()
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
        observers=[timeline],
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
    # no item past its attempt budget; rate-limit waits and 503s (not billed, not the item's fault) counted apart
    assert (df["attempts"] <= MAX_ATTEMPTS).all()
    assert df["rate_limit_waits"].tolist() == [n if kind == "429" else 0 for kind, _, n in plans]
    unavailable = ["fail:503" in marker for _, marker, _ in plans]
    assert df["unavailable_waits"].tolist() == [n if u else 0 for (_, _, n), u in zip(plans, unavailable, strict=True)]
    once = ("clean", "bad-json", "blocked", "429")
    expected_attempts = [1 if k in once or u else n + 1 for (k, _, n), u in zip(plans, unavailable, strict=True)]
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
    # no request inside a cooldown; those in flight when a 429 came are bounded by what was sent and not arrived
    cooldowns, inside, in_flight = _cooldowns(timeline, log)
    assert cooldowns > 0 and inside == 0
    print(
        f"\nsoak: {ITEMS:,} items, seed {SEED}; faults injected: "
        + ", ".join(f"{kind} {n:,}" for kind, n in sorted(injected.items()))
        + f"; requests {len(log):,}; lost 0, duplicated 0; succeeded {int(df['success'].sum()):,}"
        + f"; tokens counted {counted:,} = billed {billed:,} (+{unreadable:,} in truncated bodies)"
        + f"; cooldowns checked {cooldowns}: requests inside a cooldown: {inside}; in flight at the 429: {in_flight}"
    )
