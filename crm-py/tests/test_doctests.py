"""The ``>>>`` examples in the package's docstrings run and hold."""

from __future__ import annotations

import doctest
import inspect

import pytest

import crm

OBJECTS = (
    [crm]
    + [obj for _, obj in inspect.getmembers(crm._crm, inspect.isclass)]
    + [obj for _, obj in inspect.getmembers(crm._crm, inspect.isbuiltin)]
)


@pytest.mark.parametrize("obj", OBJECTS, ids=[getattr(o, "__name__", str(o)) for o in OBJECTS])
def test_docstring_examples(obj: object) -> None:
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(obj, globs={"crm": crm}):
        runner.run(test)
    assert runner.failures == 0


def test_some_docstrings_have_examples() -> None:
    finder = doctest.DocTestFinder(recurse=False)
    examples = sum(len(t.examples) for o in OBJECTS for t in finder.find(o, globs={"crm": crm}))
    assert examples >= 8
