"""``notebookllm demo`` runs the engine end to end and prints a table and a summary."""

from notebookllm.cli import main


def test_demo_prints_results_and_summary(capsys):
    assert main(["demo", "--items", "60", "--workers", "8"]) == 0
    out = capsys.readouterr().out
    assert "item" in out and "attempts" in out
    assert "items 60:" in out and "succeeded" in out and "cache hit rate" in out
