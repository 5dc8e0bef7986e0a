"""Every shared vector through the uniffi-generated Python module."""

import pytest

from vectors import VECTORS, run_vector


@pytest.mark.parametrize("path", sorted(VECTORS.glob("*.json")), ids=lambda p: p.stem)
def test_vector(path):
    run_vector(path)


def test_there_are_vectors():
    assert len(list(VECTORS.glob("*.json"))) >= 4
