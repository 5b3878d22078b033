"""The Emulator runner (context managers, start/stop) and the ``python -m notebookllm emulator`` command."""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from google import genai
from google.genai import errors, types

from notebookllm.emulator import Emulator, EmulatorConfig, cli
from notebookllm.emulator.latency import Latency

MODEL = "gemini-2.5-flash"
# What `command &` in a non-interactive shell does to the command: SIGINT ignored, a disposition exec keeps.
_SIGINT_IGNORED = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); os.execv(sys.executable, sys.argv[1:])"
)


@contextlib.contextmanager
def _serving(command: list[str]) -> Iterator[subprocess.Popen]:
    """The emulator command running, its banner on ``stdout``; killed if the test leaves it running (a failure)."""
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()


def _exit_status(process: subprocess.Popen, signum: int = signal.SIGINT) -> int:
    """Send ``signum`` and return the exit status (TimeoutExpired if it still runs 30 s later)."""
    process.send_signal(signum)
    return process.wait(30)


async def test_async_context_manager():
    async with Emulator(EmulatorConfig(seed=1)) as emu:
        client = emu.client()
        response = await client.aio.models.generate_content(model=MODEL, contents="hello")
        assert response.text
        assert emu.count(endpoint="generateContent", status=200) == 1
    with pytest.raises(RuntimeError):
        emu.base_url  # noqa: B018 - a stopped emulator has no address


def test_start_stop_idempotent_and_restartable():
    emu = Emulator()
    assert emu.start() is emu.start()
    emu.stop()
    emu.stop()
    emu.start()
    client = emu.client()
    assert client.models.generate_content(model=MODEL, contents="again").text
    emu.stop()


@pytest.mark.parametrize("distribution", ["fixed", "uniform", "exponential", "lognormal"])
def test_latency_draws_follow_the_distribution_and_the_seed(distribution):
    def draws(seed):
        latency = Latency(0.2, distribution, seed=seed)
        return [latency.draw() for _ in range(4000)]

    sample = draws(1)
    assert sample == draws(1)
    mean = sum(sample) / len(sample)
    assert mean == pytest.approx(0.2, rel=0.05)
    spread = {"fixed": (0.2, 0.2), "uniform": (0.0, 0.4), "exponential": (0.0, None), "lognormal": (0.0, None)}
    low, high = spread[distribution]
    assert min(sample) >= low and (high is None or max(sample) <= high)
    if distribution == "fixed":
        assert set(sample) == {0.2}
    else:
        assert sample != draws(2) and len(set(sample)) == len(sample)
    if distribution in ("exponential", "lognormal"):  # long tails: the slowest draws are several times the mean
        assert max(sample) > 3 * 0.2
    assert Latency(0.0, distribution, seed=1).draw() == 0.0


def test_latency_is_applied_to_generation_only(make_emulator):
    # a mean latency of an hour outlasts a 0.3 s client timeout whatever is drawn; countTokens has no latency
    emu = make_emulator(latency_s=3600, latency_distribution="uniform", seed=4)
    client = emu.client(timeout_ms=300)
    assert client.models.count_tokens(model=MODEL, contents="abcd").total_tokens == 1
    with pytest.raises(Exception) as info:  # httpx(2) ReadTimeout: the SDK doesn't wrap transport errors
        client.models.generate_content(model=MODEL, contents="with latency")
    assert "timeout" in type(info.value).__name__.lower()
    with pytest.raises(ValueError, match="latency distribution must be one of"):
        Emulator(latency_distribution="nope")


def test_log_records(emulator, emulator_client):
    emulator_client.models.generate_content(model=MODEL, contents="one")
    emulator_client.models.count_tokens(model=MODEL, contents="two")
    record = emulator.log[0]
    assert (record.method, record.endpoint, record.model, record.status) == ("POST", "generateContent", MODEL, 200)
    assert record.started_at > 0 and record.duration_s >= 0
    assert emulator.counts() == {"generateContent": 1, "countTokens": 1}


