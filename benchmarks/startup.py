"""Start-up: ``import notebookllm`` and a one-row ``nl.run`` in a cold process, against google-genai alone.

Each measurement is a fresh ``python`` process (the interpreter's own start-up included on both sides), run
interleaved with its baseline so both see the same machine load; the emulator answers in its own process, with no
latency, already warm.

    .venv/bin/python benchmarks/startup.py            # 7 cold processes of each, the median reported
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time

from end_to_end import KEY, MODEL, _emulator, _load

_CONNECT = f"""
from google import genai
from google.genai import types
client = genai.Client(api_key={KEY!r}, http_options=types.HttpOptions(base_url=BASE_URL))
"""

PROGRAMS = {
    "import notebookllm": "import notebookllm",
    "import google.genai": "from google import genai",
    "one-row nl.run, first result": _CONNECT
    + f"""
import notebookllm as nl
results = nl.run(["Say hello"], strategy=nl.GeminiStrategy(client, {MODEL!r}), progress=False)
assert results.outputs[0]
""",
    "google-genai, one call": _CONNECT
    + f"""
assert client.models.generate_content(model={MODEL!r}, contents="Say hello").text
""",
}

PAIRS = [("import notebookllm", "import google.genai"), ("one-row nl.run, first result", "google-genai, one call")]


def _cold(program: str, base_url: str, directory: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"BASE_URL = {base_url!r}\n{program}"], check=True, cwd=directory)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"start-up: cold processes, median of {args.repeat}; {_load()}")
    times: dict[str, list[float]] = {name: [] for name in PROGRAMS}
    with _emulator() as emulator, tempfile.TemporaryDirectory() as directory:  # the run's store goes there
        for _ in range(args.repeat):
            for name, program in PROGRAMS.items():
                times[name].append(_cold(program, emulator.base_url, directory))
    print("| what | notebookllm, s | google-genai alone, s | ratio |")
    print("|---|---|---|---|")
    for ours, theirs in PAIRS:
        a, b = statistics.median(times[ours]), statistics.median(times[theirs])
        print(f"| {ours} / {theirs} | {a:.2f} | {b:.2f} | {a / b:.2f}× |")
    print(f"({_load()} after the runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
