"""Fixtures of the store tests: a fake clock, a store file in a temporary project folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from store_helpers import FakeClock

from notebookllm.store import Store


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "project" / ".notebookllm" / "store.sqlite"


@pytest.fixture
def store(store_path: Path, clock: FakeClock) -> Iterator[Store]:
    s = Store.open(store_path, clock=clock)
    yield s
    s.close()
