"""End to end through the real SDK: notebookllm against a hand-written loop and async-batch-llm, over HTTP.

Every run sends the same distinct prompts through ``genai.Client.aio`` to the emulator in its own process (so the
client's CPU is this process's CPU and nothing else). Scenarios:

- ``throughput``: fixed latency, N items, C workers — wall time against the latency bound ceil(N / C) × L, items/s
  as a share of the hand-written ``asyncio.Semaphore`` + ``gather`` loop, client CPU ms per item; the physical limit
  is the same loop posting the SDK's JSON with bare aiohttp (no SDK). ``--saturate``
  raises the workers until the client CPU is the limit and reports items per client CPU-second.
- ``ratelimit``: the emulator enforcing a requests-per-minute and a token quota; ours with the matching client-side
  limits and without any, the peer with its own: 429s received, achieved rate ÷ limit.
- ``faults``: seeded 503s and 429s — completed fraction and wall time against the fault-free run.

    .venv/bin/python benchmarks/end_to_end.py throughput                 # 5,000 items, 200 workers, 100 ms
    .venv/bin/python benchmarks/end_to_end.py throughput --saturate
    .venv/bin/python benchmarks/end_to_end.py throughput --schema        # a pydantic response schema on every side
    .venv/bin/python benchmarks/end_to_end.py ratelimit                  # 1,200 items at 600 requests/min
    .venv/bin/python benchmarks/end_to_end.py faults                     # 20 % 503s, 5 % 429s

The peer (async-batch-llm, ``pip install -e ".[bench]"``) is skipped with a note when it is not installed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field

import pydantic
from google import genai
from google.genai import types

import notebookllm as nl
from notebookllm import LLMWorkItem, ParallelBatchProcessor, ProcessorConfig
from notebookllm.core.virtual_clock import run_virtual
from notebookllm.gemini import GeminiStrategy
from notebookllm.gemini.transport import RunTransport

MODEL = "gemini-2.5-flash"
KEY = "emulator-key"

# The emulator in its own process: its config as JSON in argv; prints its URL, then answers each "statuses" line
# on stdin with the HTTP statuses of the generateContent requests logged since the previous one, and when the first
# of them arrived and the last was answered (epoch seconds).
_EMULATOR = """
import collections, json, sys
from notebookllm.emulator import Emulator
from notebookllm.emulator.config import EmulatorConfig
config = json.loads(sys.argv[1])
config["fault_kinds"] = tuple(config.get("fault_kinds", ()))
with Emulator(EmulatorConfig(**config)) as emu:
    print(emu.base_url, flush=True)
    for line in sys.stdin:
        records = [r for r in emu.log if r.endpoint == "generateContent"]
        emu.reset_log()
        statuses = collections.Counter(r.status for r in records)
        ends = [r.started_at + r.duration_s for r in records]
        span = [min(r.started_at for r in records), max(ends)] if records else None
        print(json.dumps({"statuses": statuses, "span": span}), flush=True)
