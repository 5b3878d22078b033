"""The browser tests run only from ``make test-ui`` (it sets ``NOTEBOOKLLM_UI=1`` and installs what they need).

The notebooks here are driven by those tests through JupyterLab (one waits to be interrupted), never by nbmake.
"""

from __future__ import annotations

import os

collect_ignore = [] if os.environ.get("NOTEBOOKLLM_UI") else ["test_ui_browser.py"]
collect_ignore_glob = ["*.ipynb"]
