"""Emulator throughput: generateContent requests per second with zero latency.

The server runs in its own process (``python -m notebookllm emulator --port 0``) so the load generator doesn't share
its core. The load generator sends the body the google-genai SDK sends over keep-alive connections, either with a
minimal HTTP/1.1 client (default: cheap enough per request that the server is what's measured) or with aiohttp
(the SDK's aio transport; on 2 cores its own per-request cost caps the figure).

    .venv/bin/python benchmarks/emulator_throughput.py                 # 20,000 requests, 64 connections, best of 3
    .venv/bin/python benchmarks/emulator_throughput.py --client aiohttp

The same run measures the physical limit: a bare aiohttp server in its own process answering every POST with a
fixed JSON body, through the same client, so the emulator's figure reads as a share of what aiohttp itself allows.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import subprocess
import sys
import time

import aiohttp

MODEL = "gemini-2.5-flash"
KEY = "emulator-key"
_CONTENT_LENGTH = re.compile(rb"(?i)content-length: *(\d+)")


def _body(index: int) -> bytes:
    # distinct prompts, as in a real run (no reply is served from a cache)
    return json.dumps(
        {
            "contents": [
                {"parts": [{"text": f"Classify the sentiment of review number {index}: great value"}], "role": "user"}
            ],
            "generationConfig": {"temperature": 0.0},
        }
    ).encode()


async def _raw_connection(host: str, port: int, requests: list[bytes]) -> int:
    """Send ``requests`` one after another on one keep-alive connection; returns how many were not 200."""
    reader, writer = await asyncio.open_connection(host, port)
    failures = 0
    try:
        for request in requests:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            failures += not head.startswith(b"HTTP/1.1 200")
            length = int(_CONTENT_LENGTH.search(head).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
    finally:
        writer.close()
    return failures


async def _round_raw(base_url: str, requests: int, concurrency: int) -> float:
    host, port = base_url.removeprefix("http://").split(":")
    path = f"/v1beta/models/{MODEL}:generateContent"
    wire = []
    for index in range(requests):
        body = _body(index)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nx-goog-api-key: {KEY}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        wire.append(head.encode() + body)
    shares = [wire[i::concurrency] for i in range(concurrency)]
    started = time.perf_counter()
    failures = sum(await asyncio.gather(*(_raw_connection(host, int(port), share) for share in shares)))
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{failures} requests failed")
    return requests / elapsed


async def _round_aiohttp(base_url: str, requests: int, concurrency: int) -> float:
    connector = aiohttp.TCPConnector(limit=concurrency)
    headers = {"x-goog-api-key": KEY, "Content-Type": "application/json"}
    url = f"{base_url}/v1beta/models/{MODEL}:generateContent"
    bodies = [_body(i) for i in range(requests)]
    failures = 0

    async def worker(session: aiohttp.ClientSession, share: list[bytes]) -> None:
        nonlocal failures
        for body in share:
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                failures += response.status != 200

    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session, bodies[i::concurrency]) for i in range(concurrency)))
        elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{failures} requests failed")
    return requests / elapsed


_CLIENTS = {"raw": _round_raw, "aiohttp": _round_aiohttp}

# The physical limit: aiohttp doing nothing but answer, started like the emulator and announcing its URL likewise.
_BARE_SERVER = """
import socket
from aiohttp import web
async def answer(request):
    await request.read()
    return web.json_response({"candidates": [{"content": {"parts": [{"text": "ok"}], "role": "model"}}]})
app = web.Application()
app.router.add_post("/{tail:.*}", answer)
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
print(f"bare aiohttp on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
web.run_app(app, sock=sock, print=None, access_log=None)
"""


@contextlib.contextmanager
def _serving(command: list[str]):
    """Start a server process that prints its URL on its first line; yield that URL; stop it."""
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        banner = server.stdout.readline() if server.stdout else ""
        match = re.search(r"(http://\S+)", banner)
        if match is None:
            raise SystemExit(f"the server did not start: {banner!r}")
        yield match.group(1)
    finally:
        server.terminate()
        server.wait(10)


def _rates(base_url: str, run_round, args: argparse.Namespace) -> list[float]:
    asyncio.run(run_round(base_url, 1_000, args.concurrency))  # warm-up
    return [asyncio.run(run_round(base_url, args.requests, args.concurrency)) for _ in range(args.rounds)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--client",
        choices=sorted(_CLIENTS),
        default="raw",
        help="raw: a minimal keep-alive HTTP/1.1 client (measures the server); aiohttp: the SDK's aio transport",
    )
    args = parser.parse_args()
    run_round = _CLIENTS[args.client]
    with _serving([sys.executable, "-m", "notebookllm", "emulator", "--port", "0", "--api-key", KEY]) as url:
        rates = _rates(url, run_round, args)
    with _serving([sys.executable, "-c", _BARE_SERVER]) as url:
        limit = _rates(url, run_round, args)
    print(
        f"emulator generateContent: best {max(rates):,.0f} req/s, rounds "
        + ", ".join(f"{rate:,.0f}" for rate in rates)
        + f" ({args.client} client, {args.requests:,} requests, {args.concurrency} connections, zero latency)"
    )
    print(
        f"physical limit (bare aiohttp, fixed reply): best {max(limit):,.0f} req/s — the emulator reaches "
        f"{max(rates) / max(limit):.0%} of it"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
