"""``notebookllm demo``: the quickstart job (``notebooks/01_quickstart.ipynb``) end to end from the command line.

Ten product reviews are classified by Gemini through ``nl.run``, with the outcomes Gemini sometimes gives (a MEDIUM
safety rating, a blocked prompt, a reply stopped for safety, one cut at the token limit, a transient 503). It
prints the results table and the summary, then runs the same job again against the same store, as re-running a
notebook cell would: what was answered comes from the store, only failed and blocked rows are asked again.

The answers come from the embedded Gemini emulator, so no API key is needed and nothing is billed; ``--real-api``
sends the job to Gemini with the key in ``GEMINI_API_KEY`` / ``GOOGLE_API_KEY`` instead.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import warnings
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the demo's options to ``parser``."""
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        help="SQLite store to use (default: a temporary one, removed afterwards, so every demo starts afresh)",
    )
    parser.add_argument("--real-api", action="store_true", help="use the real Gemini API (needs an API key)")


def run(args: argparse.Namespace) -> int:
    """Run the job twice against one store; print both outcomes. Exit code 0 when every row came back."""
    from .gemini import EmulatorInUseWarning, connect
    from .notebook.quickstart import run_quickstart
    from .store import Store

    # A terminal gets the emulator announcement as a warning; on the command line it reads better as a plain line.
    with warnings.catch_warnings(record=True) as announced:
        warnings.simplefilter("always", EmulatorInUseWarning)
        client = connect(emulator=None if args.real_api else True)
    for warning in announced:
        print(warning.message, end="\n\n")
    with tempfile.TemporaryDirectory(prefix="notebookllm-demo-") as tmp:
        path = args.store or Path(tmp) / "store.sqlite"
        try:
            first = run_quickstart(client=client, cache=True, store=path)
            again = run_quickstart(client=client, cache=True, store=path, progress=False, out=io.StringIO())
        finally:
            if args.store is None:
                Store.open(path).close()  # the temporary folder goes next; nothing may still write into it
    df = again.df
    stored = int(df["from_cache"].sum())
    print(
        f"\nRun again, as a re-executed notebook cell: {stored} of {len(df)} rows answered from the store "
        f"(no request, no cost), {len(df) - stored} asked again (failed and blocked replies are not stored)."
    )
    return 0 if len(first.df) == len(df) == len(first.df.index.unique()) else 1