"""


class _EmulatorProcess:
    def __init__(self, **config: object) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", _EMULATOR, json.dumps({"api_key": KEY, **config})],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        self.base_url = self._process.stdout.readline().strip()
        if not self.base_url.startswith("http://127.0.0.1:"):
            raise SystemExit(f"the emulator did not start: {self.base_url!r}")
        _pin(self._process.pid)

    def statuses(self) -> tuple[dict[int, int], tuple[float, float] | None]:
        """generateContent requests per HTTP status since the last call, and the epoch seconds the first of them
        arrived and the last was answered (``None`` without requests)."""
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write("statuses\n")
        self._process.stdin.flush()
        answer = json.loads(self._process.stdout.readline())
        span = tuple(answer["span"]) if answer["span"] else None
        return {int(code): n for code, n in answer["statuses"].items()}, span  # type: ignore[return-value]

    def client(self) -> genai.Client:
        return genai.Client(api_key=KEY, http_options=types.HttpOptions(base_url=self.base_url))

    def close(self) -> None:
        self._process.terminate()
        self._process.wait(10)
        for pipe in (self._process.stdin, self._process.stdout):
            if pipe is not None:
                pipe.close()


def _pin(emulator_pid: int) -> None:
    """The emulator on the last core, this process (the client) on the others, where the OS allows it.

    Unpinned on 2 cores, the scheduler moves the client and the emulator between the cores and puts other work
    beside either: the same runner's items/s moved by ±10-20 % between rounds. Pinned, each contender's client has
    a core of its own and the emulator the other, so every runner is measured on the same footing; the machine
    still moves single rounds by ±5-10 %, hence the median of several.
    """
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_setaffinity") else []
    if len(cores) >= 2:
        os.sched_setaffinity(emulator_pid, {cores[-1]})
        os.sched_setaffinity(0, set(cores[:-1]))


@contextlib.contextmanager
def _emulator(**config: object) -> Iterator[_EmulatorProcess]:
    emulator = _EmulatorProcess(**config)
    try:
        yield emulator
    finally:
        emulator.close()


class Sentiment(pydantic.BaseModel):
    """The structured reply ``throughput --schema`` asks for."""

    label: str
    score: float


@dataclass
class Limits:
    """What a run may send: workers always; requests and tokens per minute when the scenario sets client limits;
    with ``schema``, every request asks for JSON of that shape and every reply is parsed into it; ``store``: the
    SQLite file ``nl.arun`` keeps its answers in (a fresh one per run when None)."""

    workers: int
    rpm: int | None = None
    tpm: int | None = None
    schema: type[pydantic.BaseModel] | None = None
    attempts: int = 3  # the peer's default; only the faults scenario has failures that use attempts
    unavailable_waits: int | None = None  # ours: 503s waited out apart from the attempts; None: our default
    store: str | None = None

    def retry(self) -> nl.RetryConfig:
        """Our retry settings for these limits."""
        waits = {} if self.unavailable_waits is None else {"max_unavailable_waits": self.unavailable_waits}
        return nl.RetryConfig(max_attempts=self.attempts, **waits)


@dataclass
class Measure:
    """One run. ``completed`` is None when the run was stopped at the cap (``wall_s`` is then the cap)."""

    name: str
    items: int
    completed: int | None
    wall_s: float
    cpu_s: float
    statuses: dict[int, int] = field(default_factory=dict)
    started: float = 0.0  # epoch seconds the run was called
    span: tuple[float, float] | None = None  # the first request's arrival and the last reply, as the emulator saw them

    @property
    def done(self) -> str:
        return f"{self.completed / self.items:.1%}" if self.completed is not None else f"stopped at {self.wall_s:.0f} s"

    @property
    def rate(self) -> float:
        return (self.completed or 0) / self.wall_s

    @property
    def before_first_request_s(self) -> float:
        """Seconds from the call to the first request the emulator saw (imports, set-up, the store)."""
        return self.span[0] - self.started if self.span else math.nan

    @property
    def after_last_reply_s(self) -> float:
        """Seconds from the last reply the emulator sent to the run's return (results, the store's flush)."""
        return self.started + self.wall_s - self.span[1] if self.span else math.nan

    def rate_between_requests(self, requests: int) -> float:
        """``requests`` per minute from the first request's arrival to the last reply: the rate a quota sees."""
        return requests / (self.span[1] - self.span[0]) * 60 if self.span else math.nan

    @property
    def cpu_ms_per_item(self) -> float:
        return self.cpu_s / self.items * 1e3


Runner = Callable[[genai.Client, list[str], Limits], Awaitable[int]]


async def hand_written(client: genai.Client, prompts: list[str], limits: Limits) -> int:
    """What a data scientist writes first: a semaphore and gather over ``client.aio`` (no retries, no limits)."""
    semaphore = asyncio.Semaphore(limits.workers)

    async def one(prompt: str) -> str | None:
        async with semaphore:
            reply = await client.aio.models.generate_content(model=MODEL, contents=prompt, config=config)
            return reply.parsed if limits.schema else reply.text

    config = (
        types.GenerateContentConfig(response_mime_type="application/json", response_schema=limits.schema)
        if limits.schema
        else None
    )
    replies = await asyncio.gather(*(one(p) for p in prompts), return_exceptions=True)
    return sum(isinstance(r, (str, pydantic.BaseModel)) for r in replies)


