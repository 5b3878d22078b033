"""The layering of DESIGN.md holds: the engine alone imports no provider, DataFrame or widget library, and every
public name of ``notebookllm`` resolves (the layers above the engine load on first use)."""

from __future__ import annotations

import subprocess
import sys

import notebookllm as nl


def test_importing_notebookllm_loads_the_engine_only():
    code = (
        "import sys, notebookllm\n"
        "from notebookllm import ParallelBatchProcessor, LLMCallStrategy, RetryState\n"
        "print(sorted(m for m in ('google.genai', 'pandas', 'ipywidgets', 'sqlite3', 'aiohttp') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_public_name_resolves():
    missing = [name for name in nl.__all__ if getattr(nl, name, None) is None]
    assert missing == []
    assert set(nl.__all__) <= set(dir(nl))
    assert nl.gemini.GeminiStrategy is nl.GeminiStrategy
