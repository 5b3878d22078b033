"""``notebookllm batch ...`` through ``notebookllm.cli.main`` against a running emulator (``--emulator-url``)."""

from __future__ import annotations

import json

import pytest

from notebookllm.cli import main
from notebookllm.store import BatchLedger, Store

pytestmark = pytest.mark.sdk_compat


@pytest.fixture
def cli(emulator, tmp_path):
    store_path = tmp_path / "store.sqlite"

    def run(*args: str) -> int:
        return main(["batch", *args, "--store", str(store_path), "--emulator-url", emulator.base_url])

    yield run
    Store.open(store_path).close()


@pytest.fixture
def prompts(tmp_path):
    path = tmp_path / "prompts.txt"
    path.write_text('Categorise: Geography GCSE\n["Categorise: French GCSE", "speaking"]\n\nbroken [[fail:500]]\n')
    return path


def _job_name(out: str) -> str:
    return out.split("Created batch job: ")[1].split()[0]


def test_create_status_fetch_and_the_summary(cli, prompts, emulator, tmp_path, capsys):
    assert cli("create", str(prompts), "--display-name", "docs") == 0
    name = _job_name(capsys.readouterr().out)
    assert cli("create", str(prompts), "--display-name", "docs") == 0  # recorded: not submitted again
    assert _job_name(capsys.readouterr().out) == name and emulator.count(endpoint="batchGenerateContent") == 1
    assert cli("status", name) == 0
    assert f"{name}: JOB_STATE_SUCCEEDED" in capsys.readouterr().out
    output = tmp_path / "results.jsonl"
    assert cli("fetch", "--output", str(output)) == 0
    out = capsys.readouterr().out
    assert f"Job {name} (docs)" in out and f"Saved 3 result(s) to {output}" in out
    assert "Checked: 1" in out and "Completed: 1" in out and "Still pending: 0" in out and "Refetched: 0" in out
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert [line["ok"] for line in lines] == [True, True, False] and lines[2]["error"].startswith("ServerError")
    assert cli("fetch", "--check-all-pending") == 0  # nothing left unfetched
    assert "Checking 0 job(s)" in capsys.readouterr().out


def test_refetch_hours_fetches_recently_completed_jobs_again(cli, prompts, capsys):
    cli("create", str(prompts))
    name = _job_name(capsys.readouterr().out)
    cli("fetch", "--job-names", name)
    capsys.readouterr()
    assert cli("fetch", "--refetch-hours", "0.5") == 0
    out = capsys.readouterr().out
    assert "Found 1 job(s) completed within last 0.5 hour(s)" in out and "Refetched: 1" in out
    assert "[r000000]" in out
    with pytest.raises(SystemExit):  # one way of choosing jobs at a time
        cli("fetch", "--refetch-hours", "1", "--job-names", name)


def test_failed_jobs_are_counted_and_cancel_uses_batches_cancel(cli, tmp_path, emulator, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("x [[job:fail]]\n")
    cli("create", str(bad))
    capsys.readouterr()
    assert cli("fetch") == 1
    assert "Failed: 1" in capsys.readouterr().out
    stalled = tmp_path / "stalled.txt"
    stalled.write_text("y [[job:stall]]\n")
    cli("create", str(stalled))
    name = _job_name(capsys.readouterr().out)
    assert cli("fetch", "--job-names", name) == 0 and "Still pending: 1" in capsys.readouterr().out
    assert cli("cancel", name) == 0
    assert emulator.count(endpoint="batches.cancel") == 1 and emulator.count(endpoint="batches.delete") == 0
    assert cli("list") == 0
    listing = capsys.readouterr().out
    assert f"{name}  CANCELLED" in listing and "FAILED" in listing
    assert cli("list", "--remote") == 0 and name in capsys.readouterr().out
    assert len(BatchLedger(Store.open(tmp_path / "store.sqlite")).entries()) == 2


def test_a_lost_job_and_a_refused_cancel_are_reported_not_raised(cli, prompts, emulator, capsys):
    cli("create", str(prompts))
    name = _job_name(capsys.readouterr().out)
    assert cli("cancel", name) == 1  # it had finished: the guide's "Cancellation failed"
    assert "Cancellation failed: " in capsys.readouterr().out
    emulator.reset()  # the emulator restarted: it knows the job no more
    assert cli("status", name) == 1
    assert f"{name}: LOST" in capsys.readouterr().out
    assert cli("fetch") == 0 and "Checking 0 job(s)" in capsys.readouterr().out  # a lost job is not pending
