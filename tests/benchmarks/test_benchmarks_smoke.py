"""The end-to-end benchmarks on a few items, so they do not rot: every runner completes every item.

The figures themselves belong to ``make bench``; here only what could break silently is checked (an API a runner
calls, the emulator process, the statuses it reports back).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import end_to_end


@pytest.fixture(scope="module")
def emulator():
    with end_to_end._emulator() as emulator:
        yield emulator


@pytest.mark.parametrize("name", [n for n in end_to_end.RUNNERS if "async-batch-llm" not in n])
def test_every_runner_completes_every_item_and_the_emulator_counts_them(emulator, name):
    measure = end_to_end._measure(name, emulator, end_to_end._prompts(6, 0), end_to_end.Limits(workers=3))
    assert measure.completed == 6
    assert measure.statuses == {200: 6}
    assert measure.cpu_s > 0


def test_runners_with_client_limits_complete(emulator):
    limits = end_to_end.Limits(workers=3, rpm=60_000, tpm=10_000_000)
    for name in ("ParallelBatchProcessor + GeminiStrategy", "nl.arun"):
        assert end_to_end._measure(name, emulator, end_to_end._prompts(4, 1), limits).completed == 4


def test_runners_with_a_schema_complete(emulator):
    limits = end_to_end.Limits(workers=3, schema=end_to_end.Sentiment)
    for name in ("hand-written Semaphore + gather", "ParallelBatchProcessor + GeminiStrategy"):
        assert end_to_end._measure(name, emulator, end_to_end._prompts(4, 2), limits).completed == 4


def test_the_faults_scenario_measures_and_explains_its_wall_time(capsys):
    argv = ["faults", "--items", "12", "--workers", "4", "--latency", "0.01", "--retry-delay", "0.05"]
    end_to_end.main([*argv, "--attempts", "2", "--fault-rounds", "1", "--only", "ParallelBatchProcessor"])
    out = capsys.readouterr().out
    assert "| ParallelBatchProcessor + GeminiStrategy | 2, 503s included | " in out  # two tries for a 503 too
    # the virtual-clock breakdown: with the ramp after each cooldown, then without
    assert "on the virtual clock" in out
    assert "\n| 2, 503s included | yes | " in out and "\n| 2, 503s included | none | " in out


def test_the_media_benchmark_runs_on_a_few_files():
    import subprocess

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "media_run.py"
    done = subprocess.run(
        [sys.executable, str(script), "--images", "3", "--workers", "2"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "3 uploads" in done.stdout and "3. inline run" in done.stdout


def test_the_memory_benchmark_shows_the_phases_of_a_small_batch_job():
    import subprocess

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "memory.py"
    done = subprocess.run(
        [sys.executable, str(script), "--through", "batch", "--phases", "--items", "20"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    phases = ["requests built", "payload fingerprint", "job waited for", "output read, parsed, mapped back"]
    assert all(phase in done.stdout for phase in [*phases, "results recorded in the store", "results.df"])