async def hand_written_lean(client: genai.Client, prompts: list[str], limits: Limits) -> int:
    """The same loop through the HTTP session notebookllm's runs send through (``trust_env=False``, see
    ``notebookllm.gemini.transport``): what our engine costs with the transport taken out of the comparison."""
    transport = RunTransport()
    await transport.open(client)
    try:
        return await hand_written(transport.client(client), prompts, limits)
    finally:
        await transport.close()


async def processor(client: genai.Client, prompts: list[str], limits: Limits) -> int:
    """``ParallelBatchProcessor`` + ``GeminiStrategy``, item construction and ``add_work`` included."""
    strategy = GeminiStrategy(client, MODEL, response_schema=limits.schema)
    rate_limit = nl.RateLimitConfig(requests_per_minute=limits.rpm, tokens_per_minute=limits.tpm)
    config = ProcessorConfig(max_workers=limits.workers, rate_limit=rate_limit, retry=limits.retry())
    async with ParallelBatchProcessor(config) as proc:
        for i, prompt in enumerate(prompts):
            await proc.add_work(LLMWorkItem(str(i), strategy, prompt))
        batch = await proc.process_all()
    return batch.succeeded


async def arun(client: genai.Client, prompts: list[str], limits: Limits) -> int:
    """``nl.arun`` as a new user calls it: defaults (the store on, in a fresh directory), progress off."""
    with tempfile.TemporaryDirectory() as directory:
        results = await nl.arun(
            prompts,
            prompt="{text}",
            strategy=GeminiStrategy(client, MODEL, response_schema=limits.schema),
            max_workers=limits.workers,
            rpm=limits.rpm,
            tpm=limits.tpm,
            retry=limits.retry(),
            progress=False,
            store=limits.store or os.path.join(directory, "store.sqlite"),
        )
        return sum(r.success for r in results)


async def peer(client: genai.Client, prompts: list[str], limits: Limits) -> int:
    """async-batch-llm's Gemini strategy on the same client, configured as its README shows."""
    from async_batch_llm import CharacterTokenEstimator, GeminiModel, ProcessorConfig, RetryConfig, process_prompts
    from async_batch_llm import GeminiStrategy as PeerGeminiStrategy

    strategy = PeerGeminiStrategy(GeminiModel(MODEL, client))
    config = ProcessorConfig(
        concurrency=limits.workers,
        retry=RetryConfig(max_attempts=limits.attempts),
        max_requests_per_minute=limits.rpm,
        max_tokens_per_minute=limits.tpm,
        # its TPM limit refuses to run without an estimator; this is the one it ships (never enabled by default)
        token_estimator=CharacterTokenEstimator() if limits.tpm else None,
    )
    batch = await process_prompts(strategy, prompts, config=config)
    return sum(r.success for r in batch.results)


async def http_floor(client: genai.Client, prompts: list[str], limits: Limits) -> int:
    """The physical limit of this emulator, machine and HTTP stack: the same loop posting the JSON the SDK sends with
    a bare aiohttp session (no SDK: no request or reply models), reading the reply's text from the JSON."""
    import aiohttp

    url = f"{client._api_client._http_options.base_url.rstrip('/')}/v1beta/models/{MODEL}:generateContent"
    headers = {"x-goog-api-key": KEY}
    semaphore = asyncio.Semaphore(limits.workers)

    async def one(session: aiohttp.ClientSession, prompt: str) -> str:
        body = {"contents": [{"parts": [{"text": prompt}], "role": "user"}]}
        async with semaphore, session.post(url, json=body, headers=headers) as reply:
            reply.raise_for_status()
            return (await reply.json())["candidates"][0]["content"]["parts"][0]["text"]

    connector = aiohttp.TCPConnector(limit=0)  # as the SDK's: no cap on connections
    async with aiohttp.ClientSession(connector=connector, trust_env=False) as session:
        replies = await asyncio.gather(*(one(session, p) for p in prompts), return_exceptions=True)
    return sum(isinstance(r, str) for r in replies)


