"""The spend cap: no attempt is sent whose estimated charge would take the run past max_cost / max_tokens;
attempts in flight count at their estimate, then at their bill; the rest fail with BudgetExceededError, unsent."""

from __future__ import annotations

import asyncio

import pytest

from notebookllm import (
    Budget,
    BudgetExceededError,
    Charge,
    ConfigurationError,
    LLMCallStrategy,
    LLMWorkItem,
    ParallelBatchProcessor,
    ProcessorConfig,
    RetryConfig,
)
from notebookllm.core.attempt import current_attempt
from notebookllm.core.virtual_clock import run_virtual

ESTIMATE = Charge(tokens=100, cost_usd=0.01)


class Billed(LLMCallStrategy[str]):
    """Bills ``cost`` dollars and 80 tokens per answer after a second of (virtual) latency; tracks concurrency."""

    def __init__(self, cost: float = 0.008, fail: set[str] = frozenset()) -> None:
        self.cost = cost
        self.fail = fail
        self.calls: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def execute(self, prompt: str, attempt: int, timeout: float):
        self.calls.append(prompt)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(1.0)
            if prompt in self.fail:
                raise ConnectionResetError("refused before billing")
            current_attempt().annotate(cost_usd=self.cost)  # type: ignore[union-attr]
            return prompt, {"input_tokens": 50, "output_tokens": 30}
        finally:
            self.in_flight -= 1


async def _run(strategy: Billed, budget: Budget, n: int, workers: int = 8, attempts: int = 1):
    config = ProcessorConfig(max_workers=workers, retry=RetryConfig(max_attempts=attempts, initial_wait=0.1))
    async with ParallelBatchProcessor(config, budget=budget) as processor:
        await processor.add_many(LLMWorkItem(f"i{k}", strategy, f"p{k}") for k in range(n))
        return await processor.process_all()


def test_a_cost_cap_stops_the_run_part_way_and_fails_the_rest_unsent() -> None:
    strategy = Billed(cost=0.01)
    budget = Budget(max_cost=0.105, estimate=lambda item: ESTIMATE)
    batch = run_virtual(_run(strategy, budget, 40))
    sent = [r for r in batch.results if r.success]
    refused = [r for r in batch.results if not r.success]
    assert len(sent) == 10 == len(strategy.calls)  # ten estimates of $0.01 fit in $0.105, the eleventh does not
    assert budget.spent_usd == pytest.approx(0.10) and budget.spent_usd <= budget.max_cost
    assert len(refused) == 30
    for result in refused:
        assert isinstance(result.error, BudgetExceededError) and result.attempts == 0
        assert result.error_info.category == "budget" and not result.error_info.retryable
        assert "budget" in str(result.error) and "$0.1000 / $0.1050" in str(result.error)
    assert budget.text() == "$0.1000 / $0.1050"


def test_attempts_in_flight_count_at_their_estimate_then_at_their_bill() -> None:
    strategy = Billed(cost=0.002)  # billed a fifth of the estimate
    budget = Budget(max_cost=0.05, estimate=lambda item: ESTIMATE)
    batch = run_virtual(_run(strategy, budget, 40, workers=10))
    assert strategy.most_in_flight == 5  # $0.05 / $0.01 estimated each, though ten workers were free
    # Waiting for the bills let far more than five through, and never past the cap.
    assert batch.succeeded == len(strategy.calls) > 5
    assert budget.spent_usd == pytest.approx(0.002 * batch.succeeded) and budget.spent_usd <= 0.05
    assert budget.spent_usd + 0.01 > 0.05  # it stopped only when the next estimate could not fit
    assert budget.in_flight_usd == 0 and budget.in_flight_tokens == 0


def test_a_token_cap_counts_the_tokens_billed() -> None:
    strategy = Billed()
    budget = Budget(max_tokens=1_000, estimate=lambda item: Charge(tokens=100))
    batch = run_virtual(_run(strategy, budget, 30, workers=4))
    assert budget.spent_tokens == 80 * batch.succeeded <= 1_000
    assert budget.spent_tokens + 100 > 1_000
    assert batch.failed == 30 - batch.succeeded and len(strategy.calls) == batch.succeeded
    assert budget.text() == f"{budget.spent_tokens:,} / 1,000 tokens"


def test_an_attempt_refused_before_billing_costs_nothing_and_its_retry_is_counted_again() -> None:
    strategy = Billed(cost=0.01, fail={"p0"})
    budget = Budget(max_cost=0.035, estimate=lambda item: ESTIMATE)
    batch = run_virtual(_run(strategy, budget, 3, workers=1, attempts=2))
    assert strategy.calls == ["p0", "p0", "p1", "p2"]  # p0's two failed attempts were not billed
    assert batch.succeeded == 2 and budget.spent_usd == pytest.approx(0.02)


