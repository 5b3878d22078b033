from datetime import date

import pytest

from notebookllm import TokenUsage
from notebookllm.emulator.catalog import CURRENT_MODELS
from notebookllm.gemini import (
    PRICES_AS_OF,
    ModelPrice,
    cache_saving,
    cache_storage_cost,
    estimate_cost,
    price_for,
    pricing,
    set_price,
)
from notebookllm.gemini.connection import DEFAULT_MODEL

M = 1_000_000


def test_table_is_dated_and_covers_the_default_and_current_models():
    assert date(2026, 12, 3) == PRICES_AS_OF
    priced = [m for m in CURRENT_MODELS if price_for(m) is not None]
    assert DEFAULT_MODEL in priced
    for model in (
        "gemini-3.8-flash",
        "gemini-3.5-flash",
        "gemini-3.5-flash-lite",
        "gemini-3.1-flash-lite",
        "gemini-3.1-pro-preview",
        "gemini-3-flash-preview",
        "gemini-2.5-flash",
        "gemini-2.5-pro",
    ):
        price = price_for(model)
        assert price is not None and price.input > 0 and price.output > price.input
        assert price.cached_input < price.input and price.cache_storage_per_hour > 0


def test_versioned_and_prefixed_names_find_the_base_price_and_unknown_models_have_none():
    assert price_for("models/gemini-2.5-flash") == price_for("gemini-2.5-flash")
    assert price_for("gemini-2.5-flash-lite-001") == price_for("gemini-2.5-flash-lite")
    assert price_for("gemini-2.5-flash-preview-09-2025") == price_for("gemini-2.5-flash")
    assert price_for("some-other-model") is None
    assert estimate_cost({"input_tokens": 10}, "some-other-model") is None


def test_cached_input_at_cached_price_thinking_as_output_batch_at_half():
    p = ModelPrice(input=1.0, output=10.0, cached_input=0.1)
    prices = {"m": p}
    usage = TokenUsage(input_tokens=M, cached_input_tokens=400_000, output_tokens=100_000, thoughts_tokens=50_000)
    expected = 0.6 * 1.0 + 0.4 * 0.1 + 0.15 * 10.0
    assert estimate_cost(usage, "m", prices=prices) == pytest.approx(expected)
    assert estimate_cost(usage, "m", prices=prices, batch=True) == pytest.approx(expected / 2)


def test_a_prompt_above_the_long_context_threshold_bills_the_long_prices():
    pro = "gemini-3.1-pro-preview"
    short = estimate_cost({"input_tokens": 200_000, "output_tokens": 1000}, pro)
    long = estimate_cost({"input_tokens": 200_001, "output_tokens": 1000}, pro)
    assert short == pytest.approx(0.2 * 2.00 + 0.001 * 12.00)
    assert long == pytest.approx(0.200001 * 4.00 + 0.001 * 18.00)
    # the cached part of a long prompt is billed at the long cached price
    cached_long = estimate_cost({"input_tokens": 300_000, "cached_input_tokens": 100_000}, pro)
    assert cached_long == pytest.approx(0.2 * 4.00 + 0.1 * 0.40)


def test_audio_input_costs_more_than_text_where_the_page_lists_an_audio_price():
    lite = "gemini-3.1-flash-lite"
    text = estimate_cost({"input_tokens": M}, lite)
    audio = estimate_cost({"input_tokens": M}, lite, audio_input_tokens=M)
    cached_audio = estimate_cost({"input_tokens": M, "cached_input_tokens": M}, lite, cached_audio_tokens=M)
    assert (text, audio, cached_audio) == (pytest.approx(0.25), pytest.approx(0.50), pytest.approx(0.05))
    # a model priced the same for every modality
    same = "gemini-3.5-flash-lite"
    assert estimate_cost({"input_tokens": M}, same, audio_input_tokens=M) == estimate_cost({"input_tokens": M}, same)


def test_service_tiers_flex_half_priority_double():
    usage = {"input_tokens": M}
    standard = estimate_cost(usage, "gemini-3.5-flash")
    assert estimate_cost(usage, "gemini-3.5-flash", service_tier="FLEX") == pytest.approx(standard / 2)
    assert estimate_cost(usage, "gemini-3.5-flash", service_tier="priority") == pytest.approx(standard * 2)
    assert estimate_cost(usage, "gemini-3.5-flash", service_tier="standard") == pytest.approx(standard)


def test_an_announced_price_change_applies_from_its_day():
    usage = {"input_tokens": M, "output_tokens": M}
    launch = estimate_cost(usage, "gemini-3.8-flash", on=date(2026, 12, 31))
    later = estimate_cost(usage, "gemini-3.8-flash", on=date(2027, 1, 1))
    assert (launch, later) == (pytest.approx(0.75 + 3.75), pytest.approx(1.50 + 7.50))


def test_cache_storage_is_billed_per_token_hour():
    assert cache_storage_cost(2 * M, 0.5, "gemini-3.5-flash") == pytest.approx(1.00)
    assert cache_storage_cost(M, 1, "gemini-3.1-pro-preview") == pytest.approx(4.50)
    assert cache_storage_cost(M, 1, "some-other-model") is None


def test_a_cache_hit_implicit_or_explicit_shows_its_saving():
    usage = {"input_tokens": M, "cached_input_tokens": M}
    assert cache_saving(usage, "gemini-3.5-flash") == pytest.approx(1.50 - 0.15)
    assert cache_saving({"input_tokens": M}, "gemini-3.5-flash") == 0
    assert cache_saving(usage, "some-other-model") is None


def test_set_price_overrides_the_table(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(pricing, "_PRICES", dict(pricing._PRICES))
    monkeypatch.setattr(pricing, "_SCHEDULED", dict(pricing._SCHEDULED))
    set_price("gemini-3.8-flash", ModelPrice(input=2.0, output=4.0, cached_input=1.0))
    usage = {"input_tokens": 500_000, "output_tokens": 250_000}
    assert estimate_cost(usage, "gemini-3.8-flash", on=date(2027, 6, 1)) == pytest.approx(2.0)


def test_the_day_prices_are_read_for_is_read_from_the_clock_once_a_day_is_over(monkeypatch):
    monkeypatch.setattr(pricing, "_day", (date(2026, 1, 1), float("inf")))  # a day that has not ended
    assert pricing._today() == date(2026, 1, 1)
    monkeypatch.setattr(pricing, "_day", (date(2026, 1, 1), 0.0))  # a day that ended long ago
    assert pricing._today() == date.today()
