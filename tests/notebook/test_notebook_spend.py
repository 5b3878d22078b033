"""``nl.run(max_cost=, max_tokens=)`` on the emulator: spend never passes the cap by the emulator's own billing,
the rows not sent fail with the budget reason, and a rerun with a higher cap sends exactly those rows."""

from __future__ import annotations

import io

import pandas as pd
import pytest

import notebookllm as nl
from notebookllm import BudgetExceededError, ConfigurationError, TokenUsage
from notebookllm.core.middleware import BaseMiddleware
from notebookllm.core.tokens import format_usd
from notebookllm.emulator import ManualClock
from notebookllm.gemini import GeminiCachedStrategy, GeminiStrategy, cache_storage_cost, estimate_cost
from notebookllm.notebook.progress import TextProgress
from notebookllm.store import Store

MODEL = "gemini-2.5-flash"
PROMPT = "Classify the sentiment of this review: {review}"
MAX_OUTPUT = 40


@pytest.fixture
def store() -> Store:
    return Store.open(memory=True)


def _reviews(n: int) -> pd.DataFrame:
    return pd.DataFrame({"review": [f"Review {i}: I love it, great value" + " and more" * (i % 9) for i in range(n)]})


def _strategy(client) -> GeminiStrategy:
    return GeminiStrategy(client, MODEL, max_output_tokens=MAX_OUTPUT, thinking=0)


def _billed(emulator, endpoint: str = "generateContent") -> tuple[float, int, int]:
    """What the emulator charged for ``endpoint`` (``generateContent.batch``: the requests its batch jobs answered, at
    the batch price): dollars (price table), tokens, and requests answered."""
    dollars, tokens, answered = 0.0, 0, 0
    batch = endpoint == "generateContent.batch"
    for record in emulator.log:
        if record.endpoint == endpoint and record.usage is not None:
            u = record.usage
            usage = TokenUsage(
                input_tokens=u.get("promptTokenCount", 0),
                output_tokens=u.get("candidatesTokenCount", 0),
                cached_input_tokens=u.get("cachedContentTokenCount", 0),
                thoughts_tokens=u.get("thoughtsTokenCount", 0),
            )
            dollars += estimate_cost(usage, MODEL, batch=batch)
            tokens += usage.total_tokens
            answered += 1
    return dollars, tokens, answered


def _row_estimate(client, text: str) -> float:
    """The most one request of ``text`` may bill: its counted input, and the reply at max_output_tokens."""
    tokens = client.models.count_tokens(model=MODEL, contents=text).total_tokens
    return estimate_cost(TokenUsage(input_tokens=tokens, output_tokens=MAX_OUTPUT), MODEL)


async def test_a_cap_stops_500_rows_part_way_and_a_higher_cap_sends_exactly_the_rest(
    emulator_client, emulator, store
) -> None:
    df = _reviews(500)
    strategy = _strategy(emulator_client)
    await nl.arun(df.iloc[:50], prompt=PROMPT, strategy=strategy, cache=False, progress=False)
    cap = round(_billed(emulator)[0] * 10 * 0.4, 8)  # about 40% of what the 500 rows bill (rows repeat every 9)
    most = _row_estimate(emulator_client, PROMPT.format(review=max(df["review"], key=len)))
    emulator.reset_log()

    first = await nl.arun(df, prompt=PROMPT, strategy=strategy, store=store, progress=False, max_cost=cap)
    spent, _, sent = _billed(emulator)
    assert spent <= cap  # by the emulator's own billing
    assert 0 < sent < 500 and emulator.count(endpoint="generateContent") == sent  # no request for the rest
    assert spent > cap - 16 * most  # stopped at the cap, not before it: within the estimates of 16 workers
    frame = first.df
    assert frame["success"].sum() == sent
    refused = frame[~frame["success"]]
    assert len(refused) == 500 - sent and set(refused["error_type"]) == {"BudgetExceededError"}
    assert refused["error"].str.contains("would take the run past its budget").all()
    assert all(isinstance(r.error, BudgetExceededError) for r in first.results if not r.success)
    # Every row carries its own cost: what the emulator billed for the sent ones, $0 for the others.
    assert frame["cost_usd"].notna().all() and (refused["cost_usd"] == 0).all()
    assert frame["cost_usd"].sum() == pytest.approx(spent, rel=1e-9)
    summary = first.summary()
    assert summary.budget == first.budget
    assert f"/ {format_usd(cap)}" in summary.budget
    assert f"{500 - sent:,} rows not sent" in summary.budget and "budget" in str(summary)

    emulator.reset_log()
    second = await nl.arun(df, prompt=PROMPT, strategy=strategy, store=store, progress=False, max_cost=cap * 10)
    assert emulator.count(endpoint="generateContent") == 500 - sent  # exactly the remaining rows
    assert emulator.count(endpoint="countTokens") == 500 - sent  # only the rows to send are counted
    assert second.df["success"].all() and second.summary().from_cache == sent
    assert "rows not sent" not in second.budget


