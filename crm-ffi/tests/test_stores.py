"""`Crm.open`: the engine over a durable store. What one object writes to an
SQLite file (or a PostgreSQL database) another one reads back after the first
is gone; a bad location is a typed error."""

import datetime
import gc
import os

import pytest

import crm_ffi as ffi

START = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.timezone.utc)
ANA = ffi.Actor(user="ana", roles=["sales"])


def write_then_read(location):
    """Creates and qualifies a lead through one object, drops it, and reads the
    lead and its history through a new object over the same location."""
    crm = ffi.Crm.open(location, now=START)
    lead = crm.create_lead(ANA, ffi.NewLead(company="Acme", owner="ana"))
    crm.advance_clock(minutes=0, hours=1, days=0)
    crm.log_activity(ANA, ffi.NewActivity(
        subject=ffi.RecordKey(kind="lead", id=lead.id), kind="call", summary="Wants a demo"))
    crm.qualify_lead(ANA, lead.id)
    written = crm.history(ANA, "lead", lead.id)
    del crm
    gc.collect()

    again = ffi.Crm.open(location)
    read = again.get(ANA, "lead", lead.id)
    assert isinstance(read, ffi.AnyRecord.LEAD)
    assert read.record.status == "qualified"
    assert read.record.company == "Acme"
    assert read.record.created_at == START
    history = again.history(ANA, "lead", lead.id)
    assert history == written
    assert [event.action for event in history][-1] == "qualify"
    # The reopened object writes on (fresh ids: no seed, no collision).
    other = again.create_lead(ANA, ffi.NewLead(company="Globex", owner="ana"))
    assert other.id != lead.id
    return lead.id


def test_a_file_keeps_what_was_written(tmp_path):
    path = tmp_path / "crm.db"
    write_then_read(str(path))
    assert path.is_file()


def test_memory_is_one_empty_store_per_object():
    crm = ffi.Crm.open(":memory:", now=START, seed=1)
    assert crm.now() == START
    lead = crm.create_lead(ANA, ffi.NewLead(company="Acme", owner="ana"))
    assert isinstance(crm.get(ANA, "lead", lead.id), ffi.AnyRecord.LEAD)
    with pytest.raises(ffi.CrmError.NotFound):
        ffi.Crm.open(":memory:").get(ANA, "lead", lead.id)


@pytest.mark.parametrize("location", ["", "   "])
def test_an_empty_location_is_a_validation_error(location):
    with pytest.raises(ffi.CrmError.Validation) as caught:
        ffi.Crm.open(location)
    assert caught.value.fields == ["location"]


def test_a_missing_directory_is_a_storage_error(tmp_path):
    with pytest.raises(ffi.CrmError.Storage) as caught:
        ffi.Crm.open(str(tmp_path / "missing" / "crm.db"))
    assert caught.value.reason
    assert not (tmp_path / "missing").exists()


@pytest.mark.skipif(not os.environ.get("CRM_PG_URL"),
                    reason="CRM_PG_URL is not set: no PostgreSQL server to test against "
                           "(scripts/test-ffi starts a throwaway one when the server binaries "
                           "are installed)")
def test_a_postgres_database_keeps_what_was_written():
    write_then_read(os.environ["CRM_PG_URL"])
