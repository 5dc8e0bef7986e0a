"""Runs a shared test vector through the Python module that uniffi generates
for crm-ffi (not the PyO3 package): the parity check of the FFI layer itself."""

import datetime
import enum
import json
from decimal import Decimal
from pathlib import Path

import crm_ffi as ffi

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"

_ANY_RECORD_KINDS = ("CUSTOMER", "CONTACT", "LEAD", "OPPORTUNITY", "CONTRACT",
                     "TICKET", "ACTIVITY", "TASK", "USER", "TEAM", "POINTS_ENTRY", "CAMPAIGN")


# Aging's buckets read `days_1_to_30` in the binding, `days_1_30` in the canonical form.
_AGING_BUCKETS = {"days_1_to_30": "days_1_30", "days_31_to_60": "days_31_60", "days_61_to_90": "days_61_90"}


def canonical(value):
    """A result in the canonical form of tests/vectors/README.md."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        # As its shortest text, the way the vectors write it: 0.3333333333333333
        # (a Decimal here) is then equal to the float the core computed.
        return Decimal(repr(value))
    if isinstance(value, ffi.MetricValue):  # a metric's cell: its value; decimals stay strings
        return None if value.is_NULL() else canonical(value.value)
    if isinstance(value, ffi.RfmTier):  # tiers keep their capital: RfmTier.A -> "A"
        return value.name
    if isinstance(value, enum.Enum):  # StepResult.NOT_MATCHED -> "not_matched"
        return value.name.lower()
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, list):
        return [canonical(item) for item in value]
    if isinstance(value, dict):  # a result the runner assembled (`dedupe`)
        return {key: canonical(item) for key, item in value.items()}
    for kind in _ANY_RECORD_KINDS:
        if isinstance(value, getattr(ffi.AnyRecord, kind)):
            return {**canonical(value.record), "entity": kind.lower()}
    if isinstance(value, ffi.Grantee.USER):
        return {"user": value.id}
    if isinstance(value, ffi.Grantee.TEAM):
        return {"team": value.id}
    out = {}
    for name, field in vars(value).items():
        key = name.lstrip("_")  # `_from` is Python's spelling of `from`
        key = _AGING_BUCKETS.get(key, key)
        if key.endswith("_json"):
            out[key[: -len("_json")]] = None if field is None else json.loads(field)
        else:
            out[key] = canonical(field)
    return out


def error_json(err):
    """The error as the vectors describe it."""
    fields = {k.lstrip("_"): v for k, v in vars(err).items() if not k.startswith("__")}
    kinds = {
        ffi.CrmError.Validation: "validation",
        ffi.CrmError.InvalidTransition: "invalid_transition",
        ffi.CrmError.NotFound: "not_found",
        ffi.CrmError.Conflict: "conflict",
        ffi.CrmError.Forbidden: "forbidden",
        ffi.CrmError.Storage: "storage",
        ffi.CrmError.Config: "config",
    }
    fields["kind"] = kinds[type(err)]
    return fields


def _money(value):
    return None if value is None else ffi.Money(amount=value["amount"], currency=value["currency"])


def _time(value):
    return None if value is None else datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _absences(values):
    return [ffi.Absence(_from=_time(v["from"]), until=_time(v["until"]), reason=v.get("reason"))
            for v in values or []]


def _purchases(values):
    # Amounts are decimal strings in the vectors; a number (a Decimal here) goes as its text.
    return [ffi.Purchase(customer=v["customer"], at=_time(v["at"]), amount=str(v["amount"]))
            for v in values]


def _match_record(value):
    # A record is an object of the MatchRecord fields (an unknown key is a
    # TypeError here: the generated record takes only its own fields).
    return ffi.MatchRecord(**value)


def _quote_line(value):
    # A line is an object of the QuoteLine fields (an unknown key is a
    # TypeError here); decimals are strings (a number goes as its text).
    text = ("product", "description")
    return ffi.QuoteLine(**{k: v if v is None or k in text else str(v) for k, v in value.items()})


def _purchase_line(value):
    # A line is an object of the PurchaseLine fields (an unknown key is a
    # TypeError here); the amount is a decimal string (a number goes as its text).
    return ffi.PurchaseLine(**{k: str(v) if k == "amount" else v for k, v in value.items()})


def _key(value):
    return None if value is None else ffi.RecordKey(kind=value["kind"], id=value["id"])


def _dedupe_config(a):
    # Decimals (the vector's JSON numbers with a fraction) go back as numbers.
    config = a.get("config")
    return None if config is None else json.dumps(config, default=float)


def _dedupe(a):
    """The `dedupe` command's result, as tests/vectors.rs builds it."""
    scan = ffi.DedupeScan(records=[_match_record(r) for r in a["records"]],
                          config_json=_dedupe_config(a))
    explain = a.get("explain")
    return {
        "pairs": [{"left": p.left, "right": p.right, "probability": p.probability, "rule": p.rule}
                  for p in scan.pairs()],
        "cluster_ids": scan.cluster_ids(),
        "clusters": scan.clusters(),
        "candidate_pairs": scan.candidate_pairs(),
        "explanation": None if explain is None else scan.explain(explain[0], explain[1]),
    }


