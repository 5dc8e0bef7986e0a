"""Runs every shared vector (tests/vectors/*.json) through the Python API."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest

import crm

from conftest import ROOT

VECTORS = sorted((ROOT / "tests" / "vectors").glob("*.json"))
TIMES = {"next_follow_up_at", "due_at", "occurred_at", "now"}
# The decimal fields of quote lines, terms lines and price lists: Decimal in Python.
DECIMALS = {"percent", "fixed", "quantity", "unit_price", "discount_percent", "discount_amount", "tax_percent"}
# The commands of quotes and payment plans, and their arguments that are days: datetime.date in Python.
PLAN_COMMANDS = {
    "split_payments", "add_quote", "set_payment_plan", "record_payment", "reach_milestone",
    "reschedule_payments", "receivables", "collected",
}
DATES = {"base", "valid_until", "on", "today", "from", "until"}
# The working calendar's pure functions, and their arguments that are instants.
CALENDAR_COMMANDS = {"calendar_add", "calendar_between"}
# The loyalty commands whose `lines` are purchase lines (amounts as Decimal).
PURCHASE_LINES = {"record_purchase", "loyalty_points"}


def canonical(value: Any) -> Any:
    """A Python result in the vectors' canonical JSON form."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, crm.Money):
        return {"amount": str(value.amount), "currency": value.currency}
    if isinstance(value, crm.RecordKey):
        return {"kind": value.kind, "id": value.id}
    if isinstance(value, crm.Share):
        grantee = {"user": value.user} if value.user is not None else {"team": value.team}
        return {"grantee": grantee, "access": value.access}
    if isinstance(value, crm.Conversion):
        return {"customer": value.customer, "contact": value.contact, "opportunity": value.opportunity}
    if isinstance(value, crm.TaskLogEntry):
        return {"at": canonical(value.at), "by": value.by, "note": value.note}
    if isinstance(value, crm.FieldChange):
        return {"field": value.field, "old": value.old, "new": value.new}
    if isinstance(value, crm.Event):
        return {
            "id": value.id, "seq": value.seq, "at": canonical(value.at), "actor": value.actor,
            "entity": canonical(value.entity), "action": value.action, "from": value.from_state,
            "to": value.to_state, "reason": value.reason, "changes": canonical(value.changes),
            "payload": value.payload,
        }
    if isinstance(value, crm.OutboxMessage):
        return {
            "id": value.id, "created_at": canonical(value.created_at), "event": value.event,
            "topic": value.topic, "record": canonical(value.record), "recipient": value.recipient,
            "payload": value.payload, "attempts": value.attempts,
            "leased_until": canonical(value.leased_until), "acked_at": canonical(value.acked_at),
        }
    if isinstance(value, crm.Absence):
        return {"from": canonical(value.from_), "until": canonical(value.until), "reason": value.reason}
    if isinstance(value, crm.Routing):
        return {
            "subject": canonical(value.subject), "owner": value.owner, "team": value.team,
            "rule": value.rule, "pool_reason": value.pool_reason, "trace": canonical(value.trace),
        }
    if isinstance(value, crm.TraceStep):
        return {"rule": value.rule, "result": value.result, "detail": value.detail, "skipped": canonical(value.skipped)}
    if isinstance(value, crm.Skipped):
        return {"user": value.user, "reason": value.reason}
    if isinstance(value, crm.DueWork):
        return {"user": value.user, "overdue": value.overdue, "items": canonical(value.items)}
    if isinstance(value, crm.DueItem):
        item = {
            "subject": canonical(value.subject), "kind": value.kind, "title": value.title,
            "due_at": canonical(value.due_at), "overdue": value.overdue,
        }
        if value.care is not None:  # as in Rust: only on care items
            item["care"] = canonical(value.care)
        return item
    if isinstance(value, crm.LevelChange):
        return {"from": value.from_, "to": value.to, "reason": value.reason}
    if isinstance(value, crm.CampaignMeasure):
        measure = canonical(value.to_dict())
        ci95 = value.rate_lift_ci95
        measure["rate_lift_ci95"] = list(ci95) if ci95 is not None else None
        return measure
    if isinstance(value, crm.Score):
        return {"score": value.score, "base": value.base, "parts": canonical(value.parts)}
    if isinstance(value, crm.ScorePart):
        return {"rule": value.rule, "points": value.points, "detail": value.detail}
    if isinstance(value, crm.RfmResult):
        return {"customers": canonical(value.customers), "skipped": canonical(value.skipped)}
    if isinstance(value, crm.RfmSkipped):
        return {"future": value.future, "refund_only": value.refund_only}
    if isinstance(value, crm.CustomerValue):
        return canonical(value.to_dict())
    if isinstance(value, crm.Installment):
        return {
            "label": value.label, "amount": canonical(value.amount), "due_date": canonical(value.due_date),
            "milestone": value.milestone, "due": value.due,
        }
    if isinstance(value, crm.PricedQuote):
        return {
            "lines": canonical(value.lines), "subtotal": canonical(value.subtotal),
            "discount": canonical(value.discount), "tax": canonical(value.tax), "total": canonical(value.total),
        }
    if isinstance(value, crm.PricedLine):
        return {
            "product": value.product, "description": value.description, "quantity": canonical(value.quantity),
            "unit_price": canonical(value.unit_price), "gross": canonical(value.gross),
            "discount": canonical(value.discount), "net": canonical(value.net),
            "tax_percent": canonical(value.tax_percent), "tax": canonical(value.tax), "total": canonical(value.total),
        }
    if isinstance(value, crm.ValueRefresh):
        return {
            "scored": value.scored, "tiers_changed": value.tiers_changed,
            "stages_changed": value.stages_changed, "batches": value.batches,
            "skipped": canonical(value.skipped),
        }
    if isinstance(value, tuple):
        opportunity, contract = value
        return {"opportunity": canonical(opportunity), "contract": canonical(contract)}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    if isinstance(value, dict):
        return {key: canonical(item) for key, item in value.items()}
    if hasattr(value, "to_dict"):
        return canonical(value.to_dict())
    raise TypeError(f"no canonical form for {type(value).__name__}")


