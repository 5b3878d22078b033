"""Faults: what goes wrong with a request, decided by prompt marker, by script or by seeded rate.

A fault spec is a short string (also accepted by :meth:`Emulator.script` and the ``[[fail:...]]`` marker):

==================  =================================================================================
``"503"``           that HTTP status with Google's JSON error (any 4xx/5xx code)
``"429"``           a per-minute quota error with RetryInfo (``retry_delay_s`` from the config)
``"429:7.5"``       the same with ``retryDelay: "7.5s"``
``"daily"``         a daily-quota error (QuotaFailure quotaId ``...PerDay...``)
``"hang"``          no answer for ``hang_s`` seconds (longer than any sane client timeout), then a normal reply
``"hang:2"``        an answer delayed by 2 seconds
``"truncate"``      200 with a JSON body cut in half
``"non-json"``      200 with an HTML body
``"stream-error"``  a stream that sends one chunk, then an ``{"error": ...}`` frame (500)
``"reset"``         the connection dropped without an answer (as a proxy or load balancer may)
==================  =================================================================================

>>> Fault.parse("429:7.5")
Fault(kind='status', code=429, seconds=7.5)
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass

_SIMPLE_KINDS = frozenset({"daily", "truncate", "non-json", "stream-error", "reset"})


@dataclass(frozen=True)
class Fault:
    """One injected fault. ``kind`` is ``status``, ``daily``, ``hang``, ``truncate``, ``non-json``, ``stream-error``,
    ``reset``."""

    kind: str
    code: int = 0
    seconds: float | None = None

    @property
    def label(self) -> str:
        """The fault as the request log names it: its status code, else its kind (``"503"``, ``"hang"``)."""
        return str(self.code) if self.kind == "status" else self.kind

    @classmethod
    def parse(cls, spec: str | int | Fault) -> Fault:
        """A Fault from its spec (see the module docstring); raises ValueError on a bad spec."""
        if isinstance(spec, Fault):
            return spec
        text = str(spec).strip().lower()
        name, _, arg = text.partition(":")
        if name in _SIMPLE_KINDS and not arg:
            return cls(name)
        if name == "hang":
            return cls("hang", seconds=float(arg) if arg else None)
        if name.isdigit() and 400 <= int(name) <= 599:
            if arg and name != "429":
                raise ValueError(f"only 429 takes a retry delay: {spec!r}")
            return cls("status", int(name), float(arg) if arg else None)
        raise ValueError(f"unknown fault spec {spec!r} (expected e.g. 503, 429, 429:7.5, daily, hang, truncate, reset)")


class Scripts:
    """Scripted faults: the next requests whose prompt contains ``match`` fail as listed, then succeed.

    Thread-safe: tests add scripts from their thread while the server consumes them.

    >>> scripts = Scripts()
    >>> scripts.add("flaky", ["503", "503"])
    >>> [scripts.take("a flaky prompt") for _ in range(3)]
    [Fault(kind='status', code=503, seconds=None), Fault(kind='status', code=503, seconds=None), None]
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: list[tuple[str, list[Fault]]] = []

    def add(self, match: str, faults: Iterable[str | int | Fault]) -> None:
        parsed = [Fault.parse(fault) for fault in faults]
        with self._lock:
            self._scripts.append((match, parsed))

    def take(self, prompt: str) -> Fault | None:
        """Pop the next fault of the first script matching ``prompt`` (None when none is left)."""
        if not self._scripts:
            return None
        with self._lock:
            for index, (match, faults) in enumerate(self._scripts):
                if match in prompt:
                    fault = faults.pop(0)
                    if not faults:
                        del self._scripts[index]
                    return fault
        return None

    def pending(self) -> int:
        """How many scripted faults are still to happen."""
        with self._lock:
            return sum(len(faults) for _, faults in self._scripts)


class RepeatCounter:
    """Counts how often each distinct request was seen, for ``[[fail:503x2]]`` (fail twice, then succeed)."""

    def __init__(self) -> None:
        self._seen: dict[bytes, int] = {}

    def hit(self, key: bytes) -> int:
        """Record one more sighting of ``key``; returns how many came before it."""
        before = self._seen.get(key, 0)
        self._seen[key] = before + 1
        return before


class RandomFaults:
    """Seeded random faults at ``rate`` drawn from ``kinds``: the same seed and request order give the same faults."""

    def __init__(self, rate: float, kinds: Iterable[str], seed: int) -> None:
        self.rate = rate
        self._faults = [Fault.parse(kind) for kind in kinds]
        self._rng = random.Random(f"faults-{seed}")

    def draw(self) -> Fault | None:
        if self.rate <= 0.0 or not self._faults:
            return None
        if self._rng.random() >= self.rate:
            return None
        return self._rng.choice(self._faults)
