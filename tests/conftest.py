"""Suite-wide fixtures: an offline environment and the Gemini emulator.

- ``emulator``: a running :class:`~notebookllm.emulator.Emulator` with fresh state (one server per session,
  ``reset()`` before each test: no caches, files, batches, scripts, quota usage or log carry over).
- ``emulator_client``: a ``genai.Client`` pointed at it (``.aio`` too), closed after the test.
- ``make_emulator(**config)``: a dedicated emulator with its own config (quotas, clock, latency...), stopped after
  the test.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from notebookllm.emulator import Emulator, EmulatorConfig

# Env vars that would send the SDK to Vertex AI, to another server, or to a real key.
_ONLINE_ENV = (
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_GENAI_USE_ENTERPRISE",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
    "GOOGLE_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_GEMINI_BASE_URL",
    "GOOGLE_GENAI_API_VERSION",
    "NOTEBOOKLLM_MODEL",
)


@pytest.fixture(autouse=True)
def _offline_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches Vertex AI or the real Gemini API by accident; a test may still set these itself."""
    for name in _ONLINE_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def _shared_emulator() -> Iterator[Emulator]:
    with Emulator(EmulatorConfig(seed=0)) as emu:
        yield emu


@pytest.fixture
def emulator(_shared_emulator: Emulator) -> Emulator:
    """A running emulator (seed 0, default config) with fresh state."""
    _shared_emulator.reset()
    return _shared_emulator


@pytest.fixture
async def emulator_client(emulator: Emulator, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """A ``genai.Client`` talking to ``emulator`` (api_version v1beta), closed when the test ends."""
    client = emulator.client()
    yield client
    if inspect.iscoroutinefunction(request.function):
        # On the test's loop, before it closes: client.aio's connections would outlive that loop, and the garbage
        # collector would report them ("unclosed transport") in whichever later test it happened to run. A sync
        # test's client.aio ran on its thread's loop for sync calls (notebookllm.sync), which stays open.
        await client.aio.aclose()
    client.close()


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., Emulator]]:
    """Start emulators with custom config: ``emu = make_emulator(rpm=2, clock=ManualClock())``."""
    started: list[Emulator] = []

    def make(config: EmulatorConfig | None = None, **overrides: Any) -> Emulator:
        emu = Emulator(config, **overrides).start()
        started.append(emu)
        return emu

    yield make
    for emu in started:
        emu.stop()
