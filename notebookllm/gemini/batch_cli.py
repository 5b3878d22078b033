"""``notebookllm batch``: create, check, fetch, cancel and list Gemini batch jobs from a terminal.

    notebookllm batch create prompts.jsonl --system "Answer in JSON." --filter-json
    notebookllm batch status batches/abc123
    notebookllm batch fetch                       # every job not fetched yet (same as --check-all-pending)
    notebookllm batch fetch --job-names batches/abc123 --output results.jsonl
    notebookllm batch fetch --refetch-hours 6     # jobs that *completed* in the last 6 hours, fetched again
    notebookllm batch cancel batches/abc123
    notebookllm batch list [--remote]

Jobs are recorded in the project store's ledger (``--store``, default ``.notebookllm/store.sqlite``), so creating
the same prompts twice prints the job already submitted. The client is ``nl.connect()``'s: the real API with
``GOOGLE_API_KEY``/``GEMINI_API_KEY``, else the embedded emulator; ``--emulator-url`` points at a standalone one.
A prompts file holds one prompt per line, or JSON lines each a string or a list of strings (parts of one prompt).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from google import genai

    from ..store.ledger import BatchLedger, LedgerEntry
    from .batch import GeminiBatch


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``batch`` subcommands to ``parser``."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--store", default=None, help="the store file (default .notebookllm/store.sqlite)")
    common.add_argument("--emulator-url", default=None, help="use the emulator at this URL, e.g. http://127.0.0.1:8765")
    sub = parser.add_subparsers(dest="batch_command", metavar="ACTION", required=True)

    create = sub.add_parser("create", parents=[common], help="submit a prompts file as one batch job")
    create.add_argument("prompts", type=Path, help="one prompt per line, or JSON lines (a string or list each)")
    create.add_argument("--model", default=None, help="the Gemini model (default: connect()'s)")
    create.add_argument("--system", default=None, help="the system instruction")
    create.add_argument("--temperature", type=float, default=None)
    create.add_argument("--filter-json", action="store_true", help="read each reply's JSON")
    create.add_argument("--display-name", default=None)

    status = sub.add_parser("status", parents=[common], help="show jobs' states")
    status.add_argument("names", nargs="+", metavar="NAME")

    fetch = sub.add_parser("fetch", parents=[common], help="fetch the results of finished jobs")
    which = fetch.add_mutually_exclusive_group()
    which.add_argument("--job-names", nargs="+", metavar="NAME", help="these jobs")
    which.add_argument("--check-all-pending", action="store_true", help="every job not fetched yet (the default)")
    which.add_argument(
        "--refetch-hours", type=float, metavar="H", help="fetch again the jobs that completed in the last H hours"
    )
    fetch.add_argument("--output", type=Path, default=None, help="append results to this JSONL file")

    cancel = sub.add_parser("cancel", parents=[common], help="cancel jobs (batches.cancel)")
    cancel.add_argument("names", nargs="+", metavar="NAME")

    listing = sub.add_parser("list", parents=[common], help="list the recorded jobs")
    listing.add_argument("--remote", action="store_true", help="list the account's jobs from the API instead")
    listing.add_argument("--limit", type=int, default=50)


def run(args: argparse.Namespace) -> int:
    """Run one ``batch`` action; returns the exit code (1 when a job failed or a fetch did not succeed)."""
    from ..store import Store
    from ..store.ledger import BatchLedger

    ledger = BatchLedger(Store.open(args.store))
    client = _client(args.emulator_url)
    action = {"create": _create, "status": _status, "fetch": _fetch, "cancel": _cancel, "list": _list}
    return action[args.batch_command](args, client, ledger)


def _client(emulator_url: str | None) -> genai.Client:
    from google import genai
    from google.genai import types

    from .connection import connect

    if emulator_url is None:
        return connect()
    from ..emulator.config import DEFAULT_API_KEY

    options = types.HttpOptions(base_url=emulator_url, api_version="v1beta")
    return genai.Client(api_key=DEFAULT_API_KEY, vertexai=False, http_options=options)


def _batch(client: genai.Client, ledger: BatchLedger, model: str | None = None, **options: Any) -> GeminiBatch:
    from .batch import GeminiBatch
    from .strategy import GeminiStrategy

    return GeminiBatch(GeminiStrategy(client, model, **options), ledger=ledger)


def _create(args: argparse.Namespace, client: genai.Client, ledger: BatchLedger) -> int:
    payload = _read_prompts(args.prompts)
    batch = _batch(client, ledger, args.model, system_instruction=args.system, temperature=args.temperature)
    name = batch.create_batch_job(payload, filter_json=args.filter_json, display_name=args.display_name)
    print(f"Created batch job: {name} ({len(payload)} request(s))")
    return 0


def _status(args: argparse.Namespace, client: genai.Client, ledger: BatchLedger) -> int:
    from .batch import job_state
    from .batch_errors import BatchJobLostError

    batch = _batch(client, ledger)
    code = 0
    for name in args.names:
        try:
            print(f"{name}: {job_state(batch.get_batch_job(name))}")
        except BatchJobLostError as exc:
            print(f"{name}: LOST ({exc.reason}; kept in the ledger, marked lost)")
            code = 1
    return code


def _fetch(args: argparse.Namespace, client: genai.Client, ledger: BatchLedger) -> int:
    from ..store.ledger import FAILED_STATES
    from .batch import job_state
    from .batch_errors import BatchJobError, BatchJobLostError

    refetch = args.refetch_hours is not None
    if refetch:
        entries = ledger.completed_since(args.refetch_hours)
        print(f"Found {len(entries)} job(s) completed within last {args.refetch_hours} hour(s)")
    elif args.job_names:
        entries = [ledger.get(name) or _unrecorded(name) for name in args.job_names]
    else:
        entries = ledger.unfetched()
    if not args.job_names:  # jobs created at another endpoint or with another key are not this client's to poll
        owner = _batch(client, ledger)
        entries = [entry for entry in entries if owner.owns(entry)]
    print(f"\nChecking {len(entries)} job(s)...")
    counts = dict.fromkeys(("Checked", "Completed", "Failed", "Still pending", "Refetched"), 0)
    out = args.output.open("a", encoding="utf-8") if args.output is not None else None
    try:
        for entry in entries:
            counts["Checked"] += 1
            label = f" ({entry.display_name})" if entry.display_name else ""
            print(f"\nJob {entry.name}{label}")
            batch = _batch(client, ledger, entry.model)
            try:
                state = job_state(batch.get_batch_job(entry.name))
            except BatchJobLostError as exc:
                print(f"  Lost: {exc.reason} (kept in the ledger, marked lost)")
                counts["Failed"] += 1
                continue
            print(f"  Status: {state.removeprefix('JOB_STATE_')}")
            if state in FAILED_STATES:
                counts["Failed"] += 1
                continue
            try:
                replies = batch.fetch_batch_replies(entry.name)
            except BatchJobError:
                counts["Still pending"] += 1
                continue
            counts["Completed"] += 1
            counts["Refetched"] += refetch
            _write(entry.name, replies, out, args.output)
    finally:
        if out is not None:
            out.close()
    print("\n" + "=" * 60 + "\nSummary:")
    for label, value in counts.items():
        print(f"  {label}: {value}")
    print("=" * 60)
    return 1 if counts["Failed"] else 0


def _cancel(args: argparse.Namespace, client: genai.Client, ledger: BatchLedger) -> int:
    from ..core.errors import LLMProviderError

    batch = _batch(client, ledger)
    code = 0
    for name in args.names:
        try:
            batch.cancel_batch_job(name)
        except LLMProviderError as exc:  # the seed guide's "Cancellation failed"; the other jobs still go
            print(f"Cancellation failed: {exc}")
            code = 1
        else:
            print(f"Cancelled job: {name}")
    return code


def _list(args: argparse.Namespace, client: genai.Client, ledger: BatchLedger) -> int:
    from .batch import job_state

    if args.remote:
        for job in _batch(client, ledger).list_batch_jobs(limit=args.limit):
            print(f"{job.name}  {job_state(job).removeprefix('JOB_STATE_'):<10} {job.display_name or ''}")
        return 0
    for entry in ledger.entries(limit=args.limit):
        fetched = "fetched" if entry.fetched_at is not None else "not fetched"
        print(
            f"{entry.name}  {entry.state.removeprefix('JOB_STATE_'):<10} {len(entry.request_keys):>6} request(s)"
            f"  {fetched}  {entry.display_name or ''}"
        )
    return 0


def _read_prompts(path: Path) -> list[Any]:
    prompts: list[Any] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            value = line
        prompts.append(value if isinstance(value, (str, list)) else line)
    return prompts


def _unrecorded(name: str) -> LedgerEntry:
    """A job made elsewhere (not in this store's ledger): fetched by position, with connect()'s model."""
    from ..store.ledger import LedgerEntry
    from .connection import default_model

    return LedgerEntry(name, None, default_model(), "", {}, {}, "JOB_STATE_UNSPECIFIED")


def _write(name: str, replies: list[Any], out: TextIO | None, path: Path | None) -> None:
    if out is None:
        for reply in replies:
            print(f"  [{reply.key}] {reply}")
        return
    for reply in replies:
        line = {
            "job": name,
            "key": reply.key,
            "item_id": reply.result.item_id,
            "ok": reply.ok,
            "output": reply.output,
            "error": None if reply.ok else f"{type(reply.error).__name__}: {reply.error}",
            "text": reply.text,
        }
        out.write(json.dumps(line, default=str) + "\n")
    print(f"  Saved {len(replies)} result(s) to {path}")
