"""Where is this code running? The one place that answers it, so no layer ever guesses.

Like ``tqdm.auto``: a Jupyter kernel gets the widget and HTML banners, a terminal gets one line of text on stderr,
anything else (a pipe, a log file, CI) gets nothing. It sits below every layer and imports nothing of theirs.

Example:
    >>> progress_kind() in {"widget", "text", "none"}
    True
"""

from __future__ import annotations

import asyncio
import sys
from typing import Literal

__all__ = ["ProgressKind", "in_jupyter_kernel", "progress_kind", "running_loop", "stderr_is_tty"]

ProgressKind = Literal["widget", "text", "none"]


def in_jupyter_kernel() -> bool:
    """True inside a Jupyter kernel (JupyterLab, classic notebook, VS Code, Colab), False in IPython or a script."""
    if "IPython" not in sys.modules:  # never import IPython just to ask
        return False
    from IPython import get_ipython

    shell = get_ipython()
    # Kernel shells (ipykernel's ZMQInteractiveShell and Colab's subclass of it) carry the kernel; the terminal
    # IPython shell does not.
    return shell is not None and getattr(shell, "kernel", None) is not None


def stderr_is_tty() -> bool:
    """True when stderr is an interactive terminal (a carriage-return progress line makes sense there)."""
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running in this thread (Jupyter always has one), or ``None`` in a plain script."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def progress_kind() -> ProgressKind:
    """The progress display that fits here: ``"widget"`` in Jupyter, ``"text"`` on a terminal, else ``"none"``."""
    if in_jupyter_kernel():
        return "widget"
    if stderr_is_tty():
        return "text"
    return "none"
