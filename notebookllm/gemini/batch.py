"""``GeminiBatch``: the Gemini Batch API (half the online price, results within a day) over a Gemini strategy.

Many requests go into **one** job, each under a key, inline when the job is small and as an uploaded JSONL file
when it is large. Polling backs off up to a cap and stops at an optional deadline; a network blip or a 5xx while
polling is retried, never taken for the job's failure. A job's outcome is read from its ``state``; a job reported
SUCCEEDED before its output is attached is polled again, not read as "no results". Results come back in payload
order, mapped by key, each parsed by the strategy exactly as an online reply: :meth:`GeminiBatch.fetch_batch_results`
gives the values (the seed guide's shape), :meth:`GeminiBatch.fetch_batch_replies` the rich per-request replies. A
failed request never throws away the good ones. Every job is recorded in the project store's ledger
(:class:`~notebookllm.store.ledger.BatchLedger`) under the endpoint and key it was created with, so creating the same
payload again returns the job already submitted instead of paying twice, and a job the endpoint no longer knows is
marked lost and submitted again with a warning. Every batch and file call is pinned to ``v1beta``, the only API
version that serves them (google-genai 3.x defaults to ``v1``).

Example (the seed guide's flow; the ``a``-prefixed methods are the async twins):
    >>> import notebookllm as nl
    >>> batch = GeminiBatch(system_instruction="Answer with one category as JSON.", temperature=0.2)
    >>> name = batch.create_batch_job([["Categorise: Geography GCSE"], ["Categorise: French GCSE"]],
    ...                               filter_json=True)                                   # doctest: +SKIP
    >>> batch.get_batch_job(name).state                                                   # doctest: +SKIP
    <JobState.JOB_STATE_PENDING: 'JOB_STATE_PENDING'>
    >>> batch.wait(name, poll_initial=10, poll_max=300, deadline=24 * 3600)               # doctest: +SKIP
    >>> batch.fetch_batch_results(name)                                                   # doctest: +SKIP
    [{'category': 'Geography'}, {'category': 'French'}]
    >>> for reply in batch.fetch_batch_replies(name):                                     # doctest: +SKIP
    ...     print(reply.key, reply.text, reply.json.status, reply.metadata["finish_reason"])
"""

from __future__ import annotations

import asyncio
import inspect
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, TypeVar

from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from ..core.backoff import backoff_delay
from ..core.config import RetryConfig
from ..core.errors import ConfigurationError
from ..core.redaction import get_logger
from ..core.results import WorkItemResult
from ..core.work_item import LLMWorkItem
from ..store.ledger import FAILED_STATES, SUCCEEDED_STATE, TERMINAL_STATES, BatchLedger, LedgerEntry
from ..sync import run_sync
from .batch_errors import (
    BatchCancelError,
    BatchDeadlineError,
    BatchJobFailedError,
    BatchJobLostError,
    BatchJobLostWarning,
    BatchJobNotDoneError,
    BatchRequestsFailedError,
)
from .batch_replies import BatchReply, RawReply, read_jsonl, to_reply
from .batch_requests import (
    BatchPayload,
    BatchRequest,
    build_requests,
    inlined_requests,
    jsonl_lines,
    payload_fingerprint,
    request_config,
)
from .cached import GeminiCachedStrategy
from .classifier import GeminiErrorClassifier
from .connection import account_of
from .strategy import GeminiStrategy

__all__ = ["BATCH_API_VERSION", "DEFAULT_INLINE_LIMIT_BYTES", "INLINE_REPLIES_KEYED", "GeminiBatch", "job_state"]

T = TypeVar("T")

DEFAULT_INLINE_LIMIT_BYTES = 256 * 1024
"""Jobs whose requests take more than this go as an uploaded JSONL file (the API caps an inline job at 20 MB).

Kept small because an inline job is the dearer one to hold: the SDK converts each of its requests (milliseconds
each) and returns all its replies at once inside the job, as objects of some kilobytes each, whereas a file job's
lines are written and read one at a time. 20,000 short requests (2.2 MB) measured 409 MB peak RSS and 198 s inline
against 238 MB and 36 s as a file (``benchmarks/memory.py --through batch --phases``)."""

