"""The store's schema, as the ordered list of steps that built it.

``PRAGMA user_version`` holds the schema version of a file. Opening a file applies the missing steps in one
transaction each, so a store written by an older notebookllm is upgraded in place and keeps its rows; a file written
by a newer notebookllm is refused (:class:`NewerSchemaError`) rather than damaged.

Example:
    >>> import sqlite3
    >>> conn = sqlite3.connect(":memory:", isolation_level=None)
    >>> upgrade(conn) == SCHEMA_VERSION
    True
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

__all__ = ["SCHEMA_VERSION", "NewerSchemaError", "schema_version", "upgrade"]


def _v1_responses(conn: sqlite3.Connection) -> None:
    """Version 1: one row per stored reply, keyed by the request-fingerprint digest (or a run checkpoint key)."""
    conn.execute(
        """CREATE TABLE responses (
            key TEXT PRIMARY KEY,
            run_id TEXT,
            success INTEGER NOT NULL,
            output TEXT,
            error TEXT,
            error_info TEXT,
            attempts INTEGER NOT NULL,
            token_usage TEXT NOT NULL,
            metadata TEXT NOT NULL,
            latency_s REAL,
            started_at REAL,
            finished_at REAL,
            created_at REAL NOT NULL
        ) WITHOUT ROWID"""
    )


def _v2_runs_and_cost(conn: sqlite3.Connection) -> None:
    """Version 2: a table of runs (for reports and ``clear``), the cost as a column (saved-cost sums without JSON
    parsing), and an index for ``clear(older_than=...)``."""
    conn.execute(
        """CREATE TABLE runs (
            run_id TEXT PRIMARY KEY,
            name TEXT,
            items INTEGER NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        ) WITHOUT ROWID"""
    )
    conn.execute("ALTER TABLE responses ADD COLUMN cost_usd REAL")
    conn.execute("UPDATE responses SET cost_usd = json_extract(metadata, '$.cost_usd')")
    conn.execute("CREATE INDEX responses_created_at ON responses (created_at)")


def _v3_batch_jobs(conn: sqlite3.Connection) -> None:
    """Version 3: the Batch API job ledger (see :mod:`notebookllm.store.ledger`). One row per submitted job; the
    payload fingerprint finds the job a re-run would duplicate, the completion time selects jobs to refetch."""
    conn.execute(
        """CREATE TABLE batch_jobs (
            name TEXT PRIMARY KEY,
            display_name TEXT,
            model TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            request_keys TEXT NOT NULL,
            options TEXT NOT NULL,
            state TEXT NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            completed_at REAL,
            fetched_at REAL
        ) WITHOUT ROWID"""
    )
    conn.execute("CREATE INDEX batch_jobs_fingerprint ON batch_jobs (fingerprint)")
    conn.execute("CREATE INDEX batch_jobs_completed_at ON batch_jobs (completed_at)")


def _v4_batch_job_endpoints(conn: sqlite3.Connection) -> None:
    """Version 4: a ledger row belongs to the endpoint (base URL) and key (a fingerprint, never the key) it was
    created with, and a job the API no longer knows is kept, marked lost with the reason."""
    for column in ("endpoint", "key_fingerprint", "lost_reason"):
        conn.execute(f"ALTER TABLE batch_jobs ADD COLUMN {column} TEXT")


def _v5_media_uploads(conn: sqlite3.Connection) -> None:
    """Version 5: files uploaded through the Files API (see :mod:`notebookllm.store.uploads`), one row per content
    hash and API account, so a file is uploaded once and reused across rows and runs until it expires."""
    conn.execute(
        """CREATE TABLE media_uploads (
            sha256 TEXT NOT NULL,
            account TEXT NOT NULL,
            name TEXT NOT NULL,
            uri TEXT NOT NULL,
            mime_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            uploaded_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            PRIMARY KEY (sha256, account)
        ) WITHOUT ROWID"""
    )


def _v6_claims(conn: sqlite3.Connection) -> None:
    """Version 6: in-flight claims (see :mod:`notebookllm.store.claims`). One row per item a live run is requesting,
    so that a second run of the same job waits for its answer instead of paying for it again."""
    conn.execute(
        """CREATE TABLE claims (
            key TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            expires_at REAL NOT NULL
        ) WITHOUT ROWID"""
    )
    conn.execute("CREATE INDEX claims_owner ON claims (owner)")


def _v7_model_versions(conn: sqlite3.Connection) -> None:
    """Version 7: an index of the replies by model and model version, so a run can tell in one covering lookup
    which versions answered an alias before (the model-version warning) and the estimate finds a model's rows."""
    conn.execute(
        "CREATE INDEX responses_model_version ON responses "
        "(json_extract(metadata, '$.model'), json_extract(metadata, '$.model_version'))"
    )