def lookup(value: Any, path: str) -> Any:
    for segment in path.split("."):
        if isinstance(value, list):
            index = int(segment)
            value = value[index] if index < len(value) else None
        elif isinstance(value, dict):
            value = value.get(segment)
        else:
            return None
    return value


def resolve(value: Any, saved: Dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        return saved[value[1:]]
    if isinstance(value, list):
        return [resolve(item, saved) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, saved) for key, item in value.items()}
    return value


def time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def native_args(command: str, args: Dict[str, Any]) -> Dict[str, Any]:
    """The vector's JSON arguments as the Python API takes them."""
    out: Dict[str, Any] = {}
    for name, value in args.items():
        if name == "from" and command == "transfer_work":
            out["from_user"] = value  # `from` is a Python keyword
        elif name == "survivor" and command == "unmerge":
            out["kind"], out["id"] = value["kind"], value["id"]  # a record is named by kind and id
        elif name == "survivor" and command == "merge" and value is not None:
            out[name] = crm.RecordKey(value["kind"], value["id"])
        elif name == "records" and command == "merge":
            # Keys as dicts, as the vectors write them, and as (kind, id) tuples.
            out[name] = [key if at % 2 == 0 else (key["kind"], key["id"]) for at, key in enumerate(value)]
        elif name == "away" and value is not None:
            out[name] = [
                {key: time(item) if key in ("from", "until") else item for key, item in absence.items()}
                for absence in value
            ]
        elif name == "expected_amount" and value is not None:
            out[name] = crm.Money(Decimal(value["amount"]), value["currency"])
        elif name in TIMES and value is not None:
            out[name] = time(value)
        elif name == "expected_close_date" and value is not None:
            out[name] = date.fromisoformat(value)
        elif name == "purchases" and command == "score_rfm":
            out[name] = [crm.Purchase(p["customer"], time(p["at"]), Decimal(p["amount"])) for p in value]
        elif name == "as_of" and command in ("score_rfm", "refresh_customer_value") and value is not None:
            out[name] = time(value)
        elif (name, command) in (
            ("total", "split_payments"), ("amount", "record_payment"),
            ("amount", "record_purchase"), ("amount", "refund_purchase"),
        ):
            out[name] = crm.Money(Decimal(value["amount"]), value["currency"])
        elif name in ("start", "from", "to") and command in CALENDAR_COMMANDS:
            out["from_" if name == "from" else name] = time(value)  # `from` is a Python keyword
        elif name == "lines" and command in PURCHASE_LINES:
            out[name] = [{**line, "amount": Decimal(line["amount"])} for line in value]
        elif name in ("holdout_percent", "percent") and command in ("launch_campaign", "draw_holdout"):
            out[name] = Decimal(value)
        elif name == "as_of" and command == "campaign_results":
            out[name] = time(value)
        elif name == "at" and command in ("record_purchase", "record_campaign_contacts") and value is not None:
            out[name] = time(value)
        elif name == "warranty_until" and value is not None:
            out[name] = date.fromisoformat(value)
        elif name in DATES and command in PLAN_COMMANDS and value is not None:
            out["from_" if name == "from" else name] = date.fromisoformat(value)  # `from` is a Python keyword
        elif name == "terms" and command in ("split_payments", "set_payment_plan", "reschedule_payments"):
            out[name] = {**value, "lines": [decimals(line) for line in value["lines"]]}
        elif name == "lines" and command in ("price_quote", "add_quote"):
            out[name] = [decimals(line) for line in value]
        elif name == "price_list" and command in ("price_quote", "add_quote") and value is not None:
            out[name] = {**value, "prices": {product: Decimal(price) for product, price in value["prices"].items()}}
        elif command == "metric" and name in ("from", "until") and value is not None:
            out["from_" if name == "from" else name] = time(value)  # `from` is a Python keyword
        elif command == "metric" and name == "costs":
            out[name] = [{**cost, "amount": money(cost["amount"])} for cost in value]
        elif command == "metric" and name == "targets":
            out[name] = [target_args(target) for target in value]
        elif command == "customer_lifetime_value" and name == "as_of":
            out[name] = time(value)
        elif command == "customer_lifetime_value" and name == "options" and value is not None:
            out.update(value)  # months, monthly_discount: keywords in Python
        elif command == "import_rows" and name == "data":
            out["source"] = value.encode()  # the file's bytes (a path works too)
        else:
            out[name] = value
    return out


