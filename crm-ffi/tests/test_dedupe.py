"""Duplicate matching across the FFI: the `DedupeScan` object (pairs, cluster
ids, clusters, explanations, the model and blocking reports as JSON text) and
the free function `explain_match`, with bad input as typed errors."""

import json

import pytest

import crm_ffi as ffi


def person(first=None, last=None, email=None, phone=None, company=None, **more):
    return ffi.MatchRecord(first_name=first, last_name=last, email=email, phone=phone,
                           company=company, **more)


ROWS = [
    person("Jonathan", "Smith", "jon.smith@acme.com", "+1 415 555 0134", "Acme Inc."),
    person("Jonathon", "SMITH", None, "(415) 555-0134", "ACME Incorporated"),  # a typo, other formats
    person("Maria", "Garcia", "maria@example.org", "+34 612 345 678"),
    person("Maria", "Garcia", "mgarcia@other.org", "+34 699 999 999"),         # a namesake
    ffi.MatchRecord(name="Zhang Wei", email="WEI.ZHANG@huawei.com", company="华为技术"),
    person("Wei", "Zhang", "wei.zhang@huawei.com", company="华为技术有限公司"),  # swapped names
    ffi.MatchRecord(),
    ffi.MatchRecord(),
]


def test_typos_and_format_variants_are_found():
    scan = ffi.DedupeScan(ROWS)
    assert isinstance(scan, ffi.DedupeScan)
    pairs = scan.pairs()
    assert [(p.left, p.right, p.rule) for p in pairs] == [(0, 1, "name_phone"), (4, 5, "name_email")]
    assert all(isinstance(p, ffi.MatchPair) and 0.9 <= p.probability <= 1 for p in pairs)
    assert all(isinstance(p.weight, float) and p.weight > 0 for p in pairs)
    # One cluster id per row: its group's smallest row.
    assert scan.cluster_ids() == [0, 0, 2, 3, 4, 4, 6, 7]
    clusters = scan.clusters()
    assert [(c.id, c.rows, c.pairs) for c in clusters] == [(0, [0, 1], 1), (4, [4, 5], 1)]
    assert all(isinstance(c, ffi.DuplicateCluster) and 0.9 <= c.min_probability <= 1 for c in clusters)
    assert scan.len() == len(ROWS)
    assert scan.candidate_pairs() >= 3  # the Maria Garcias share a name block


def test_explanations():
    scan = ffi.DedupeScan(ROWS)
    why = scan.explain(4, 5)
    assert isinstance(why, ffi.MatchExplanation)
    assert why.matched and why.names_swapped and why.rule == "name_email"
    assert why.decided_by.startswith("probability ")
    assert why.weight == pytest.approx(why.prior_weight + sum(f.weight for f in why.fields))
    fields = {f.field: f for f in why.fields}
    assert list(fields) == ["first_name", "last_name", "email", "phone", "company", "title", "city"]
    email = fields["email"]
    assert isinstance(email, ffi.FieldMatch)
    assert (email.level, email.left, email.right) == ("exact", "wei.zhang@huawei.com", "wei.zhang@huawei.com")
    assert fields["company"].right == "华为技术"  # the legal form is dropped
    assert fields["city"].level == "missing" and fields["city"].weight == 0
    assert fields["city"].left is None and fields["city"].similarity is None
    # Any two rows, compared or not.
    namesakes = scan.explain(2, 3)
    assert not namesakes.matched and namesakes.rule is None
    assert {f.field: f.level for f in namesakes.fields}["email"] == "different"


def test_blanks_never_match():
    scan = ffi.DedupeScan([ffi.MatchRecord()] * 5 + [person(company="Acme"), person(company="Acme")],
                          config_json='{"method": "either"}')
    assert scan.pairs() == []
    assert scan.cluster_ids()[:5] == [0, 1, 2, 3, 4]
    blank = scan.explain(0, 1)
    assert not blank.matched and blank.rule is None
    assert {f.level for f in blank.fields} == {"missing"}
    why = ffi.explain_match(ffi.MatchRecord(), ffi.MatchRecord(), '{"method": "rules"}')
    assert not why.matched and why.decided_by == "no rule holds"


def test_explain_match():
    a = person("Jon", "Smith", phone="+44 20 7946 0958", company="Acme Widgets Ltd")
    b = person("J.", "Smyth", phone="020 7946 0958", company="ACME WIDGETS LIMITED")
    levels = lambda why: {f.field: f.level for f in why.fields}
    us = ffi.explain_match(a, b)  # national numbers are read as US by default
    assert levels(us)["phone"] == "close"
    gb = ffi.explain_match(a, b, config_json='{"default_region": "GB"}')
    assert levels(gb) == {"first_name": "similar", "last_name": "similar", "email": "missing",
                          "phone": "exact", "company": "exact", "title": "missing", "city": "missing"}
    assert {f.field: f.left for f in gb.fields}["company"] == "acme widgets"
    swapped = ffi.explain_match(person("Garcia", "Maria", "m.garcia@acme.es"),
                                person("Maria", "García", "M.Garcia@acme.es"), '{"method": "rules"}')
    assert swapped.matched and swapped.names_swapped and swapped.decided_by == "rule name_email"


