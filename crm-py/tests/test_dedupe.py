"""Duplicate matching from Python: ``crm.dedupe`` over a list of dicts and
over Arrow tables (pyarrow, polars, pandas), the result object, progress
reports, ``crm.explain_match`` and bad input."""

from __future__ import annotations

import random
import sys
import threading
from typing import Any, Dict, List, Optional, Tuple

import pytest

import crm

FIELDS = ["first_name", "last_name", "name", "email", "phone", "company", "title", "city"]
STAGES = {"normalise", "block", "compare", "train", "score", "cluster"}

ROWS: List[Dict[str, Optional[str]]] = [
    {"first_name": "Jonathan", "last_name": "Smith", "email": "jon.smith@acme.com", "phone": "+1 415 555 0134", "company": "Acme Inc."},
    {"first_name": "Jonathon", "last_name": "SMITH", "phone": "(415) 555-0134", "company": "ACME Incorporated"},
    {"first_name": "Maria", "last_name": "Garcia", "email": "maria@example.org", "phone": "+34 612 345 678"},
    {"first_name": "Maria", "last_name": "Garcia", "email": "mgarcia@other.org", "phone": "+34 699 999 999"},
    {"name": "Zhang Wei", "email": "WEI.ZHANG@huawei.com", "company": "华为技术"},
    {"first_name": "Wei", "last_name": "Zhang", "email": "wei.zhang@huawei.com", "company": "华为技术有限公司"},
    {},
]


def arrow() -> Any:
    return pytest.importorskip("pyarrow")


def pair_list(result: crm.DedupeResult) -> List[Dict[str, Any]]:
    """The pairs as dicts, from a pyarrow table or the list."""
    pairs = result.pairs()
    return pairs if isinstance(pairs, list) else pairs.to_pylist()


def ids(result: crm.DedupeResult) -> List[int]:
    """The cluster ids, from a pyarrow array or the list."""
    cluster_ids = result.cluster_ids()
    return cluster_ids if isinstance(cluster_ids, list) else cluster_ids.to_pylist()


def summary(result: crm.DedupeResult) -> Tuple[Any, ...]:
    return (pair_list(result), ids(result), result.clusters(), result.candidate_pairs, result.model, result.blocking)


# ----- what is found ---------------------------------------------------------------


def test_typos_formats_and_swapped_names_are_found() -> None:
    result = crm.dedupe(ROWS)
    assert len(result) == 7
    pairs = pair_list(result)
    assert [(p["left"], p["right"], p["rule"]) for p in pairs] == [(0, 1, "name_phone"), (4, 5, "name_email")]
    assert all(p["probability"] >= 0.9 and p["weight"] > 0 for p in pairs)
    assert ids(result) == [0, 0, 2, 3, 4, 4, 6]
    assert [c["rows"] for c in result.clusters()] == [[0, 1], [4, 5]]
    why = result.explain(4, 5)
    assert why["matched"] and why["names_swapped"] and why["rule"] == "name_email"
    email = why["fields"][2]
    assert email["field"] == "email" and email["level"] == "exact" and email["left"] == "wei.zhang@huawei.com"
    # The same name with another email and phone is not a duplicate.
    assert not result.explain(2, 3)["matched"]


def test_blanks_never_match() -> None:
    blank: List[Dict[str, Optional[str]]] = [{}, {}, {"email": None, "phone": ""}, {"email": "", "phone": None}]
    result = crm.dedupe(blank)
    assert pair_list(result) == []
    assert ids(result) == [0, 1, 2, 3]
    assert result.clusters() == []
    why = result.explain(0, 1)
    assert not why["matched"] and why["rule"] is None
    assert {f["level"] for f in why["fields"]} == {"missing"}
    assert all(f["weight"] == 0 for f in why["fields"])
    # A blank field is no evidence even when every other field agrees.
    alone = crm.explain_match({"first_name": "Ann", "last_name": "Lee"}, {"first_name": "Ann", "last_name": "Lee", "email": "ann@x.org"})
    assert alone["fields"][2]["level"] == "missing"


def test_rules_method_and_config_as_json_text_or_mapping() -> None:
    garcias = ROWS[2:4]
    as_text = crm.dedupe(garcias, config='{"method": "rules"}')
    as_map = crm.dedupe(garcias, config={"method": "rules"})
    assert summary(as_text) == summary(as_map)
    assert pair_list(as_map) == [] and as_map.candidate_pairs == 1
    why = as_map.explain(0, 1)
    assert why["decided_by"] == "no rule holds" and not why["matched"]


