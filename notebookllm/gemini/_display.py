"""Where we run (a notebook kernel or a terminal) and how to tell the user something plainly there.

The one place that detects the environment, as ``tqdm.auto`` does: everything else calls :func:`announce`.
"""

from __future__ import annotations

import sys
import warnings

__all__ = ["EmulatorInUseWarning", "announce", "in_notebook"]


class EmulatorInUseWarning(UserWarning):
    """Shown in a terminal when notebookllm answers from the local emulator instead of the real Gemini API."""


def in_notebook() -> bool:
    """Whether this process is a Jupyter (or Colab) kernel, where HTML output is rendered.

    Same test as ``notebookllm.notebook.environment.in_jupyter_kernel`` (a layer above ours, so not importable here).
    """
    if "IPython" not in sys.modules:  # a kernel has always imported IPython; never import it just to ask
        return False
    from IPython import get_ipython

    shell = get_ipython()
    # Kernel shells (ipykernel's ZMQInteractiveShell, Colab's subclass) carry the kernel; terminal IPython does not.
    return shell is not None and getattr(shell, "kernel", None) is not None


def announce(text: str, html: str) -> None:
    """Show ``html`` as output in a notebook kernel; elsewhere emit ``text`` as an :class:`EmulatorInUseWarning`."""
    if in_notebook():
        from IPython.display import HTML, display

        display(HTML(html))
    else:
        warnings.warn(text, EmulatorInUseWarning, stacklevel=3)