def test_log_records_arrival_order_and_a_429s_retry_delay(emulator, emulator_client):
    before = time.monotonic()
    emulator_client.models.generate_content(model=MODEL, contents="fine")
    with pytest.raises(errors.ClientError):
        emulator_client.models.generate_content(model=MODEL, contents="limited [[fail:429:7.5]]")
    after = time.monotonic()
    fine, limited = emulator.log
    assert before <= fine.arrived <= limited.arrived <= after  # this process's monotonic clock (loop.time())
    assert (fine.retry_delay_s, limited.status, limited.retry_delay_s) == (None, 429, 7.5)


@pytest.mark.sdk_compat
def test_cli_serves_until_interrupted():
    command = ["emulator", "--port", "0", "--api-key", "cli-key", "--seed", "3", "--rpm", "1"]
    with _serving([sys.executable, "-m", "notebookllm", *command]) as process:
        banner = process.stdout.readline()
        base_url = banner.split(" on ")[1].split()[0]
        client = genai.Client(vertexai=False, api_key="cli-key", http_options=types.HttpOptions(base_url=base_url))
        response = client.models.generate_content(model=MODEL, contents="from the command line")
        assert response.model_version.endswith("-notebookllm-emulator")
        with pytest.raises(errors.ClientError) as info:  # --rpm 1: the second request in a minute is refused
            client.models.generate_content(model=MODEL, contents="again from the command line")
        assert (info.value.code, info.value.status) == (429, "RESOURCE_EXHAUSTED")
        details = info.value.details["error"]["details"]
        assert any(d["@type"].endswith("google.rpc.RetryInfo") for d in details)
        other = genai.Client(vertexai=False, api_key="not-cli-key", http_options=types.HttpOptions(base_url=base_url))
        with pytest.raises(errors.ClientError) as info:  # --api-key: only that key is accepted
            other.models.generate_content(model=MODEL, contents="with another key")
        client.close()
        other.close()
        assert info.value.code == 400 and "API key not valid" in info.value.message
        assert _exit_status(process) == 0


def test_cli_accepts_any_key_by_default_and_says_so():
    with socket.socket() as probe:  # a port that was free a moment ago: the user's `--port P`
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "notebookllm", "emulator", "--port", str(port)]
    with _serving(command) as process:
        banner = process.stdout.readline()
        assert f"http://127.0.0.1:{port}" in banner and "any API key" in banner
        for key in ("AIza-my-real-looking-key", "x"):
            options = types.HttpOptions(base_url=f"http://127.0.0.1:{port}")
            with genai.Client(vertexai=False, api_key=key, http_options=options) as client:
                assert client.models.generate_content(model=MODEL, contents="existing code, unchanged").text
        assert _exit_status(process) == 0
    parser = argparse.ArgumentParser()
    cli.configure(parser)  # what `python -m notebookllm emulator --help` prints
    assert "accept any non-empty key" in " ".join(parser.format_help().split())


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_cli_stops_on_sigint_or_sigterm_even_when_started_with_sigint_ignored(signum):
    probe = [sys.executable, "-c", _SIGINT_IGNORED, sys.executable, "-c"]
    check = "import signal; print(signal.getsignal(signal.SIGINT) == signal.SIG_IGN)"
    assert subprocess.run([*probe, check], capture_output=True, text=True, check=True).stdout.strip() == "True"
    command = [sys.executable, "-c", _SIGINT_IGNORED, sys.executable, "-m", "notebookllm", "emulator", "--port", "0"]
    with _serving(command) as process:
        assert "Gemini emulator on http://127.0.0.1:" in process.stdout.readline()
        assert _exit_status(process, signum) == 0


def test_cli_rejects_bad_fault_kinds():
    result = subprocess.run(
        [sys.executable, "-m", "notebookllm", "emulator", "--port", "0", "--fault-kinds", "bogus"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "unknown fault spec" in result.stderr
