"""The quickstart job that ``make demo`` runs from the command line (the notebook runs it through nbmake)."""

from __future__ import annotations

import io

import pytest

from notebookllm.notebook.quickstart import run_quickstart, sample_reviews


@pytest.mark.filterwarnings("ignore::notebookllm.gemini.EmulatorInUseWarning")
def test_quickstart_prints_the_results_table_and_summary() -> None:
    out = io.StringIO()
    results = run_quickstart(progress=False, out=out)
    assert len(results.df) == len(sample_reviews())
    assert results.summary().blocked == 2 and results.df.loc["r06", "attempts"] == 2
    text = out.getvalue()
    assert "safety_harassment" in text and "MEDIUM" in text
    assert "finish reasons     STOP: 7, SAFETY: 1, MAX_TOKENS: 1" in text
