from datetime import date

import pytest

from notebookllm import TokenUsage
from notebookllm.gemini import PRICES_AS_OF, ModelPrice, estimate_cost, price_for, pricing, set_price


def test_table_is_dated_and_covers_the_current_models():
    assert date(2026, 11, 22) == PRICES_AS_OF
    for model in ("gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite", "gemini-2.0-flash"):
        price = price_for(model)
        assert price is not None and price.input > 0 and price.output > price.input
        assert price.cached_input < price.input


def test_versioned_and_prefixed_names_find_the_base_price_and_unknown_models_have_none():
    assert price_for("models/gemini-2.5-flash") == price_for("gemini-2.5-flash")
    assert price_for("gemini-2.5-flash-lite-001") == price_for("gemini-2.5-flash-lite")
    assert price_for("gemini-2.5-flash-preview-09-2025") == price_for("gemini-2.5-flash")
    assert price_for("some-other-model") is None
    assert estimate_cost({"input_tokens": 10}, "some-other-model") is None


def test_cached_input_at_cached_price_thinking_as_output_batch_at_half():
    p = ModelPrice(input=1.0, output=10.0, cached_input=0.1)
    prices = {"m": p}
    usage = TokenUsage(
        input_tokens=1_000_000, cached_input_tokens=400_000, output_tokens=100_000, thoughts_tokens=50_000
    )
    expected = 0.6 * 1.0 + 0.4 * 0.1 + 0.15 * 10.0
    assert estimate_cost(usage, "m", prices=prices) == pytest.approx(expected)
    assert estimate_cost(usage, "m", prices=prices, batch=True) == pytest.approx(expected / 2)


def test_set_price_overrides_the_table(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(pricing, "_PRICES", dict(pricing._PRICES))
    set_price("gemini-2.5-flash", ModelPrice(input=2.0, output=4.0, cached_input=1.0))
    assert estimate_cost({"input_tokens": 500_000, "output_tokens": 250_000}, "gemini-2.5-flash") == pytest.approx(2.0)
