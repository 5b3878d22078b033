"""The notebooks as a user sees them: JupyterLab (started by ``make lab``) in headless Chromium, run from its menus.

Assertions are on the DOM, never on pixels: the progress widget drawn as a widget (bar, done/total, succeeded,
failed, retrying, tokens, cost, "cooling down" during a 429, "interrupted" after the kernel is interrupted), the
static line beside it, the results table with its safety and finish-reason columns, the summary, the plot.
Screenshots go to ``tests/ui/screenshots/`` (the README's two come from there).

Run by ``make test-ui`` only (``NOTEBOOKLLM_UI=1``); Debian's Chromium, never a downloaded browser.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect, sync_playwright

pytestmark = pytest.mark.timeout(600)

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
SHOTS = HERE / "screenshots"
NOTEBOOKS = [
    ROOT / "notebooks" / "01_quickstart.ipynb",
    ROOT / "notebooks" / "02_structured_output_caching_and_resume.ipynb",
    HERE / "ui_states.ipynb",
    HERE / "ui_sync_run.ipynb",
]
# The network is closed: without these Chromium stalls on connections it would open for itself.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# JupyterLab settings for a test: every cell stays in the DOM, the notebook's kernel starts without asking,
# no news or update checks.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": '{"windowingMode": "none", '
    '"autoStartDefaultKernel": true}',
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": '{"fetchNews": "false", '
    '"checkForUpdates": false}',
}
SERVER_START_S = 240  # `make lab` checks the install first; a loaded 2-core machine is slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_server(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"`make lab` exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.5)  # polling a server that is starting: the condition is re-checked, never assumed
    pytest.fail(f"JupyterLab did not answer within {SERVER_START_S}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``make lab`` on 127.0.0.1 with a token, over copies of the notebooks (the originals stay output-free)."""
    work = tmp_path_factory.mktemp("notebooks")
    for notebook in NOTEBOOKS:
        shutil.copy(notebook, work)
    home = tmp_path_factory.mktemp("jupyter")
    for name, text in LAB_SETTINGS.items():
        path = home / "config" / "lab" / "user-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_"))}  # the emulator only
    env.update(
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        IPYTHONDIR=str(home / "ipython"),
    )
    args = f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token} --LabApp.news_url=None"
    log = home / "lab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["make", "--no-print-directory", "lab", f"LAB_DIR={work}", f"LAB_ARGS={args}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped below with everything `make` started
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_server(f"{base}/api/status?token={token}", proc, log)
        yield f"{base}/lab/tree/{{name}}?reset&token={token}"  # reset: a fresh workspace, one notebook open
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """Headless Debian Chromium with a fresh profile."""
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1000},
        )
        context.set_default_timeout(120_000)
        expect.set_options(timeout=120_000)  # a kernel start or a whole run on a loaded machine
        yield context
        context.close()


def _open(browser: BrowserContext, lab: str, name: str) -> Page:
    page = browser.new_page()
    page.goto(lab.format(name=name))
    # The status bar names the kernel once it is connected and idle; before that "Run All" would ask for a kernel.
    expect(page.get_by_role("button", name=re.compile(r"^Python 3 \(ipykernel\) \| Idle$"))).to_be_visible()
    return page


def _run_all(page: Page) -> None:
    _menu(page, "Run", "Run All Cells")
    expect(page.locator(".jp-CodeCell .jp-InputPrompt").first).not_to_have_text("[ ]:", timeout=60_000)