async def test_a_token_cap_and_retry_failed_with_a_higher_one(emulator_client, emulator, store) -> None:
    df = _reviews(30)
    strategy = _strategy(emulator_client)
    emulator.reset_log()
    first = await nl.arun(df, prompt=PROMPT, strategy=strategy, store=store, progress=False, max_tokens=600)
    _, tokens, sent = _billed(emulator)
    assert tokens <= 600 and 0 < sent < 30
    assert first.summary().failed == 30 - sent and "/ 600 tokens" in first.budget

    emulator.reset_log()
    again = await first.aretry_failed(max_tokens=100_000)
    assert emulator.count(endpoint="generateContent") == 30 - sent and again.df["success"].all()


async def test_the_progress_line_shows_spent_over_the_cap(emulator_client, store) -> None:
    stream = io.StringIO()
    await nl.arun(
        _reviews(6), prompt=PROMPT, strategy=_strategy(emulator_client), store=store,
        progress=TextProgress(stream), max_cost=1.0,
    )  # fmt: skip
    assert "budget $" in stream.getvalue() and "/ $1.0000" in stream.getvalue().splitlines()[-1]


async def test_compare_caps_all_its_variants_together(emulator_client, emulator, store) -> None:
    df = _reviews(40)
    strategy = _strategy(emulator_client)
    await nl.arun(df, prompt=PROMPT, strategy=strategy, cache=False, progress=False)
    cap = _billed(emulator)[0]  # what one variant bills: the two together cannot all fit
    emulator.reset_log()
    comparison = await nl.acompare(
        df, prompts={"a": PROMPT, "b": "Sentiment of: {review}"}, strategy=strategy, store=store, progress=False,
        max_cost=cap,
    )  # fmt: skip
    spent, _, sent = _billed(emulator)
    assert spent <= cap and sent < 80
    assert sum(r.summary().failed for r in comparison.results.values()) == 80 - sent


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_cost": -1}, "max_cost must be a positive"),
        ({"max_tokens": 0}, "max_tokens must be a positive"),
        ({"max_cost": 1.0, "mode": "batch", "bounded": False}, "set max_output_tokens"),
        ({"max_cost": 1.0, "bounded": False}, "set max_output_tokens"),
        ({"max_cost": 1.0, "model": "my-tuned-model"}, "no price for model 'my-tuned-model'"),
    ],
)
async def test_bad_caps_fail_before_any_request(emulator_client, emulator, store, options, message) -> None:
    bounded = options.pop("bounded", True)
    model = options.pop("model", MODEL)
    strategy = GeminiStrategy(emulator_client, model, max_output_tokens=MAX_OUTPUT if bounded else None)
    emulator.reset_log()
    with pytest.raises(ConfigurationError, match=message):
        await nl.arun(_reviews(3), prompt=PROMPT, strategy=strategy, store=store, progress=False, **options)
    assert emulator.log == []


