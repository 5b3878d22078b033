"""connect(): real API with a key, the embedded emulator without one (announced), and the key kept secret."""

from __future__ import annotations

import pytest
from gemini_helpers import run_items

import notebookllm as nl
from notebookllm import environment
from notebookllm.core.redaction import redact
from notebookllm.gemini import (
    EmulatorInUseWarning,
    GeminiStrategy,
    MissingAPIKeyError,
    default_client,
    default_model,
    embedded_emulator,
)

SECRET = "AIzaSy-test-secret-0123456789abcdef"


def test_emulator_false_without_a_key_names_the_environment_variables():
    with pytest.raises(MissingAPIKeyError) as caught:
        nl.connect(emulator=False)
    assert "GOOGLE_API_KEY" in str(caught.value) and "GEMINI_API_KEY" in str(caught.value)
    assert isinstance(caught.value, nl.ConfigurationError) and isinstance(caught.value, nl.NotebookLLMError)


@pytest.mark.parametrize("env", ["GEMINI_API_KEY", "GOOGLE_API_KEY"])
async def test_a_key_from_the_environment_selects_the_real_api_path_and_never_shows(make_emulator, monkeypatch, env):
    emu = make_emulator(api_key=SECRET)  # stands in for the real API: it accepts only this key
    monkeypatch.setenv(env, SECRET)
    client = nl.connect(emulator=False, http_options={"base_url": emu.base_url}, model="gemini-2.5-pro")
    assert default_client() is client and default_model() == "gemini-2.5-pro"
    strategy = GeminiStrategy()
    assert strategy.client is client and strategy.model == "gemini-2.5-pro"
    batch = await run_items(strategy, ["Hi", "Hi [[fail:400]]", "Hi [[block]]"])
    await client.aio.aclose()
    assert batch.results[0].success and not batch.results[1].success
    shown = [repr(client), repr(strategy), str(strategy.request_fingerprint("Hi"))]
    for r in batch.results:
        shown += [repr(r), str(r.error), repr(r.error), str(r.metadata)]
    assert not any(SECRET in text for text in shown)


async def test_a_wrong_key_error_does_not_contain_the_key(make_emulator):
    emu = make_emulator(api_key="the-right-key")
    client = nl.connect(api_key=SECRET, http_options={"base_url": emu.base_url})
    (result,) = (await run_items(GeminiStrategy(client), ["Hi"])).results
    await client.aio.aclose()
    assert result.error.code == 400 and (result.error_info.category, result.error_info.scope) == ("auth", "run")
    assert SECRET not in str(result.error) and SECRET not in repr(result.error)


async def test_without_a_key_the_embedded_emulator_answers_and_is_announced():
    with pytest.warns(EmulatorInUseWarning, match="emulator"):
        client = nl.connect()
    emu = embedded_emulator()
    assert embedded_emulator() is emu  # started once per process
    with pytest.warns(EmulatorInUseWarning):
        nl.connect(emulator=True)
    assert embedded_emulator() is emu
    before = emu.count(endpoint="generateContent")
    (result,) = (await run_items(GeminiStrategy(client), ["Hi"])).results
    assert result.success and result.metadata["emulated"] is True
    assert emu.count(endpoint="generateContent") == before + 1


def test_in_a_notebook_the_announcement_is_an_html_banner(monkeypatch):
    shown = []
    monkeypatch.setattr(environment, "in_jupyter_kernel", lambda: True)
    monkeypatch.setattr("IPython.display.display", shown.append)
    nl.connect()  # no key in the test environment
    nl.connect(emulator=True)
    no_key, asked = shown
    assert "emulator" in no_key.data and "GEMINI_API_KEY" in no_key.data
    assert "as asked" in asked.data and "GEMINI_API_KEY" not in asked.data


def test_a_test_process_is_not_a_jupyter_kernel():
    assert environment.in_jupyter_kernel() is False


def test_an_explicit_key_is_redacted_from_then_on(make_emulator):
    # A key that is neither in the environment nor shaped like a Google key is known only because connect() saw it.
    explicit = "explicit-test-key-not-google-shaped-42"
    emu = make_emulator(api_key=explicit)
    nl.connect(api_key=explicit, http_options={"base_url": emu.base_url})
    assert redact(f"upstream said: bad key {explicit}") == "upstream said: bad key [REDACTED]"


def test_the_default_model_is_current_and_can_be_set_once_in_the_environment(monkeypatch):
    from notebookllm.emulator.catalog import CURRENT_MODELS
    from notebookllm.gemini import connection

    monkeypatch.setitem(connection._defaults, "model", None)
    assert default_model() == nl.DEFAULT_MODEL and nl.DEFAULT_MODEL in CURRENT_MODELS
    monkeypatch.setenv("NOTEBOOKLLM_MODEL", "gemini-3.5-flash-lite")
    assert default_model() == "gemini-3.5-flash-lite"
    with pytest.warns(EmulatorInUseWarning):
        nl.connect(emulator=True, model="gemini-3.1-flash-lite")  # an explicit choice wins over the environment
    assert default_model() == "gemini-3.1-flash-lite"
