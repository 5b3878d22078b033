"""The browser tests run only from ``make test-ui`` (it sets ``NOTEBOOKLLM_UI=1`` and installs what they need)."""

from __future__ import annotations

import os

collect_ignore = [] if os.environ.get("NOTEBOOKLLM_UI") else ["test_ui_browser.py"]