RUNNERS: dict[str, Runner] = {
    "hand-written Semaphore + gather": hand_written,
    "hand-written, notebookllm's HTTP session": hand_written_lean,
    "ParallelBatchProcessor + GeminiStrategy": processor,
    "nl.arun": arun,
    "async-batch-llm GeminiStrategy": peer,
    "physical limit: aiohttp without the SDK": http_floor,
}
# Loops with no retries and no limits: left out of the rate-limit and fault scenarios.
_BARE = (hand_written, hand_written_lean, http_floor)


def _peer_installed() -> bool:
    try:
        import async_batch_llm  # noqa: F401
    except ImportError:
        return False
    return True


def _measure(
    name: str, emulator: _EmulatorProcess, prompts: list[str], limits: Limits, cap: float | None = None
) -> Measure:
    """Run ``name`` once; stop it after ``cap`` seconds (a runner that pauses for minutes must not stall the rest)."""

    async def timed() -> tuple[int | None, float, float]:
        client = emulator.client()  # a fresh client per run: each starts with no open connections
        nonlocal started
        started = time.time()
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            completed: int | None = await asyncio.wait_for(RUNNERS[name](client, prompts, limits), cap)
        except asyncio.TimeoutError:
            completed = None
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        await client.aio.aclose()
        return completed, wall, cpu

    started = 0.0
    gc.collect()
    emulator.statuses()
    completed, wall, cpu = asyncio.run(timed())
    statuses, span = emulator.statuses()
    return Measure(name, len(prompts), completed, wall, cpu, statuses, started, span)


def _names(args: argparse.Namespace, with_hand_written: bool = True) -> list[str]:
    names = [n for n in RUNNERS if with_hand_written or RUNNERS[n] not in _BARE]
    if not _peer_installed():
        print("(async-batch-llm is not installed: pip install -e '.[bench]'; its rows are left out)")
        names.remove("async-batch-llm GeminiStrategy")
    return [n for n in names if not args.only or any(word in n for word in args.only)]


