"""``nl.run`` from sync code: in a script (its own loop) and inside an already running loop (as in Jupyter).

Each case runs in a fresh interpreter, because applying nest_asyncio patches asyncio for the whole process.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def run_script(body: str) -> str:
    script = textwrap.dedent(
        """
        import asyncio, sys
        import notebookllm as nl
        from nb_strategies import Scripted
        """
    ) + textwrap.dedent(body)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=HERE, capture_output=True, text=True, timeout=100, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_does_not_apply_nest_asyncio() -> None:
    out = run_script("print('nest_asyncio2' in sys.modules, hasattr(asyncio, '_nest_patched'))")
    assert out.split() == ["False", "False"]


def test_sync_run_in_a_script_uses_its_own_loop_without_nest_asyncio() -> None:
    out = run_script(
        """
        results = nl.run(["a", "b"], strategy=Scripted(), cache=False, progress=False)
        print(results.outputs, 'nest_asyncio2' in sys.modules)
        results = nl.run(["c"], strategy=Scripted(), cache=False, progress=False)  # twice, on the same loop
        print(results.outputs)
        """
    )
    assert out.splitlines() == ["['A', 'B'] False", "['C']"]


@pytest.mark.sdk_compat
def test_two_sync_runs_in_a_script_share_one_gemini_client() -> None:
    # google-genai 1.x binds client.aio's HTTP session to the first loop that used it: a fresh loop per nl.run
    # would break the second run of a script with the same client.
    out = run_script(
        """
        from notebookllm.emulator import Emulator
        with Emulator() as emu:
            strategy = nl.GeminiStrategy(emu.client(), "gemini-2.5-flash")
            for prompts in (["Classify: lovely tea"], ["Classify: it broke, terrible"]):
                results = nl.run(prompts, prompt="{text}", strategy=strategy, cache=False, progress=False)
                print(results.df["success"].tolist(), results.outputs)
        """
    )
    assert out.splitlines() == ["[True] ['Positive']", "[True] ['Negative']"]


def test_sync_run_inside_a_running_loop() -> None:
    out = run_script(
        """
        async def cell():
            # What a Jupyter cell does: call the sync API while the kernel's loop is running.
            loop = asyncio.get_running_loop()
            results = nl.run(["a", "fail b"], strategy=Scripted(), cache=False, progress=False)
            again = results.retry_failed()
            print(results.outputs, again.df["success"].tolist(), asyncio.get_running_loop() is loop)
            return results

        results = asyncio.run(cell())
        print(len(results), hasattr(asyncio, '_nest_patched'))
        """
    )
    assert out.splitlines() == ["['A', None] [True, False] True", "2 True"]
