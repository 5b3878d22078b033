"""Admission of attempts: the shared cooldown after a rate-limit error, the ramp after it, and the client-side
requests-per-minute and tokens-per-minute limits.

One :class:`RateGate` serves every worker of a run, so a cooldown started by one worker holds all of them —
retries that were sleeping in backoff included, because every attempt passes :meth:`RateGate.acquire` right
before it is sent. All waiting reads ``loop.time()`` and sleeps on the loop, so a virtual clock drives it in tests.

Example:
    >>> gate = RateGate(RateLimitConfig(requests_per_minute=600, cooldown_seconds=5))  # inside a running loop
    >>> await gate.acquire(tokens=300)  # doctest: +SKIP
    >>> gate.start_cooldown(retry_after=None)  # a 429 arrived: everyone waits 5 s, then a ramp  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import math

from aiolimiter import AsyncLimiter

from ..media.prompt import input_tokens
from .config import RateLimitConfig

__all__ = ["RateGate"]


# The quota's minute plus the most a request may take in transit, so a send time's 60 s window and the server's
# arrival time's window cannot hold different counts.
_WINDOW_S = 61.0


class _Bucket(AsyncLimiter):
    """aiolimiter's leaky bucket, drained to exactly empty.

    Rounding leaves a residue of about 1e-16 of a request when the drain time is not a binary fraction (61/60 s);
    the bucket then asks for a wake-up the clock cannot tell from now. A real clock moves on while the loop spins
    once; a virtual one (the tests') does not, and would spin for ever.
    """

    __slots__ = ()

    def _leak(self) -> None:
        super()._leak()
        if self._level < 1e-9 * self.max_rate:
            self._level = 0.0


def _request_bucket(per_minute: float) -> AsyncLimiter:
    """One request at a time, one every ``61 / per_minute`` seconds: no sliding 60 s window sees more than the limit.

    A leaky bucket of capacity ``c`` draining ``r`` a second admits at most ``c + r·w`` in any ``w`` seconds. With
    ``c = 1`` and ``r = per_minute / 61`` a window of up to 61 s admits fewer than ``1 + per_minute`` requests, so at
    most ``per_minute``, even when requests reach the server up to a second apart from when they left. aiolimiter's
    ``AsyncLimiter(n, 60)`` would instead let ``n`` through at once and then keep the pace: nearly ``2n`` in the first
    minute, which a per-minute quota answers with 429s.
    """
    return _Bucket(1, _WINDOW_S / per_minute)


def _token_bucket(per_minute: float) -> AsyncLimiter:
    """A bucket holding ``per_minute / 61`` tokens (a second's worth) that drains what 61 s may add to it:
    ``capacity + rate·61 = per_minute``, so no window of up to 61 s admits more than the limit (see above)."""
    capacity = per_minute / _WINDOW_S
    return _Bucket(capacity, _WINDOW_S * capacity / (per_minute - capacity))


class RateGate:
    """Cooldown, ramp and leaky-bucket limits for one run. Create it inside the loop that uses it.

    The ramp: when a cooldown ends, the next ``slow_start_items`` acquirers get consecutive slots handed out by
    this one object — so N waiting workers leave one at a time, not N at once. The first gap is
    ``slow_start_interval`` (or the request limit's own spacing when that is shorter: the ramp never holds requests
    back more than the limit does) and each gap is half the one before, so the rate doubles with every request and
    the whole ramp lasts less than two first gaps, however many items it releases. Acquirers arriving after the
    ramp's slots are taken wait for its last slot, then go at full speed.
    """

    __slots__ = (
        "_config",
        "_cooldown_until",
        "_cooling",
        "_generation",
        "_loop",
        "_ramp_end",
        "_ramp_gap",
        "_ramp_left",
        "_rpm",
        "_tpm",
    )

    def __init__(self, config: RateLimitConfig) -> None:
        self._config = config
        self._loop = asyncio.get_running_loop()
        self._rpm = _request_bucket(config.requests_per_minute) if config.requests_per_minute else None
        self._tpm = _token_bucket(config.tokens_per_minute) if config.tokens_per_minute else None
        self._cooling = False
        self._cooldown_until = -math.inf
        self._ramp_left = 0
        self._ramp_end = -math.inf
        self._ramp_gap = 0.0
        # Bumped by every cooldown: a worker holding a ramp slot re-queues when a new cooldown began meanwhile.
        self._generation = 0

    @property
    def passthrough(self) -> bool:
        """True when :meth:`acquire` would return at once: no limits set, no cooldown, no ramp. The fast path."""
        return (
            self._rpm is None
            and self._tpm is None
            and not self._cooling
            and not self._ramp_left
            and self._loop.time() >= self._ramp_end
        )

    def token_estimate(self, prompt: str) -> int:
        """Tokens an attempt is assumed to use for TPM admission: ``len(prompt) // 4 + expected_output_tokens``
        (a prompt with files adds the tokens the API bills for them)."""
        return input_tokens(prompt) + self._config.expected_output_tokens

    def start_cooldown(self, retry_after: float | None) -> float | None:
        """A rate-limit error arrived: hold every acquirer for ``retry_after`` (else ``cooldown_seconds``).

        Returns the cooldown's length in seconds when this call started a new cooldown, ``None`` when it only
        extended the one in force (errors from requests sent before the cooldown began must not stack pauses).
        """
        seconds = min(
            retry_after if retry_after is not None else self._config.cooldown_seconds, self._config.max_cooldown_seconds
        )
        until = self._loop.time() + seconds
        started = not self._cooling
        self._cooldown_until = until if started else max(self._cooldown_until, until)
        self._cooling = True
        self._ramp_left = 0
        self._ramp_end = -math.inf
        self._generation += 1
        return seconds if started else None

    async def acquire(self, tokens: int = 0) -> bool:
        """Wait until this attempt may be sent. Returns True for the first acquirer after a cooldown ended."""
        loop = self._loop
        ended = False
        while True:
            now = loop.time()
            if self._cooling:
                if now < self._cooldown_until:
                    await asyncio.sleep(self._cooldown_until - now)
                    continue
                self._cooling = False
                ended = True
                self._ramp_left = self._config.slow_start_items
                first_gap = self._config.slow_start_interval
                if self._rpm is not None:
                    first_gap = min(first_gap, self._rpm.time_period)
                # Doubled so the first slot is now and the halving below makes the second one first_gap later.
                self._ramp_gap = 2 * first_gap
                self._ramp_end = now - self._ramp_gap
            if self._ramp_left:
                self._ramp_left -= 1
                slot = max(now, self._ramp_end + self._ramp_gap)
                self._ramp_end = slot
                self._ramp_gap /= 2
            elif now < self._ramp_end:
                slot = self._ramp_end
            else:
                break
            if slot <= now:
                break
            generation = self._generation
            await asyncio.sleep(slot - now)
            if generation == self._generation:
                break
        if self._rpm is not None:
            await self._rpm.acquire()
        if self._tpm is not None:
            await self._tpm.acquire(min(tokens, self._tpm.max_rate))
        return ended
