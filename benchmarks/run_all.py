"""``make bench``: run every benchmark, each bounded in time, and write ``benchmarks/results.md``.

The file records what a reader needs to trust or redo the figures: date, machine, load average before and after
each benchmark, Python and library versions, and each exact command with its output.

    .venv/bin/python benchmarks/run_all.py                    # everything (about 15-25 minutes on 2 idle cores)
    .venv/bin/python benchmarks/run_all.py --only end_to_end  # the commands whose text contains a word
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (command, seconds it may take before it is stopped)
COMMANDS: list[tuple[list[str], int]] = [
    (["end_to_end.py", "throughput"], 900),
    (["end_to_end.py", "throughput", "--items", "1000", "--workers", "20"], 600),
    (["end_to_end.py", "throughput", "--items", "400", "--workers", "20", "--latency", "1", "--rounds", "3"], 900),
    (["end_to_end.py", "throughput", "--items", "2000", "--workers", "100", "--schema"], 600),
    (["end_to_end.py", "throughput", "--items", "2000", "--workers", "100", "--rounds", "1", "--saturate"], 900),
    (["end_to_end.py", "ratelimit"], 900),
    (["end_to_end.py", "faults"], 1200),
    (["startup.py"], 300),
    (["memory.py"], 300),
    (["memory.py", "--through", "arun"], 300),
    (["memory.py", "--through", "batch"], 600),
    (["overhead.py"], 300),
    (["emulator_throughput.py"], 300),
    (["store_speed.py", "--items", "20000"], 300),
    (["notebook_speed.py"], 300),
    (["evaluation_speed.py"], 300),
    (["media_run.py"], 600),
]

LIBRARIES = ["notebookllm", "google-genai", "aiohttp", "pydantic", "pandas", "async-batch-llm"]


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _header() -> list[str]:
    now = datetime.datetime.now(datetime.timezone.utc)
    versions = ", ".join(f"{name} {_version(name)}" for name in LIBRARIES)
    return [
        "# Benchmark results",
        "",
        "Written by `make bench` (`benchmarks/run_all.py`); `benchmarks/README.md` explains each benchmark. Ratios",
        "are measured in one run, contenders interleaved, so they hold where absolute figures move with the load.",
        "",
        f"- date: {now:%Y-%m-%d %H:%M} UTC",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; {versions}",
        f"- load average (1, 5, 15 min) at start: {_load()}",
        "",
    ]


def _run(command: list[str], limit: int) -> list[str]:
    shown = " ".join([".venv/bin/python", f"benchmarks/{command[0]}", *command[1:]])
    before = _load()
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, str(HERE / command[0]), *command[1:]],
            capture_output=True,
            text=True,
            timeout=limit,
            cwd=HERE.parent,
        )
        output, outcome = done.stdout + done.stderr[-2000:], f"exit {done.returncode}"
    except subprocess.TimeoutExpired as stopped:
        partial = stopped.stdout.decode() if isinstance(stopped.stdout, bytes) else (stopped.stdout or "")
        output, outcome = partial, f"stopped after {limit} s"
    elapsed = time.perf_counter() - started
    print(f"{shown}: {outcome} in {elapsed:.0f} s", flush=True)
    return [
        f"## `{shown}`",
        "",
        f"{outcome}, {elapsed:.0f} s; load average before {before}, after {_load()}",
        "",
        "```",
        output.rstrip(),
        "```",
        "",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="run only the commands whose text contains one of these words")
    parser.add_argument("--output", type=Path, default=HERE / "results.md")
    args = parser.parse_args()
    lines = _header()
    for command, limit in COMMANDS:
        if args.only and not any(word in " ".join(command) for word in args.only):
            continue
        lines += _run(command, limit)
    args.output.write_text("\n".join(lines))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
