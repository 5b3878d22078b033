"""nl.on_emulator(): whether answers come from a notebookllm emulator in this process, asked without a request."""

from __future__ import annotations

import pytest
from google import genai

import notebookllm as nl
from notebookllm.gemini import EmulatorInUseWarning, connection

SECRET = "AIzaSy-test-secret-0123456789abcdef"


def test_before_connect_it_says_what_connect_would_choose(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(connection._defaults, "client", None)
    assert nl.on_emulator()  # no key in the environment: connect() would start the emulator
    monkeypatch.setenv("GEMINI_API_KEY", SECRET)
    assert not nl.on_emulator()
    assert connection._defaults["client"] is None  # asking connected nothing


def test_the_connected_client_and_any_client_are_told_apart(make_emulator) -> None:
    with pytest.warns(EmulatorInUseWarning):
        embedded = nl.connect()
    assert nl.on_emulator() and nl.on_emulator(embedded)
    real = nl.connect(api_key=SECRET)  # the real service's URL: nothing is sent
    assert not nl.on_emulator() and not nl.on_emulator(real)
    emu = make_emulator()
    assert nl.on_emulator(emu.client())
    elsewhere = genai.Client(api_key=SECRET, http_options={"base_url": emu.base_url + "/"})
    assert nl.on_emulator(elsewhere)  # any client pointed at a running emulator, a trailing slash ignored
    emu.stop()
    assert not nl.on_emulator(elsewhere)  # a stopped emulator answers nothing