def test_a_bad_estimate_is_a_configuration_error_before_any_request() -> None:
    strategy = Billed()
    no_price = Budget(max_cost=1.0, estimate=lambda item: Charge(tokens=10))
    with pytest.raises(ConfigurationError, match="no cost estimate for item 'i0'"):
        run_virtual(_run(strategy, no_price, 3))
    broken = Budget(max_tokens=10, estimate=lambda item: 1 / 0)
    with pytest.raises(ConfigurationError, match="estimate failed"):
        run_virtual(_run(strategy, broken, 3))
    assert strategy.calls == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_cost": 0}, "max_cost must be a positive"),
        ({"max_cost": float("inf")}, "max_cost must be a positive"),
        ({"max_cost": True}, "max_cost must be a positive"),
        ({"max_tokens": 2.5}, "max_tokens must be a positive"),
        ({}, "needs max_cost or max_tokens"),
    ],
)
def test_budget_options_are_checked(options: dict, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Budget(estimate=lambda item: ESTIMATE, **options)


def test_a_dry_run_spends_nothing() -> None:
    budget = Budget(max_cost=0.001, estimate=lambda item: ESTIMATE)

    async def main():
        async with ParallelBatchProcessor(ProcessorConfig(dry_run=True), budget=budget) as processor:
            await processor.add_many(LLMWorkItem(f"i{k}", Billed(), f"p{k}") for k in range(3))
            return await processor.process_all()

    assert run_virtual(main()).succeeded == 3 and budget.spent_usd == 0


def test_attempts_cut_short_by_an_interrupt_count_at_their_estimate() -> None:
    strategy = Billed()
    budget = Budget(max_cost=1.0, estimate=lambda item: ESTIMATE)

    async def main():
        task = asyncio.ensure_future(_run(strategy, budget, 10, workers=4))
        await asyncio.sleep(0.5)  # four attempts in flight, none answered
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run_virtual(main())
    assert len(strategy.calls) == 4
    # The provider may have answered and billed them: counted at their estimate, nothing left in flight.
    assert budget.spent_usd == pytest.approx(0.04) and budget.in_flight_usd == 0 and budget.in_flight_tokens == 0


def test_admit_keeps_rows_in_order_while_they_fit_and_refuses_the_first_that_does_not_and_all_after() -> None:
    costs = {"a": 0.03, "b": 0.03, "c": 0.05, "d": 0.01}
    budget = Budget(max_cost=0.08, estimate=lambda item: Charge(tokens=10, cost_usd=costs[item.item_id]))
    strategy = Billed()
    items = [LLMWorkItem(key, strategy, key) for key in costs]
    held, refused = budget.admit(items)
    assert list(held) == ["a", "b"]  # "d" would fit, but a rerun with a higher cap continues in row order
    assert [r.item_id for r in refused] == ["c", "d"] and budget.refused == 2
    assert all(isinstance(r.error, BudgetExceededError) and r.metadata["cost_usd"] == 0.0 for r in refused)
    assert refused[0].error_info.category == "budget" and refused[0].attempts == 0
    assert "$0.0600 held for requests under way" in str(refused[0].error)
    budget.settle(held["a"], 0.01, None)
    budget.settle(held["b"], 0.02, None)
    assert budget.spent_usd == pytest.approx(0.03) and budget.in_flight_usd == 0


def test_prepay_counts_a_charge_before_the_requests_and_rebill_corrects_it() -> None:
    budget = Budget(max_cost=0.10, max_tokens=1_000, estimate=lambda item: ESTIMATE)
    with pytest.raises(BudgetExceededError, match=r"the cache \(\$0\.2000, 500 tokens\) would take the run past"):
        budget.prepay(Charge(tokens=500, cost_usd=0.2), "the cache")
    assert budget.spent_usd == 0 and budget.spent_tokens == 0
    hold = budget.prepay(Charge(tokens=500, cost_usd=0.04), "the cache")
    assert budget.spent_usd == pytest.approx(0.04) and budget.spent_tokens == 500
    budget.rebill(hold, 0.01, 400, final=False)  # while the run goes on: never below what was paid ahead
    assert budget.spent_usd == pytest.approx(0.04) and budget.spent_tokens == 500
    budget.rebill(hold, 0.05, 500, final=False)  # a renewal bought more
    assert budget.spent_usd == pytest.approx(0.05)
    budget.rebill(hold, 0.0, 0)  # the run ended: it adopted a cache someone else paid for
    assert budget.spent_usd == 0 and budget.spent_tokens == 0
    budget.rebill(hold, 1.0, 1)  # settled once
    assert budget.spent_usd == 0
