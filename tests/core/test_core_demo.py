"""``notebookllm demo`` runs the quickstart job on the embedded emulator, twice, and the second run is answered
from the store."""

from notebookllm.cli import main


def test_demo_prints_results_summary_and_a_rerun_from_the_store(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("notebookllm: answers come from the local Gemini emulator")
    assert "finish_reason" in out and "safety_harassment" in out
    assert "rows answered from the store" in out
    # 10 rows: the blocked prompt, the safety stop and the MAX_TOKENS cut are failures and are asked again; the
    # other 7 come from the store
    assert "7 of 10 rows answered from the store" in out
