"""The secrets sweep: with a sentinel key, run every path — successes, retried and final errors, an unknown model,
an invalid key, DEBUG logging of google-genai, httpx and aiohttp — and search every repr, log record, exception
string and traceback, DataFrame, HTML repr, CSV/parquet export and store file (with its WAL and SHM): the key
never appears."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import notebookllm as nl
from notebookllm import RateLimitConfig, RetryConfig
from notebookllm.emulator import Emulator, EmulatorConfig

SENTINEL = "AIzaSyC-SENTINEL-0123456789abcdefghijkl"  # shaped like a real key, unique enough to grep for
FAST = {"retry": RetryConfig(initial_wait=0.001, max_wait=0.002), "rate_limit": RateLimitConfig(slow_start_items=0)}


class _Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.text: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.text.append(self.format(record))  # as any handler would: message, then the traceback


@pytest.fixture
def debug_logs() -> Any:
    handler = _Everything()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s %(args)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in ("google_genai", "httpx", "httpcore", "aiohttp", "notebookllm"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_the_key_never_appears_anywhere(
    make_emulator: Any, tmp_path: Path, debug_logs: _Everything, capsys: pytest.CaptureFixture[str]
) -> None:
    emu: Emulator = make_emulator(EmulatorConfig(api_key=SENTINEL, seed=3))
    assert emu.base_url.startswith("http://127.0.0.1:")  # the emulator binds loopback unless told otherwise
    client = nl.connect(api_key=SENTINEL, http_options={"base_url": emu.base_url, "api_version": "v1beta"})
    store_path = tmp_path / ".notebookllm" / "store.sqlite"
    seen: list[str] = [repr(client), repr(emu), repr(emu.config)]

    frame = pd.DataFrame(
        {"text": ["fine", "flaky [[fail:503x1]]", "down [[fail:500x*]]", "blocked [[block]]", "bad [[fail:400]]"]}
    )
    strategy = nl.GeminiStrategy(client=client, include_metadata=True)
    results = nl.run(frame, prompt="{text}", strategy=strategy, store=store_path, progress="text", **FAST)
    unknown = nl.run(["x"], strategy=nl.GeminiStrategy(client=client, model="gemini-0-nonexistent"), cache=False,
                     progress=False, **FAST)  # fmt: skip
    wrong = nl.connect(api_key=SENTINEL[::-1], http_options={"base_url": emu.base_url, "api_version": "v1beta"})
    invalid = nl.run(["x"], strategy=nl.GeminiStrategy(client=wrong), cache=False, progress=False, **FAST)
    assert not unknown.df["success"].any() and not invalid.df["success"].any()
    for run in (results, unknown, invalid):
        seen += [repr(run), str(run.summary()), run._repr_html_(), run.df.to_string(), repr(run.summary())]
        for r in run.results:
            seen.append(repr(r))
            if r.error is not None:
                seen.append("".join(traceback.format_exception(type(r.error), r.error, r.error.__traceback__)))
    try:
        client.models.generate_content(model="gemini-0-nonexistent", contents="x")
    except Exception as exc:
        seen.append("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    results.to_csv(tmp_path / "out.csv")
    results.to_parquet(tmp_path / "out.parquet")
    nl.Store.open(store_path).flush()
    files = b"".join(p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file())

    assert debug_logs.text, "DEBUG logging produced nothing: the sweep would prove nothing"
    printed = capsys.readouterr()
    assert SENTINEL not in printed.out + printed.err  # the progress line, the emulator banner, warnings
    assert SENTINEL not in "\n".join(seen)
    assert SENTINEL not in "\n".join(debug_logs.text)
    assert SENTINEL.encode() not in files
    assert results.df["success"].sum() == 2  # the paths above really ran: two successes, three kinds of failure


class _QuotedBack(nl.LLMCallStrategy[str]):
    """A proxy that quotes the request's key back in its error, and a hook that fails on it."""

    async def execute(self, prompt: str, attempt: int, timeout: float, state: Any = None) -> tuple[str, Any]:
        raise PermissionError(f"proxy refused the request with x-goog-api-key: {SENTINEL} (key={SENTINEL})")

    def on_error(self, exc: Exception, attempt: int) -> None:
        raise RuntimeError(f"could not log {exc}")


def test_a_key_quoted_back_by_a_proxy_is_masked_in_logs(debug_logs: _Everything) -> None:
    from notebookllm.core.redaction import register_secret

    register_secret(SENTINEL)
    results = nl.run(["x"], strategy=_QuotedBack(), cache=False, progress=False, max_attempts=1)
    assert not results.df["success"].any()
    logged = "\n".join(debug_logs.text)
    assert "on_error() of _QuotedBack raised" in logged  # the hook's failure was logged, traceback and all
    assert SENTINEL not in logged
    assert SENTINEL not in results.df.to_string()
