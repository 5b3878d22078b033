"""The seed guide seeds/003_aabcef746e944bc9.txt, run through the real SDK against the emulator: every code block
with only its import lines changed (tests/batch/seed_batch_guide.py), then the same across an emulator restart and a
key switch in one project folder (issue 10)."""

from __future__ import annotations

import warnings

import pytest
from seed_batch_guide import ALL_BLOCKS, run_blocks

from notebookllm import BatchJobLostWarning, GeminiLLM, LLMProviderError, LLMService
from notebookllm.core.redaction import key_fingerprint
from notebookllm.emulator import Emulator
from notebookllm.gemini import connection
from notebookllm.store import BatchLedger, Store

pytestmark = pytest.mark.sdk_compat

SYSTEM_PROMPT = "Categorise the document. Answer in JSON."


@pytest.fixture
def categorise_prompt(seed_project):
    (seed_project / "prompts").mkdir()
    (seed_project / "prompts" / "categorise.md").write_text(SYSTEM_PROMPT)
    return seed_project


def use_client(monkeypatch: pytest.MonkeyPatch, emu: Emulator, api_key: str) -> None:
    """Make a client of ``emu`` with ``api_key`` the default one, as ``nl.connect()`` in the user's first cell would
    (at the SDK's default API version: batch calls pin their own)."""
    monkeypatch.setitem(connection._defaults, "client", emu.client(api_key=api_key, api_version=None))


def categories(out: str) -> list[str]:
    return [line.removeprefix("Category: ") for line in out.splitlines() if line.startswith("Category: ")]


def test_every_code_block_of_the_guide_runs_in_order(categorise_prompt, emulator, capsys):
    ns = run_blocks(*ALL_BLOCKS)
    out = capsys.readouterr().out
    assert f"Created batch job: {ns['llm'].ledger.entries()[-1].name}" in out and "Job done: True" in out
    assert [line.split(":")[0] for line in out.splitlines() if line.startswith("Result")] == [
        "Result 0",
        "Result 1",
        "Result 2",
    ]
    # filter_json=True: the parsed JSON values themselves, in request order, not wrapper objects
    assert all(isinstance(value, dict) for value in ns["results"]) and len(ns["results"]) == 3
    assert len(categories(out)) == 3 and all(c.startswith("{") for c in categories(out))
    # the service's create of the same payload re-attached to the job created through GeminiLLM; the complete
    # example's documents are a second job
    assert emulator.count(endpoint="batchGenerateContent") == 2
    # cancelling a completed job raises LLMProviderError, as the guide's note says; nothing is deleted
    assert "Cancellation failed: " in out and "had already ended JOB_STATE_SUCCEEDED" in out
    assert emulator.count(endpoint="batches.cancel") == 1 and emulator.count(endpoint="batches.delete") == 0
    assert "Job not ready" not in out and "Processing failed" not in out
    assert ns["llm"].strategy.config.system_instruction == SYSTEM_PROMPT  # read from prompts/categorise.md


@pytest.mark.parametrize("same_port", [True, False], ids=["same-url", "new-url"])
def test_every_block_runs_again_after_an_emulator_restart_in_the_same_folder(
    categorise_prompt, make_emulator, monkeypatch, capsys, same_port
):
    first = make_emulator(api_key=None)
    use_client(monkeypatch, first, "any-key")
    run_blocks(*ALL_BLOCKS)
    old = {e.name for e in BatchLedger().entries()}
    port = first.port
    first.stop()

    fresh = make_emulator(api_key=None, port=port if same_port else 0)  # knows nothing of the first one's jobs
    use_client(monkeypatch, fresh, "any-key")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_blocks(*ALL_BLOCKS)
    lost = [str(w.message) for w in caught if issubclass(w.category, BatchJobLostWarning)]
    out = capsys.readouterr().out
    assert len(categories(out)) == 6  # both runs printed their three categories; no 404 crash
    assert fresh.count(endpoint="batchGenerateContent") == 2  # each of the two payloads submitted again, once
    entries = {e.name: e for e in BatchLedger().entries()}
    assert len(old) == 2 and old < set(entries) and len(entries) == 4  # the first run's jobs are kept
    if same_port:  # the same endpoint and key: the jobs it no longer knows are marked lost, with a warning each
        assert all("404" in entries[name].lost_reason for name in old)
        assert len(lost) == 2 and all(any(name in message for message in lost) for name in old)
    else:  # another endpoint: the old rows are not this endpoint's, so they are neither polled nor marked
        assert all(entries[name].lost_reason is None for name in old) and not lost
        assert fresh.count(endpoint="batches.get", status=404) == 0