def test_result_attributes() -> None:
    result = crm.dedupe(ROWS)
    assert repr(result) == "DedupeResult(rows=7, pairs=2, clusters=2, candidate_pairs=%d)" % result.candidate_pairs
    model = result.model
    assert 0 < model["prior"] < 1
    assert set(model["fields"]) == {"first_name", "last_name", "email", "phone", "company", "title", "city"}
    assert all(len(w["m"]) == 4 and len(w["u"]) == 4 for w in model["fields"].values())
    keys = [b["key"] for b in result.blocking]
    assert keys == sorted(keys, key=["email", "phone", "name", "last_company", "last_domain", "first_company"].index)
    assert set(result.blocking[0]) == {"key", "blocks", "pairs", "skipped_blocks", "skipped_records"}
    cluster = result.clusters()[0]
    assert list(cluster) == ["id", "rows", "pairs", "min_probability"]
    assert cluster["pairs"] == 1 and cluster["min_probability"] == pair_list(result)[0]["probability"]
    # The trained (or default) model can be handed back as the configuration's.
    again = crm.dedupe(ROWS, config={"train": False, "model": model})
    assert pair_list(again) == pair_list(result)


def test_pairs_and_cluster_ids_as_arrow() -> None:
    pa = arrow()
    result = crm.dedupe(ROWS)
    table = result.pairs()
    assert isinstance(table, pa.Table)
    assert table.schema == pa.schema(
        [
            pa.field("left", pa.uint32(), nullable=False),
            pa.field("right", pa.uint32(), nullable=False),
            pa.field("probability", pa.float64(), nullable=False),
            pa.field("weight", pa.float64(), nullable=False),
            pa.field("rule", pa.string()),
        ]
    )
    cluster_ids = result.cluster_ids()
    assert isinstance(cluster_ids, pa.Array) and cluster_ids.type == pa.uint32()
    assert cluster_ids.to_pylist() == [0, 0, 2, 3, 4, 4, 6]
    # A pair without a rule has a null rule.
    weak = crm.dedupe(
        [{"first_name": "Ann", "last_name": "Lee", "email": "ann@x.org"}, {"first_name": "Anne", "last_name": "Lee", "email": "ann@x.org"}],
        config={"threshold": 0.5, "rules": [{"name": "phone", "all": {"phone": "exact"}}]},
    )
    assert weak.pairs().column("rule").to_pylist() == [None]


def test_without_pyarrow_pairs_and_ids_are_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow fails
    result = crm.dedupe(ROWS)
    pairs = result.pairs()
    assert isinstance(pairs, list)
    assert pairs[0] == {"left": 0, "right": 1, "probability": pairs[0]["probability"], "weight": pairs[0]["weight"], "rule": "name_phone"}
    assert result.cluster_ids() == [0, 0, 2, 3, 4, 4, 6]


def test_explain_match_agrees_with_the_scan() -> None:
    why = crm.explain_match(
        {"first_name": "Jon", "last_name": "Smith", "phone": "+44 20 7946 0958", "company": "Acme Widgets Ltd"},
        {"first_name": "J.", "last_name": "Smyth", "phone": "020 7946 0958", "company": "ACME WIDGETS LIMITED"},
        config={"default_region": "GB"},
    )
    assert [f["level"] for f in why["fields"]] == ["similar", "similar", "missing", "exact", "exact", "missing", "missing"]
    assert why["fields"][4]["left"] == "acme widgets"
    assert set(why) == {"probability", "weight", "prior_weight", "fields", "rule", "matched", "decided_by", "names_swapped"}
    # With the default model, explain_match compares as an untrained scan does
    # (the scan also weighs exact values by their frequency among its rows).
    scan = crm.dedupe(ROWS[:2])
    pair = crm.explain_match(ROWS[0], ROWS[1])
    assert [f["level"] for f in pair["fields"]] == [f["level"] for f in scan.explain(0, 1)["fields"]]
    assert pair["matched"] and pair["rule"] == "name_phone"


# ----- threads and progress --------------------------------------------------------

FIRST = ["James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas"]
COMPANIES = ["Acme Inc.", "Globex GmbH", "Initech LLC", "Umbrella Ltd", "Hooli", "Vandelay Industries", ""]


