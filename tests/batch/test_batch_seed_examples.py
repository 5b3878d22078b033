"""The examples of seeds/003_aabcef746e944bc9.txt, run with only their import lines changed
(``src.llm.gemini_llm.GeminiLLM`` → ``notebookllm.gemini.GeminiBatch``, ``src.llm.service.LLMService`` →
``notebookllm.gemini.BatchService``, ``LLMProviderError`` → ``notebookllm.gemini.GeminiError``)."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.sdk_compat


@pytest.fixture
def categorise_prompt(seed_project):
    (seed_project / "prompts").mkdir()
    (seed_project / "prompts" / "categorise.md").write_text("Categorise the document. Answer in JSON.")


def test_gemini_llm_methods(categorise_prompt, emulator, capsys):
    from notebookllm.gemini import GeminiBatch as GeminiLLM

    llm = GeminiLLM(system_prompt="prompts/categorise.md", filter_json=True)

    batch_payload = [
        ["Categorize this document: Geography GCSE"],
        ["Categorize this document: French GCSE"],
        ["Categorize this document: Mathematics GCSE"],
    ]

    job_name = llm.create_batch_job(batch_payload, filter_json=True)
    print(f"Created batch job: {job_name}")

    job = llm.get_batch_job(job_name)
    print(f"Job state: {job.state}")
    print(f"Job done: {job.done}")

    # Wait for job to complete (implement your own polling strategy)
    while not llm.get_batch_job(job_name).done:
        time.sleep(10)

    # Fetch results
    results = llm.fetch_batch_results(job_name)
    for i, result in enumerate(results):
        print(f"Result {i}: {result}")

    out = capsys.readouterr().out
    assert f"Created batch job: {job_name}" in out and "Job done: True" in out
    assert [line.split(":")[0] for line in out.splitlines() if line.startswith("Result")] == [
        "Result 0",
        "Result 1",
        "Result 2",
    ]
    assert emulator.count(endpoint="batchGenerateContent") == 1
    assert llm.strategy.config.system_instruction == "Categorise the document. Answer in JSON."


def test_complete_example_with_the_service_facade(categorise_prompt, emulator, capsys):
    from notebookllm.gemini import BatchService as LLMService
    from notebookllm.gemini import GeminiBatch as GeminiLLM
    from notebookllm.gemini import GeminiError as LLMProviderError

    # Initialize service
    service = LLMService([
        GeminiLLM(system_prompt="prompts/categorise.md", filter_json=True),
    ])  # fmt: skip

    # Prepare batch requests
    documents = [
        "Geography GCSE specification document",
        "French GCSE speaking assessment",
        "Mathematics GCSE past paper 2023",
    ]

    batch_payload = [
        [f"Categorize this document: {doc}"]
        for doc in documents
    ]  # fmt: skip

    # Create batch job
    print("Creating batch job...")
    provider_name, job_name = service.create_batch_job(batch_payload, filter_json=True)
    print(f"Created job: {job_name}")

    # Poll for completion (implement your own polling strategy)
    print("Waiting for completion...")
    while True:
        status = service.get_batch_job_status(provider_name, job_name)
        if status.done:
            break
        print(f"  Status: {status.state}")
        time.sleep(10)

    # Fetch results
    print("Fetching results...")
    results = service.fetch_batch_results(provider_name, job_name)

    # Process results
    for i, (doc, result) in enumerate(zip(documents, results)):  # noqa: B007, B905 (the seed's code, verbatim)
        print(f"\nDocument: {doc}")
        print(f"Category: {result}")

    # Cancel a job that's no longer needed
    try:
        service.cancel_batch_job(provider_name, job_name)
        print(f"Cancelled job: {job_name}")
    except LLMProviderError as e:
        print(f"Cancellation failed: {e}")

    try:
        results = service.fetch_batch_results(provider_name, job_name)
    except ValueError as e:
        print(f"Job not ready: {e}")
    except LLMProviderError as e:
        print(f"Processing failed: {e}")

    out = capsys.readouterr().out
    assert provider_name == "gemini" and out.count("Category: ") == 3
    assert emulator.count(endpoint="batches.cancel") == 1 and emulator.count(endpoint="batches.delete") == 0
    with pytest.raises(ValueError):
        service.cancel_batch_job("openai", job_name)
