"""Fixtures of the notebook-layer tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from notebookllm import RateLimitConfig, RetryConfig


@pytest.fixture
def fast_retries() -> dict[str, Any]:
    """Options that keep retries and cooldowns short (and skip the slow-start ramp)."""
    return {
        "retry": RetryConfig(initial_wait=0.001, max_wait=0.002),
        "rate_limit": RateLimitConfig(slow_start_items=0),
    }


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """A fresh store file for one test."""
    return tmp_path / "store.sqlite"