_log = get_logger(__name__)
_CLASSIFIER = GeminiErrorClassifier()
# How many of the account's newest jobs to look through for an unrecorded one (see GeminiBatch._unrecorded_job).
_UNRECORDED_SEARCH = 500

BATCH_API_VERSION = "v1beta"
"""The API version every batch and file call uses: the Developer API serves ``batches`` and ``files`` only there."""
_PINNED: dict[str, Any] = {"http_options": {"api_version": BATCH_API_VERSION}}

OnState = Callable[[types.BatchJob], None]

# Whether this google-genai's files.download can write the file to a stream (newer ones) rather than return its bytes.
_DOWNLOAD_STREAMS = "destination" in inspect.signature(genai.files.AsyncFiles.download).parameters

INLINE_REPLIES_KEYED = "metadata" in types.InlinedResponse.model_fields
"""Whether this google-genai keeps each inline reply's key (``InlinedResponse.metadata``; not in 1.49). Without it
inline replies map back by position, which a partial output (a cancelled job's) does not allow; a file job's
replies always carry their keys."""


def job_state(job: types.BatchJob) -> str:
    """The job's state as a ``JOB_STATE_*`` name (``"JOB_STATE_UNSPECIFIED"`` when the API gave none)."""
    state = job.state
    if state is None:
        return "JOB_STATE_UNSPECIFIED"
    return state.name if isinstance(state, types.JobState) else str(state)


def _ended(job: types.BatchJob) -> bool:
    """The job reached an end state with everything it will have: a SUCCEEDED job only once its output is
    attached (the API may report SUCCEEDED a moment before it attaches the output)."""
    state = job_state(job)
    return state in TERMINAL_STATES and (state != SUCCEEDED_STATE or job.dest is not None)