def test_model_and_blocking_are_json():
    scan = ffi.DedupeScan(ROWS)
    model = json.loads(scan.model_json())
    assert 0 < model["prior"] < 1
    assert set(model["fields"]) == {"first_name", "last_name", "email", "phone", "company", "title", "city"}
    assert all(len(w["m"]) == len(w["u"]) == 4 for w in model["fields"].values())
    # The model goes back into a configuration as it is.
    again = ffi.DedupeScan(ROWS, config_json=json.dumps({"train": False, "model": model}))
    assert [(p.left, p.right) for p in again.pairs()] == [(p.left, p.right) for p in scan.pairs()]
    blocking = json.loads(scan.blocking_json())
    assert [b["key"] for b in blocking] == ["email", "phone", "name", "last_company", "last_domain",
                                            "first_company"]
    assert set(blocking[0]) == {"key", "blocks", "pairs", "skipped_blocks", "skipped_records"}
    # A block above max_block is skipped and reported.
    crowd = [person("Ann", "Lee", f"ann{i}@x.org") for i in range(5)]
    small = ffi.DedupeScan(crowd, config_json='{"max_block": 3, "blocking": ["name"]}')
    (name,) = json.loads(small.blocking_json())
    assert (name["key"], name["skipped_blocks"], name["skipped_records"]) == ("name", 1, 5)
    assert small.candidate_pairs() == 0


def synthetic(n):
    """n people and a variant of every third one (a typo, another phone format,
    an upper-case email): enough rows (over 1,000) for the scan to train."""
    firsts = ["Anna", "Ben", "Carla", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas"]
    lasts = ["Novak", "Okafor", "Petrov", "Quinn", "Rossi", "Sato", "Tanaka", "Umar", "Vargas",
             "Weber", "Xu", "Young", "Zimmer"]
    rows = []
    for i in range(n):
        first, last = firsts[i % len(firsts)], lasts[(i // len(firsts)) % len(lasts)]
        phone = f"+1 212 555 {i:04d}"
        rows.append(person(first, f"{last}{i // 130 or ''}", f"{first}.{last}{i}@corp{i % 7}.com".lower(),
                           phone, f"Firm {i % 40} Inc."))
        if i % 3 == 0:
            rows.append(person(first[:-1] + first[-1] * 2, f"{last}{i // 130 or ''}".upper(),
                               f"{first}.{last}{i}@corp{i % 7}.com".upper(), f"(212) 555-{i:04d}",
                               f"FIRM {i % 40} LLC"))
    return rows


def test_threads_give_the_same_result():
    rows = synthetic(800)
    assert len(rows) > 1000
    one = ffi.DedupeScan(rows, threads=1)
    two = ffi.DedupeScan(rows, threads=2)
    assert one.len() == two.len() == len(rows)
    assert one.pairs() == two.pairs()
    assert one.cluster_ids() == two.cluster_ids()
    assert one.clusters() == two.clusters()
    assert one.model_json() == two.model_json()
    assert one.blocking_json() == two.blocking_json()
    assert one.candidate_pairs() == two.candidate_pairs()
    # The variants are found: every one pairs with its original.
    assert len(one.pairs()) >= 267 * 0.95
    assert one.explain(0, 1) == two.explain(0, 1) and one.explain(0, 1).matched


def fields_of(excinfo):
    assert isinstance(excinfo.value, ffi.CrmError.Validation), repr(excinfo.value)
    return excinfo.value.fields


@pytest.mark.parametrize("config, field", [
    ('{"threshold": 1.5}', "dedupe.threshold"),
    ('{"cluster_min_link": -1}', "dedupe.cluster_min_link"),
    ('{"max_block": 1}', "dedupe.max_block"),
    ('{"default_region": "ZZ"}', "dedupe.default_region"),
    ('{"rules": [{"name": "", "all": {"email": "exact"}}]}', "dedupe.rules[0]"),
    ('{"rules": [{"name": "x", "all": {"email": "missing"}}]}', "dedupe.rules[0].all"),
    ('{"treshold": 0.5}', "dedupe"),            # an unknown key
    ('{"threshold": "high"}', "dedupe"),         # a wrong type
    ('{"threshold": ', "dedupe"),                # not JSON
])
def test_config_errors_name_the_field(config, field):
    with pytest.raises(ffi.CrmError.Validation) as excinfo:
        ffi.DedupeScan(ROWS, config_json=config)
    assert fields_of(excinfo) == [field]
    with pytest.raises(ffi.CrmError.Validation) as excinfo:
        ffi.explain_match(ROWS[0], ROWS[1], config)
    assert fields_of(excinfo) == [field]


def test_bad_rows_and_threads_name_the_field():
    scan = ffi.DedupeScan(ROWS)
    with pytest.raises(ffi.CrmError.Validation) as excinfo:
        scan.explain(0, len(ROWS))
    assert fields_of(excinfo) == ["right"]
    assert excinfo.value.value == str(len(ROWS))
    with pytest.raises(ffi.CrmError.Validation) as excinfo:
        scan.explain(2**32 - 1, 0)
    assert fields_of(excinfo) == ["left"]
    with pytest.raises(ffi.CrmError.Validation) as excinfo:
        ffi.DedupeScan(ROWS, threads=0)
    assert fields_of(excinfo) == ["threads"]


def test_wrong_types_are_refused_before_the_call():
    # The generated code checks types and ranges: an unknown key, a number
    # where text goes or a negative row never reaches Rust.
    with pytest.raises(TypeError):
        ffi.MatchRecord(fax="123")
    with pytest.raises(TypeError):
        ffi.DedupeScan([ffi.MatchRecord(phone=4155550134)])
    with pytest.raises(ValueError):
        ffi.DedupeScan(ROWS).explain(-1, 0)


def test_empty_input():
    scan = ffi.DedupeScan([])
    assert (scan.len(), scan.pairs(), scan.cluster_ids(), scan.clusters(), scan.candidate_pairs()) == (
        0, [], [], [], 0)
    with pytest.raises(ffi.CrmError.Validation):
        scan.explain(0, 0)
