"""The layering of DESIGN.md holds: the engine alone imports no provider, DataFrame or widget library, every
public name of ``notebookllm`` resolves (the layers above the engine load on first use), and each layer imports only
what DEVELOPERS.md's table of layers allows."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import notebookllm as nl


def test_importing_notebookllm_loads_the_engine_only():
    code = (
        "import sys, notebookllm\n"
        "from notebookllm import ParallelBatchProcessor, LLMCallStrategy, RetryState\n"
        "print(sorted(m for m in ('google.genai', 'pandas', 'ipywidgets', 'sqlite3', 'aiohttp') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_public_name_resolves():
    missing = [name for name in nl.__all__ if getattr(nl, name, None) is None]
    assert missing == []
    assert set(nl.__all__) <= set(dir(nl))
    assert nl.gemini.GeminiStrategy is nl.GeminiStrategy


# DEVELOPERS.md's table of layers: what each part of the package may import from the rest of it. Parts left out
# (cli, demo, mixins, the package's __init__ and __main__) sit on top and may import anything.
_BELOW_EVERY_LAYER = {"media", "quota_day", "environment"}
_MAY_IMPORT = {
    "core": _BELOW_EVERY_LAYER,
    "store": {"core"} | _BELOW_EVERY_LAYER,
    "gemini": {"core", "store", "emulator", "sync"} | _BELOW_EVERY_LAYER,
    "notebook": {"core", "gemini", "store", "sync"} | _BELOW_EVERY_LAYER,
    "emulator": {"media", "quota_day"},
    "sync": {"environment"},
    "media": set(),
    "quota_day": set(),
    "environment": set(),
}
_STDLIB_ONLY = {"media", "quota_day"}
_ROOT = Path(nl.__file__).parent


def _imports(path: Path) -> Iterator[str]:
    """Absolute names of the modules ``path`` imports, wherever the import sits (functions, TYPE_CHECKING)."""
    package = ["notebookllm", *path.relative_to(_ROOT).parent.parts]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
            module = ".".join(part for part in (base, node.module) if part)
            # `from .. import sync` imports a module, not a name of the package
            yield from (f"{module}.{alias.name}" for alias in node.names) if node.module is None else [module]


def _part(path: Path) -> str:
    relative = path.relative_to(_ROOT)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def test_each_layer_imports_only_what_the_table_of_layers_allows():
    breaches = []
    for path in sorted(_ROOT.rglob("*.py")):
        part = _part(path)
        if part not in _MAY_IMPORT:
            continue
        for name in _imports(path):
            top, _, rest = name.partition(".")
            if top == "notebookllm":
                used = rest.partition(".")[0]
                if used != part and used not in _MAY_IMPORT[part]:
                    breaches.append(f"{path.relative_to(_ROOT)} imports {name}")
            elif part in _STDLIB_ONLY and top not in sys.stdlib_module_names and top != "__future__":
                breaches.append(f"{path.relative_to(_ROOT)} imports {name} (standard library only)")
    assert breaches == []