async def test_a_capped_batch_job_submits_only_the_rows_that_fit_and_a_rerun_submits_the_rest(
    emulator_client, emulator, store
) -> None:
    df = _reviews(60)
    strategy = _strategy(emulator_client)
    estimates = [_row_estimate(emulator_client, PROMPT.format(review=review)) / 2 for review in df["review"]]
    cap = round(sum(estimates[:25]) + estimates[25] / 2, 8)  # the first 25 rows fit at the batch price, the 26th not
    stream = io.StringIO()
    emulator.reset_log()

    first = await nl.arun(
        df, prompt=PROMPT, strategy=strategy, store=store, mode="batch", progress=TextProgress(stream), max_cost=cap
    )
    spent, _, answered = _billed(emulator, "generateContent.batch")
    assert emulator.count(endpoint="batchGenerateContent") == 1 and emulator.count(endpoint="generateContent") == 0
    assert answered == 25 and spent <= cap  # by the emulator's own billing of the job
    frame = first.df
    assert list(frame["success"]) == [True] * 25 + [False] * 35  # in row order
    refused = frame.iloc[25:]
    assert set(refused["error_type"]) == {"BudgetExceededError"} and (refused["cost_usd"] == 0).all()
    assert refused["error"].str.contains("would take the run past its budget").all()
    assert frame["cost_usd"].sum() == pytest.approx(spent, rel=1e-9)  # billed at the batch price
    assert first.budget.startswith(f"{format_usd(spent)} / {format_usd(cap)}") and "35 rows not sent" in first.budget
    assert first.summary().budget == first.budget  # the real billed spend, after the job
    assert f"/ {format_usd(cap)}" in stream.getvalue().splitlines()[-1]

    emulator.reset_log()
    second = await nl.arun(df, prompt=PROMPT, strategy=strategy, store=store, mode="batch", progress=False,
                           max_cost=1.0)  # fmt: skip
    assert _billed(emulator, "generateContent.batch")[2] == 35  # exactly the remaining rows
    assert emulator.count(endpoint="countTokens") == 35
    assert second.df["success"].all() and second.summary().from_cache == 25


async def test_a_capped_batch_job_past_its_deadline_finishes_online_at_the_online_price(
    emulator_client, emulator, store
) -> None:
    from datetime import timedelta

    from notebookllm.notebook.deadline import MIN_MARGIN_S
    from notebookllm.notebook.estimate import DEFAULT_LATENCY_S

    df = pd.DataFrame({"review": [f"Review {i}: fine [[job:stall]]" for i in range(6)]})  # the job never runs
    online = [_row_estimate(emulator_client, PROMPT.format(review=review)) for review in df["review"]]
    cap = round(sum(online) / 2 * 1.01, 8)  # all six fit at the batch price, about three at the online price
    emulator.reset_log()

    results = await nl.arun(df, prompt=PROMPT, strategy=_strategy(emulator_client), store=store, mode="batch",
                            max_cost=cap, deadline=timedelta(seconds=MIN_MARGIN_S + DEFAULT_LATENCY_S + 0.5),
                            progress=False)  # fmt: skip
    assert results.deadline.by_job == 0 and emulator.batch_rows_billed() == 0
    spent, _, sent = _billed(emulator)
    assert spent <= cap  # by the emulator's own billing of the online requests
    frame = results.df
    assert sent > 0 and frame["success"].sum() == sent  # the job's holds were released for the online part
    assert set(frame.loc[~frame["success"], "error_type"]) <= {"BudgetExceededError"}
    assert frame["cost_usd"].sum() == pytest.approx(spent, rel=1e-9)  # billed at the online price


async def test_rows_a_batch_job_leaves_to_the_online_part_are_estimated_at_the_online_price(emulator_client) -> None:
    from notebookllm.notebook.inputs import build_items
    from notebookllm.notebook.spend import GeminiSpend

    _, items = build_items(_reviews(2), prompt=PROMPT, strategy=_strategy(emulator_client), id_column=None)
    spend = GeminiSpend.create(items, max_cost=1.0, max_tokens=None, store=None, workers=1, batch=True)
    admitted, refused = await spend.admit(items)
    assert len(admitted) == 2 and not refused and spend.budget.in_flight_usd > 0
    first, second = (spend.estimate(item).cost_usd for item in items)
    spend.go_online(items[:1])
    assert spend.estimate(items[0]).cost_usd == pytest.approx(2 * first)  # the Batch API's half price no more
    assert spend.estimate(items[1]).cost_usd == pytest.approx(second)
    assert spend.budget.in_flight_usd == pytest.approx(second)  # the first row's batch hold is released


