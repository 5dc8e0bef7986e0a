"""Shared fixtures: a fresh engine on a fixed clock, and the usual actors."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

import crm

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def engine() -> crm.Crm:
    return crm.Crm(now=START, seed=1)


@pytest.fixture
def admin() -> crm.Actor:
    return crm.Actor("root", roles=["admin"])


@pytest.fixture
def ana() -> crm.Actor:
    return crm.Actor("ana", roles=["sales"], team="east")


@pytest.fixture
def sue() -> crm.Actor:
    return crm.Actor("sue", roles=["supervisor"], team="east")
