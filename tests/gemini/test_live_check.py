"""The live check's comparison, offline: emulator against emulator has no difference, a doctored payload has."""

from __future__ import annotations

import argparse
import io

import pytest

from notebookllm.gemini import live_check
from notebookllm.gemini.live_check import Difference, run_live_check, shape_diff


async def test_emulator_against_emulator_has_the_same_shape_everywhere(emulator, emulator_client, make_emulator):
    other = make_emulator(seed=7).client()  # other texts and counts, same protocol
    report = await run_live_check(other, emulator_client)
    await other.aio.aclose()
    assert set(report.differences) == set(live_check.CALLS)
    assert report.ok, report.render()
    assert report.cost_usd > 0  # the "real" side is priced as the cheapest current model
    assert emulator.count(endpoint="generateContent") == 4 and emulator.count(endpoint="countTokens") == 1


async def test_a_doctored_reply_shows_each_kind_of_difference(emulator, emulator_client):
    real, _ = await live_check.CALLS["generate"](emulator_client, live_check.CHECK_MODEL)
    emulated = {**real, "usage_metadata": dict(real["usage_metadata"])}
    real["usage_metadata"]["tool_use_prompt_token_count"] = 3  # the service sends a field the emulator lacks
    emulated["usage_metadata"]["prompt_token_count"] = "6"  # wrong type
    emulated["candidates"] = [{**real["candidates"][0], "safety_ratings": [{"category": "X"}]}]  # flattery
    assert shape_diff(real, emulated) == [
        Difference("candidates[].safety_ratings", "only in emulator", None, "array"),
        Difference("usage_metadata.prompt_token_count", "type differs", "number", "string"),
        Difference("usage_metadata.tool_use_prompt_token_count", "missing in emulator", "number", None),
    ]


def test_without_a_key_it_says_so_and_exits_0():
    out = io.StringIO()
    assert live_check.run(argparse.Namespace(model=live_check.CHECK_MODEL), out) == 0
    assert "nothing checked" in out.getvalue()


def test_with_a_key_the_command_compares_prints_and_never_shows_the_key(make_emulator, monkeypatch: pytest.MonkeyPatch):
    # the "real" API here is a second emulator, reached the way the SDK finds a base URL in the environment
    stand_in = make_emulator(api_key=None)
    monkeypatch.setenv("GEMINI_API_KEY", "live-check-secret-key")
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", stand_in.base_url)
    out = io.StringIO()
    assert live_check.run(argparse.Namespace(model=live_check.CHECK_MODEL), out) == 0
    text = out.getvalue()
    assert "generate: same shape" in text and "estimated cost of the real calls: $" in text
    assert "live-check-secret-key" not in text