def money(value: Dict[str, str]) -> crm.Money:
    return crm.Money(Decimal(value["amount"]), value["currency"])


def target_args(target: Dict[str, Any]) -> Dict[str, Any]:
    """A sales target with its period as datetimes and its amount as ``crm.Money``."""
    out = {**target, "from": time(target["from"]), "until": time(target["until"])}
    if target.get("amount") is not None:
        out["amount"] = money(target["amount"])
    return out


def fit_clv(purchases: List[Dict[str, str]], as_of: str, options: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """The `fit_clv` command: the purchases as three columns, the model in the vectors' shape."""
    model = crm.fit_clv(
        [p["customer"] for p in purchases],
        [time(p["at"]) for p in purchases],
        [Decimal(p["amount"]) for p in purchases],
        as_of=time(as_of),
        **(options or {}),
    )
    return {"bg_nbd": model.bg_nbd, "gamma_gamma": model.gamma_gamma, "customers": model.customers.rows()}


def decimals(line: Dict[str, Any]) -> Dict[str, Any]:
    """A line of a quote or a terms template with its decimal strings as ``Decimal``."""
    return {key: Decimal(item) if key in DECIMALS and isinstance(item, str) else item for key, item in line.items()}


def dedupe(records: List[Dict[str, Any]], config: Any = None, explain: Optional[List[int]] = None) -> Dict[str, Any]:
    """The `dedupe` command: a scan, in the shape tests/vectors.rs returns."""
    result = crm.dedupe(records, config=config)
    pairs = result.pairs()
    rows: List[Dict[str, Any]] = pairs if isinstance(pairs, list) else pairs.to_pylist()
    cluster_ids = result.cluster_ids()
    return {
        "pairs": [{key: pair[key] for key in ("left", "right", "probability", "rule")} for pair in rows],
        "cluster_ids": cluster_ids if isinstance(cluster_ids, list) else cluster_ids.to_pylist(),
        "clusters": result.clusters(),
        "candidate_pairs": result.candidate_pairs,
        "explanation": result.explain(*explain) if explain is not None else None,
    }


def calendar_add(calendar: Dict[str, Any], start: datetime, minutes: int) -> datetime:
    """The `calendar_add` command: `crm.Calendar(calendar).add(start, minutes)`."""
    return crm.Calendar(calendar).add(start, minutes)


def calendar_between(calendar: Dict[str, Any], from_: datetime, to: datetime) -> int:
    """The `calendar_between` command: `crm.Calendar(calendar).between(from_, to)`."""
    return crm.Calendar(calendar).between(from_, to)


# The outbox commands: the Python API takes no actor for them.
OUTBOX = {"take_outbox", "ack_outbox"}

# The commands that are pure functions of the module, not engine commands.
FUNCTIONS: Dict[str, Callable[..., Any]] = {
    "calendar_add": calendar_add,
    "calendar_between": calendar_between,
    "score_rfm": crm.score_rfm,
    "dedupe": dedupe,
    "explain_match": crm.explain_match,
    "split_payments": crm.split_payments,
    "price_quote": crm.price_quote,
    "loyalty_points": crm.loyalty_points,
    "draw_holdout": crm.draw_holdout,
    "fit_clv": fit_clv,
}


def error_fields(err: crm.CrmError) -> Dict[str, Any]:
    fields = {"kind": err.code}
    for name in ("fields", "value", "entity", "id", "action", "expected_version", "found", "actor", "path", "reason"):
        if hasattr(err, name):
            fields[name] = getattr(err, name)
    if hasattr(err, "from_state"):
        fields["from"] = getattr(err, "from_state")
    return fields


@pytest.mark.parametrize("path", VECTORS, ids=[p.stem for p in VECTORS])
def test_vector(path: Path) -> None:
    vector = json.loads(path.read_text())
    engine = crm.Crm(now=time(vector["start"]), seed=vector["seed"], config=vector.get("config"))
    actors = {
        name: crm.Actor(spec["user"], roles=spec.get("roles", []), team=spec.get("team"), region=spec.get("region"))
        for name, spec in vector["actors"].items()
    }
    saved: Dict[str, Any] = {}
    for at, step in enumerate(vector["steps"]):
        command: str = step["do"]
        context = f"{path.name} step {at} ({command})"
        args = resolve(step.get("args", {}), saved)
        method: Callable[..., Any] = FUNCTIONS.get(command) or getattr(engine, command)
        # The outbox is the host's, not an actor's: an actor named there is not passed.
        actor: List[Any] = [actors[step["as"]]] if "as" in step and command not in OUTBOX else []

        def call() -> Any:
            # Building the arguments (crm.Money, datetimes) is part of the call:
            # a bad currency is the expected error of some steps.
            return method(*actor, **native_args(command, args))

        if "error" in step:
            with pytest.raises(crm.CrmError) as caught:
                call()
            raised = error_fields(caught.value)
            for name, expected in step["error"].items():
                assert raised.get(name) == resolve(expected, saved), f"{context}: error {name} of {caught.value!r}"
            continue
        result: Any = canonical(call())
        if not isinstance(result, (list, dict)):
            result = {"value": result}
        for key, expected in step.get("expect", {}).items():
            actual: Any = len(result) if key == "len" else lookup(result, key)
            assert actual == resolve(expected, saved), f"{context}: {key}"
        for name, where in step.get("save", {}).items():
            saved[name] = lookup(result, where)
            assert saved[name] is not None, f"{context}: nothing at {where}"


def test_every_vector_is_found() -> None:
    assert len(VECTORS) >= 4
