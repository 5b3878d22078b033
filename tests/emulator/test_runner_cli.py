"""The Emulator runner (context managers, start/stop) and the ``python -m notebookllm emulator`` command."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from google import genai
from google.genai import types

from notebookllm.emulator import Emulator, EmulatorConfig

MODEL = "gemini-2.5-flash"


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


def test_latency_and_config_overrides(make_emulator):
    emu = make_emulator(latency_s=0.001, latency_distribution="exponential", seed=4)
    assert emu.config.seed == 4
    client = emu.client()
    assert client.models.generate_content(model=MODEL, contents="with latency").text
    with pytest.raises(ValueError):
        Emulator(latency_distribution="nope")


def test_log_records(emulator, emulator_client):
    emulator_client.models.generate_content(model=MODEL, contents="one")
    emulator_client.models.count_tokens(model=MODEL, contents="two")
    record = emulator.log[0]
    assert (record.method, record.endpoint, record.model, record.status) == ("POST", "generateContent", MODEL, 200)
    assert record.started_at > 0 and record.duration_s >= 0
    assert emulator.counts() == {"generateContent": 1, "countTokens": 1}


@pytest.mark.sdk_compat
def test_cli_serves_until_interrupted():
    process = subprocess.Popen(
        [sys.executable, "-m", "notebookllm", "emulator", "--port", "0", "--api-key", "cli-key", "--seed", "3"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        banner = process.stdout.readline()
        base_url = banner.split(" on ")[1].split()[0]
        client = genai.Client(vertexai=False, api_key="cli-key", http_options=types.HttpOptions(base_url=base_url))
        response = client.models.generate_content(model=MODEL, contents="from the command line")
        assert response.model_version.endswith("-notebookllm-emulator")
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0


def test_cli_rejects_bad_fault_kinds():
    result = subprocess.run(
        [sys.executable, "-m", "notebookllm", "emulator", "--port", "0", "--fault-kinds", "bogus"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "unknown fault spec" in result.stderr
