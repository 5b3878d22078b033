"""Errors of the Gemini Batch API path. All derive from :class:`~notebookllm.gemini.GeminiError`.

The Developer API leaves ``BatchJob.error`` empty, so a job's outcome is its ``state``: every job error carries
the job ``name`` and the ``state`` it was in.

Example:
    >>> try:
    ...     ...  # results = batch.fetch_batch_results(name)
    ... except BatchJobNotDoneError as e:   # also a ValueError, as the seed guide documents
    ...     print("not ready:", e.state)
    ... except BatchJobFailedError as e:
    ...     print("job ended", e.state)
"""

from __future__ import annotations

from .errors import GeminiError
from .json_reply import JsonReply

__all__ = ["BatchDeadlineError", "BatchJobError", "BatchJobFailedError", "BatchJobNotDoneError", "JsonReplyError"]


class BatchJobError(GeminiError):
    """A batch job is not in the state the call needs.

    Attributes:
        name: the job's name (``batches/...``).
        state: its state, a ``JOB_STATE_*`` name.
    """

    def __init__(self, name: str, state: str, message: str) -> None:
        self.name = name
        self.state = state
        super().__init__(message)


class BatchJobNotDoneError(BatchJobError, ValueError):
    """Results were asked for before the job finished."""

    def __init__(self, name: str, state: str) -> None:
        super().__init__(name, state, f"batch job {name} is not finished yet ({state}); wait for it first")


class BatchJobFailedError(BatchJobError):
    """The job ended FAILED, EXPIRED or CANCELLED: it has no results (the API gives no reason beyond the state)."""

    def __init__(self, name: str, state: str) -> None:
        super().__init__(name, state, f"batch job {name} ended {state} without results")


class BatchDeadlineError(BatchJobError, TimeoutError):
    """Waiting gave up at its deadline; the job itself goes on (wait again, or cancel it)."""

    def __init__(self, name: str, state: str, deadline_s: float) -> None:
        super().__init__(name, state, f"batch job {name} still {state} after the {deadline_s:g}s deadline")


class JsonReplyError(GeminiError):
    """``filter_json=True`` found no JSON in a reply; :attr:`reply` keeps the model's text."""

    def __init__(self, reply: JsonReply) -> None:
        self.reply = reply
        shown = (reply.raw or "")[:80]
        super().__init__(f"no JSON in the reply ({reply.status}): {shown!r}")
