"""A local Gemini API server that the unmodified google-genai SDK talks to: no network, no API key.

Used by every test, tutorial and the demo, and by users who want to build and break their pipelines offline::

    from notebookllm.emulator import Emulator, EmulatorConfig

    with Emulator(EmulatorConfig(seed=0)) as emu:
        client = emu.client()                      # genai.Client(..., base_url=emu.base_url); client.aio works too
        client.models.generate_content(model="gemini-2.5-flash", contents="Summarise: tea")
        emu.script("flaky", [503, 503])            # the next two requests mentioning "flaky" fail, then succeed
        emu.count(endpoint="generateContent")      # request log: emu.log, emu.count(...), emu.reset_log()

Standalone: ``python -m notebookllm emulator --port 8765 --seed 0 --latency 0.2 --fault-rate 0.05 --rpm 60``.

Replies are marked as emulated: ``modelVersion`` is ``"<model>-notebookllm-emulator"`` and every response carries
the header ``x-notebookllm-emulator: 1``. They are deterministic for the same request and seed. A ``-latest`` alias
answers as the model it resolves to (``"gemini-flash-latest"`` → ``"gemini-3.8-flash-notebookllm-emulator"``;
``EmulatorConfig(aliases=...)``, or ``Emulator.point_alias(alias, model)`` to move one as Google does).

Prompt markers
--------------
Put a marker anywhere in a prompt's text to reach an outcome deterministically, without configuration:

=================================  =============================================================================
``[[unsafe:CATEGORY:LEVEL]]``      that safety rating (CATEGORY: harassment, hate, sexual, dangerous; LEVEL:
                                   NEGLIGIBLE, LOW, MEDIUM, HIGH). It blocks (finishReason SAFETY) only when the
                                   request's safetySettings threshold for that category is reached.
``[[block]]``, ``[[block:OTHER]]``  a blocked prompt: no candidates, ``promptFeedback.blockReason`` SAFETY (or the
                                   reason given: OTHER, BLOCKLIST, PROHIBITED_CONTENT, IMAGE_SAFETY)
``[[safety-stop]]``,               finishReason SAFETY, no content, that category rated HIGH with ``blocked: true``
``[[safety-stop:CATEGORY]]``       (harassment by default)
``[[recitation]]``, ``[[other]]``  finishReason RECITATION / OTHER, no content
``[[finish:REASON]]``              that finishReason (any the Developer API sends: LANGUAGE, MALFORMED_FUNCTION_CALL,
                                   TOO_MANY_TOOL_CALLS, PUP_LIMITED_DISABLED, ...), no content (MAX_TOKENS: half)
``[[function-call]]``              a reply whose only part is a functionCall of the first declared function
``[[max-tokens]]``                 finishReason MAX_TOKENS with the reply cut in half (also happens by itself when
                                   ``maxOutputTokens`` is smaller than the reply plus thinking)
``[[tokens:N]]``                   a text reply about N tokens long
``[[bad-json]]``                   in JSON mode, the model's JSON text cut in half (malformed)
``[[fail:SPEC]]``                  the fault SPEC (503, 500, 504, 400, 429, 429:DELAY, daily, hang, hang:S,
``[[fail:SPECxN]]``                truncate, non-json, stream-error, reset) for the first N sightings (default 1)
``[[fail:SPECx*]]``                of this exact request, then success; ``x*`` = always. E.g. ``[[fail:503x2]]``.
``[[hang]]``, ``[[hang:S]]``       never answer within a client timeout (``hang_s``, default 300 s) / answer after S s
``[[truncate]]``, ``[[non-json]]`` a 200 whose body is cut-off JSON / HTML
``[[stream-error]]``               streaming sends one chunk, then an ``{"error": ...}`` frame (500 INTERNAL)
``[[job:fail]]``,                  (in a batch request's prompt or the job's display name) the job ends FAILED /
``[[job:expire]]``,                EXPIRED, or stays PENDING forever
``[[job:stall]]``
=================================  =============================================================================

In a batch job, a request carrying ``[[fail:CODE]]`` gets a per-request ``error`` instead of a response: a
``google.rpc.Status`` with the gRPC code, as the real API writes it (``batch_error_codes="http"``: the HTTP code).
``batch_output_delay_s`` opens the real API's window in which a job is SUCCEEDED but its output not yet attached.
Batch jobs belong to the API key that created them (each key its own project). A job cancelled while RUNNING keeps
the output of the requests it had processed (the share of ``batch_running_s`` passed); ``emu.batch_rows_billed()``
counts the batch requests jobs answered.
Only these names are markers; other ``[[...]]`` text is ordinary prompt text. A marker name with bad arguments
answers 400 INVALID_ARGUMENT.

Errors and quotas
-----------------
Errors are Google JSON errors (``{"error": {"code", "message", "status", "details"}}``, ``application/json``).
No key: 403 PERMISSION_DENIED; a key other than the configured one: 400 INVALID_ARGUMENT (reason API_KEY_INVALID).
Unknown or shut-down model: 404 NOT_FOUND; a deprecated model under ``EmulatorConfig(new_user=True)``: 404 "is no
longer available to new users". Unknown or expired cache: 403 PERMISSION_DENIED. Unknown batch: 404 NOT_FOUND.

Like today's service, ordinary replies carry no ``safetyRatings`` (they appear with ``[[unsafe:...]]``, blocks and
safety stops), and the models that think by default (2.5 and 3.x Flash and Pro) report ``thoughtsTokenCount``.

Every 429 is RESOURCE_EXHAUSTED with details ``[QuotaFailure, Help, RetryInfo]``:

- per minute (config ``rpm``/``tpm``, a ``429`` fault): QuotaFailure ``quotaId``
  ``GenerateRequestsPerMinutePerProjectPerModel-FreeTier`` (requests) or
  ``GenerateContentInputTokensPerModelPerMinute-FreeTier`` (tokens); message "You exceeded your current quota,
  please check your plan and billing details. ... Please retry in 7.12s."; RetryInfo ``retryDelay`` the seconds
  until the window admits the request (``"7s"``, ``"0.25s"``).
- per day (config ``rpd``, a ``daily`` fault, ``Emulator.exhaust_daily_quota()``): ``quotaId``
  ``GenerateRequestsPerDayPerProjectPerModel-FreeTier``; the same message as per minute (as on today's service,
  only the quotaId tells them apart); RetryInfo ``retryDelay`` the seconds until the quota day ends (midnight
  Pacific); an exhausted daily quota comes back then (on the emulator's clock).
"""

from .clock import ManualClock
from .config import DEFAULT_API_KEY, EmulatorConfig
from .faults import Fault
from .generation import EMULATOR_SUFFIX
from .log import LogRecord
from .replies import ReplyRequest, Responder
from .runner import Emulator
from .server import EMULATOR_HEADER

__all__ = [
    "DEFAULT_API_KEY",
    "EMULATOR_HEADER",
    "EMULATOR_SUFFIX",
    "Emulator",
    "EmulatorConfig",
    "Fault",
    "LogRecord",
    "ManualClock",
    "ReplyRequest",
    "Responder",
]
