"""Errors of the Gemini Batch API path. All derive from :class:`~notebookllm.gemini.GeminiError`; those that mean
the provider failed (a job or some of its requests failed, a job vanished, a cancel was refused) also derive from
:class:`~notebookllm.LLMProviderError`, the seed guide's name.

The Developer API leaves ``BatchJob.error`` empty, so a job's outcome is its ``state``: every job error carries
the job ``name`` and the ``state`` it was in.

Example:
    >>> try:
    ...     ...  # results = batch.fetch_batch_results(name)
    ... except BatchJobNotDoneError as e:   # also a ValueError, as the seed guide documents
    ...     print("not ready:", e.state)
    ... except BatchJobFailedError as e:
    ...     print("job ended", e.state)
    ... except BatchRequestsFailedError as e:  # the good replies are on the exception, in order
    ...     print(e.failed_keys, e.results)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..core.errors import LLMProviderError
from .errors import GeminiError
from .json_reply import JsonReply

if TYPE_CHECKING:
    from .batch_replies import BatchReply

__all__ = [
    "BatchCancelError",
    "BatchDeadlineError",
    "BatchJobError",
    "BatchJobFailedError",
    "BatchJobLostError",
    "BatchJobLostWarning",
    "BatchJobNotDoneError",
    "BatchRequestsFailedError",
    "JsonReplyError",
]


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
    """Results were asked for before the job finished, or before the API attached the output of a job it already
    reports SUCCEEDED (a short window seen on the real API): poll again."""

    def __init__(self, name: str, state: str) -> None:
        why = "its output is not attached yet" if state == "JOB_STATE_SUCCEEDED" else "it is not finished yet"
        super().__init__(name, state, f"batch job {name} has no results yet ({state}: {why}); wait for it first")


class BatchJobFailedError(BatchJobError, LLMProviderError):
    """The job ended FAILED, EXPIRED or CANCELLED: it has no results (the API gives no reason beyond the state)."""

    def __init__(self, name: str, state: str) -> None:
        super().__init__(name, state, f"batch job {name} ended {state} without results")


class BatchJobLostError(BatchJobError, LLMProviderError):
    """The API no longer knows a job the ledger recorded for this endpoint and key (a restarted emulator, a job
    deleted elsewhere): the ledger keeps it, marked lost with :attr:`reason`; creating the same payload again
    submits it anew."""

    def __init__(self, name: str, state: str, reason: str) -> None:
        self.reason = reason
        super().__init__(name, state, f"batch job {name} is lost: {reason}")


class BatchJobLostWarning(UserWarning):
    """A recorded job was lost (see :class:`BatchJobLostError`) and its payload is being submitted again."""


class BatchCancelError(BatchJobError, LLMProviderError):
    """The job could not be cancelled: it had already ended (``state`` says how), or the API refused."""


class BatchRequestsFailedError(GeminiError, LLMProviderError):
    """Some requests of a finished job failed. Nothing is thrown away: :attr:`results` holds every request's value
    in payload order (``None`` where it failed) and :attr:`replies` every rich
    :class:`~notebookllm.gemini.BatchReply`, good ones intact.

    Attributes:
        name: the job's name.
        failed_keys: the request keys that failed, in payload order.
        replies: every request's :class:`~notebookllm.gemini.BatchReply`, in payload order.
        results: every request's value (``None`` for a failed one), in payload order.
    """

    def __init__(self, name: str, replies: Sequence[BatchReply]) -> None:
        self.name = name
        self.replies = list(replies)
        self.results: list[Any] = [r.output for r in self.replies]
        self.failed_keys = [r.key for r in self.replies if not r.ok]
        first = next(r for r in self.replies if not r.ok)
        super().__init__(
            f"{len(self.failed_keys)} of {len(self.replies)} requests of batch job {name} failed "
            f"(keys {', '.join(self.failed_keys[:10])}{', ...' if len(self.failed_keys) > 10 else ''}); "
            f"first: {type(first.error).__name__}: {first.error}. The good replies are in .results / .replies"
        )


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
