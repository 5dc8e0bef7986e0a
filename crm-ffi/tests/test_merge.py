"""Duplicates in the store across the FFI: `find_duplicates` (a MatchRecord
against the stored customers, contacts and leads), `find_duplicates_of`,
`merge` and `unmerge`, with `merged_into` on the records and bad input as
typed errors naming the field."""

import datetime

import pytest

import crm_ffi as ffi

START = datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.timezone.utc)
ROOT = ffi.Actor(user="root", roles=["admin"], team=None, region=None)
ANA = ffi.Actor(user="ana", roles=["sales"], team=None, region=None)


def customer(crm, kind, id):
    record = crm.get(ROOT, kind, id)
    assert isinstance(record, getattr(ffi.AnyRecord, kind.upper()))
    return record.record


def key(record, kind):
    return ffi.RecordKey(kind=kind, id=record.id)


@pytest.fixture
def store():
    crm = ffi.Crm(now=START, seed=3)
    acme = crm.create_customer(ROOT, ffi.NewCustomer(name="Acme Widgets Ltd", phone="+1 415 555 0134",
                                                     tags=["vip"]))
    crm.advance_clock(hours=1)
    acme2 = crm.create_customer(ROOT, ffi.NewCustomer(name="ACME WIDGETS LIMITED", region="west",
                                                      email="info@acme.example", tags=["eu"]))
    maria = crm.add_contact(ROOT, ffi.NewContact(customer=acme2.id, name="Maria Garcia",
                                                 emails=["maria@acme.example"]))
    return crm, acme, acme2, maria


def test_a_reformatted_phone_finds_the_customer(store):
    crm, acme, _, _ = store
    found = crm.find_duplicates(ROOT, ffi.MatchRecord(company="Acme Widgets Inc.", phone="(415) 555-0134"))
    assert len(found) == 1
    match = found[0]
    assert isinstance(match, ffi.DuplicateMatch)
    assert match.record == ffi.RecordKey(kind="customer", id=acme.id)
    assert 0.9 <= match.probability <= 1 and match.probability == match.explanation.probability
    assert isinstance(match.explanation, ffi.MatchExplanation) and match.explanation.matched
    phone = {f.field: f for f in match.explanation.fields}["phone"]
    assert phone.level == "exact" and phone.left is not None and phone.right is not None
    # Records the actor may not read are not considered.
    assert crm.find_duplicates(ANA, ffi.MatchRecord(company="Acme Widgets", phone="415 555 0134")) == []


def test_a_stored_record_is_checked_and_left_out(store):
    crm, acme, _, _ = store
    lead = crm.create_lead(ROOT, ffi.NewLead(company="Acme Widgets", contact_name="Jo Doe",
                                             phone="+1 (415) 555-0134"))
    of = crm.find_duplicates_of(ROOT, "lead", lead.id)
    assert [m.record for m in of] == [ffi.RecordKey(kind="customer", id=acme.id)]
    # The lead's create event lists the likely duplicates.
    assert '"possible_duplicates"' in crm.history(ROOT, "lead", lead.id)[0].payload_json
    assert all(m.record.id != acme.id for m in crm.find_duplicates_of(ROOT, "customer", acme.id))


def test_merge_moves_a_contact_and_unmerge_moves_it_back(store):
    crm, acme, acme2, maria = store
    outcome = crm.merge(ROOT, ffi.MergeInput(records=[key(acme, "customer"), key(acme2, "customer")],
                                             reason="the same company"))
    assert isinstance(outcome, ffi.MergeOutcome)
    assert isinstance(outcome.survivor, ffi.AnyRecord.CUSTOMER)
    survivor = outcome.survivor.record
    # The oldest survives, keeps its values and takes the empty ones.
    assert (survivor.id, survivor.name, survivor.region, survivor.email) == (
        acme.id, "Acme Widgets Ltd", "west", "info@acme.example")
    assert survivor.tags == ["vip", "eu"] and survivor.merged_into is None
    assert outcome.merged == [key(acme2, "customer")]
    assert outcome.moved == [key(maria, "contact")]
    assert isinstance(outcome.event, str) and outcome.event
    assert customer(crm, "contact", maria.id).customer == acme.id
    assert customer(crm, "customer", acme2.id).merged_into == key(acme, "customer")
    # A merged record no longer comes up.
    found = crm.find_duplicates(ROOT, ffi.MatchRecord(company="Acme Widgets Limited", email="info@acme.example"))
    assert [m.record.id for m in found] == [acme.id]

    restored = crm.unmerge(ROOT, "customer", acme.id, "two companies after all", event=outcome.event)
    assert isinstance(restored, ffi.AnyRecord.CUSTOMER)
    assert (restored.record.region, restored.record.email, restored.record.tags) == (None, None, ["vip"])
    assert customer(crm, "contact", maria.id).customer == acme2.id
    assert customer(crm, "customer", acme2.id).merged_into is None
    # The same merge cannot be undone twice.
    with pytest.raises(ffi.CrmError.Conflict):
        crm.unmerge(ROOT, "customer", acme.id, "twice", event=outcome.event)


def test_the_survivor_by_name_or_rule(store):
    crm, acme, acme2, _ = store
    newest = crm.merge(ROOT, ffi.MergeInput(records=[key(acme, "customer"), key(acme2, "customer")],
                                            rule="newest", reason="newest wins"))
    assert newest.survivor.record.id == acme2.id
    # The latest merge of the survivor when no event is named.
    crm.unmerge(ROOT, "customer", acme2.id, "undo")
    named = crm.merge(ROOT, ffi.MergeInput(records=[key(acme, "customer"), key(acme2, "customer")],
                                           survivor=key(acme2, "customer"), rule="oldest", reason="named"))
    assert named.survivor.record.id == acme2.id


def fields_of(call):
    with pytest.raises(ffi.CrmError.Validation) as err:
        call()
    return err.value.fields


def test_errors_name_fields(store):
    crm, acme, acme2, maria = store
    both = [key(acme, "customer"), key(acme2, "customer")]
    assert fields_of(lambda: crm.merge(ROOT, ffi.MergeInput(records=both, reason=" "))) == ["reason"]
    assert fields_of(lambda: crm.merge(ROOT, ffi.MergeInput(records=both[:1], reason="alone"))) == ["records"]
    assert fields_of(lambda: crm.merge(ROOT, ffi.MergeInput(
        records=[key(acme, "customer"), key(maria, "contact")], reason="mixed"))) == ["records"]
    assert fields_of(lambda: crm.merge(ROOT, ffi.MergeInput(records=both, rule="biggest", reason="x"))) == ["rule"]
    assert fields_of(lambda: crm.merge(ROOT, ffi.MergeInput(
        records=both, survivor=key(maria, "contact"), reason="x"))) == ["survivor"]
    assert fields_of(lambda: crm.merge(ROOT, ffi.MergeInput(
        records=[ffi.RecordKey(kind="spaceship", id=acme.id), both[1]], reason="x"))) == ["entity"]
    assert fields_of(lambda: crm.unmerge(ROOT, "customer", acme.id, " ")) == ["reason"]
    assert fields_of(lambda: crm.unmerge(ROOT, "customer", acme.id, "x", event="nope")) == ["event"]
    assert fields_of(lambda: crm.unmerge(ROOT, "customer", acme.id, "never merged")) == ["event"]
    with pytest.raises(ffi.CrmError.NotFound):
        crm.find_duplicates_of(ROOT, "customer", maria.id)
    with pytest.raises(ffi.CrmError.Forbidden):
        crm.merge(ANA, ffi.MergeInput(records=both, reason="not mine"))
