"""Every Python code block of seeds/003_aabcef746e944bc9.txt ("Gemini Batch API Usage"), verbatim but for the
import lines: ``from src.llm.gemini_llm import GeminiLLM`` / ``from src.llm.service import LLMService`` become
``from notebookllm import ...``, and the two blocks that use a name without importing it (``time``,
``LLMProviderError``) get the import line a reader adds. The refetch shell commands of the guide
(``batch-fetch --refetch-hours H``) are ``notebookllm batch fetch --refetch-hours H`` (tests/batch/test_batch_cli.py).

The blocks are run in a shared namespace in the guide's order, as a reader pastes them into one notebook
(:func:`run_blocks`).
"""

from __future__ import annotations

from typing import Any

GEMINI_LLM_CREATE = """
from notebookllm import GeminiLLM

llm = GeminiLLM(system_prompt="prompts/categorise.md", filter_json=True)

batch_payload = [
    ["Categorize this document: Geography GCSE"],
    ["Categorize this document: French GCSE"],
    ["Categorize this document: Mathematics GCSE"],
]

job_name = llm.create_batch_job(batch_payload, filter_json=True)
print(f"Created batch job: {job_name}")
"""

GEMINI_LLM_GET = """
job = llm.get_batch_job(job_name)
print(f"Job state: {job.state}")
print(f"Job done: {job.done}")
"""

GEMINI_LLM_FETCH = """
import time

# Wait for job to complete (implement your own polling strategy)
while not llm.get_batch_job(job_name).done:
    time.sleep(10)

# Fetch results
results = llm.fetch_batch_results(job_name)
for i, result in enumerate(results):
    print(f"Result {i}: {result}")
"""

SERVICE_CREATE = """
from notebookllm import LLMService
from notebookllm import GeminiLLM

service = LLMService([
    GeminiLLM(system_prompt="prompts/categorise.md"),
])

provider_name, job_name = service.create_batch_job(batch_payload, filter_json=True)
print(f"Created job {job_name} with provider {provider_name}")
"""

SERVICE_STATUS = """
status = service.get_batch_job_status(provider_name, job_name)
print(f"Job done: {status.done}")
"""

SERVICE_FETCH = """
results = service.fetch_batch_results(provider_name, job_name)
"""

SERVICE_CANCEL = """
from notebookllm import LLMProviderError

# Cancel a job that's no longer needed
try:
    service.cancel_batch_job(provider_name, job_name)
    print(f"Cancelled job: {job_name}")
except LLMProviderError as e:
    print(f"Cancellation failed: {e}")
"""

COMPLETE_EXAMPLE = """
import time
from notebookllm import LLMService
from notebookllm import GeminiLLM

# Initialize service
service = LLMService([
    GeminiLLM(system_prompt="prompts/categorise.md", filter_json=True),
])

# Prepare batch requests
documents = [
    "Geography GCSE specification document",
    "French GCSE speaking assessment",
    "Mathematics GCSE past paper 2023",
]

batch_payload = [
    [f"Categorize this document: {doc}"]
    for doc in documents
]

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
for i, (doc, result) in enumerate(zip(documents, results)):
    print(f"\\nDocument: {doc}")
    print(f"Category: {result}")
"""

ERROR_HANDLING = """
from notebookllm import LLMProviderError

try:
    results = service.fetch_batch_results(provider_name, job_name)
except ValueError as e:
    print(f"Job not ready: {e}")
except LLMProviderError as e:
    print(f"Processing failed: {e}")
"""

ALL_BLOCKS = (
    GEMINI_LLM_CREATE,
    GEMINI_LLM_GET,
    GEMINI_LLM_FETCH,
    SERVICE_CREATE,
    SERVICE_STATUS,
    SERVICE_FETCH,
    SERVICE_CANCEL,
    COMPLETE_EXAMPLE,
    ERROR_HANDLING,
)


def run_blocks(*blocks: str, namespace: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run ``blocks`` one after another in one namespace (a notebook's); returns the namespace."""
    namespace = {} if namespace is None else namespace
    for block in blocks:
        exec(compile(block, "<seed 003 block>", "exec"), namespace)
    return namespace