def _scope(value):
    """A vector's scope ("all", {"user": id}, {"team": id}, {"region": name}) as a MetricScope."""
    if value is None:
        return None
    if value == "all":
        return ffi.MetricScope.ALL()
    (kind, name), = value.items()
    if kind == "region":
        return ffi.MetricScope.REGION(name=name)
    return {"user": ffi.MetricScope.USER, "team": ffi.MetricScope.TEAM}[kind](id=name)


def _clv_options(options):
    """A vector's CLV options ({months, monthly_discount}) as keyword arguments."""
    options = options or {}
    out = {}
    if "months" in options:
        out["months"] = options["months"]
    if "monthly_discount" in options:
        out["monthly_discount"] = float(options["monthly_discount"])
    return out


def _grantee(a):
    if a.get("user") is not None and a.get("team") is None:
        return ffi.Grantee.USER(id=a["user"])
    if a.get("team") is not None and a.get("user") is None:
        return ffi.Grantee.TEAM(id=a["team"])
    raise ValueError("name a user or a team")


def run_command(crm, command, actor, a):
    """One step's command through the generated Python API."""
    if command == "advance_clock":
        return crm.advance_clock(minutes=a.get("minutes", 0), hours=a.get("hours", 0), days=a.get("days", 0))
    if command == "save_team":
        return crm.save_team(actor, ffi.TeamInput(id=a["id"], name=a["name"], region=a.get("region"),
                                                  supervisor=a.get("supervisor")))
    if command == "save_user":
        return crm.save_user(actor, ffi.UserInput(
            id=a["id"], name=a["name"], email=a.get("email"), team=a.get("team"), region=a.get("region"),
            roles=a.get("roles", []), active=a.get("active", True), away=_absences(a.get("away"))))
    if command == "create_customer":
        return crm.create_customer(actor, ffi.NewCustomer(
            name=a["name"], kind=a.get("kind"), owner=a.get("owner"), region=a.get("region"),
            industry=a.get("industry"), phone=a.get("phone"), email=a.get("email"), tags=a.get("tags", []),
            time_zone=a.get("time_zone")))
    if command == "add_contact":
        return crm.add_contact(actor, ffi.NewContact(
            customer=a["customer"], name=a["name"], title=a.get("title"),
            phones=a.get("phones", []), emails=a.get("emails", [])))
    if command == "create_lead":
        keys = ("source", "channel", "campaign", "company", "contact_name", "title", "phone", "email", "region",
                "product_line", "owner", "team", "quality_score")
        return crm.create_lead(actor, ffi.NewLead(**{k: a.get(k) for k in keys}))
    if command == "log_activity":
        return crm.log_activity(actor, ffi.NewActivity(
            subject=ffi.RecordKey(kind=a["subject_kind"], id=a["subject_id"]), kind=a["kind"],
            summary=a["summary"], next_follow_up_at=_time(a.get("next_follow_up_at"))))
    if command == "convert_lead":
        return crm.convert_lead(actor, a["id"], ffi.ConvertLeadOptions(
            into_customer=a.get("into_customer"), create_opportunity=a.get("create_opportunity", True),
            opportunity_name=a.get("opportunity_name"), expected_amount=_money(a.get("expected_amount")),
            allow_duplicate=a.get("allow_duplicate", False)))
    if command == "create_opportunity":
        return crm.create_opportunity(actor, ffi.NewOpportunity(
            customer=a["customer"], name=a["name"], owner=a.get("owner"), product_line=a.get("product_line"),
            expected_amount=_money(a.get("expected_amount")), expected_close_date=a.get("expected_close_date")))
    if command == "advance_opportunity":
        return crm.advance_opportunity(actor, a["id"], a.get("to"))
    if command == "open_ticket":
        return crm.open_ticket(actor, ffi.NewTicket(
            subject=a["subject"], priority=a.get("priority"), category=a.get("category"),
            channel=a.get("channel"), customer=a.get("customer"), group=a.get("group"),
            contract=a.get("contract"), order=a.get("order"), warranty_until=a.get("warranty_until")))
    if command == "create_task":
        return crm.create_task(actor, ffi.NewTask(
            title=a["title"], description=a.get("description"), priority=a.get("priority"),
            assignee=a.get("assignee"), team=a.get("team"), due_at=_time(a.get("due_at"))))
    # The service desk: working calendars (an object over the calendar JSON), SLA, surveys.
    if command == "calendar_add":  # no engine, no actor
        return ffi.Calendar(json.dumps(a["calendar"])).add(_time(a["start"]), a["minutes"])
    if command == "calendar_between":
        return ffi.Calendar(json.dumps(a["calendar"])).between_minutes(_time(a["from"]), _time(a["to"]))
    if command == "escalate":
        return crm.escalate(actor, _time(a.get("now")))
    if command == "ticket_sla":
        return crm.ticket_sla(actor, a["id"], _time(a.get("now")))
    if command == "answer_survey":
        return crm.answer_survey(actor, a["id"], ffi.SurveyAnswer(
            csat=a.get("csat"), nps=a.get("nps"), feedback=a.get("feedback"), comment=a.get("comment")))
    if command == "transition":
        return crm.transition(actor, a["kind"], a["id"], a["action"], ffi.TransitionOptions(
            to=a.get("to"), reason=a.get("reason"), expected_version=a.get("expected_version")))
    if command == "update":
        return crm.update(actor, a["kind"], a["id"], a["expected_version"], json.dumps(a["fields"]))
    if command == "share":
        return crm.share(actor, a["kind"], a["id"], _grantee(a), a["access"])
    if command == "unshare":
        return crm.unshare(actor, a["kind"], a["id"], _grantee(a))
    if command in ("get", "history"):
        return getattr(crm, command)(actor, a["kind"], a["id"])
    if command == "list":
        return crm.list(actor, a["kind"], ffi.ListOptions(
            owner=a.get("owner"), status=a.get("status"), limit=a.get("limit")))
    if command == "take_outbox":
        return crm.take_outbox(a["limit"])
    if command == "ack_outbox":
        return crm.ack_outbox(a["ids"])
    if command == "route":
        return crm.route(actor, a["kind"], a["ids"])
    if command == "route_lead":
        return crm.route_lead(actor, a["id"])
    if command in ("route_pool", "pool"):
        return getattr(crm, command)(actor, a["kind"], a.get("team"))
    if command == "claim":
        return crm.claim(actor, a["kind"], a["id"])
    if command == "release":
        return crm.release(actor, a["kind"], a["id"], a["reason"])
    if command in ("due_work", "reclaim_overdue"):
        return getattr(crm, command)(actor, _time(a.get("now")))
    if command == "transfer_work":
        return crm.transfer_work(actor, a["from"], a["reason"], a.get("to"))
    if command == "score_lead":
        return crm.score_lead(actor, a["id"])
    if command == "refresh_customer_value":
        return crm.refresh_customer_value(actor, _time(a.get("as_of")))
    if command == "score_rfm":  # a free function: no engine, no actor
        config = a.get("config")
        # Decimals (JSON numbers with a fraction) go back as strings, which
        # the RFM config reads exactly wherever it takes a decimal.
        return ffi.score_rfm(_purchases(a["purchases"]), _time(a["as_of"]),
                             None if config is None else json.dumps(config, default=str))
    if command == "split_payments":  # quotes and payment terms: free functions, no actor
        # The template goes as JSON text (decimals in it are strings already;
        # a JSON number, a Decimal here, goes as its text, which the core reads).
        return ffi.split_payments(_money(a["total"]), json.dumps(a["terms"], default=str), base=a.get("base"))
    if command == "price_quote":
        price_list = a.get("price_list")
        return ffi.price_quote([_quote_line(line) for line in a["lines"]], a["currency"],
                               price_list_json=None if price_list is None else json.dumps(price_list, default=str))
    # Quote versions and payment plans in the engine: templates and price lists as JSON text.
    if command == "add_quote":
        price_list = a.get("price_list")
        return crm.add_quote(actor, a["opportunity"], ffi.QuoteInput(
            lines=[_quote_line(line) for line in a["lines"]], currency=a.get("currency"),
            price_list_json=None if price_list is None else json.dumps(price_list, default=str),
            valid_until=a.get("valid_until"), note=a.get("note")))
    if command == "accept_quote":
        return crm.accept_quote(actor, a["opportunity"], a["version"])
    if command == "set_payment_plan":
        return crm.set_payment_plan(actor, a["contract"], json.dumps(a["terms"], default=str), base=a.get("base"))
    if command == "record_payment":
        return crm.record_payment(actor, a["contract"], ffi.PaymentInput(
            id=a["id"], amount=_money(a["amount"]), on=a.get("on"), to=a.get("to")))
    if command == "reverse_payment":
        return crm.reverse_payment(actor, a["contract"], a["id"], a["reason"])
    if command == "write_off_installment":
        return crm.write_off_installment(actor, a["contract"], a["installment"], a["reason"])
    if command == "reach_milestone":
        return crm.reach_milestone(actor, a["contract"], a["event"], on=a.get("on"))
    if command == "reschedule_payments":
        return crm.reschedule_payments(actor, a["contract"], json.dumps(a["terms"], default=str), a["reason"],
                                       base=a.get("base"))
    if command == "receivables":
        return crm.receivables(actor, a["today"], customer=a.get("customer"))
    if command == "collected":
        return crm.collected(actor, a["from"], a["until"])
    if command == "dedupe":  # duplicate matching: no engine, no actor
        return _dedupe(a)
    if command == "explain_match":
        return ffi.explain_match(_match_record(a["a"]), _match_record(a["b"]), _dedupe_config(a))
    # Duplicates in the store: the record as for `dedupe`, keys as RecordKeys.
    if command == "find_duplicates":
        return crm.find_duplicates(actor, _match_record(a["record"]))
    if command == "merge":
        return crm.merge(actor, ffi.MergeInput(
            records=[_key(k) for k in a["records"]], survivor=_key(a.get("survivor")),
            rule=a.get("rule"), reason=a["reason"]))
    if command == "unmerge":
        survivor = a["survivor"]
        return crm.unmerge(actor, survivor["kind"], survivor["id"], a["reason"], event=a.get("event"))
    # Loyalty: the points ledger, care, campaigns (segments as JSON text, decimals as strings).
    if command == "record_purchase":
        return crm.record_purchase(actor, ffi.PurchaseInput(
            customer=a["customer"], reference=a["reference"], amount=_money(a["amount"]), at=_time(a.get("at")),
            lines=[_purchase_line(line) for line in a.get("lines", [])], campaign=a.get("campaign")))
    if command == "refund_purchase":
        return crm.refund_purchase(actor, a["customer"], a["reference"], _money(a["amount"]))
    if command == "redeem_points":
        return crm.redeem_points(actor, a["customer"], a["points"], a["reward"], reference=a.get("reference"))
    if command == "adjust_points":
        return crm.adjust_points(actor, a["customer"], a["points"], a["reason"])
    if command == "award_bonus":
        return crm.award_bonus(actor, a["customer"], a["event"], reference=a.get("reference"))
    if command == "points_entries":
        return crm.points_entries(actor, a["customer"])
    if command == "review_loyalty":
        return crm.review_loyalty(actor, _time(a.get("now")))
    if command == "act_on_care":
        return crm.act_on_care(actor, a["customer"], a["rule"], a["kind"], a["summary"])
    if command == "launch_campaign":
        return crm.launch_campaign(actor, ffi.CampaignInput(
            name=a["name"], action=a.get("action"), segment_json=json.dumps(a["segment"], default=str),
            holdout_percent=str(a["holdout_percent"]), seed=a["seed"], window_days=a["window_days"]))
    if command == "record_campaign_contacts":
        return crm.record_campaign_contacts(actor, a["campaign"], a["customers"], _time(a.get("at")))
    if command == "campaign_results":
        return crm.campaign_results(actor, a["campaign"], _time(a.get("as_of")))
    if command == "loyalty_points":  # loyalty's free functions: no engine, no actor
        return ffi.loyalty_points(json.dumps(a["program"], default=str),
                                  [_purchase_line(line) for line in a["lines"]],
                                  level=a.get("level"), campaign=a.get("campaign"))
    if command == "draw_holdout":
        return ffi.draw_holdout(a["n"], str(a["percent"]), a["seed"])
    # Analytics: the metric's query is the step's arguments, as JSON text (a
    # Decimal, a JSON number with a fraction, goes back as a number).
    if command == "metric":
        return crm.metric(actor, json.dumps(a, default=float))
    if command == "customer_lifetime_value":
        return crm.customer_lifetime_value(actor, _time(a.get("as_of")), scope=_scope(a.get("scope")),
                                           **_clv_options(a.get("options")))
    if command == "fit_clv":  # a free function: no engine, no actor
        return ffi.fit_clv(_purchases(a["purchases"]), _time(a["as_of"]), **_clv_options(a.get("options")))
    if command == "import_rows":  # the spec as JSON text, the file's text as bytes
        return crm.import_rows(actor, json.dumps(a["spec"]), data=a["data"].encode())
    # The commands that take an id and, at most, one more string argument.
    second = {"assign_lead": "owner", "discard_lead": "reason", "lose_opportunity": "reason",
              "terminate_contract": "reason", "assign_ticket": "assignee", "resolve_ticket": "resolution",
              "reopen_ticket": "reason", "reject_task": "reason", "cancel_task": "reason",
              "add_task_note": "note"}
    by_id = {"qualify_lead", "win_opportunity", "sign_contract", "activate_contract", "complete_contract",
             "start_ticket", "await_customer", "customer_replied", "close_ticket", "start_task",
             "submit_task", "approve_task"}
    if command == "transfer_ticket":
        return crm.transfer_ticket(actor, a["id"], a["group"], a["reason"])
    if command in second:
        return getattr(crm, command)(actor, a["id"], a[second[command]])
    if command in by_id:
        return getattr(crm, command)(actor, a["id"])
    raise ValueError(f"unknown command `{command}` in a vector")


