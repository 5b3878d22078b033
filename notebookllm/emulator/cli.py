"""``python -m notebookllm emulator``: serve the emulator until Ctrl+C (SIGINT) or SIGTERM.

    python -m notebookllm emulator --port 8765 --seed 0 --latency 0.2 --latency-dist exponential \\
        --fault-rate 0.05 --rpm 60 --tpm 250000

Like local cloud emulators it accepts any non-empty API key, so existing code runs against it unchanged: point a
client at it with ``genai.Client(api_key=ANY_KEY, http_options=HttpOptions(base_url="http://127.0.0.1:8765"))`` or
``GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:8765``. ``--api-key K`` makes it require ``K`` (to test invalid-key
handling: any other key gets 400 INVALID_ARGUMENT "API key not valid").
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

from .config import EmulatorConfig
from .latency import DISTRIBUTIONS


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the emulator's options to ``parser``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (0 = a free one; default 8765)")
    parser.add_argument("--seed", type=int, default=0, help="seed for replies, faults and latency")
    parser.add_argument("--latency", type=float, default=0.0, metavar="SECONDS", help="mean reply latency")
    parser.add_argument("--latency-dist", choices=DISTRIBUTIONS, default="fixed", help="latency distribution")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="probability of a random fault per request")
    parser.add_argument(
        "--fault-kinds", default="429,500,503,504", help="comma-separated fault specs drawn at --fault-rate"
    )
    parser.add_argument("--rpm", type=int, default=None, help="requests per minute per model")
    parser.add_argument("--tpm", type=int, default=None, help="input tokens per minute per model")
    parser.add_argument("--rpd", type=int, default=None, help="requests per day per model")
    parser.add_argument(
        "--api-key",
        default=None,
        metavar="KEY",
        help="require this API key (any other key: 400 API key not valid); default: accept any non-empty key",
    )
    parser.add_argument("--batch-seconds", type=float, default=5.0, help="seconds a batch job stays in each state")
    parser.add_argument(
        "--min-cache-tokens", type=int, default=None, help="smallest context cache accepted (default: per model)"
    )


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; returns 0."""
    from .runner import Emulator

    config = EmulatorConfig(
        seed=args.seed,
        api_key=args.api_key,
        host=args.host,
        port=args.port,
        latency_s=args.latency,
        latency_distribution=args.latency_dist,
        fault_rate=args.fault_rate,
        fault_kinds=tuple(kind for kind in args.fault_kinds.split(",") if kind),
        rpm=args.rpm,
        tpm=args.tpm,
        rpd=args.rpd,
        batch_pending_s=args.batch_seconds,
        batch_running_s=args.batch_seconds,
        min_cache_tokens=args.min_cache_tokens,
    )
    try:
        emulator = Emulator(config).start()
    except (ValueError, OSError) as exc:
        print(f"notebookllm emulator: {exc}", file=sys.stderr)
        return 2
    with emulator as emu, _stopped_by_signals(), contextlib.suppress(KeyboardInterrupt):
        keys = "the key given by --api-key" if config.api_key else "any API key"
        print(
            f"notebookllm Gemini emulator on {emu.base_url} (seed {config.seed}; accepts {keys}); Ctrl+C to stop",
            flush=True,
        )
        threading.Event().wait()
    return 0


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """While inside, SIGINT and SIGTERM raise KeyboardInterrupt in the main thread, whatever the inherited dispositions.

    Python turns SIGINT into KeyboardInterrupt only when the parent left it at its default: a command started with
    ``&`` from a non-interactive shell (``make test &``, CI scripts) inherits SIGINT ignored, and SIGTERM would end
    the process without closing the server.
    """
    stops = [signal.SIGINT, signal.SIGTERM]
    previous = {signum: signal.signal(signum, _interrupt) for signum in stops}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
