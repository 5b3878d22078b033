"""Emulator settings.

>>> EmulatorConfig(seed=1, rpm=60).rpm
60
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .catalog import ALIASES, KNOWN_MODELS
from .clock import Clock
from .replies import Responder

DEFAULT_API_KEY = "emulator-key"


@dataclass(repr=False)
class EmulatorConfig:
    """Everything the emulator can be told. Defaults: no latency, no faults, no quotas, instant batches.

    - ``api_key``: the key every request must carry (``x-goog-api-key`` or ``?key=``); None accepts any key
      (a missing key is still refused, like the real API).
    - ``latency_s`` / ``latency_distribution``: mean reply latency and its shape (fixed, uniform, exponential,
      lognormal); applies to generateContent and streamGenerateContent.
    - ``fault_rate`` / ``fault_kinds``: seeded random faults (specs as in :mod:`.faults`) on generation requests.
    - ``retry_delay_s``: the RetryInfo delay of injected 429s; ``hang_s``: how long a ``hang`` fault stalls.
    - ``rpm`` / ``tpm`` / ``rpd``: per-model quotas (requests and input tokens per ``quota_window_s``, requests per
      day); None = unlimited.
    - ``input_token_limit``: the most input tokens a generation request may carry (a larger one answers 400, as the
      service does); None = the model's ``inputTokenLimit`` (:func:`.catalog.model_resource`).
    - ``min_cache_tokens``: the smallest cachedContent accepted; None = the service's minimum for the cache's
      model (:func:`.catalog.min_cache_tokens`).
    - ``batch_pending_s`` / ``batch_running_s``: how long a batch job stays PENDING, then RUNNING, on ``clock``.
    - ``batch_output_delay_s``: how long a SUCCEEDED job goes without its output attached (the real API's window).
    - ``batch_error_codes``: ``"grpc"`` (per-request errors carry gRPC codes, as the real API writes them) or
      ``"http"``.
    - ``clock``: epoch seconds for quotas, cache expiry and batches (e.g. a :class:`~.clock.ManualClock`).
    - ``responder``: decides reply text (see :class:`~.replies.ReplyRequest`).
    - ``models``: the model ids served; others answer 404.
    - ``new_user``: answer as the service answers a key that never used the deprecated models: those answer 404
      "no longer available to new users" and are left out of ``models.list``.
    - ``aliases``: alias → the model it resolves to (default :data:`.catalog.ALIASES`); replies to an alias carry
      the resolved model in ``modelVersion``. ``Emulator.point_alias`` moves one while the emulator runs.
    """

    seed: int = 0
    api_key: str | None = DEFAULT_API_KEY
    host: str = "127.0.0.1"
    port: int = 0
    latency_s: float = 0.0
    latency_distribution: str = "fixed"
    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = ("429", "500", "503", "504")
    retry_delay_s: float = 2.0
    hang_s: float = 300.0
    rpm: int | None = None
    tpm: int | None = None
    rpd: int | None = None
    quota_window_s: float = 60.0
    input_token_limit: int | None = None
    min_cache_tokens: int | None = None
    batch_pending_s: float = 0.0
    batch_running_s: float = 0.0
    batch_output_delay_s: float = 0.0
    batch_error_codes: str = "grpc"
    clock: Clock = field(default=time.time, repr=False)
    responder: Responder | None = field(default=None, repr=False)
    models: tuple[str, ...] = KNOWN_MODELS
    new_user: bool = False
    aliases: dict[str, str] = field(default_factory=lambda: dict(ALIASES))

    def __repr__(self) -> str:
        # the expected key never appears in a repr
        shown = {name: getattr(self, name) for name in ("seed", "host", "port", "latency_s", "fault_rate", "rpm")}
        body = ", ".join(f"{k}={v!r}" for k, v in shown.items())
        return f"EmulatorConfig({body}, api_key={'<set>' if self.api_key else None})"