def _menu(page: Page, menu: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$")).click()


def _wait_until_every_cell_ran(page: Page) -> None:
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
            return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""",
        timeout=300_000,
    )
    tracebacks = page.locator(".jp-OutputArea-output", has_text="Traceback")
    assert tracebacks.count() == 0, tracebacks.first.inner_text()


def _cell(page: Page, code: str | re.Pattern[str]) -> Locator:
    """The code cell whose source contains (or matches) ``code``: exactly one."""
    cell = page.locator(".jp-CodeCell").filter(has=page.locator(".jp-InputArea-editor", has_text=code))
    expect(cell).to_have_count(1)
    return cell


def _widget(cell: Locator) -> Locator:
    return cell.locator(".jp-OutputArea-output .widget-vbox").first


def _assert_widget(cell: Locator, status: str, counts: str) -> Locator:
    widget = _widget(cell)
    expect(widget.locator(".widget-hprogress")).to_have_count(1)  # drawn as a widget, not its text fallback
    expect(widget.locator(".widget-hprogress .widget-label")).to_have_text(status)
    expect(widget).to_contain_text(counts)
    expect(widget).to_contain_text(re.compile(r"tokens [\d,]+ in / [\d,]+ out / [\d,]+ cached · \$\d"))
    final = cell.locator(".notebookllm-progress-final")
    expect(final).to_contain_text(f"notebookllm: {status}")
    expect(final).to_contain_text(counts)
    return widget


def _shot(locator: Locator, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    locator.screenshot(path=SHOTS / name)


def test_quickstart_through_the_ui(lab: str, browser: BrowserContext) -> None:
    page = _open(browser, lab, "01_quickstart.ipynb")
    _run_all(page)
    _wait_until_every_cell_ran(page)

    run = _cell(page, "results = await nl.arun(")
    widget = _assert_widget(run, "done", "10/10 · 7 succeeded · 3 failed · 0 retrying (1 retries)")
    expect(widget.locator(".progress-bar")).to_have_class(re.compile("progress-bar-warning"))  # done, with failures
    # two blocked rows and one cut at max_output_tokens: whichever finished last is the last error
    expect(widget).to_contain_text(re.compile(r"last error: Gemini(Blocked|Truncated)Error"))

    table = _cell(page, re.compile(r"^results$")).locator(".notebookllm-results")  # the cell showing `results`
    expect(table.locator(".notebookllm-summary")).to_contain_text("10 rows · 7 succeeded · 3 failed · 2 blocked")
    headers = table.locator("thead th").all_inner_texts()
    assert {"output", "finish_reason", "blocked", "safety_harassment", "safety_dangerous_content"} <= set(headers)
    expect(table.locator("tr.notebookllm-blocked")).to_have_count(2)
    expect(table.locator("tr.notebookllm-failed")).to_have_count(1)
    expect(table.locator("td.notebookllm-safety-MEDIUM")).to_have_count(1)
    expect(table.locator("td.notebookllm-safety-NEGLIGIBLE").first).to_be_visible()
    # Scrolled to the result columns (the inputs are on the left), as a reader would to see the safety columns.
    table.locator("div").first.evaluate(
        "box => { box.scrollLeft = [...box.querySelectorAll('th')].find(th => th.textContent === 'output').offsetLeft }"
    )
    _shot(table, "results-table.png")

    summary = _cell(page, "summary = results.summary()")
    expect(summary.locator(".jp-OutputArea-output table")).to_contain_text("finish reasons")
    expect(summary.locator(".jp-OutputArea-output table")).to_contain_text("STOP")

    image = _cell(page, "results.plot()").locator(".jp-RenderedImage img")
    expect(image).to_have_count(1)
    assert image.evaluate("img => img.naturalWidth > 600 && img.src.startsWith('data:image/png')")
    page.close()


def test_structured_output_tutorial_through_the_ui(lab: str, browser: BrowserContext) -> None:
    page = _open(browser, lab, "02_structured_output_caching_and_resume.ipynb")
    _run_all(page)
    _wait_until_every_cell_ran(page)

    bars = page.locator(".jp-OutputArea-output .widget-hprogress")
    assert bars.count() >= 5  # one widget per run the tutorial makes
    assert set(bars.locator(".widget-label").all_inner_texts()) == {"done"}
    finals = page.locator(".notebookllm-progress-final")
    assert finals.count() == bars.count()  # every widget left its static line
    expect(page.locator(".jp-OutputArea-output table", has_text="finish reasons").first).to_be_visible()
    page.close()


def test_cooling_down_and_interrupted_states_through_the_ui(lab: str, browser: BrowserContext) -> None:
    page = _open(browser, lab, "ui_states.ipynb")
    _run_all(page)

    cooled = _cell(page, "cooled = await nl.arun(")
    widget = _widget(cooled)
    expect(widget).to_contain_text(re.compile(r"cooling down \d+s \(rate limit\)"))  # the 429's 6 s pause
    expect(widget.locator(".widget-hprogress .widget-label")).to_have_text("running")
    expect(widget).to_contain_text("retrying")
    _shot(cooled.locator(".jp-OutputArea"), "widget-mid-run.png")
    _assert_widget(cooled, "done", "10/10 · 10 succeeded · 0 failed")
    expect(widget).to_contain_text("1 rate-limit cooldown")

    stopped = _cell(page, "stopped = await nl.arun(")
    expect(_widget(stopped)).to_contain_text("2/6 · 2 succeeded")  # the quick two; four wait for ever
    _menu(page, "Kernel", "Interrupt Kernel")
    widget = _assert_widget(stopped, "interrupted", "2/6 · 2 succeeded · 0 failed")
    expect(widget).to_contain_text("4 not finished")
    expect(widget.locator(".progress-bar")).to_have_class(re.compile("progress-bar-danger"))

    _wait_until_every_cell_ran(page)
    shown = _cell(page, "assert stopped.interrupted").locator(".notebookllm-summary")
    expect(shown).to_contain_text("interrupted")
    page.close()


def test_a_cell_after_a_sync_run_runs(lab: str, browser: BrowserContext) -> None:
    # Found by these tests: with nest_asyncio on ipykernel 7 the cell after a synchronous nl.run never ran under a
    # live JupyterLab (nbmake and nbconvert, which have no frontend, did not show it); nest-asyncio2 fixed it.
    page = _open(browser, lab, "ui_sync_run.ipynb")
    _run_all(page)
    try:
        expect(_cell(page, "first = nl.run(").locator(".notebookllm-progress-final")).to_contain_text("2/2")
        expect(page.locator(".jp-OutputArea-output", has_text="the next cell ran: 2 rows")).to_be_visible(
            timeout=90_000
        )
    finally:
        page.close()