class GeminiBatch:
    """Batch jobs built, parsed and priced by one :class:`~notebookllm.gemini.GeminiStrategy`.

    Args:
        strategy: the strategy whose requests (model, system instruction, config, schema) the jobs send and whose
            parsing reads the replies; without one, ``GeminiStrategy(**strategy_options)`` on the default client.
        ledger: where jobs are recorded (default: the ledger of the project store, ``Store.open()``).
        filter_json: the default of :meth:`create_batch_job`'s ``filter_json``.
        inline_limit_bytes: above this many bytes of requests a job goes as an uploaded JSONL file.
        system_prompt: the system instruction, or the path of a file holding it (the seed guide's
            ``system_prompt="prompts/categorise.md"``).
        **strategy_options: ``client``, ``model``, ``system_instruction``, ``temperature``, ... for the default
            strategy (not together with ``strategy``).
    """

    def __init__(
        self,
        strategy: GeminiStrategy[Any] | None = None,
        *,
        ledger: BatchLedger | None = None,
        filter_json: bool = False,
        inline_limit_bytes: int = DEFAULT_INLINE_LIMIT_BYTES,
        system_prompt: str | os.PathLike[str] | None = None,
        **strategy_options: Any,
    ) -> None:
        if system_prompt is not None:
            strategy_options["system_instruction"] = _prompt_text(system_prompt)
        if strategy is not None and strategy_options:
            raise ConfigurationError("pass either a strategy or strategy options, not both")
        strategy = strategy if strategy is not None else GeminiStrategy(**strategy_options)
        if not isinstance(strategy, GeminiStrategy) or isinstance(strategy, GeminiCachedStrategy):
            raise ConfigurationError(
                f"batch jobs need a GeminiStrategy (context caches are not supported), got {type(strategy).__name__}"
            )
        self.strategy = strategy
        self.ledger = ledger if ledger is not None else BatchLedger()
        self.filter_json = filter_json
        self.inline_limit_bytes = inline_limit_bytes

    @property
    def client(self) -> genai.Client:
        return self.strategy.client

    @property
    def model(self) -> str:
        return self.strategy.model

    def __repr__(self) -> str:
        return f"{type(self).__name__}(strategy={self.strategy!r}, filter_json={self.filter_json})"

    @property
    def endpoint(self) -> tuple[str, str | None]:
        """``(base URL, key fingerprint)`` of the client: what a ledger entry belongs to (never the key itself)."""
        return account_of(self.client)

    def owns(self, entry: LedgerEntry) -> bool:
        """Whether ``entry`` was created at this batch's endpoint with its key (rows older than endpoint tracking
        count as owned: the API tells whether it knows them)."""
        return entry.endpoint is None or (entry.endpoint, entry.key_fingerprint) == self.endpoint

    # ------------------------------------------------------------------------------------------------ create
    async def acreate_batch_job(
        self,
        batch_payload: BatchPayload,
        *,
        filter_json: bool | None = None,
        display_name: str | None = None,
        item_ids: Sequence[str] | None = None,
    ) -> str:
        """Submit ``batch_payload`` as one job and return its name; an identical payload already submitted (and
        not FAILED, EXPIRED or CANCELLED) returns that job's name instead, without submitting again — whether the
        ledger recorded it or not (a look through the account's recent jobs finds unrecorded ones).

        Args:
            batch_payload: prompts, each a string or a sequence of strings (``[["p1"], ["p2", "context"]]``).
            filter_json: read each reply's JSON (lossless: see :func:`~notebookllm.gemini.parse_json_reply`);
                default: the batch's ``filter_json``. Needs a strategy without ``response_schema``/``response_parser``.
                The requests ask for JSON output unless the strategy set a ``response_mime_type`` itself.
            display_name: the job's display name (default ``notebookllm``). The API gets it with a
                ``#<payload fingerprint>`` tag appended, by which a job submitted by a process that died before
                recording it is found and adopted instead of being submitted again.
            item_ids: the caller's id of each entry (default its position), carried to the results.

        Raises:
            ConfigurationError: an empty payload or prompt, bad item ids, ``filter_json`` with a schema.
        """
        filter_json = self.filter_json if filter_json is None else filter_json
        self._check_filter_json(filter_json)
        await self.strategy.media.prepare_many(batch_payload)  # a job's file parts go by URI, never inline
        requests = build_requests(self.strategy, batch_payload, item_ids)
        fingerprint = payload_fingerprint(self.strategy, requests, filter_json=filter_json)
        endpoint, key = self.endpoint
        existing = self.ledger.reusable(fingerprint, endpoint=endpoint, key_fingerprint=key)
        if existing is not None and await self._still_known(existing):
            _log.info("batch job %s holds this payload (%s); not submitting again", existing.name, existing.state)
            return existing.name
        tag = f"#{fingerprint[:16]}"
        remote_name = f"{display_name} {tag}" if display_name else f"notebookllm{tag}"
        options: dict[str, Any] = {"filter_json": filter_json}
        job = await self._unrecorded_job(tag)
        if job is None:
            job = await self._submit(requests, fingerprint, remote_name, options)
        else:
            options["adopted"] = True  # how it was sent (inline or file) is not known here
        self.ledger.record(
            LedgerEntry(
                name=str(job.name),
                display_name=display_name or remote_name,  # the name the user gave, without the tag
                model=self.model,
                fingerprint=fingerprint,
                request_keys={r.key: r.item_id for r in requests},
                options=options,
                state=job_state(job),
                endpoint=endpoint,
                key_fingerprint=key,
            )
        )
        return str(job.name)

    async def _still_known(self, entry: LedgerEntry) -> bool:
        """Whether the API still knows the recorded job; a lost one is marked so, with a warning."""
        try:
            await self.aget_batch_job(entry.name)
        except BatchJobLostError as exc:
            warnings.warn(
                f"{exc}; it is kept in the ledger, marked lost, and this payload is submitted again",
                BatchJobLostWarning,
                stacklevel=4,
            )
            return False
        return True

    async def _unrecorded_job(self, tag: str) -> types.BatchJob | None:
        """The job this payload already became that the ledger never heard of — submitted by a process that died
        between ``batches.create`` and recording it — found by the payload tag that ends its display name."""
        for job in await self.alist_batch_jobs(limit=_UNRECORDED_SEARCH):
            if (job.display_name or "").endswith(tag) and job_state(job) not in FAILED_STATES:
                _log.info("batch job %s holds this payload but was never recorded; adopting it", job.name)
                return job
        return None

    async def _submit(
        self, requests: list[BatchRequest], fingerprint: str, display_name: str, options: dict[str, Any]
    ) -> types.BatchJob:
        """One ``batches.create`` for ``requests``: inline, or as an uploaded JSONL file above the inline limit
        (noted in ``options["source"]``)."""
        config = request_config(self.strategy, filter_json=options["filter_json"])
        # The input file is written to disk a line at a time and uploaded from there: as one bytes object (with its
        # lines) a 100,000-request body would sit in memory beside the requests it was made from.
        with tempfile.TemporaryFile() as body:
            size = sum(body.write(line + b"\n") for line in jsonl_lines(self.client, config, requests))
            source: str | list[types.InlinedRequest]
            if size <= self.inline_limit_bytes:
                source = inlined_requests(config, requests)
                options["source"] = "inline"
            else:
                body.seek(0)
                uploaded = await self.client.aio.files.upload(
                    file=body,
                    config={"mime_type": "jsonl", "display_name": f"notebookllm-{fingerprint[:12]}-input", **_PINNED},
                )
                source = str(uploaded.name)
                options.update(source="file", input_file=source)
        return await self.client.aio.batches.create(
            model=self.model, src=source, config={"display_name": display_name, **_PINNED}
        )

    def create_batch_job(
        self,
        batch_payload: BatchPayload,
        *,
        filter_json: bool | None = None,
        display_name: str | None = None,
        item_ids: Sequence[str] | None = None,
    ) -> str:
        """:meth:`acreate_batch_job`, synchronously (also inside a running Jupyter loop)."""
        return run_sync(
            self.acreate_batch_job(batch_payload, filter_json=filter_json, display_name=display_name, item_ids=item_ids)
        )

    # ------------------------------------------------------------------------------------------------ status
    async def aget_batch_job(self, name: str) -> types.BatchJob:
        """The job as the API reports it now (``.state``, ``.done``, end time, ...); records its state.

        Raises:
            BatchJobLostError: the API does not know a job the ledger recorded at this endpoint with this key
                (it is marked lost in the ledger).
            google.genai.errors.APIError: any other error (a job the ledger never heard of answers 404 as is).
        """
        try:
            job = await self.client.aio.batches.get(name=name, config=_PINNED)
        except genai_errors.ClientError as exc:
            entry = self.ledger.get(name)
            if exc.code != 404 or entry is None or not self.owns(entry):
                raise
            reason = f"{self.endpoint[0]} answered {exc.code} {exc.status or ''} for it".replace("  ", " ")
            self.ledger.mark_lost(name, reason)
            raise BatchJobLostError(name, entry.state, reason) from exc
        self._observe(job)
        return job

    def get_batch_job(self, name: str) -> types.BatchJob:
        """:meth:`aget_batch_job`, synchronously. ``job.state`` is a ``JobState``; see also :func:`job_state`."""
        return run_sync(self.aget_batch_job(name))

    async def await_job(
        self,
        name: str,
        *,
        poll_initial: float = 5.0,
        poll_max: float = 60.0,
        deadline: float | None = None,
        on_state: OnState | None = None,
    ) -> types.BatchJob:
        """Poll until the job ends (any end state: check :func:`job_state`; a SUCCEEDED job once its output is
        attached) and return it.

        Polls at once, then after ``poll_initial`` seconds, doubling (with jitter) up to ``poll_max``, on the
        event loop's clock. A transient error while polling (network, timeout, 429, 5xx) is logged and polled
        again on the same schedule; it never marks the job failed. ``on_state(job)`` is called after every
        successful poll (progress displays).

        Raises:
            BatchDeadlineError: the job had not ended ``deadline`` seconds after the call (it goes on running).
            google.genai.errors.APIError: a non-transient error (unknown job, bad key).
        """
        try:
            schedule = RetryConfig(initial_wait=poll_initial, max_wait=poll_max, jitter=True)
        except ValueError as exc:
            raise ConfigurationError(f"bad polling interval: {exc}") from None
        loop = asyncio.get_running_loop()
        give_up = None if deadline is None else loop.time() + deadline
        state = "JOB_STATE_UNSPECIFIED"
        polls = 0
        while True:
            polls += 1
            try:
                job = await self.aget_batch_job(name)
            except Exception as exc:
                if not _CLASSIFIER.classify(exc).retryable:
                    raise
                _log.warning("polling batch job %s failed (%s); polling again", name, exc)
            else:
                state = job_state(job)
                if on_state is not None:
                    on_state(job)
                if _ended(job):
                    return job
            delay = backoff_delay(schedule, polls)
            if give_up is not None:
                left = give_up - loop.time()
                if left <= 0:
                    raise BatchDeadlineError(name, state, deadline)  # type: ignore[arg-type]
                delay = min(delay, left)
            await asyncio.sleep(delay)

    def wait(
        self,
        name: str,
        *,
        poll_initial: float = 5.0,
        poll_max: float = 60.0,
        deadline: float | None = None,
        on_state: OnState | None = None,
    ) -> types.BatchJob:
        """:meth:`await_job`, synchronously."""
        return run_sync(
            self.await_job(name, poll_initial=poll_initial, poll_max=poll_max, deadline=deadline, on_state=on_state)
        )

    # ------------------------------------------------------------------------------------------------ results
    async def afetch_batch_results(self, name: str) -> list[Any]:
        """The seed guide's results: each request's value in payload order — the parsed JSON value itself with
        ``filter_json=True`` (dicts, lists, ...), else what the strategy's online call returns for it (the text by
        default; a ``GeminiResponse`` with ``include_metadata``; the schema's object with ``response_schema``).
        Marks the job fetched in the ledger.

        A failed request raises rather than passing ``None`` off as a value, and loses nothing: the exception
        carries every value and every rich reply, good ones intact. :meth:`afetch_batch_replies` returns failures
        in place instead.

        Raises:
            BatchJobNotDoneError: (a ``ValueError``) the job is still pending or running, or its output is not
                attached yet.
            BatchJobFailedError: (an ``LLMProviderError``) the job ended FAILED, EXPIRED or CANCELLED.
            BatchRequestsFailedError: (an ``LLMProviderError``) some requests failed; ``.failed_keys`` names them,
                ``.results`` / ``.replies`` hold every request's outcome in order.
            BatchJobLostError: (an ``LLMProviderError``) the API no longer knows the job.
        """
        replies = await self.afetch_batch_replies(name)
        if not all(reply.ok for reply in replies):
            raise BatchRequestsFailedError(name, replies)
        return [reply.output for reply in replies]

    def fetch_batch_results(self, name: str) -> list[Any]:
        """:meth:`afetch_batch_results`, synchronously."""
        return run_sync(self.afetch_batch_results(name))

    async def afetch_batch_replies(
        self, name: str, *, contexts: Sequence[Any] | None = None, answered_only: bool = False
    ) -> list[BatchReply]:
        """Every request's rich reply in payload order, successes and per-request errors alike: key, result row
        (output or error, tokens, finish reason, safety ratings, cost at the batch price), raw text, and with
        ``filter_json`` how the JSON was found (see :class:`~notebookllm.gemini.BatchReply`). Marks the job fetched.

        ``answered_only=True`` reads whatever output a job that has ended holds, CANCELLED, FAILED and EXPIRED
        ones included (a job cancelled while running keeps the replies of the requests it had processed), and
        returns only the requests it answered with a response (billed), in payload order: the others (never
        processed, or a per-request error) are the caller's to send again.

        Raises:
            BatchJobNotDoneError: (a ``ValueError``) the job is still pending or running, or its output is not
                attached yet.
            BatchJobFailedError: the job ended FAILED, EXPIRED or CANCELLED (not with ``answered_only``);
                ``.state`` says which.
            BatchJobLostError: the API no longer knows the job.
        """
        job = await self.aget_batch_job(name)
        state = job_state(job)
        if state in FAILED_STATES and not answered_only:
            raise BatchJobFailedError(name, state)
        if not _ended(job):
            raise BatchJobNotDoneError(name, state)
        entry = self.ledger.get(name)
        filter_json = bool(entry.options.get("filter_json")) if entry is not None else self.filter_json
        timing = _timing(job)
        with tempfile.TemporaryFile() as spool:
            raw = await self._raw_replies(job, spool)
            if entry is not None:
                keys, item_ids = list(entry.request_keys), list(entry.request_keys.values())
            else:  # a job made elsewhere: its replies name its requests, by key or by position
                raw = list(raw)
                keys = [r.key or str(i) for i, r in enumerate(raw)]
                item_ids = [str(i) for i in range(len(raw))]

            def reply_to(index: int, reply: RawReply) -> BatchReply:
                context = contexts[index] if contexts is not None else None
                return to_reply(
                    self.strategy,
                    reply,
                    key=keys[index],
                    item_id=item_ids[index],
                    filter_json=filter_json,
                    timing=timing,
                    context=context,
                )

            # Each reply becomes its row as it is read, so the API's reply objects never pile up (each is some
            # kilobytes of pydantic models: 400 MB for a 100,000-reply job).
            index_of = {key: index for index, key in enumerate(keys)}
            answered: dict[str, BatchReply] = {}
            for key, reply in _by_key(keys, raw):
                index = index_of.get(key)
                if index is None:
                    continue
                if answered_only and reply.response is None:
                    answered.pop(key, None)
                else:
                    answered[key] = reply_to(index, reply)
        replies = [
            answered[key] if key in answered else reply_to(index, RawReply(key))
            for index, key in enumerate(keys)
            if not answered_only or key in answered
        ]
        if entry is not None:
            self.ledger.mark_fetched(name)
        return replies

    def fetch_batch_replies(self, name: str) -> list[BatchReply]:
        """:meth:`afetch_batch_replies`, synchronously."""
        return run_sync(self.afetch_batch_replies(name))

    # ------------------------------------------------------------------------------------------------ others
    async def acancel_batch_job(self, name: str) -> None:
        """Ask the API to cancel the job (``batches.cancel``; the job and its record are kept) and record the
        state it reports afterwards.

        Raises:
            BatchCancelError: (an ``LLMProviderError``) the API refused, or the job had already ended (its
                ``state`` says how), as the seed guide warns for a completed or failed job.
        """
        try:
            await self.client.aio.batches.cancel(name=name, config=_PINNED)
        except genai_errors.APIError as exc:
            entry = self.ledger.get(name)
            raise BatchCancelError(
                name, entry.state if entry else "unknown", f"cancelling {name} failed: {exc}"
            ) from exc
        state = job_state(await self.aget_batch_job(name))
        if state != "JOB_STATE_CANCELLED":
            raise BatchCancelError(name, state, f"batch job {name} had already ended {state}; nothing to cancel")

    def cancel_batch_job(self, name: str) -> None:
        """:meth:`acancel_batch_job`, synchronously."""
        run_sync(self.acancel_batch_job(name))

    async def adelete_batch_job(self, name: str) -> None:
        """Delete the job at the API (``batches.delete``: it and its results are gone there; cancel does not do
        this). The ledger keeps its row, marked lost ("deleted"), so it is never reused or polled."""
        await self.client.aio.batches.delete(name=name, config=_PINNED)
        self.ledger.mark_lost(name, "deleted with batches.delete")

    def delete_batch_job(self, name: str) -> None:
        """:meth:`adelete_batch_job`, synchronously."""
        run_sync(self.adelete_batch_job(name))

    async def alist_batch_jobs(self, *, limit: int = 100) -> list[types.BatchJob]:
        """The account's batch jobs, newest first, at most ``limit`` (not only those of this ledger)."""
        jobs: list[types.BatchJob] = []
        async for job in await self.client.aio.batches.list(config={"page_size": min(limit, 100), **_PINNED}):
            jobs.append(job)
            if len(jobs) >= limit:
                break
        return jobs

    def list_batch_jobs(self, *, limit: int = 100) -> list[types.BatchJob]:
        """:meth:`alist_batch_jobs`, synchronously."""
        return run_sync(self.alist_batch_jobs(limit=limit))

    async def arun_items(
        self,
        items: Sequence[LLMWorkItem[Any, Any]],
        *,
        poll_initial: float = 5.0,
        poll_max: float = 60.0,
        deadline: float | None = None,
        on_state: OnState | None = None,
    ) -> list[WorkItemResult[Any, Any]]:
        """Run work items (all of this batch's strategy) as one job: submit (or re-attach), wait, fetch.

        Returns one result per item, in order. A job that ends without results fails every row with the
        :class:`~notebookllm.gemini.BatchJobFailedError` (nothing is lost; running again submits a new job).
        """
        stray = [i.item_id for i in items if i.strategy is not self.strategy]
        if stray:
            raise ConfigurationError(f"batch mode needs one strategy for all items; {stray[0]!r} has another")
        name = await self.acreate_batch_job([i.prompt for i in items], item_ids=[i.item_id for i in items])
        # Only the job's times are kept: an inline job carries all its replies, which the fetch reads again.
        start, end = _timing(
            await self.await_job(
                name, poll_initial=poll_initial, poll_max=poll_max, deadline=deadline, on_state=on_state
            )
        )
        try:
            replies = await self.afetch_batch_replies(name, contexts=[i.context for i in items])
        except BatchJobFailedError as exc:
            return [
                WorkItemResult(
                    i.item_id,
                    False,
                    error=exc,
                    error_info=_CLASSIFIER.classify(exc),
                    attempts=1,
                    started_at=start,
                    finished_at=end,
                    context=i.context,
                )
                for i in items
            ]
        return [reply.result for reply in replies]

    # ------------------------------------------------------------------------------------------------ helpers
    def _check_filter_json(self, filter_json: bool) -> None:
        if filter_json and (self.strategy.response_schema is not None or self.strategy.response_parser is not None):
            raise ConfigurationError("filter_json reads raw text: use it without response_schema/response_parser")

    def _observe(self, job: types.BatchJob) -> None:
        name, state = str(job.name), job_state(job)
        recorded = self.ledger.state(name)
        if recorded is not None and recorded != state:
            ended = job.end_time.timestamp() if job.end_time is not None else None
            self.ledger.update_state(name, state, completed_at=ended)

    async def _raw_replies(self, job: types.BatchJob, spool: IO[bytes]) -> Iterable[RawReply]:
        """The job's output entries: an inline job's from the job; a file's downloaded into ``spool`` and read from
        it a line at a time as they are taken (the file is never held whole in memory, nor are its replies)."""
        dest = job.dest
        if dest is None:
            return []
        if dest.file_name:
            if _DOWNLOAD_STREAMS:
                await self.client.aio.files.download(file=dest.file_name, destination=spool, config=_PINNED)
            else:
                spool.write(await self.client.aio.files.download(file=dest.file_name, config=_PINNED))
            spool.seek(0)
            return read_jsonl(spool)
        return [
            # InlinedResponse.metadata (the key) is missing in google-genai 1.49: those map by position.
            RawReply(key=(getattr(r, "metadata", None) or {}).get("key"), response=r.response,
                     error=r.error.model_dump(mode="json", exclude_none=True) if r.error is not None else None)
            for r in dest.inlined_responses or []
        ]  # fmt: skip


