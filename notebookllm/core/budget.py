"""A spend cap for a run: no request is sent whose estimated charge would take the run past ``max_cost`` US
dollars or ``max_tokens`` tokens.

The processor asks the run's :class:`Budget` right before each attempt is sent (after the rate limits, beside the
run-scoped stop). An attempt in flight is counted at its estimate; when it ends, at what it was billed. An attempt
that would not fit while others are in flight waits for them (they may have been billed less than estimated); one
that cannot fit whatever they cost fails at once with :class:`~notebookllm.core.errors.BudgetExceededError`,
without a request. So, as long as no estimate is below the bill, spend never passes the cap.

A job that cannot be stopped request by request (a Batch API job) is decided before it is submitted:
:meth:`Budget.admit` holds each item's estimate in order while the total fits, and fails the first item that does
not fit and every item after it, unsent; the job's rows are settled at what they were billed once it ends.

What a run pays for apart from its requests (creating a context cache and storing it) is counted as spent before
the first request (:meth:`Budget.prepay`, refused when it cannot fit) and corrected to its bill afterwards.

The estimate is the caller's: ``estimate(item) -> Charge`` (``nl.run`` counts each prompt's tokens with
countTokens and bounds the reply by ``max_output_tokens``; see :mod:`notebookllm.notebook.spend`). One budget may
serve several processors in turn (``nl.compare`` caps all its variants together).

Example:
    >>> budget = Budget(max_cost=0.50, estimate=lambda item: Charge(tokens=1_200, cost_usd=0.0004))
    >>> async with ParallelBatchProcessor(budget=budget) as processor:  # doctest: +SKIP
    ...     await processor.add_many(items)
    ...     batch = await processor.process_all()
    >>> budget.spent_usd <= 0.50  # doctest: +SKIP
    True
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .classification import ErrorInfo
from .errors import BudgetExceededError, ConfigurationError
from .results import WorkItemResult
from .tokens import TokenUsage, format_usd
from .work_item import LLMWorkItem

__all__ = ["OVER_BUDGET", "Budget", "Charge", "check_caps"]

OVER_BUDGET = ErrorInfo(retryable=False, category="budget")
"""How an item the budget refused is classified: not retryable (a higher cap, not a retry, sends it)."""


def check_caps(max_cost: Any, max_tokens: Any) -> None:
    """Raise :class:`ConfigurationError` unless each cap is ``None`` or a positive finite number (whole for
    tokens)."""
    if max_cost is not None and (
        isinstance(max_cost, bool) or not isinstance(max_cost, (int, float)) or not 0 < max_cost < math.inf
    ):
        raise ConfigurationError(f"max_cost must be a positive number of US dollars, got {max_cost!r}")
    if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1):
        raise ConfigurationError(f"max_tokens must be a positive number of tokens, got {max_tokens!r}")


@dataclass(frozen=True, slots=True)
class Charge:
    """What one request costs (estimated or billed): ``tokens`` in and out, ``cost_usd`` (``None``: unknown)."""

    tokens: int
    cost_usd: float | None = None


class _Hold:
    """An attempt in flight, counted at its estimate until it is settled."""

    __slots__ = ("charge", "open")

    def __init__(self, charge: Charge) -> None:
        self.charge = charge
        self.open = True


class Budget:
    """The spend cap of one run (or of several runs in turn), and what they have spent so far.

    Args:
        max_cost: US dollars the run may spend (``None``: no cost cap).
        max_tokens: tokens (input + output + thinking) the run may use (``None``: no token cap).
        estimate: ``fn(item) -> Charge``, an estimate of one attempt of ``item`` that should not come out below
            its bill; with ``max_cost`` it must give a cost.

    Raises:
        ConfigurationError: a cap that is not a positive finite number, no cap at all, or no estimator.
    """

    def __init__(
        self,
        *,
        max_cost: float | None = None,
        max_tokens: int | None = None,
        estimate: Callable[[LLMWorkItem[Any, Any]], Charge],
    ) -> None:
        check_caps(max_cost, max_tokens)
        if max_cost is None and max_tokens is None:
            raise ConfigurationError("a Budget needs max_cost or max_tokens")
        if not callable(estimate):
            raise ConfigurationError(f"estimate must be a function item -> Charge, got {type(estimate).__name__}")
        self.max_cost = None if max_cost is None else float(max_cost)
        self.max_tokens = max_tokens
        self._estimate = estimate
        self.spent_usd = 0.0
        self.spent_tokens = 0
        self.in_flight_usd = 0.0
        self.in_flight_tokens = 0
        self.refused = 0
        self._waiters: list[asyncio.Future[None]] = []

    def __repr__(self) -> str:
        return f"Budget({self.text()})"

    def text(self) -> str:
        """Spent against the caps, e.g. ``"$0.0123 / $0.05"`` or ``"12,345 / 50,000 tokens"``."""
        parts = []
        if self.max_cost is not None:
            parts.append(f"{format_usd(self.spent_usd)} / {format_usd(self.max_cost)}")
        if self.max_tokens is not None:
            parts.append(f"{self.spent_tokens:,} / {self.max_tokens:,} tokens")
        return " · ".join(parts)

    def check(self, items: Iterable[LLMWorkItem[Any, Any]]) -> None:
        """Estimate every item once before anything is sent: an estimator that fails or gives no cost under
        ``max_cost`` is a :class:`ConfigurationError` now, not a failure halfway through the run."""
        for item in items:
            charge = self._charge(item)
            if self.max_cost is not None and charge.cost_usd is None:
                raise ConfigurationError(f"max_cost: no cost estimate for item {item.item_id!r} (unknown price?)")

    def _charge(self, item: LLMWorkItem[Any, Any]) -> Charge:
        try:
            charge = self._estimate(item)
        except ConfigurationError:
            raise
        except Exception as exc:
            raise ConfigurationError(f"the budget's estimate failed for item {item.item_id!r}: {exc}") from exc
        if not isinstance(charge, Charge):
            raise ConfigurationError(f"the budget's estimate must return a Charge, got {type(charge).__name__}")
        return charge

    def _fits(self, charge: Charge, in_flight: bool) -> bool:
        cost = charge.cost_usd or 0.0
        usd = self.spent_usd + (self.in_flight_usd if in_flight else 0.0) + cost
        tokens = self.spent_tokens + (self.in_flight_tokens if in_flight else 0) + charge.tokens
        return (self.max_cost is None or usd <= self.max_cost) and (
            self.max_tokens is None or tokens <= self.max_tokens
        )

    async def reserve(self, item: LLMWorkItem[Any, Any]) -> _Hold:
        """Count one attempt of ``item`` at its estimate, waiting for attempts in flight if it fits only once
        they are billed. Raises :class:`BudgetExceededError` (nothing sent) when it cannot fit."""
        charge = self._charge(item)
        while True:
            if not self._fits(charge, in_flight=False):
                raise self._refuse(charge)
            if self._fits(charge, in_flight=True):
                self.in_flight_usd += charge.cost_usd or 0.0
                self.in_flight_tokens += charge.tokens
                return _Hold(charge)
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def admit(self, items: Sequence[LLMWorkItem[Any, Any]]) -> tuple[dict[str, _Hold], list[WorkItemResult[Any, Any]]]:
        """Decide a job that cannot be stopped request by request (a Batch API job) before it is submitted.

        Holds the estimate of each item in order while the running total fits the caps; the first item that does
        not fit and every item after it are refused (so a rerun with a higher cap continues in row order).
        Returns the holds of the admitted items by item id (settle each at its bill once the job ends) and a
        failed result (``BudgetExceededError``, $0, nothing sent) for each refused item, in order.
        """
        admitted: dict[str, _Hold] = {}
        refused: list[WorkItemResult[Any, Any]] = []
        for item in items:
            charge = self._charge(item)
            if not refused and self._fits(charge, in_flight=True):
                self.in_flight_usd += charge.cost_usd or 0.0
                self.in_flight_tokens += charge.tokens
                admitted[item.item_id] = _Hold(charge)
                continue
            now = time.time()
            refused.append(
                WorkItemResult(
                    item.item_id,
                    False,
                    error=self._refuse(charge),
                    error_info=OVER_BUDGET,
                    attempts=0,
                    metadata={"cost_usd": 0.0},
                    started_at=now,
                    finished_at=now,
                    context=item.context,
                )
            )
        return admitted, refused

    def prepay(self, charge: Charge, what: str) -> _Hold:
        """Count ``charge``, something the run pays for apart from its requests (``what``, e.g. creating a context
        cache), as spent now; correct it with :meth:`rebill` once its bill is known.

        Raises:
            BudgetExceededError: it cannot fit, with what is spent and held already (nothing is counted).
        """
        if not self._fits(charge, in_flight=True):
            raise BudgetExceededError(
                f"{what} ({_describe(charge)}) would take the run past its budget (spent {self.text()})"
            )
        self.spent_usd += charge.cost_usd or 0.0
        self.spent_tokens += charge.tokens
        return _Hold(charge)

    def rebill(self, hold: _Hold, cost_usd: float, tokens: int, *, final: bool = True) -> None:
        """What :meth:`prepay` counted has billed ``cost_usd`` and ``tokens`` so far: count that instead.

        Not ``final`` (the run goes on, and what was paid for may still be on its way), it never counts less than it
        does already; ``final``, exactly the bill, and the hold is closed.
        """
        if not hold.open:
            return
        if not final:
            cost_usd = max(cost_usd, hold.charge.cost_usd or 0.0)
            tokens = max(tokens, hold.charge.tokens)
        self.spent_usd = max(0.0, self.spent_usd + cost_usd - (hold.charge.cost_usd or 0.0))
        self.spent_tokens = max(0, self.spent_tokens + tokens - hold.charge.tokens)
        hold.charge = Charge(tokens=tokens, cost_usd=cost_usd)  # what is counted now
        hold.open = not final
        if final:
            self._wake()

    def _refuse(self, charge: Charge) -> BudgetExceededError:
        self.refused += 1
        held = f", {format_usd(self.in_flight_usd)} held for requests under way" if self.in_flight_usd else ""
        return BudgetExceededError(
            f"not sent: its estimated cost ({_describe(charge)}) would take the run past its budget "
            f"(spent {self.text()}{held})"
        )

    def settle(self, hold: _Hold, cost_usd: Any, usage: TokenUsage | None, *, unsure: bool = False) -> None:
        """The attempt of ``hold`` has ended: count what it was billed instead of its estimate.

        ``cost_usd`` / ``usage``: what the provider billed (``None``: nothing reported). With nothing reported the
        attempt counts as free, unless ``unsure`` (it timed out or was cancelled: the provider may have answered
        and billed it), when it counts at its estimate. Tokens billed without a cost count at the estimated cost.
        """
        if not hold.open:
            return
        hold.open = False
        charge = hold.charge
        self.in_flight_usd = max(0.0, self.in_flight_usd - (charge.cost_usd or 0.0))
        self.in_flight_tokens -= charge.tokens
        billed = isinstance(cost_usd, (int, float)) and not isinstance(cost_usd, bool)
        if billed:
            self.spent_usd += float(cost_usd)
        elif usage is not None or unsure:
            self.spent_usd += charge.cost_usd or 0.0
        if usage is not None:
            self.spent_tokens += usage.total_tokens
        elif unsure:
            self.spent_tokens += charge.tokens
        self._wake()

    def release(self, hold: _Hold) -> None:
        """The attempt of ``hold`` was not sent after all."""
        self.settle(hold, None, None)

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)


def _describe(charge: Charge) -> str:
    tokens = f"{charge.tokens:,} tokens"
    return tokens if charge.cost_usd is None else f"{format_usd(charge.cost_usd)}, {tokens}"
