"""Bad input is rejected before any work starts, with an error naming the problem."""

from __future__ import annotations

import pytest
from core_scripted import Scripted, items

from notebookllm import (
    ConfigurationError,
    InvalidWorkItemError,
    LLMWorkItem,
    ParallelBatchProcessor,
    ProcessorConfig,
    RateLimitConfig,
    RetryConfig,
)
from notebookllm.core.virtual_clock import run_virtual


@pytest.mark.parametrize(
    ("model", "field", "value"),
    [
        (ProcessorConfig, "max_workers", 0),
        (ProcessorConfig, "max_workers", -4),
        (ProcessorConfig, "timeout_per_item", 0),
        (ProcessorConfig, "timeout_per_item", -1.5),
        (RetryConfig, "max_attempts", 0),
        (RetryConfig, "initial_wait", 0),
        (RetryConfig, "max_wait", -1),
        (RetryConfig, "exponential_base", 0),
        (RateLimitConfig, "requests_per_minute", 0),
        (RateLimitConfig, "tokens_per_minute", -100),
        (RateLimitConfig, "cooldown_seconds", 0),
        (RateLimitConfig, "max_cooldown_seconds", -1),
        (RateLimitConfig, "slow_start_interval", 0),
        (RateLimitConfig, "slow_start_items", -1),
        (RateLimitConfig, "max_rate_limit_waits", 0),
        (RateLimitConfig, "expected_output_tokens", -1),
    ],
)
def test_zero_or_negative_config_values_raise_naming_the_field(model, field, value):
    with pytest.raises(ConfigurationError, match=rf"{model.__name__}\.{field}\b"):
        model(**{field: value})


def test_nested_and_unknown_config_fields_are_named():
    with pytest.raises(ConfigurationError, match=r"ProcessorConfig\.retry: RetryConfig\.max_attempts"):
        ProcessorConfig(retry={"max_attempts": 0})
    with pytest.raises(ConfigurationError, match=r"ProcessorConfig\.max_wrokers"):
        ProcessorConfig(max_wrokers=3)
    with pytest.raises(ConfigurationError, match="max_wait"):
        RetryConfig(initial_wait=10, max_wait=1)
    with pytest.raises(ConfigurationError, match="ProcessorConfig"):
        ParallelBatchProcessor(config={"max_workers": 3})
    assert isinstance(ConfigurationError("x"), ValueError)


def test_bad_work_items_fail_at_construction():
    strategy = Scripted()
    with pytest.raises(InvalidWorkItemError, match="'row-1': prompt must be a str, got int"):
        LLMWorkItem("row-1", strategy, 42)
    with pytest.raises(InvalidWorkItemError, match="'row-2': prompt is empty"):
        LLMWorkItem("row-2", strategy, "")
    with pytest.raises(InvalidWorkItemError, match="'row-3': strategy must be an LLMCallStrategy, got function"):
        LLMWorkItem("row-3", lambda p: p, "hi")
    with pytest.raises(InvalidWorkItemError, match="item_id must be a non-empty string"):
        LLMWorkItem(7, strategy, "hi")


def test_processor_rejects_duplicates_and_foreign_objects_before_any_work():
    async def scenario():
        strategy = Scripted()
        processor = ParallelBatchProcessor()
        await processor.add_work(LLMWorkItem("a", strategy, "x"))
        with pytest.raises(InvalidWorkItemError, match="duplicate item_id 'a'"):
            await processor.add_work(LLMWorkItem("a", strategy, "y"))
        with pytest.raises(InvalidWorkItemError, match="takes an LLMWorkItem, got dict"):
            await processor.add_work({"item_id": "b", "prompt": "z"})
        assert strategy.calls == [] and strategy.prepared == 0
        batch = await processor.process_all()
        with pytest.raises(InvalidWorkItemError, match="run has started"):
            await processor.add_work(LLMWorkItem("c", strategy, "z"))
        return batch

    assert [r.item_id for r in run_virtual(scenario()).results] == ["a"]


def test_add_many_checks_every_item():
    async def scenario():
        processor = ParallelBatchProcessor()
        with pytest.raises(InvalidWorkItemError, match="duplicate item_id 'p1'"):
            await processor.add_many(items(Scripted(), ["p0", "p1", "p1"]))

    run_virtual(scenario())