def _v8_observed_limits(conn: sqlite3.Connection) -> None:
    """Version 8: the rate limits Google reported in 429s (see :mod:`notebookllm.store.limits`), the latest per
    account (base URL and key fingerprint), model and kind, so a later run can pace at them."""
    conn.execute(
        """CREATE TABLE observed_limits (
            account TEXT NOT NULL,
            model TEXT NOT NULL,
            kind TEXT NOT NULL,
            value REAL NOT NULL,
            observed_at REAL NOT NULL,
            PRIMARY KEY (model, account, kind)
        ) WITHOUT ROWID"""
    )


def _v9_responses_by_rowid(conn: sqlite3.Connection) -> None:
    """Version 9: ``responses`` as a rowid table with a unique key, and the model and its version as columns.

    Keyed by a random digest, the rows of a ``WITHOUT ROWID`` table live in the key's B-tree, so every insert
    rewrote a random leaf full of whole rows; the index of ``json_extract`` expressions parsed each row's metadata
    twice more. Rows now append to the table and the key index holds only keys: a row costs 43 µs of CPU instead
    of 112 in an empty store (60 instead of 177 in one of 100,000 rows), seven rows a commit.
    """
    columns = (
        "key, run_id, success, output, error, error_info, attempts, token_usage, metadata, cost_usd, latency_s, "
        "started_at, finished_at, created_at"
    )
    conn.execute(
        """CREATE TABLE responses_v9 (
            key TEXT NOT NULL UNIQUE,
            run_id TEXT,
            success INTEGER NOT NULL,
            output TEXT,
            error TEXT,
            error_info TEXT,
            attempts INTEGER NOT NULL,
            token_usage TEXT NOT NULL,
            metadata TEXT NOT NULL,
            cost_usd REAL,
            latency_s REAL,
            started_at REAL,
            finished_at REAL,
            created_at REAL NOT NULL,
            model TEXT,
            model_version TEXT
        )"""
    )
    conn.execute(
        f"INSERT INTO responses_v9 ({columns}, model, model_version) SELECT {columns}, "
        "json_extract(metadata, '$.model'), json_extract(metadata, '$.model_version') FROM responses "
        "ORDER BY created_at"
    )
    conn.execute("DROP TABLE responses")
    conn.execute("ALTER TABLE responses_v9 RENAME TO responses")
    conn.execute("CREATE INDEX responses_created_at ON responses (created_at)")
    conn.execute("CREATE INDEX responses_model_version ON responses (model, model_version)")


_STEPS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _v1_responses,
    _v2_runs_and_cost,
    _v3_batch_jobs,
    _v4_batch_job_endpoints,
    _v5_media_uploads,
    _v6_claims,
    _v7_model_versions,
    _v8_observed_limits,
    _v9_responses_by_rowid,
)
SCHEMA_VERSION = len(_STEPS)


class NewerSchemaError(RuntimeError):
    """The file was written by a newer notebookllm whose schema this version does not know."""


def schema_version(conn: sqlite3.Connection) -> int:
    """The schema version recorded in the file (0 for a new, empty file)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def upgrade(conn: sqlite3.Connection, *, to: int = SCHEMA_VERSION) -> int:
    """Apply the steps missing from ``conn``'s schema, up to version ``to``; return the version reached.

    ``conn`` must be in autocommit mode (``isolation_level=None``): each step runs in its own transaction,
    together with the version bump, so an interrupted upgrade leaves a consistent older version behind.
    """
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"the store has schema version {current}, this notebookllm knows up to {SCHEMA_VERSION}; "
            "upgrade notebookllm or use another store path"
        )
    for version in range(current + 1, to + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Read again under the write lock: another process creating the same new store may have got there
            # first while this one waited, and its steps must not be applied twice.
            if schema_version(conn) < version:
                _STEPS[version - 1](conn)
                conn.execute(f"PRAGMA user_version = {version}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return max(schema_version(conn), to)
