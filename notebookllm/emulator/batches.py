"""Batch jobs (``batchGenerateContent``): Operation-shaped resources walking the BATCH_STATE_* lifecycle on the
emulator's clock: PENDING for ``pending_s``, RUNNING for ``running_s``, then SUCCEEDED (or FAILED / EXPIRED when a
prompt or the display name carries ``[[job:fail]]`` / ``[[job:expire]]``; ``[[job:stall]]`` stays PENDING forever).
``cancel`` moves an unfinished job to CANCELLED; a job cancelled while RUNNING keeps the output of the requests it had
processed by then (the share of ``running_s`` that had passed, in payload order), as the service stops processing
new requests and keeps what it wrote: a partial ``output`` and ``batchStats`` on the CANCELLED job (none when it was
still PENDING). Jobs belong to the key that created them (its fingerprint): each key is its own project, so a job
made with one key is 404 NOT_FOUND with another.

Each request is answered like generateContent (no quotas, latency or scripts); a request whose prompt carries a
``[[fail:CODE]]`` marker gets a per-request ``error`` instead: a ``google.rpc.Status`` whose ``code`` is the gRPC
code, as the real API writes it (``error_codes="http"`` writes the HTTP code instead, as some outputs carry).
With ``output_delay_s`` a job reports SUCCEEDED that long before its output is attached, the window in which the
real API already says SUCCEEDED but ``dest`` is still empty. Inline input gives
``metadata.output.inlinedResponses.inlinedResponses[]``; file input (JSONL lines ``{"key", "request"}``) gives a
generated responses file ``metadata.output.responsesFile`` with lines ``{"key", "response"}`` or ``{"key", "error"}``.
Each request the job answers is billed in the request log as a ``generateContent.batch`` record (its model, status and
``usageMetadata``; the job's path), so tests count a job's tokens and spend as they do online requests'.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from .clock import Clock, rfc3339
from .errors import ApiError, status_name
from .fields import pick
from .files import FileStore
from .generation import Generator, prompt_text
from .log import RequestLog
from .markers import parse_markers
from .pagination import page

_BATCH_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch"
_OUTPUT_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput"
# google.rpc.Code of each status name (google/rpc/code.proto): what a batch output's per-request Status carries.
_GRPC_CODES = {
    "CANCELLED": 1,
    "UNKNOWN": 2,
    "INVALID_ARGUMENT": 3,
    "DEADLINE_EXCEEDED": 4,
    "NOT_FOUND": 5,
    "ALREADY_EXISTS": 6,
    "PERMISSION_DENIED": 7,
    "RESOURCE_EXHAUSTED": 8,
    "FAILED_PRECONDITION": 9,
    "UNIMPLEMENTED": 12,
    "INTERNAL": 13,
    "UNAVAILABLE": 14,
    "UNAUTHENTICATED": 16,
}
# google.rpc.Code of the operation error of a job that ended without succeeding.
_STATE_CODES = {"BATCH_STATE_FAILED": 13, "BATCH_STATE_EXPIRED": 4, "BATCH_STATE_CANCELLED": 1}
_TERMINAL = {"fail": "BATCH_STATE_FAILED", "expire": "BATCH_STATE_EXPIRED", None: "BATCH_STATE_SUCCEEDED"}


class _Job:
    __slots__ = (
        "base_url",
        "cancelled_at",
        "create_time",
        "display_name",
        "from_file",
        "id",
        "model",
        "outcome",
        "output",
        "owner",
        "processed",
        "requests",
        "stats",
        "version",
    )

    def __init__(self, **fields: Any) -> None:
        for name, value in fields.items():
            setattr(self, name, value)
        self.cancelled_at: float | None = None
        self.output: dict[str, Any] | None = None
        self.processed: int | None = None
        self.stats: dict[str, str] = {}


class BatchStore:
    """Batch jobs; results are computed once, the first time a job is seen past RUNNING."""

    def __init__(
        self,
        *,
        generator: Generator,
        files: FileStore,
        pending_s: float,
        running_s: float,
        output_delay_s: float = 0.0,
        error_codes: str = "grpc",
        clock: Clock = time.time,
        log: Callable[[], RequestLog] | None = None,
    ) -> None:
        if error_codes not in ("grpc", "http"):
            raise ValueError(f"error_codes must be 'grpc' or 'http', got {error_codes!r}")
        self._generator = generator
        self._files = files
        self.pending_s = pending_s
        self.running_s = running_s
        self.output_delay_s = output_delay_s
        self.error_codes = error_codes
        self._clock = clock
        self._log = log  # the current log (a test may replace it between jobs)
        self._jobs: dict[str, _Job] = {}

    def create(
        self, model: str, body: dict[str, Any], base_url: str, owner: str | None = None, version: str = "v1beta"
    ) -> dict[str, Any]:
        batch = body.get("batch")
        if not isinstance(batch, dict):
            raise ApiError.invalid("* BatchGenerateContentRequest.batch: batch is required", "batch")
        input_config = pick(batch, "inputConfig", "input_config") or {}
        file_name = pick(input_config, "fileName", "file_name")
        if file_name:
            requests = self._file_requests(file_name)
        else:
            inline = (input_config.get("requests") or {}).get("requests")
            if not inline:
                raise ApiError.invalid("* GenerateContentBatch.input_config: requests or file_name is required")
            requests = [(item.get("metadata"), item.get("request") or {}) for item in inline]
        display_name = pick(batch, "displayName", "display_name") or ""
        texts = [display_name, *(prompt_text(request) for _, request in requests)]
        outcome = next((m.job for m in map(parse_markers, texts) if m.job), None)
        job = _Job(
            id=uuid.uuid4().hex[:16],
            model=model,
            display_name=display_name,
            requests=requests,
            from_file=bool(file_name),
            create_time=self._clock(),
            outcome=outcome,
            base_url=base_url,
            owner=owner,
            version=version,
        )
        self._jobs[job.id] = job
        return self._resource(job, state="BATCH_STATE_PENDING")

    def get(self, job_id: str, owner: str | None = None) -> dict[str, Any]:
        return self._resource(self._job(job_id, owner))

    def list(self, page_size: str | None, page_token: str | None, owner: str | None = None) -> dict[str, Any]:
        mine = [job for job in self._jobs.values() if job.owner == owner]
        jobs = sorted(mine, key=lambda job: job.create_time, reverse=True)
        items, next_token = page(jobs, page_size, page_token)
        result: dict[str, Any] = {"operations": [self._resource(job) for job in items]}
        if next_token:
            result["nextPageToken"] = next_token
        return result

    def cancel(self, job_id: str, owner: str | None = None) -> None:
        job = self._job(job_id, owner)
        state = self._state(job)[0]
        if state in ("BATCH_STATE_PENDING", "BATCH_STATE_RUNNING"):
            job.cancelled_at = self._clock()
            job.processed = self._processed(job) if state == "BATCH_STATE_RUNNING" else 0

    def _processed(self, job: _Job) -> int:
        """Requests a RUNNING job has finished by now: the share of ``running_s`` that has passed."""
        if self.running_s <= 0:
            return len(job.requests)
        share = (self._clock() - job.create_time - self.pending_s) / self.running_s
        return min(len(job.requests), max(0, int(share * len(job.requests))))

    def delete(self, job_id: str, owner: str | None = None) -> None:
        self._job(job_id, owner)
        del self._jobs[job_id]

    def _job(self, job_id: str, owner: str | None) -> _Job:
        job = self._jobs.get(job_id)
        if job is None or job.owner != owner:
            raise ApiError.not_found(f"Batch batches/{job_id} not found.")
        return job

    def _file_requests(self, file_name: str) -> list[tuple[Any, dict[str, Any]]]:
        requests = []
        for number, line in enumerate(self._files.data(file_name).decode().splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                requests.append((item.get("key"), item["request"]))
            except (ValueError, KeyError, AttributeError):
                raise ApiError.invalid(f"Invalid input file {file_name}: line {number} is not a request.") from None
        return requests

    def _state(self, job: _Job) -> tuple[str, float | None]:
        """The job's state now and its end time (None while unfinished)."""
        if job.cancelled_at is not None:
            return "BATCH_STATE_CANCELLED", job.cancelled_at
        elapsed = self._clock() - job.create_time
        if job.outcome == "stall" or elapsed < self.pending_s:
            return "BATCH_STATE_PENDING", None
        if elapsed < self.pending_s + self.running_s:
            return "BATCH_STATE_RUNNING", None
        return _TERMINAL[job.outcome], job.create_time + self.pending_s + self.running_s

    def _resource(self, job: _Job, state: str | None = None) -> dict[str, Any]:
        end_time = None
        if state is None:
            state, end_time = self._state(job)
        total = str(len(job.requests))
        metadata: dict[str, Any] = {
            "@type": _BATCH_TYPE,
            "name": f"batches/{job.id}",
            "model": f"models/{job.model}",
            "displayName": job.display_name,
            "state": state,
            "createTime": rfc3339(job.create_time),
            "updateTime": rfc3339(end_time or job.create_time),
            "batchStats": {"requestCount": total, "pendingRequestCount": total},
        }
        if not job.display_name:
            del metadata["displayName"]
        operation: dict[str, Any] = {"name": f"batches/{job.id}", "metadata": metadata}
        if end_time is not None:
            metadata["endTime"] = rfc3339(end_time)
            operation["done"] = True
            attached = self._clock() >= end_time + self.output_delay_s
            if state == "BATCH_STATE_SUCCEEDED" and attached:
                output = self._run(job)
                metadata["output"] = output
                metadata["batchStats"] = job.stats
                operation["response"] = {"@type": _OUTPUT_TYPE, **output}
            elif state != "BATCH_STATE_SUCCEEDED":
                operation["error"] = {"code": _STATE_CODES[state], "message": state}
                if state == "BATCH_STATE_CANCELLED" and job.processed:
                    metadata["output"] = self._run(job)
                    metadata["batchStats"] = job.stats
        return operation

    def _run(self, job: _Job) -> dict[str, Any]:
        """The job's output, computed once: every request, or the ones a cancelled job had processed."""
        if job.output is not None:
            return job.output
        requests = job.requests if job.processed is None else job.requests[: job.processed]
        entries = [self._answer(job, request) for _, request in requests]
        failed = sum("error" in entry for entry in entries)
        job.stats = {
            "requestCount": str(len(job.requests)),
            "successfulRequestCount": str(len(entries) - failed),
            "failedRequestCount": str(failed),
        }
        if len(entries) < len(job.requests):
            job.stats["pendingRequestCount"] = str(len(job.requests) - len(entries))
        if job.from_file:
            lines = [json.dumps({"key": key, **entry}) for (key, _), entry in zip(requests, entries, strict=True)]
            name = f"files/batch-{job.id}"
            self._files.add_generated(name, ("\n".join(lines) + "\n").encode(), "application/jsonl", job.base_url)
            job.output = {"responsesFile": name}
        else:
            inlined = []
            for (metadata, _), entry in zip(requests, entries, strict=True):
                inlined.append({**entry, "metadata": metadata} if metadata is not None else entry)
            job.output = {"inlinedResponses": {"inlinedResponses": inlined}}
        return job.output

    def _answer(self, job: _Job, request: dict[str, Any]) -> dict[str, Any]:
        model = (request.get("model") or job.model).removeprefix("models/")
        markers = parse_markers(prompt_text(request))
        if markers.fail is not None and markers.fail.kind in ("status", "daily"):
            code = markers.fail.code or 429
            self._bill(job, model, code, None)
            return {"error": self._status(code, f"Injected failure {code}.")}
        try:
            response = self._generator.respond(model, request, markers)
        except ApiError as error:
            self._bill(job, model, error.code, None)
            return {"error": self._status(error.code, error.message)}
        self._bill(job, model, 200, response.get("usageMetadata"))
        return {"response": response}

    def _bill(self, job: _Job, model: str, status: int, usage: dict[str, Any] | None) -> None:
        """One answered request of ``job`` in the request log, with what it was charged."""
        if self._log is not None:
            path = f"/{job.version}/batches/{job.id}"
            self._log().add(
                "BATCH", path, "generateContent.batch", model, status, self._clock(), 0.0, job.owner, None, usage
            )

    def _status(self, http_code: int, message: str) -> dict[str, Any]:
        """A per-request error as a ``google.rpc.Status`` (gRPC code), or HTTP-coded with ``error_codes="http"``."""
        if self.error_codes == "http":
            return {"code": http_code, "message": message, "status": status_name(http_code)}
        return {"code": _GRPC_CODES.get(status_name(http_code), 2), "message": message}
