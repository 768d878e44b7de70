"""The examples in the docstrings of small helpers are true (every module of rcmd_tui that has some)."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

import rcmd_tui

ROOT = Path(rcmd_tui.__file__).parent
MODULES = sorted(".".join(("rcmd_tui", *p.relative_to(ROOT).with_suffix("").parts)) for p in ROOT.rglob("*.py")
                 if ">>> " in p.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
