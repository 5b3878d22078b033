"""Fixtures of the Gemini tests: no real API key or Vertex mode leaks in, and connect()'s defaults are restored."""

from __future__ import annotations

import pytest

from notebookllm.gemini import connection as connect_module


@pytest.fixture(autouse=True)
def _isolated_gemini_env(monkeypatch: pytest.MonkeyPatch):
    for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_ENTERPRISE"):
        monkeypatch.delenv(name, raising=False)
    saved = dict(connect_module._defaults)
    yield
    connect_module._defaults.update(saved)
