"""Duplicates in the engine from Python: ``Crm.find_duplicates`` (a candidate
record) and ``Crm.find_duplicates_of`` (a stored one), ``Crm.merge`` and
``Crm.unmerge``, the ``merged_into`` mark, and bad input naming its field."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest

import crm

from conftest import START

Group = Tuple[crm.Customer, crm.Customer, crm.Contact]


def acme_twice(engine: crm.Crm, actor: crm.Actor) -> Group:
    """Two records of one company, an hour apart, the second with a contact."""
    first = engine.create_customer(actor, "Acme Widgets Ltd", phone="+1 415 555 0134", tags=["vip"])
    engine.advance_clock(hours=1)
    second = engine.create_customer(actor, "ACME WIDGETS LIMITED", region="west", email="info@acme.example", tags=["eu"])
    maria = engine.add_contact(actor, second.id, "Maria Garcia", emails=["maria@acme.example"])
    return first, second, maria


def key(record: Any) -> crm.RecordKey:
    kind = {crm.Customer: "customer", crm.Contact: "contact", crm.Lead: "lead"}[type(record)]
    return crm.RecordKey(kind, record.id)


# ----- find ------------------------------------------------------------------------


def test_a_reformatted_phone_finds_the_stored_customer(engine: crm.Crm, admin: crm.Actor) -> None:
    acme, _, _ = acme_twice(engine, admin)
    found = engine.find_duplicates(admin, {"company": "Acme Widgets Inc.", "phone": "(415) 555-0134"})
    assert [f["record"] for f in found] == [key(acme)]
    top = found[0]
    assert list(top) == ["record", "probability", "rule", "explanation"]
    assert 0.5 < top["probability"] <= 1 and top["probability"] == top["explanation"]["probability"]
    assert top["explanation"]["matched"] and top["rule"] == top["explanation"]["rule"]
    phone = next(f for f in top["explanation"]["fields"] if f["field"] == "phone")
    assert phone["level"] == "exact"
    # The explanation is the one crm.explain_match gives for the same pair.
    alone = crm.explain_match({"company": "Acme Widgets Inc.", "phone": "(415) 555-0134"}, {"company": "Acme Widgets Ltd", "phone": "+1 415 555 0134"})
    assert alone["fields"][3] == top["explanation"]["fields"][3]
    # Nothing alike, nothing found; a blank candidate has no match keys.
    assert engine.find_duplicates(admin, {"company": "Globex", "phone": "+44 20 7946 0958"}) == []
    assert engine.find_duplicates(admin, {}) == []


def test_a_swapped_name_finds_a_contact(engine: crm.Crm, admin: crm.Actor) -> None:
    _, _, maria = acme_twice(engine, admin)
    found = engine.find_duplicates(admin, {"name": "Garcia Maria", "email": "MARIA@acme.example"})
    assert [f["record"] for f in found] == [key(maria)]
    assert found[0]["explanation"]["names_swapped"]


def test_only_records_the_actor_may_read_are_found(engine: crm.Crm, admin: crm.Actor) -> None:
    acme_twice(engine, admin)
    stranger = crm.Actor("ana", roles=["sales"])
    assert engine.find_duplicates(stranger, {"company": "Acme Widgets", "phone": "415 555 0134"}) == []


def test_duplicates_of_a_stored_record_leave_it_out(engine: crm.Crm, admin: crm.Actor) -> None:
    acme, _, _ = acme_twice(engine, admin)
    lead = engine.create_lead(admin, company="Acme Widgets", contact_name="Jo Doe", phone="+1 (415) 555-0134")
    found = [f["record"] for f in engine.find_duplicates_of(admin, "lead", lead.id)]
    assert key(acme) in found and key(lead) not in found
    # Lead creation lists the likely duplicates in its event.
    created = engine.history(admin, "lead", lead.id)[0]
    assert created.payload["possible_duplicates"][0]["id"] == acme.id
    deal = engine.create_opportunity(admin, acme.id, "Widgets")
    with pytest.raises(crm.ValidationError) as caught:
        engine.find_duplicates_of(admin, "opportunity", deal.id)
    assert caught.value.fields == ["entity"]
    with pytest.raises(crm.NotFoundError):
        engine.find_duplicates_of(admin, "customer", "0194a000-0000-7000-8000-000000000001")


def test_the_engine_matches_with_its_dedupe_configuration(admin: crm.Actor) -> None:
    candidate = {"company": "Acme Widgets Inc.", "phone": "(415) 555-0134"}
    strict = crm.Crm(now=START, seed=1, config={"dedupe": {"threshold": 0.999999, "rules": []}})
    acme_twice(strict, admin)
    assert strict.find_duplicates(admin, candidate) == []
    with pytest.raises(crm.ConfigError) as caught:
        crm.Crm(config={"dedupe": {"threshold": 2}})
    assert caught.value.path.startswith("dedupe")


def test_an_sqlite_store_finds_through_its_index(tmp_path: Path, admin: crm.Actor) -> None:
    location = str(tmp_path / "crm.db")
    first = crm.open(location, now=START, seed=1)
    acme, _, _ = acme_twice(first, admin)
    del first
    again = crm.open(location, now=START, seed=2)
    found = again.find_duplicates(admin, {"company": "ACME Widgets", "phone": "+14155550134"})
    assert [f["record"] for f in found] == [key(acme)]


# ----- merge and unmerge -----------------------------------------------------------


def test_merge_moves_a_contact_and_unmerge_moves_it_back(engine: crm.Crm, admin: crm.Actor) -> None:
    acme, acme2, maria = acme_twice(engine, admin)
    outcome = engine.merge(admin, [key(acme), ("customer", acme2.id)], reason="the same company")
    survivor = outcome["survivor"]
    assert isinstance(survivor, crm.Customer) and survivor.id == acme.id  # the oldest
    assert (survivor.name, survivor.region, survivor.email) == ("Acme Widgets Ltd", "west", "info@acme.example")
    assert survivor.tags == ["vip", "eu"] and survivor.merged_into is None
    assert outcome["merged"] == [key(acme2)]
    assert outcome["moved"] == [key(maria)]
    assert engine.get(admin, "contact", maria.id).customer == acme.id
    merged = engine.get(admin, "customer", acme2.id)
    assert merged.merged_into == key(acme) and merged.to_dict()["merged_into"] == key(acme)
    last = engine.history(admin, "customer", acme.id)[-1]
    assert (last.action, last.id, last.reason) == ("merge", outcome["event"], "the same company")
    assert [e.action for e in engine.history(admin, "contact", maria.id)][-1] == "merge_move"
    # A merged record no longer comes up as a duplicate; the survivor does.
    found = engine.find_duplicates(admin, {"company": "Acme Widgets Limited", "email": "info@acme.example"})
    assert [f["record"] for f in found] == [key(acme)]
    # Merged already: not again.
    with pytest.raises(crm.ValidationError) as caught:
        engine.merge(admin, [key(acme), key(acme2)], reason="again")
    assert caught.value.fields == ["records"]

    restored = engine.unmerge(admin, "customer", acme.id, reason="two companies after all")
    assert isinstance(restored, crm.Customer)
    assert (restored.id, restored.region, restored.email, restored.tags) == (acme.id, None, None, ["vip"])
    assert engine.get(admin, "contact", maria.id).customer == acme2.id
    assert engine.get(admin, "customer", acme2.id).merged_into is None
    assert engine.history(admin, "customer", acme.id)[-1].action == "unmerge"
    # Undone already: the records changed since the merge.
    with pytest.raises(crm.ConflictError):
        engine.unmerge(admin, "customer", acme.id, event=outcome["event"], reason="twice")


def test_the_survivor_by_rule_or_by_name(engine: crm.Crm, admin: crm.Actor) -> None:
    acme, acme2, maria = acme_twice(engine, admin)
    as_dicts = [{"kind": "customer", "id": acme.id}, {"kind": "customer", "id": acme2.id}]
    newest = engine.merge(admin, as_dicts, rule="newest", reason="the newer one")
    survivor = newest["survivor"]
    assert isinstance(survivor, crm.Customer) and survivor.id == acme2.id
    assert newest["merged"] == [key(acme)]
    assert newest["moved"] == []  # the contact is the survivor's already
    assert survivor.phone == "+1 415 555 0134"  # an empty field, filled
    engine.unmerge(admin, "customer", acme2.id, event=newest["event"], reason="undo")

    named = engine.merge(admin, (k for k in [key(acme), key(acme2)]), survivor=("customer", acme2.id), reason="by name")
    assert named["survivor"].id == acme2.id
    assert engine.history(admin, "customer", acme2.id)[-1].payload["chosen_by"] == "caller"
    assert engine.get(admin, "contact", maria.id).customer == acme2.id


def test_leads_merge_by_completeness(engine: crm.Crm, admin: crm.Actor) -> None:
    sparse = engine.create_lead(admin, company="Initech", phone="+1 212 555 0100")
    full = engine.create_lead(admin, company="Initech", contact_name="Peter Gibbons", email="peter@initech.example", phone="+1 212 555 0100", quality_score=40)
    outcome = engine.merge(admin, [key(sparse), key(full)], rule="most_complete", reason="same enquiry")
    survivor = outcome["survivor"]
    assert isinstance(survivor, crm.Lead)
    assert survivor.id == full.id and survivor.quality_score == 40
    back = engine.unmerge(admin, "lead", full.id, reason="undo")
    assert isinstance(back, crm.Lead) and back.id == full.id


Case = Callable[[Group], Tuple[Any, Dict[str, Any]]]


@pytest.mark.parametrize(
    "case, field",
    [
        (lambda g: ([key(g[0]), key(g[1])], {"reason": " "}), "reason"),
        (lambda g: ([key(g[0])], {"reason": "alone"}), "records"),
        (lambda g: ([], {"reason": "none"}), "records"),
        (lambda g: ([key(g[0]), key(g[0])], {"reason": "twice"}), "records"),
        (lambda g: ([key(g[0]), key(g[2])], {"reason": "mixed"}), "records"),
        (lambda g: ([key(g[0]), key(g[1])], {"reason": "r", "survivor": key(g[2])}), "survivor"),
        (lambda g: ([key(g[0]), key(g[1])], {"reason": "r", "survivor": 42}), "survivor"),
        (lambda g: ([key(g[0]), key(g[1])], {"reason": "r", "rule": "best"}), "rule"),
        (lambda g: ("customer", {"reason": "r"}), "records"),
        (lambda g: ({"kind": "customer", "id": g[0].id}, {"reason": "r"}), "records"),
        (lambda g: (key(g[0]), {"reason": "r"}), "records"),
        (lambda g: ([key(g[0]), 42], {"reason": "r"}), "records[1]"),
        (lambda g: ([key(g[0]), ("customer",)], {"reason": "r"}), "records[1]"),
        (lambda g: ([key(g[0]), ("customer", "x")], {"reason": "r"}), "records[1].id"),
        (lambda g: ([key(g[0]), ("spaceship", g[1].id)], {"reason": "r"}), "records[1].kind"),
        (lambda g: ([key(g[0]), {"kind": "customer"}], {"reason": "r"}), "records[1].id"),
        (lambda g: ([key(g[0]), {"kind": 7, "id": g[1].id}], {"reason": "r"}), "records[1].kind"),
        (lambda g: ([key(g[0]), {"kind": "customer", "id": g[1].id, "x": 1}], {"reason": "r"}), "records[1]"),
    ],
)
def test_bad_merges_name_the_field(engine: crm.Crm, admin: crm.Actor, case: Case, field: str) -> None:
    group = acme_twice(engine, admin)
    records, options = case(group)
    with pytest.raises(crm.ValidationError) as caught:
        engine.merge(admin, records, **options)
    assert caught.value.fields == [field]
    # Nothing was written.
    assert all(engine.get(admin, "customer", c.id).version == 1 for c in group[:2])


def test_merge_needs_the_edit_permission(engine: crm.Crm, admin: crm.Actor) -> None:
    acme, acme2, _ = acme_twice(engine, admin)
    with pytest.raises(crm.ForbiddenError):
        engine.merge(crm.Actor("ana", roles=["sales"]), [key(acme), key(acme2)], reason="mine now")


def test_bad_unmerges_name_the_field(engine: crm.Crm, admin: crm.Actor) -> None:
    acme, acme2, _ = acme_twice(engine, admin)
    created = engine.history(admin, "customer", acme.id)[0].id
    engine.merge(admin, [key(acme), key(acme2)], reason="same")
    cases: List[Tuple[Dict[str, Any], str]] = [
        ({"reason": ""}, "reason"),
        ({"reason": "r", "event": "nope"}, "event"),
        ({"reason": "r", "event": created}, "event"),
    ]
    for options, field in cases:
        with pytest.raises(crm.ValidationError) as caught:
            engine.unmerge(admin, "customer", acme.id, **options)
        assert caught.value.fields == [field], options
    # acme2 was merged into acme, not the other way round.
    with pytest.raises(crm.ValidationError) as caught:
        engine.unmerge(admin, "customer", acme2.id, reason="r")
    assert caught.value.fields == ["event"]


@pytest.mark.parametrize(
    "record, field",
    [
        ("Acme", "record"),
        ([("company", "Acme")], "record"),
        ({"nickname": "Jo"}, "record.nickname"),
        ({"email": 3}, "record.email"),
    ],
)
def test_a_bad_candidate_names_the_field(engine: crm.Crm, admin: crm.Actor, record: Any, field: str) -> None:
    with pytest.raises(crm.ValidationError) as caught:
        engine.find_duplicates(admin, record)
    assert caught.value.fields == [field]
