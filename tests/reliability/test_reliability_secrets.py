"""The secrets sweep: with a sentinel key, run every path — successes, retried and final errors, an unknown model,
an invalid key, DEBUG logging of google-genai, httpx and aiohttp — and search every repr, log record, exception
string and traceback, DataFrame, HTML repr, CSV/parquet export and store file (with its WAL and SHM), the output of
every CLI command and an executed notebook's saved outputs: the key never appears."""

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


def _cli_env(emu: Emulator) -> dict[str, str]:
    """This process's environment with the sentinel as the user's key and the SDK pointed at ``emu``."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.endswith(("API_KEY", "BASE_URL"))}
    return {**env, "GEMINI_API_KEY": SENTINEL, "GOOGLE_GEMINI_BASE_URL": emu.base_url}


def test_the_key_never_appears_in_cli_output(
    make_emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    from notebookllm.cli import main

    emu: Emulator = make_emulator(EmulatorConfig(api_key=SENTINEL, seed=3))
    refusing: Emulator = make_emulator(EmulatorConfig(api_key="another-key", seed=3))
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("one\ntwo [[fail:400]]\n")
    store = str(tmp_path / "store.sqlite")

    def cli(*args: str, at: Emulator = emu) -> tuple[int | str, str]:
        """The command run in this process as the console script runs it: exit code (or the error's
        traceback, which the console would print) and everything it printed."""
        for name, value in _cli_env(at).items():
            monkeypatch.setenv(name, value)
        try:
            code: int | str = main(list(args))
        except Exception as exc:
            code = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        printed = capfd.readouterr()
        return code, printed.out + printed.err

    created = cli("batch", "create", str(prompts), "--store", store)
    name = next(word for word in created[1].split() if word.startswith("batches/"))
    runs = [
        created,
        cli("batch", "status", name, "--store", store),
        cli("batch", "fetch", "--store", store),
        cli("batch", "list", "--store", store),
        cli("batch", "list", "--remote", "--store", store),
        cli("check-live"),  # the real-API comparison, here both sides on the emulator
        cli("batch", "create", str(prompts), "--store", str(tmp_path / "refused.sqlite"), at=refusing),  # bad key
        cli("batch", "status", "batches/unknown", "--store", store),
    ]
    assert [code for code, _ in runs[:6]] == [0] * 6, runs
    assert "API key not valid" in "".join(map(str, runs[6]))  # the error path ran
    assert "Injected failure 400" in runs[2][1]  # the fetch printed a row's error
    for code, printed in runs:
        assert SENTINEL not in f"{code}{printed}"


NOTEBOOK_CELLS = [
    "import logging, sys\nimport notebookllm as nl\n"
    "logging.basicConfig(stream=sys.stdout, level=logging.DEBUG, force=True)\nclient = nl.connect()\nclient",
    "strategy = nl.GeminiStrategy(client=client, include_metadata=True)\n"
    "results = await nl.arun(['fine', 'flaky [[fail:503x1]]', 'bad [[fail:400]]', '[[block]] no'], "
    "strategy=strategy, cache=False, retry=nl.RetryConfig(initial_wait=0.001, max_wait=0.002))\nresults",
    "results.df",
    "results.summary()",
    "print([repr(r.error) for r in results.results])",
    "client.models.generate_content(model='gemini-0-nonexistent', contents='x')",  # a traceback in the output
]


def test_the_key_never_appears_in_an_executed_notebook(
    make_emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nbformat
    from nbconvert.preprocessors import ExecutePreprocessor

    emu: Emulator = make_emulator(EmulatorConfig(api_key=SENTINEL, seed=3))
    for name, value in _cli_env(emu).items():
        monkeypatch.setenv(name, value)  # the kernel inherits them, as from the user's shell
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in NOTEBOOK_CELLS])
    ExecutePreprocessor(timeout=90, kernel_name="python3", allow_errors=True).preprocess(
        nb, {"metadata": {"path": str(tmp_path)}}
    )
    saved = tmp_path / "run.ipynb"
    nbformat.write(nb, saved)

    text = saved.read_text()
    assert "Traceback" in text or "ClientError" in text  # the failing cell's error was saved
    assert "DEBUG" in text  # the SDK's and httpx's debug logging went into the outputs
    assert "INVALID_ARGUMENT" in text  # so did a failed row
    assert emu.count(endpoint="generateContent") >= 5
    assert SENTINEL not in text
