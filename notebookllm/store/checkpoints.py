"""Run checkpoints: which key each item of a run is stored under, and the ``runs`` table.

Every finished item is committed as it finishes. An item whose strategy has a request fingerprint is stored
under its cache key, which already identifies its reply across runs, so a rerun finds it whatever the run is
called. An item without one (``request_fingerprint() is None``) can only be recognised within its run: it is
stored under a digest of (run identity, item id, prompt) — so resuming needs a run identity (a ``run_name``,
or the caller's ``run_fingerprint``), and an edited prompt is re-requested even within the same run.

Example:
    >>> run_identity(run_name="nightly", run_fingerprint="abc")
    'name:nightly'
"""

from __future__ import annotations

from typing import Any

from ..core.strategy import fingerprint_digest
from ..core.work_item import LLMWorkItem

__all__ = ["RUN_UPSERT_SQL", "item_key", "run_identity"]

RUN_UPSERT_SQL = (
    "INSERT INTO runs (run_id, name, items, created_at, updated_at) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (run_id) DO UPDATE SET items = excluded.items, updated_at = excluded.updated_at"
)


def run_identity(run_name: str | None, run_fingerprint: str | None) -> str | None:
    """The run's id: its name when given, else its fingerprint, else ``None`` (no resume for uncacheable items)."""
    if run_name is not None:
        return f"name:{run_name}"
    if run_fingerprint is not None:
        return f"fingerprint:{run_fingerprint}"
    return None


def item_key(item: LLMWorkItem[Any, Any], run_id: str | None) -> str | None:
    """Where ``item``'s reply is stored: its cache key, else its checkpoint key within ``run_id``, else ``None``."""
    key = item.strategy.request_key(item.prompt)
    if key is not None:
        return key
    if run_id is None:
        return None
    return fingerprint_digest({"run": run_id, "item_id": item.item_id, "prompt": item.prompt})
