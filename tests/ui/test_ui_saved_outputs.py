"""A notebook executed without a browser (nbconvert, as nbmake and CI do) and saved still shows how its run ended.

Where no widget manager draws the progress widget (GitHub, exported HTML, a reopened notebook without a kernel),
the static line the widget leaves beside itself carries the final counts, time, tokens and cost.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import ExecutePreprocessor

RUN_CELL = """\
import notebookllm as nl
from notebookllm.store import Store

strategy = nl.GeminiStrategy(nl.connect(), include_metadata=True)
prompts = ["Say hi", "[[fail:429:0.05]] Say hello", "[[block]] Say bye"]
results = await nl.arun(prompts, strategy=strategy, store=Store.open(memory=True),
                        rate_limit=nl.RateLimitConfig(slow_start_items=0))
"""


def test_an_nbconvert_executed_notebook_keeps_the_final_progress_line(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(RUN_CELL)])
    ExecutePreprocessor(timeout=90, kernel_name="python3").preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    saved = tmp_path / "run.ipynb"
    nbformat.write(nb, saved)

    outputs = nbformat.read(saved, as_version=4).cells[0].outputs
    kinds = [next(iter(o.get("data", {"stream": 0}))) for o in outputs]
    widget = kinds.index("application/vnd.jupyter.widget-view+json")
    final = [o for o in outputs if "notebookllm-progress-final" in o.get("data", {}).get("text/html", "")]
    assert len(final) == 1 and outputs.index(final[0]) == widget + 1  # right beside the widget
    text = final[0]["data"]["text/plain"]
    assert text.startswith("notebookllm: done 100% | 3/3 · 2 succeeded · 1 failed")
    assert " in " in text and "tokens " in text and "$" in text  # time, tokens, cost
    assert "1 rate-limit cooldown" in text and "last error: GeminiBlockedError" in text
    markup = final[0]["data"]["text/html"]
    assert "3/3 · 2 succeeded · 1 failed" in markup and "color:#ff9800" in markup  # amber: done with failures

    # Exported to HTML without the widget state, the page still says how the run ended.
    del nb.metadata["widgets"]
    page, _ = HTMLExporter().from_notebook_node(nb)
    assert "notebookllm-progress-final" in page and "3/3 · 2 succeeded · 1 failed" in page
