"""``notebookllm`` / ``python -m notebookllm``: the command line.

Each command lives in the layer it belongs to, as a module with ``configure(parser)`` (add the command's
arguments; cheap, no heavy imports) and ``run(args) -> int``. This file only lists them.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence

# name -> (module, one-line help)
_COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("notebookllm.demo", "run the main job end to end on the embedded emulator (no API key needed)"),
    "emulator": ("notebookllm.emulator.cli", "serve the local Gemini API emulator"),
    "batch": ("notebookllm.gemini.batch_cli", "Gemini batch jobs: create, status, fetch, cancel, list"),
    "check-live": (
        "notebookllm.gemini.live_check",
        "compare a few cheap real Gemini calls with the emulator's answers (needs an API key; exits 0 without)",
    ),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="notebookllm", description="Run many Gemini calls with retries, rate limits and durable results."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, help_text) in _COMMANDS.items():
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        importlib.import_module(module).configure(cmd)
        cmd.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; returns the process exit code."""
    args = _parser().parse_args(argv)
    return int(importlib.import_module(args._module).run(args) or 0)
