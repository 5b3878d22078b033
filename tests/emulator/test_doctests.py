"""The examples in the emulator's docstrings run."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import notebookllm.emulator as package

_MODULES = sorted(info.name for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."))


@pytest.mark.parametrize("name", _MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