async def test_a_batch_cap_too_small_for_the_first_row_sends_nothing(emulator_client, emulator, store) -> None:
    emulator.reset_log()
    results = await nl.arun(_reviews(3), prompt=PROMPT, strategy=_strategy(emulator_client), store=store,
                            mode="batch", progress=False, max_tokens=5)  # fmt: skip
    assert not results.df["success"].any() and set(results.df["error_type"]) == {"BudgetExceededError"}
    assert emulator.count(endpoint="batchGenerateContent") == 0 and "3 rows not sent" in results.budget


async def test_compare_in_batch_mode_caps_all_its_jobs_together(emulator_client, emulator, store) -> None:
    df = _reviews(12)
    strategies = {
        "a": _strategy(emulator_client),
        "b": GeminiStrategy(emulator_client, MODEL, max_output_tokens=30, thinking=0),
    }
    emulator.reset_log()
    cap = sum(_row_estimate(emulator_client, PROMPT.format(review=r)) / 2 for r in df["review"])  # about one job
    comparison = await nl.acompare(df, prompt=PROMPT, strategies=strategies, store=store, progress=False,
                                   mode="batch", max_cost=cap)  # fmt: skip
    spent, _, answered = _billed(emulator, "generateContent.batch")
    assert spent <= cap and 0 < answered < 24  # the two jobs' rows share one cap
    refused = [r for variant in comparison.results.values() for r in variant.results if not r.success]
    assert len(refused) == 24 - answered and all(isinstance(r.error, BudgetExceededError) for r in refused)


async def test_auto_may_choose_a_batch_job_under_a_cap(emulator_client, emulator, store, capsys) -> None:
    emulator.reset_log()
    results = await nl.arun(_reviews(20), prompt=PROMPT, strategy=_strategy(emulator_client), store=store,
                            progress=False, mode="auto", rpm=1, max_cost=1.0)  # fmt: skip
    assert "chose batch" in capsys.readouterr().out
    assert emulator.count(endpoint="batchGenerateContent") == 1 and results.df["success"].all()
    assert _billed(emulator, "generateContent.batch")[0] <= 1.0 and results.budget.endswith("/ $1.0000")


CACHE_TTL_S = 600
REFERENCE = "Reference guide to sentiment: positive, negative or mixed, with examples. " * 130  # ~2,400 tokens


def _cached_strategy(client) -> GeminiCachedStrategy:
    return GeminiCachedStrategy(
        client, MODEL, cached_content=REFERENCE, cache_ttl_seconds=CACHE_TTL_S, max_output_tokens=MAX_OUTPUT,
        thinking=0,
    )  # fmt: skip


def _cache_billed(emulator) -> float:
    """What the emulator charged for the caches it created: their tokens at the input price, stored for the TTL."""
    dollars = 0.0
    for record in emulator.log:
        if record.endpoint == "cachedContents.create" and record.usage is not None:
            tokens = record.billed_tokens
            dollars += estimate_cost(TokenUsage(input_tokens=tokens), MODEL)
            dollars += cache_storage_cost(tokens, CACHE_TTL_S / 3600, MODEL)
    return dollars