def test_a_key_switch_between_two_runs_submits_for_the_new_key_and_keeps_the_old_jobs(
    categorise_prompt, make_emulator, monkeypatch, capsys
):
    emu = make_emulator(api_key=None)  # any key; each key is its own project for batch jobs
    use_client(monkeypatch, emu, "key-of-project-a")
    run_blocks(*ALL_BLOCKS)
    use_client(monkeypatch, emu, "key-of-project-b")
    with warnings.catch_warnings():
        warnings.simplefilter("error", BatchJobLostWarning)  # project A's jobs are not lost, only not B's
        run_blocks(*ALL_BLOCKS)
    assert emu.count(endpoint="batchGenerateContent") == 4 and emu.count(endpoint="batches.get", status=404) == 0
    use_client(monkeypatch, emu, "key-of-project-a")  # back to A: its jobs, no new submission
    run_blocks(*ALL_BLOCKS)
    assert emu.count(endpoint="batchGenerateContent") == 4
    assert len(categories(capsys.readouterr().out)) == 9
    entries = BatchLedger().entries()
    assert len({e.key_fingerprint for e in entries}) == 2 and all(e.lost_reason is None for e in entries)
    store = Store.open().path
    stored = b"".join(p.read_bytes() for p in (store, store.with_name(store.name + "-wal")) if p.exists())
    assert b"key-of-project" not in stored and key_fingerprint("key-of-project-a").encode() in stored


def test_generate_sends_what_a_batch_request_sends_and_batch_generate_is_not_supported(categorise_prompt, emulator):
    llm = GeminiLLM(system_prompt="prompts/categorise.md", filter_json=True)
    value = llm.generate(["Categorize this document: Geography GCSE"])
    [from_batch] = llm.fetch_batch_results(llm.create_batch_job([["Categorize this document: Geography GCSE"]]))
    assert isinstance(value, dict) and value == from_batch  # same model, system prompt and config: same reply
    online = [r for r in emulator.log if r.endpoint == "generateContent"]
    assert len(online) == 1
    with pytest.raises(NotImplementedError):
        llm.batch_generate([["x"]])
    with pytest.raises(LLMProviderError):
        llm.generate("refused [[fail:400]]")
    plain = GeminiLLM(system_prompt="Answer briefly.")  # the text itself; no file of that name
    assert isinstance(plain.generate(["Categorize: Maths", "a past paper"]), str)


def test_system_prompt_is_a_file_path_or_the_text_and_a_missing_file_is_refused(categorise_prompt, emulator):
    assert GeminiLLM(system_prompt="prompts/categorise.md").strategy.config.system_instruction == SYSTEM_PROMPT
    assert GeminiLLM(system_prompt="Be terse.").strategy.config.system_instruction == "Be terse."
    with pytest.raises(ValueError, match="looks like a file path"):
        GeminiLLM(system_prompt="prompts/categorize.md")  # a typo: never sent as the prompt
    assert emulator.count() == 0


def test_the_service_names_providers_and_refuses_what_it_cannot_do(categorise_prompt, emulator):
    class OnlineOnly:
        name = "other"

        def generate(self, prompt):
            return prompt

    service = LLMService([OnlineOnly(), GeminiLLM(system_prompt="prompts/categorise.md"), GeminiLLM()])
    assert list(service.providers) == ["other", "gemini", "gemini-2"]
    provider, name = service.create_batch_job([["one"]])  # the first provider that supports batch jobs
    assert provider == "gemini"
    with pytest.raises(ValueError, match="unknown provider"):
        service.cancel_batch_job("openai", name)
    with pytest.raises(NotImplementedError):
        service.cancel_batch_job("other", name)
    with pytest.raises(NotImplementedError):
        LLMService([OnlineOnly()]).create_batch_job([["one"]])
    with pytest.raises(ValueError):
        service.create_batch_job([])  # before anything is sent
    assert emulator.count(endpoint="batchGenerateContent") == 1


def test_a_failed_request_raises_naming_it_and_keeps_every_good_reply_in_order(categorise_prompt, emulator):
    service = LLMService([GeminiLLM(system_prompt="prompts/categorise.md", filter_json=True)])
    payload = [["Categorize: Geography"], ["Categorize: French [[fail:503]]"], ["Categorize: Maths"]]
    provider, name = service.create_batch_job(payload, filter_json=True)
    with pytest.raises(LLMProviderError) as info:
        service.fetch_batch_results(provider, name)
    error = info.value
    assert error.failed_keys == ["r000001"] and "r000001" in str(error)
    assert isinstance(error.results[0], dict) and error.results[1] is None and isinstance(error.results[2], dict)
    assert [r.ok for r in error.replies] == [True, False, True] and error.replies[1].error.code == 503
