"""Durable stores from Python: an SQLite file and a PostgreSQL URL keep data between engines."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import crm

from conftest import START


def write_and_read_back(location: str, ana: crm.Actor) -> None:
    first = crm.open(location, now=START)
    lead = first.create_lead(ana, company="Acme GmbH", contact_name="Jo", owner="ana")
    first.qualify_lead(ana, lead.id)
    del first

    again = crm.open(location, now=START)
    stored = again.get(ana, "lead", lead.id)
    assert isinstance(stored, crm.Lead)
    assert (stored.status, stored.version, stored.company) == ("qualified", 2, "Acme GmbH")
    assert [e.action for e in again.history(ana, "lead", lead.id)] == ["create", "qualify"]


def test_an_sqlite_file_keeps_the_data(tmp_path: Path, ana: crm.Actor) -> None:
    path = tmp_path / "crm.db"
    write_and_read_back(str(path), ana)
    assert path.exists()


def test_postgresql_keeps_the_data(ana: crm.Actor) -> None:
    url = os.environ.get("CRM_PG_URL")
    if not url:
        pytest.skip("CRM_PG_URL is not set: no PostgreSQL server for this test")
    write_and_read_back(url, ana)


def test_bad_locations_are_typed_errors(tmp_path: Path) -> None:
    with pytest.raises(crm.ValidationError) as caught:
        crm.open("")
    assert caught.value.fields == ["location"]
    with pytest.raises(crm.StorageError):
        crm.open(str(tmp_path / "missing" / "dir" / "crm.db"))
