"""redact(): registered secrets, environment keys and key-shaped strings never pass."""

from __future__ import annotations

import pytest

from notebookllm.core.redaction import REDACTED, redact, register_secret


def test_google_shaped_keys_query_parameters_and_headers_are_replaced():
    key = "AIza" + "b" * 35
    text = f"403 for {key}; GET /v1beta/models?key=s3cr3tvalue&alt=sse; x-goog-api-key: other-secret"
    assert redact(text) == (
        f"403 for {REDACTED}; GET /v1beta/models?key={REDACTED}&alt=sse; x-goog-api-key: {REDACTED}"
    )


def test_environment_keys_and_registered_secrets_are_replaced(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GEMINI_API_KEY", "env-secret-value-1")
    register_secret("registered-secret-2")
    assert redact("a env-secret-value-1 b registered-secret-2 c") == f"a {REDACTED} b {REDACTED} c"


def test_short_values_are_not_secrets():
    register_secret("abc")
    register_secret(None)
    assert redact("abc abcdef") == "abc abcdef"
