"""The quickstart job that ``make demo`` runs from the command line (the notebook runs it through nbmake)."""

from __future__ import annotations

import io

from notebookllm.notebook.quickstart import run_quickstart, sample_reviews


def test_quickstart_prints_the_results_table_and_summary(make_emulator) -> None:
    # A fresh emulator: its scripted faults ("[[fail:503x1]]") fire on the first sighting of a request, and the
    # process-wide embedded one may have seen this job already (the demo runs it too).
    out = io.StringIO()
    results = run_quickstart(client=make_emulator().client(), progress=False, out=out)
    assert len(results.df) == len(sample_reviews())
    assert results.summary().blocked == 2
    assert (results.df.loc["r06", "attempts"], results.df.loc["r06", "unavailable_waits"]) == (1, 1)
    text = out.getvalue()
    assert "safety_harassment" in text and "MEDIUM" in text
    assert "finish reasons     STOP: 7, SAFETY: 1, MAX_TOKENS: 1" in text