def people(n: int, seed: int) -> List[Dict[str, Optional[str]]]:
    """People, a fifth of them again with a typo, another format or a blank."""
    rng = random.Random(seed)
    out: List[Dict[str, Optional[str]]] = []
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        digits = f"{rng.randrange(200, 999)}{rng.randrange(1000000, 9999999)}"
        person: Dict[str, Optional[str]] = {
            "first_name": first,
            "last_name": last,
            "email": f"{first[0].lower()}.{last.lower()}{i}@example.com" if rng.random() < 0.8 else None,
            "phone": f"+1 {digits[:3]} {digits[3:6]} {digits[6:]}" if rng.random() < 0.7 else None,
            "company": rng.choice(COMPANIES) or None,
            "city": rng.choice(["Boston", "Denver", None]),
        }
        out.append(person)
        if rng.random() < 0.2:
            twin = dict(person)
            twin["first_name"] = first[:-1] + "y" if rng.random() < 0.5 else first.upper()
            if twin["phone"]:
                twin["phone"] = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
            if rng.random() < 0.3:
                twin["email"] = None
            out.append(twin)
    return out


def test_two_threads_give_the_same_result_as_one() -> None:
    data = people(1500, seed=7)  # enough rows to train the model
    config = {"u_samples": 50_000}
    one = crm.dedupe(data, config=config, threads=1)
    two = crm.dedupe(data, config=config, threads=2)
    assert len(pair_list(one)) > 100
    assert one.model != crm.dedupe(ROWS).model  # trained on the rows
    assert summary(two) == summary(one)
    assert crm.dedupe(data, config=config, threads=4).model == one.model


def test_progress_is_reported_on_the_calling_thread() -> None:
    calls: List[Tuple[str, int, int, int]] = []
    caller = threading.get_ident()
    crm.dedupe(people(1200, seed=3), config={"u_samples": 20_000}, threads=2, progress=lambda s, d, t: calls.append((s, d, t, threading.get_ident())))
    assert calls
    assert {c[0] for c in calls} <= STAGES and {"normalise", "compare", "cluster"} <= {c[0] for c in calls}
    assert all(c[3] == caller for c in calls)
    assert all(0 <= c[1] <= c[2] for c in calls)


class FakeBar:
    """What a tqdm bar offers the documented progress lambda."""

    def __init__(self) -> None:
        self.n = 0
        self.total: Optional[int] = None
        self.description = ""

    def set_description(self, desc: str) -> object:
        self.description = desc
        return None

    def reset(self, total: Optional[int] = None) -> object:
        self.n = 0
        if total is not None:
            self.total = total
        return None

    def update(self, n: int = 1) -> object:
        self.n += n
        return True


def test_progress_drives_a_tqdm_style_bar() -> None:
    bar = FakeBar()
    crm.dedupe(
        ROWS,
        progress=lambda s, d, t: (bar.set_description(s), bar.reset(t) if bar.total != t else None, bar.update(d - bar.n)),
    )
    assert bar.description == "cluster" and bar.n == bar.total


def test_an_exception_in_progress_is_raised_after_the_scan() -> None:
    calls: List[str] = []

    def progress(stage: str, done: int, total: int) -> None:
        calls.append(stage)
        raise KeyError("stop")

    with pytest.raises(KeyError, match="stop"):
        crm.dedupe(ROWS, progress=progress)
    assert calls == ["normalise"]  # not called again after it raised
    with pytest.raises(crm.ValidationError) as caught:
        crm.dedupe(ROWS, progress="tqdm")  # type: ignore[arg-type]
    assert caught.value.fields == ["progress"]


# ----- tables ----------------------------------------------------------------------


def columns(rows: List[Dict[str, Optional[str]]], names: List[str]) -> Dict[str, List[Optional[str]]]:
    return {name: [row.get(name) for row in rows] for name in names}


def test_a_pyarrow_table_or_reader_gives_the_same_result_as_dicts() -> None:
    pa = arrow()
    expected = summary(crm.dedupe(ROWS))
    table = pa.table(columns(ROWS, FIELDS))
    assert summary(crm.dedupe(table)) == expected
    batches = table.to_batches(max_chunksize=2)
    reader = pa.RecordBatchReader.from_batches(table.schema, batches)
    assert summary(crm.dedupe(reader)) == expected


def test_missing_columns_are_blank_and_others_ignored() -> None:
    pa = arrow()
    names = ["first_name", "last_name", "email", "phone"]
    expected = summary(crm.dedupe([{k: r.get(k) for k in names} for r in ROWS]))
    data: Dict[str, Any] = columns(ROWS, names)
    data["customer_id"] = [str(i) for i in range(len(ROWS))]
    data["score"] = list(range(len(ROWS)))  # not a string column, but not read
    assert summary(crm.dedupe(pa.table(data))) == expected