async def test_a_capped_run_with_a_context_cache_counts_the_cache_and_stops_part_way(
    emulator_client, emulator, store
) -> None:
    df = _reviews(40)
    cache_tokens = emulator_client.models.count_tokens(model=MODEL, contents=REFERENCE).total_tokens
    cache_cost = estimate_cost(TokenUsage(input_tokens=cache_tokens), MODEL) + cache_storage_cost(
        cache_tokens, CACHE_TTL_S / 3600, MODEL
    )
    per_row = [
        estimate_cost(
            TokenUsage(
                input_tokens=cache_tokens
                + emulator_client.models.count_tokens(model=MODEL, contents=text).total_tokens,
                cached_input_tokens=cache_tokens,
                output_tokens=MAX_OUTPUT,
            ),
            MODEL,
        )
        for text in (PROMPT.format(review=review) for review in df["review"])
    ]
    cap = round(cache_cost + sum(per_row[:10]), 8)  # the cache and ten rows at their estimates
    emulator.reset_log()

    first = await nl.arun(df, prompt=PROMPT, strategy=_cached_strategy(emulator_client), store=store, progress=False,
                          max_cost=cap)  # fmt: skip
    assert emulator.count(endpoint="cachedContents.create") == 1
    online, _, sent = _billed(emulator)
    spent = online + _cache_billed(emulator)
    assert spent <= cap  # by the emulator's own billing: the cache's creation and storage, and every request
    assert 10 <= sent < 40 and emulator.count(endpoint="generateContent") == sent
    frame = first.df
    assert frame["success"].sum() == sent and (frame["cached_tokens"][frame["success"]] == cache_tokens).all()
    refused = frame[~frame["success"]]
    assert set(refused["error_type"]) == {"BudgetExceededError"} and (refused["cost_usd"] == 0).all()
    assert float(first.budget.split(" / ")[0].lstrip("$")) == pytest.approx(spent, abs=1e-6)  # the cache at its bill

    emulator.reset_log()
    again = await nl.arun(df, prompt=PROMPT, strategy=_cached_strategy(emulator_client), store=store,
                          progress=False, max_cost=1.0)  # fmt: skip
    assert emulator.count(endpoint="generateContent") == 40 - sent and again.df["success"].all()
    assert emulator.count(endpoint="cachedContents.create") == 0  # the first run's cache is adopted
    assert again.budget.startswith(f"{format_usd(_billed(emulator)[0])} / ")  # an adopted cache costs this run $0


async def test_a_cap_too_small_for_the_context_cache_is_refused_before_it_is_created(
    emulator_client, emulator, store
) -> None:
    emulator.reset_log()
    with pytest.raises(ConfigurationError, match=r"too small even for the context cache of .* to store for its") as e:
        await nl.arun(_reviews(3), prompt=PROMPT, strategy=_cached_strategy(emulator_client), store=store,
                      progress=False, max_cost=0.0005)  # fmt: skip
    assert "to create at the input price" in str(e.value)
    assert set(emulator.counts()) == {"countTokens"}  # counted (free), nothing created or generated


class _Minutes(BaseMiddleware):
    """``step`` seconds pass after each answered row (before the next is estimated), on the emulator's and the
    cache's clock."""

    def __init__(self, clock: ManualClock, step: float) -> None:
        self.clock, self.step = clock, step

    async def after_process(self, result):
        if result.success:
            self.clock.advance(self.step)
        return result


async def test_storage_a_renewal_buys_mid_run_counts_against_the_cap(make_emulator, store) -> None:
    clock = ManualClock()
    emu = make_emulator(clock=clock)
    client = emu.client()
    strategy = _cached_strategy(client)
    strategy.context_cache.clock = clock
    tokens = client.models.count_tokens(model=MODEL, contents=REFERENCE).total_tokens
    storage_per_hour = cache_storage_cost(tokens, 1.0, MODEL)
    cap = estimate_cost(TokenUsage(input_tokens=tokens), MODEL) + storage_per_hour * 2  # about 1.5 h of renewals

    results = await nl.arun(_reviews(40), prompt=PROMPT, strategy=strategy, store=store, progress=False,
                            max_workers=1, middlewares=[_Minutes(clock, 240)], max_cost=cap)  # fmt: skip
    await client.aio.aclose()
    cache = client.caches.get(name=strategy.context_cache.name)
    lifetime_h = (cache.expire_time - cache.create_time).total_seconds() / 3600
    assert emu.count(endpoint="cachedContents.patch") >= 2  # renewed while the run went on
    spent = _billed(emu)[0] + estimate_cost(TokenUsage(input_tokens=tokens), MODEL) + storage_per_hour * lifetime_h
    assert spent <= cap  # storage for the cache's whole lifetime included
    sent = emu.count(endpoint="generateContent")
    assert 0 < sent < 40 and results.summary().failed == 40 - sent
    assert float(results.budget.split(" / ")[0].lstrip("$")) == pytest.approx(spent, abs=1e-6)