def _lookup(value, path):
    for segment in path.split("."):
        if isinstance(value, list):
            value = value[int(segment)] if segment.isdigit() and int(segment) < len(value) else None
        elif isinstance(value, dict):
            value = value.get(segment)
        else:
            return None
    return value


def _resolve(value, saved):
    if isinstance(value, str) and value.startswith("$"):
        return saved[value[1:]]
    if isinstance(value, list):
        return [_resolve(v, saved) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, saved) for k, v in value.items()}
    return value


def run_vector(path: Path):
    """Runs every step of one vector file; raises AssertionError at the first mismatch."""
    text = path.read_text()
    vector = json.loads(text, parse_float=Decimal)
    # The configuration goes back to JSON as written (numbers as floats, not Decimals).
    config = json.loads(text).get("config")
    crm = ffi.Crm(now=_time(vector["start"]), seed=vector["seed"],
                  config_json=None if config is None else json.dumps(config))
    actors = {
        name: ffi.Actor(user=spec["user"], roles=spec.get("roles", []), team=spec.get("team"),
                        region=spec.get("region"))
        for name, spec in vector["actors"].items()
    }
    saved = {}
    for at, step in enumerate(vector["steps"]):
        command = step["do"]
        context = f"{path.name} step {at} ({command})"
        actor = actors[step["as"]] if "as" in step else None
        args = _resolve(step.get("args", {}), saved)
        try:
            result = run_command(crm, command, actor, args)
        except ffi.CrmError as err:
            assert "error" in step, f"{context}: unexpected error {err!r}"
            actual = error_json(err)
            for field, want in step["error"].items():
                assert actual.get(field) == _resolve(want, saved), f"{context}: error {field} of {actual}"
            continue
        assert "error" not in step, f"{context}: expected error {step['error']}, got {result!r}"
        value = canonical(result)
        if not isinstance(value, (list, dict)):
            value = {"value": value}
        for path_, want in step.get("expect", {}).items():
            actual = len(value) if path_ == "len" else _lookup(value, path_)
            assert actual == _resolve(want, saved), f"{context}: {path_}"
        for name, path_ in step.get("save", {}).items():
            saved[name] = _lookup(value, path_)
            assert saved[name] is not None, f"{context}: nothing at {path_}"
