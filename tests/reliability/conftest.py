"""Fixtures of the reliability suite: a Gemini strategy on the shared emulator, and a store file per test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import notebookllm as nl
from notebookllm.emulator import Emulator


@pytest.fixture
def strategy(emulator: Emulator) -> Any:
    """A ``GeminiStrategy`` on the shared emulator (the connect() default model)."""
    return nl.GeminiStrategy(client=emulator.client(), include_metadata=True)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / ".notebookllm" / "store.sqlite"
