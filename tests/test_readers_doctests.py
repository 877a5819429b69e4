"""The examples in the readers' docstrings are true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["_address", "_area", "_columns", "_coords", "_dates", "_files", "_limits", "_normalize", "_yesno"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"geoplots.readers.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
