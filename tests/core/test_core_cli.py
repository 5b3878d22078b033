"""``python -m notebookllm --help`` and the ``notebookllm`` console script list the commands."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

COMMANDS = ("demo", "emulator")  # the commands issues 2 and 3 add; others may follow


def _listed(out: str) -> list[str]:
    return [name for name in COMMANDS if f"\n    {name} " in out]


def test_python_dash_m_help_lists_every_command():
    result = subprocess.run([sys.executable, "-m", "notebookllm", "--help"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("usage: notebookllm")
    assert _listed(result.stdout) == list(COMMANDS)


def test_console_script_is_installed_and_lists_the_commands():
    script = os.path.join(os.path.dirname(sys.executable), "notebookllm")
    if not os.path.exists(script):
        pytest.skip("the package is not installed in this interpreter's environment")
    result = subprocess.run([script, "--help"], capture_output=True, text=True, check=True)
    assert _listed(result.stdout) == list(COMMANDS)


def test_an_unknown_command_is_a_usage_error():
    result = subprocess.run([sys.executable, "-m", "notebookllm", "nope"], capture_output=True, text=True)
    assert result.returncode == 2 and "invalid choice: 'nope'" in result.stderr