def _prompts(count: int, run: int) -> list[str]:
    # distinct per run as well as per item, so no layer can answer from anything it saw before
    return [f"Classify the sentiment of review {run}-{i}: great value, slow delivery" for i in range(count)]


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def throughput(args: argparse.Namespace) -> None:
    names = _names(args)
    limits = Limits(args.workers, schema=Sentiment if args.schema else None)
    if args.schema and "async-batch-llm GeminiStrategy" in names:
        print("(--schema: async-batch-llm's row is left out; its GeminiModel takes no response schema)")
        names.remove("async-batch-llm GeminiStrategy")
    if args.schema and "physical limit: aiohttp without the SDK" in names:
        names.remove("physical limit: aiohttp without the SDK")  # it posts plain-text requests only
    bound = math.ceil(args.items / args.workers) * args.latency
    print(
        f"throughput: {args.items:,} items, {args.workers} workers, {args.latency * 1e3:.0f} ms fixed latency"
        f"{', a pydantic response schema' if args.schema else ''}; latency bound {bound:.2f} s; {_load()}"
    )
    with _emulator(latency_s=args.latency) as emulator:
        _measure(names[0], emulator, _prompts(min(args.items, 500), -1), limits)  # warm-up
        runs: dict[str, list[Measure]] = {n: [] for n in names}
        for round_ in range(args.rounds):
            for name in names:  # interleaved, so a change in the machine's load hits every contender alike
                runs[name].append(_measure(name, emulator, _prompts(args.items, round_), limits))
    base = statistics.median(m.rate for m in runs[names[0]])
    print(
        f"| runner | items/s (median of {args.rounds}) | ÷ hand-written | range over the rounds | wall ÷ bound "
        "| client CPU ms/item (median) | items per CPU-second |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, measures in runs.items():
        rate = statistics.median(m.rate for m in measures)
        cpu = statistics.median(m.cpu_ms_per_item for m in measures)
        spread = f"{min(m.rate for m in measures) / base:.2f}-{max(m.rate for m in measures) / base:.2f}×"
        over = args.items / rate / bound if bound and rate else math.inf
        print(f"| {name} | {rate:,.0f} | {rate / base:.2f}× | {spread} | {over:.3f} | {cpu:.2f} | {1e3 / cpu:,.0f} |")
        failed = [m for m in measures if m.completed != m.items]
        if failed:
            print(f"|  ↳ incomplete runs: {[(m.completed, m.statuses) for m in failed]} |")
    print(f"({_load()} after the runs)")
    if args.saturate:
        _saturate(args, names)


def _saturate(args: argparse.Namespace, names: list[str]) -> None:
    """Raise the workers until items/s stops growing: there the client CPU is the limit."""
    print(f"saturation: {args.items:,} items, {args.latency * 1e3:.0f} ms latency, workers doubling; {_load()}")
    print("| runner | workers | items/s | wall ÷ bound | client CPU s ÷ wall s | items per CPU-second |")
    print("|---|---|---|---|---|---|")
    with _emulator(latency_s=args.latency) as emulator:
        for name in names:
            workers = args.workers
            previous = 0.0
            while workers <= args.items:
                m = _measure(name, emulator, _prompts(args.items, workers), Limits(workers))
                bound = math.ceil(args.items / workers) * args.latency
                print(
                    f"| {name} | {workers} | {m.rate:,.0f} | {m.wall_s / bound:.2f} | {m.cpu_s / m.wall_s:.2f} | "
                    f"{m.completed / m.cpu_s:,.0f} |"
                )
                if m.rate < previous * 1.1:
                    break
                previous, workers = m.rate, workers * 2
    print(f"({_load()} after the runs)")


def ratelimit(args: argparse.Namespace) -> None:
    names = _names(args, with_hand_written=False)
    print(
        f"rate limits: {args.items:,} items, {args.workers} workers, the emulator enforcing {args.rpm} requests/min "
        f"and {args.tpm:,} input tokens/min over a {args.window:g} s window; {_load()}"
    )
    window = {"rpm": round(args.rpm * args.window / 60), "tpm": round(args.tpm * args.window / 60)}
    cases = [(name, Limits(args.workers, args.rpm, args.tpm)) for name in names]
    cases += [(name, Limits(args.workers)) for name in names if RUNNERS[name] is not peer]
    # A sliding-window quota admits a whole window's worth at once, so a client that bursts can beat the limit on a
    # short run (ratio > 1) and pays for it in 429s; a client that paces itself approaches 1.0 from below.
    # Achieved over the whole call (start-up included) and as the quota sees it: from the first request's arrival to
    # the last reply, the requests the emulator answered (429s included) per minute.
    print(
        "| runner | client-side limits | completed | 429s received | achieved requests/min ÷ limit "
        "| between first and last request | s before the first request | s after the last reply | wall s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, limits in cases:
        with _emulator(latency_s=args.latency, quota_window_s=args.window, **window) as emulator:
            m = _measure(name, emulator, _prompts(args.items, 0), limits, args.cap)
        shown = f"{limits.rpm} rpm, {limits.tpm:,} tpm" if limits.rpm else "none"
        achieved = f"{m.completed / m.wall_s * 60 / args.rpm:.2f}" if m.completed == m.items else "—"
        between = m.rate_between_requests(sum(m.statuses.values())) / args.rpm
        print(
            f"| {name} | {shown} | {m.done} | {m.statuses.get(429, 0)} | {achieved} | {between:.3f} "
            f"| {m.before_first_request_s:.2f} | {m.after_last_reply_s:.2f} | {m.wall_s:.1f} |"
        )
    print(f"({_load()} after the runs)")


def _peer_default_attempts() -> int:
    from async_batch_llm import RetryConfig

    return RetryConfig().max_attempts


def faults(args: argparse.Namespace) -> None:
    """Each runner at its own default attempts, and ours also at the peer's (like for like), or every runner at
    ``--attempts``; ``--fault-rounds`` interleaved rounds, each faulty run against the same round's fault-free one.
    Round r draws its faults with seed r (every runner the same ones), so no one sequence's luck decides the
    completed share. A runner stopped at the cap is not run again (the peer pauses 300 s on its first 429)."""
    names = _names(args, with_hand_written=False)
    kinds = ["503"] * 4 + [f"429:{args.retry_delay:g}"]  # drawn uniformly: 4/5 of the faults are 503s, 1/5 429s
    peer = "async-batch-llm GeminiStrategy"
    # (runner, attempts, 503s waited out apart from them: None for the peer and for our default, label)
    if args.attempts is not None:
        n = args.attempts
        cases = [(name, n, None if name == peer else n - 1, "") for name in names]
    else:
        ours = nl.RetryConfig().max_attempts
        theirs = _peer_default_attempts() if _peer_installed() else None
        cases = [(name, theirs if name == peer else ours, None, " (default)") for name in names]
        if theirs is not None:
            cases += [(name, theirs, theirs - 1, " (the peer's)") for name in names if name != peer]
        cases.sort(key=lambda case: names.index(case[0]))
    print(
        f"faults: {args.items:,} items, {args.workers} workers, {args.latency * 1e3:.0f} ms latency, "
        f"{args.fault_rate:.0%} of requests fail (4/5 503, 1/5 429 with retry in {args.retry_delay:g} s), "
        f"interleaved rounds: {args.fault_rounds}; {_load()}"
    )
    runs: dict[tuple[str, int, int | None], list[tuple[Measure, float]]] = {case[:3]: [] for case in cases}
    reruns: dict[tuple[str, int, int | None], list[Measure]] = {case[:3]: [] for case in cases}
    for seed in range(1, args.fault_rounds + 1):
        for name in names:
            mine = [case[:3] for case in cases if case[0] == name and not _capped(runs[case[:3]])]
            if not mine:
                continue
            with _emulator(latency_s=args.latency) as emulator:
                clean = _measure(name, emulator, _prompts(args.items, 0), Limits(args.workers))
            for key in mine:
                with (
                    tempfile.TemporaryDirectory() as directory,
                    _emulator(
                        latency_s=args.latency, fault_rate=args.fault_rate, fault_kinds=kinds, seed=seed
                    ) as emulator,
                ):
                    store = os.path.join(directory, "store.sqlite")
                    limits = Limits(args.workers, attempts=key[1], unavailable_waits=key[2], store=store)
                    m = _measure(name, emulator, _prompts(args.items, 1), limits, args.cap)
                    if name == "nl.arun" and m.completed is not None:
                        # the notebook's cell run again, the faults still on: what a user does about a failed row
                        reruns[key].append(_measure(name, emulator, _prompts(args.items, 1), limits, args.cap))
                runs[key].append((m, clean.wall_s))
    print(
        "| runner | attempts per item | completed | 503s | 429s | wall s, median (range) | fault-free wall s "
        "| ÷ fault-free wall | the cell run again: completed (requests it sent) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, n, waits, label in cases:
        measures = runs[name, n, waits]
        walls, cleans = [m.wall_s for m, _ in measures], [clean for _, clean in measures]
        ratios = [m.wall_s / clean for m, clean in measures]
        done = " / ".join(m.done for m, _ in measures)
        errors = [f"{statistics.median(m.statuses.get(code, 0) for m, _ in measures):.0f}" for code in (503, 429)]
        again = " / ".join(f"{m.done} ({sum(m.statuses.values())})" for m in reruns[name, n, waits]) or "—"
        tries = n if name == peer else _tries(n, waits)
        print(
            f"| {name} | {tries}{label} | {done} | {errors[0]} | {errors[1]} | {_median_range(walls, '.1f')} | "
            f"{_median_range(cleans, '.1f')} | {_median_range(ratios, '.2f')}× | {again} |"
        )
    print(f"({_load()} after the runs)")
    ours = [(n, waits) for name, n, waits, _ in cases if name != peer]
    if ours:
        _explain(args, kinds, sorted(set(ours), key=lambda case: -case[0]))


class _SeededFaults(nl.LLMCallStrategy[str]):
    """The emulator's seeded fault draw, one per request in the order they are sent, answered with the emulator's
    error bodies after ``latency`` seconds of loop time: our engine without HTTP or CPU cost."""

    def __init__(self, args: argparse.Namespace, kinds: list[str]) -> None:
        from notebookllm.emulator.faults import RandomFaults

        self._faults = RandomFaults(args.fault_rate, kinds, seed=1)
        self._latency, self._retry_delay = args.latency, args.retry_delay

    async def execute(
        self, prompt: str, attempt: int, timeout: float, state: nl.RetryState | None = None
    ) -> tuple[str, None]:
        from notebookllm.emulator.errors import ApiError
        from notebookllm.emulator.quotas import minute_quota_error

        fault = self._faults.draw()  # at arrival, as the emulator draws it
        await asyncio.sleep(self._latency)
        if fault is None:
            return prompt, None
        error = minute_quota_error(MODEL, self._retry_delay) if fault.code == 429 else ApiError(fault.code)
        raise (genai.errors.ClientError if fault.code < 500 else genai.errors.ServerError)(fault.code, error.body())


class _Timeline(nl.BaseObserver):
    """Every event of a run with its loop time."""

    def __init__(self) -> None:
        self.events: list[tuple[float, nl.ProcessingEvent, dict[str, object]]] = []

    async def on_event(self, event: nl.ProcessingEvent, data: dict[str, object]) -> None:
        self.events.append((asyncio.get_running_loop().time(), event, data))


async def _virtual_run(
    args: argparse.Namespace, kinds: list[str], limits: Limits, ramp: bool
) -> tuple[int, _Timeline, float]:
    from notebookllm.gemini.classifier import GeminiErrorClassifier

    rate_limit = nl.RateLimitConfig() if ramp else nl.RateLimitConfig(slow_start_items=0)
    config = ProcessorConfig(max_workers=args.workers, retry=limits.retry(), rate_limit=rate_limit)
    strategy, timeline = _SeededFaults(args, kinds), _Timeline()
    async with ParallelBatchProcessor(config, error_classifier=GeminiErrorClassifier(), observers=[timeline]) as proc:
        for i in range(args.items):
            await proc.add_work(LLMWorkItem(str(i), strategy, str(i)))
        batch = await proc.process_all()
    return batch.succeeded, timeline, asyncio.get_running_loop().time()


def _explain(args: argparse.Namespace, kinds: list[str], attempts: list[tuple[int, int | None]]) -> None:
    """Where the wall time goes: our processor on the virtual clock (``notebookllm.core.virtual_clock``), so only its
    waits count."""
    events = nl.ProcessingEvent
    slots, ramp_s = nl.RateLimitConfig().slow_start_items, 2 * nl.RateLimitConfig().slow_start_interval
    clean = math.ceil(args.items / args.workers) * args.latency
    print(
        f"\nOur processor on the virtual clock (no HTTP, no CPU: only waits take time; fault-free {clean:g} s), "
        "round 1's faults (seed 1) drawn in the order requests are sent:"
    )
    print(
        "| attempts | ramp after a cooldown | completed | requests (429s, 503s) | cooldowns (fewest possible) "
        "| in cooldowns (of it: later 429s) | in ramps | the rest | longest item (latency + backoff) | wall | floor |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (n, waits), ramp in [(case, True) for case in attempts] + [(attempts[0], False)]:
        limits = Limits(args.workers, attempts=n, unavailable_waits=waits)
        succeeded, timeline, end = run_virtual(_virtual_run(args, kinds, limits, ramp))
        outcomes = [
            429 if e is events.RATE_LIMIT_HIT else 200 if e is events.ITEM_COMPLETED else 503
            for _, e, _ in timeline.events
            if e in (events.RATE_LIMIT_HIT, events.ITEM_RETRYING, events.ITEM_COMPLETED, events.ITEM_FAILED)
        ]
        # Nothing is sent inside a cooldown, so at best one cooldown serves the 429s of `workers` consecutive
        # requests: cover the 429s' places in the sequence with as few such blocks as possible.
        fewest, covered = 0, -1
        for place, status in enumerate(outcomes):
            if status == 429 and place > covered:
                fewest, covered = fewest + 1, place + args.workers - 1
        sends = sorted(t for t, e, _ in timeline.events if e is events.ITEM_STARTED)
        starts = [(t, d["seconds"]) for t, e, d in timeline.events if e is events.COOLDOWN_STARTED]
        ends = [t for t, e, _ in timeline.events if e is events.COOLDOWN_ENDED]
        cooling = ramping = extended = 0.0
        for i, (start, seconds) in enumerate(starts):
            stop = next((t for t in ends if t >= start), end)
            cooling, extended = cooling + stop - start, extended + max(0.0, stop - start - float(seconds))
            if ramp:  # until the ramp's last slot, or the next cooldown when one cut it short; never past its length
                following = starts[i + 1][0] if i + 1 < len(starts) else end
                released = [t for t in sends if stop <= t < following]
                last = released[slots - 1] if len(released) >= slots else following
                ramping += min(last, stop + ramp_s) - stop
        # One item alone takes its requests' latency and its backoff waits (as drawn) however the run goes.
        chains: dict[object, float] = {}
        for _, e, d in timeline.events:
            if e is events.ITEM_STARTED or e is events.ITEM_RETRYING:
                step = args.latency if e is events.ITEM_STARTED else float(d["wait"])
                chains[d["item_id"]] = chains.get(d["item_id"], 0.0) + step
        chain = max(chains.values())
        floor = max(fewest * args.retry_delay + math.ceil(len(outcomes) / args.workers) * args.latency, chain)
        print(
            f"| {_tries(n, waits)} | {'yes' if ramp else 'none'} | {succeeded / args.items:.1%} | {len(outcomes):,} "
            f"({outcomes.count(429)}, {outcomes.count(503)}) | {len(starts)} ({fewest}) | {cooling:.1f} s "
            f"({extended:.1f} s) | {ramping:.1f} s | {end - cooling - ramping:.1f} s | {chain:.1f} s | {end:.1f} s "
            f"| {floor:.1f} s |"
        )


def _tries(attempts: int, waits: int | None) -> str:
    """Our retry settings as the tables show them: attempts, and the 503s waited out apart from them."""
    if waits is None:
        return f"{attempts} + {nl.RetryConfig().max_unavailable_waits} 503s"
    return f"{attempts}, 503s included" if waits == attempts - 1 else f"{attempts} + {waits} 503s"


def _capped(measures: list[tuple[Measure, float]]) -> bool:
    return any(m.completed is None for m, _ in measures)


def _median_range(values: list[float], spec: str) -> str:
    if len(values) == 1:
        return format(values[0], spec)
    return f"{statistics.median(values):{spec}} ({min(values):{spec}}–{max(values):{spec}})"


SCENARIOS = {"throughput": throughput, "ratelimit": ratelimit, "faults": faults}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--items", type=int, help="default: 5,000 (throughput), 1,200 (ratelimit), 1,000 (faults)")
    parser.add_argument("--workers", type=int, help="default: 200 (throughput), 100 otherwise")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per reply (default 0.1)")
    parser.add_argument("--rounds", type=int, default=5, help="throughput: interleaved rounds, median reported")
    parser.add_argument("--schema", action="store_true", help="throughput: every request asks for structured JSON")
    parser.add_argument("--saturate", action="store_true", help="throughput: then raise the workers to saturation")
    parser.add_argument("--rpm", type=int, default=600, help="ratelimit: requests per minute")
    parser.add_argument("--tpm", type=int, default=100_000, help="ratelimit: input tokens per minute")
    parser.add_argument("--window", type=float, default=60.0, help="ratelimit: the emulator's quota window, seconds")
    parser.add_argument("--fault-rate", type=float, default=0.25, help="faults: share of requests that fail")
    parser.add_argument("--retry-delay", type=float, default=1.0, help="faults: the RetryInfo delay of the 429s")
    parser.add_argument(
        "--attempts", type=int, help="faults: attempts per item of every runner (default: each its own, ours also 3)"
    )
    parser.add_argument("--fault-rounds", type=int, default=3, help="faults: interleaved rounds, median and range")
    parser.add_argument("--cap", type=float, default=180.0, help="ratelimit, faults: seconds before a run is stopped")
    parser.add_argument("--only", nargs="*", help="run only the runners whose name contains one of these words")
    args = parser.parse_args(argv)
    defaults = {"throughput": (5_000, 200), "ratelimit": (1_200, 100), "faults": (1_000, 100)}[args.scenario]
    args.items = args.items or defaults[0]
    args.workers = args.workers or defaults[1]
    SCENARIOS[args.scenario](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