def test_string_columns_of_every_arrow_kind() -> None:
    pa = arrow()
    expected = summary(crm.dedupe(ROWS))
    for kind in (pa.string(), pa.large_string(), pa.string_view()):
        table = pa.table({name: pa.array(values, type=kind) for name, values in columns(ROWS, FIELDS).items()})
        assert summary(crm.dedupe(table)) == expected, kind
    encoded = pa.table({name: pa.array(values).dictionary_encode() for name, values in columns(ROWS, FIELDS).items()})
    assert summary(crm.dedupe(encoded)) == expected
    # A column with nothing but nulls (pandas gives one for an all-None column).
    nulls = pa.table({"email": pa.nulls(3), "first_name": ["a", "b", "c"], "city": pa.nulls(3).dictionary_encode()})
    assert pair_list(crm.dedupe(nulls)) == []


def test_polars_and_pandas_frames() -> None:
    expected = summary(crm.dedupe(ROWS))
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame(columns(ROWS, FIELDS))
    assert frame.schema["title"] == pl.Null  # all None: read as blanks
    assert summary(crm.dedupe(frame)) == expected
    with pytest.raises(crm.ValidationError) as caught:
        crm.dedupe(pl.DataFrame({"first_name": ["a"], "city": [1]}))
    assert caught.value.fields == ["city"]
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(columns(ROWS, FIELDS), index=[10 * i for i in range(len(ROWS))])
    assert summary(crm.dedupe(frame)) == expected


def test_a_column_that_is_not_strings_is_named() -> None:
    pa = arrow()
    table = pa.table({"first_name": ["a", "b"], "phone": [4155550134, 4155550134]})
    with pytest.raises(crm.ValidationError) as caught:
        crm.dedupe(table)
    assert caught.value.fields == ["phone"]
    assert "int64" in str(caught.value).lower()


# ----- bad input -------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, field",
    [
        ([{"first_name": "Ann"}, {"nickname": "Annie"}], "data[1].nickname"),
        ([{"email": 42}], "data[0].email"),
        ([{"first_name": "Ann"}, {}, "Ann Lee"], "data[2]"),
        ([{1: "Ann"}], "data[0]"),
        ("Ann Lee", "data"),
        ({"first_name": "Ann"}, "data"),
        (42, "data"),
    ],
)
def test_bad_records_name_the_field(data: Any, field: str) -> None:
    with pytest.raises(crm.ValidationError) as caught:
        crm.dedupe(data)
    assert caught.value.fields == [field]
    assert caught.value.code == "validation"


@pytest.mark.parametrize(
    "config, field",
    [
        ({"threshold": 1.5}, "dedupe.threshold"),
        ('{"default_region": "ZZ"}', "dedupe.default_region"),
        ({"max_block": 1}, "dedupe.max_block"),
        ({"rules": [{"name": "x", "all": {}}]}, "dedupe.rules[0]"),
        ({"colour": "blue"}, "dedupe"),
        ("{not json", "dedupe"),
        ({"threshold": float("nan")}, "dedupe"),
        (42, "dedupe"),
    ],
)
def test_bad_config_names_the_field(config: Any, field: str) -> None:
    with pytest.raises(crm.ValidationError) as caught:
        crm.dedupe(ROWS, config=config)
    assert caught.value.fields == [field]
    with pytest.raises(crm.ValidationError) as again:
        crm.explain_match({}, {}, config=config)
    assert again.value.fields == [field]


@pytest.mark.parametrize("threads", [0, -1])
def test_bad_threads(threads: int) -> None:
    with pytest.raises(crm.ValidationError) as caught:
        crm.dedupe(ROWS, threads=threads)
    assert caught.value.fields == ["threads"]


def test_explain_out_of_range_names_the_row() -> None:
    result = crm.dedupe([{}, {}])
    with pytest.raises(crm.ValidationError) as caught:
        result.explain(0, 2)
    assert caught.value.fields == ["right"] and caught.value.value == "2"
    with pytest.raises(crm.ValidationError) as caught:
        result.explain(-1, 0)
    assert caught.value.fields == ["left"]


def test_explain_match_bad_records_name_the_field() -> None:
    with pytest.raises(crm.ValidationError) as caught:
        crm.explain_match({"first_name": "Ann"}, {"surname": "Lee"})
    assert caught.value.fields == ["b.surname"]
    with pytest.raises(crm.ValidationError) as caught:
        crm.explain_match({"phone": 4155550134}, {})  # type: ignore[dict-item]
    assert caught.value.fields == ["a.phone"]
    with pytest.raises(crm.ValidationError) as caught:
        crm.explain_match(["Ann"], {})  # type: ignore[arg-type]
    assert caught.value.fields == ["a"]
