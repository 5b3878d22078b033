"""The job ``test_kill.py`` runs in a child process and kills: N Gemini items against an emulator, each result
recorded in the store as it finishes, the way ``nl.run(..., cache=True)`` does.

Usage: ``python kill_job.py STORE_PATH BASE_URL API_KEY N WORKERS``. Prints a JSON summary when it completes.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from google import genai
from google.genai import types

from notebookllm.core.config import ProcessorConfig
from notebookllm.core.processor import ParallelBatchProcessor
from notebookllm.core.work_item import LLMWorkItem
from notebookllm.gemini import GeminiStrategy
from notebookllm.store import Store

MODEL = "gemini-2.5-flash"


def prompts(n: int) -> list[str]:
    return [f"Summarise review number {i} in one word." for i in range(n)]


async def main(store_path: Path, base_url: str, api_key: str, n: int, workers: int) -> dict[str, int]:
    client = genai.Client(api_key=api_key, http_options=types.HttpOptions(base_url=base_url))
    strategy = GeminiStrategy(client, MODEL, temperature=0.0)
    items = [LLMWorkItem(f"item-{i}", strategy, p) for i, p in enumerate(prompts(n))]
    store = Store.open(store_path)
    session = store.begin_run(items, run_name="kill-test")
    async with session:
        processor = ParallelBatchProcessor(ProcessorConfig(max_workers=workers), post_processor=session.record)
        await processor.add_many(session.pending)
        batch = await processor.process_all()
    return {
        "from_store": len(session.finished),
        "requested": len(batch.results),
        "succeeded": batch.succeeded + sum(r.success for r in session.finished.values()),
    }


if __name__ == "__main__":
    path, url, key, count, workers = sys.argv[1:]
    print(json.dumps(asyncio.run(main(Path(path), url, key, int(count), int(workers)))))
