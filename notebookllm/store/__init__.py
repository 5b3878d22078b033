"""The durable store: one SQLite file per project folder holding the response cache, run checkpoints and the
Batch API job ledger.

Example:
    >>> from notebookllm.store import Store, CacheMode
    >>> store = Store.open(memory=True)
    >>> session = store.begin_run([], cache_mode=CacheMode.READ_WRITE)
    >>> session.pending, session.finished
    ([], {})

See :class:`Store` for the API, :mod:`notebookllm.store.codec` for how outputs are stored.
"""

from .codec import UnstorableOutputError, register_codec
from .db import StoreWarning
from .hygiene import SizeReport
from .ledger import BatchLedger, LedgerEntry
from .migrations import SCHEMA_VERSION
from .records import StoredError
from .session import CacheMode, RunSession, SavedUsage
from .store import DEFAULT_PATH, Store
from .uploads import Upload, UploadMemory

__all__ = [
    "DEFAULT_PATH",
    "SCHEMA_VERSION",
    "BatchLedger",
    "CacheMode",
    "LedgerEntry",
    "RunSession",
    "SavedUsage",
    "SizeReport",
    "Store",
    "StoreWarning",
    "StoredError",
    "UnstorableOutputError",
    "Upload",
    "UploadMemory",
    "register_codec",
]
