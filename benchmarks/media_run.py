"""A run over 1,000 one-MB images: peak memory, and the per-file cost of hashing and upload bookkeeping.

Targets: peak RSS under 300 MB for the whole run (files are streamed, never all in memory); hashing plus upload
bookkeeping (store lookup, record, part building) under 5 ms per file.

The images are generated (random pixels, stored uncompressed in PNG: about 1 MB each, nothing downloaded). The
emulator runs in its own process (``python -m notebookllm emulator --port 0``), so the uploads it keeps do not
count against this process. Three phases, one process:

1. building the rows: every file checked, typed and hashed (SHA-256, streamed);
2. the run with every file uploaded through the Files API (``inline_limit=0``), then the same prompts prepared
   again by a fresh strategy, which finds every upload in the store: the bookkeeping alone;
3. the run with the default limit (1 MB files fit inline), cache off.

    .venv/bin/python benchmarks/media_run.py [--images 1000] [--workers 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
import zlib
from pathlib import Path

import pandas as pd
from emulator_throughput import _serving
from google import genai
from google.genai import types

import notebookllm as nl
from notebookllm.gemini.media_parts import MediaParts
from notebookllm.notebook.inputs import build_items
from notebookllm.store import Store

MODEL = "gemini-2.5-flash"
TEMPLATE = "Is there a cat in this photo? {photo} Answer yes or no."
_WIDTH, _HEIGHT = 600, 555  # 3 bytes a pixel: about 1 MB


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def _png_of_noise() -> bytes:
    raw = b"".join(b"\x00" + os.urandom(_WIDTH * 3) for _ in range(_HEIGHT))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    header = _WIDTH.to_bytes(4, "big") + _HEIGHT.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 0)) + chunk(b"IEND", b"")


def _client(base_url: str) -> genai.Client:
    return genai.Client(api_key="bench", http_options=types.HttpOptions(base_url=base_url, api_version="v1beta"))


def _strategy(client: genai.Client, store: Store, **media: int) -> nl.GeminiStrategy:
    strategy = nl.GeminiStrategy(client, MODEL)
    strategy.media = MediaParts(client, store=store, **media)
    return strategy


async def _phases(base_url: str, store: Store, photos: list[Path], workers: int) -> None:
    client = _client(base_url)
    df = pd.DataFrame({"photo": photos})
    n = len(photos)

    uploaded = _strategy(client, store, inline_limit=0)
    started, cpu = time.perf_counter(), time.process_time()
    _, items = build_items(df, prompt=TEMPLATE, strategy=uploaded)
    hashing_ms = (time.perf_counter() - started) * 1000 / n
    hashing_cpu_ms = (time.process_time() - cpu) * 1000 / n
    print(f"images={n} workers={workers}")
    print(f"1. rows built, files hashed: {hashing_ms:6.2f} ms/file (CPU, all threads: {hashing_cpu_ms:5.2f} ms/file)"
          f"   peak RSS {_peak_rss_mb():6.1f} MB")  # fmt: skip

    started = time.perf_counter()
    results = await nl.arun(df, prompt=TEMPLATE, strategy=uploaded, store=store, max_workers=workers, progress=False)
    wall = time.perf_counter() - started
    assert results.df["success"].all() and uploaded.media.uploads == n, results.df["error"].dropna().head()
    print(f"2. uploaded run: {wall:6.1f} s ({wall * 1000 / n:5.1f} ms/file, {n} uploads)   "
          f"peak RSS {_peak_rss_mb():6.1f} MB")  # fmt: skip

    again = _strategy(client, store, inline_limit=0)
    started, cpu = time.perf_counter(), time.process_time()
    await again.media.prepare_many(item.prompt for item in items)
    parts = [again.media.parts(item.prompt) for item in items]
    bookkeeping_ms = (time.perf_counter() - started) * 1000 / n
    bookkeeping_cpu_ms = (time.process_time() - cpu) * 1000 / n
    assert again.media.uploads == 0 and all(p[1].file_data is not None for p in parts)
    print(f"   upload bookkeeping (store lookup + parts, every upload found): {bookkeeping_ms:6.3f} ms/file "
          f"(CPU {bookkeeping_cpu_ms:5.3f})")  # fmt: skip
    print(f"   hashing + bookkeeping: {hashing_ms + bookkeeping_ms:6.2f} ms/file "
          f"(CPU {hashing_cpu_ms + bookkeeping_cpu_ms:5.2f}; target < 5 ms)")  # fmt: skip

    inline = _strategy(client, store)
    started = time.perf_counter()
    results = await nl.arun(df, prompt=TEMPLATE, strategy=inline, cache=False, max_workers=workers, progress=False)
    wall = time.perf_counter() - started
    assert results.df["success"].all() and inline.media.uploads == 0
    print(f"3. inline run (default limit): {wall:6.1f} s ({wall * 1000 / n:5.1f} ms/file)   "
          f"peak RSS {_peak_rss_mb():6.1f} MB (target < 300 MB)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i in range(args.images):
            (folder / f"img{i:05d}.png").write_bytes(_png_of_noise())
        print(f"peak RSS at start: {_peak_rss_mb():6.1f} MB")
        command = [sys.executable, "-m", "notebookllm", "emulator", "--port", "0"]
        photos = sorted(folder.glob("*.png"))
        print(f"{sum(p.stat().st_size for p in photos) / 1e6:,.0f} MB of images on disk")
        store = Store.open(folder / "store.sqlite")
        with _serving(command) as base_url:
            asyncio.run(_phases(base_url, store, photos, args.workers))


if __name__ == "__main__":
    main()