def _by_key(keys: Sequence[str], raw: Iterable[RawReply]) -> Iterator[tuple[str, RawReply]]:
    """Each reply with the key of the request it answers, as the replies come: the key it carries; replies without
    keys (older SDKs drop them inline) by position, which the API keeps, when no reply has a key and there is one
    per request. Keyless replies that do not fit so cannot be mapped: their requests get no reply (an error row
    each). A job without output (one cancelled before it ran) answered none."""
    keyless: list[RawReply] = []
    keyed = False
    for reply in raw:
        if reply.key is None:
            keyless.append(reply)
        else:
            keyed = True
            yield str(reply.key), reply
    if keyless and (keyed or len(keyless) != len(keys)):
        _log.warning("%d replies without keys for %d requests; not mapping them", len(keyless), len(keys))
    elif keyless:
        yield from zip(keys, keyless, strict=True)


def _prompt_text(prompt: str | os.PathLike[str]) -> str:
    """A prompt given as text or as the path of a file holding it: a path object, or a one-line string naming an
    existing file, is read. A one-line string without spaces that ends in a file suffix (``prompts/x.md``) but
    names no file is refused: sending a mistyped path as the prompt would fail silently."""
    text = str(prompt)
    one_line = len(text) < 1024 and "\n" not in text
    if isinstance(prompt, os.PathLike) or (one_line and Path(text).is_file()):
        try:
            return Path(prompt).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(f"cannot read the prompt file {text!r}: {exc}") from None
    if one_line and " " not in text and Path(text).suffix[1:].isalpha():
        raise ConfigurationError(f"the prompt {text!r} looks like a file path, but no such file exists")
    return text


def _timing(job: types.BatchJob) -> tuple[float, float]:
    start = job.create_time.timestamp() if job.create_time is not None else time.time()
    end = job.end_time.timestamp() if job.end_time is not None else start
    return start, end
