"""crm: an embeddable CRM engine.

The rules a CRM lives by (lead, deal, contract, ticket, task and customer
lifecycles; who may see and change what; an event for every change; an outbox
of side effects) from Python, over the same Rust core as every other binding.

>>> from datetime import datetime, timezone
>>> import crm
>>> engine = crm.Crm(now=datetime(2026, 1, 5, 9, tzinfo=timezone.utc), seed=1)
>>> ana = crm.Actor("ana", roles=["sales"])
>>> lead = engine.create_lead(ana, company="Acme GmbH", contact_name="Jo Doe", owner="ana")
>>> engine.qualify_lead(ana, lead.id).status
'qualified'
>>> [event.action for event in engine.history(ana, "lead", lead.id)]
['create', 'qualify']

``crm.Crm()`` keeps everything in memory; ``crm.open("crm.db")`` keeps it in
an SQLite file and ``crm.open("postgres://...")`` in PostgreSQL.
Both take ``config=``: the engine's configuration (assignment rules, lead
scoring, lifecycles, access policy, ...) as a dict or a str of JSON.

Money is ``decimal.Decimal`` (``crm.Money``), never float; times are
timezone-aware ``datetime`` objects (a naive one is refused).

Customer value (RFM: recency, frequency, monetary, with scores, segments,
tiers and activity signals) is a pure function: ``crm.score_rfm(purchases,
as_of)`` over rows, ``crm.score_rfm_frame(table, as_of=...)`` over any Arrow
table (pyarrow, polars, pandas, duckdb, ...) without a Python object per row,
and ``crm.rfm_aggregate`` / ``crm.score_rfm_aggregates`` for partitioned jobs.
In the engine, ``Crm.refresh_customer_value(actor)`` scores the customers from
their signed contracts and writes tiers and lifecycle stages back.

Duplicate matching is a pure function too: ``crm.dedupe(records)`` over a
list of dicts (``first_name``, ``last_name``, ``name``, ``email``, ``phone``,
``company``, ``title``, ``city``) or any Arrow table finds the pairs that match
(typos, formats, swapped names; a blank field never matches), clusters them
and explains any pair (``result.explain(0, 1)``); ``crm.explain_match(a, b)``
explains two records without a scan. ``progress=lambda stage, done, total:
...`` follows a long scan, ``threads=`` spreads it. In the engine,
``Crm.find_duplicates(actor, record)`` checks one record against the stored
customers, contacts and leads (through the store's index, no scan),
``Crm.merge(actor, records, reason=...)`` merges a group into a survivor and
``Crm.unmerge(actor, kind, id, reason=...)`` undoes it.

Quotes and payment terms are pure functions as well.
``crm.split_payments(total, terms, base=None)`` splits a ``crm.Money`` by a
terms template (a dict or a str of JSON: percent or fixed lines, each due some
days after ``base``, at the end of a month, on a day of the next month, or
after a milestone) into ``crm.Installment`` objects whose amounts always sum to
the total, in whole minor units of its currency; ``crm.reach_milestone(plan,
event, on)`` dates those that wait for an event. ``crm.price_quote(lines,
currency, price_list=None)`` prices quote lines (dicts with ``product``,
``quantity``, ``unit_price`` or a price list, a discount and ``tax_percent``,
all ``Decimal``) into a ``crm.PricedQuote`` rounded per line.

>>> from datetime import date
>>> terms = {"name": "30/70", "lines": [
...     {"label": "down payment", "percent": 30, "due": {"days_after": 0}},
...     {"label": "on acceptance", "percent": 70,
...      "due": {"milestone": {"event": "delivery_accepted", "plus_days": 30}}}]}
>>> plan = crm.split_payments(crm.Money("1000.00", "EUR"), terms, base=date(2026, 1, 15))
>>> [(i.amount.amount, i.due_date) for i in plan]
[(Decimal('300.00'), datetime.date(2026, 1, 15)), (Decimal('700.00'), None)]
>>> crm.reach_milestone(plan, "delivery_accepted", date(2026, 2, 2))[1].due_date
datetime.date(2026, 3, 4)

Quote versions and payment plans live on the engine's records.
``Crm.add_quote(actor, deal_id, lines, currency=None, price_list=None,
valid_until=None, note=None)`` adds a version of a deal's quote, priced as
``price_quote`` prices it (``deal.quotes``: ``crm.QuoteVersion`` objects, the
earlier ones superseded); ``Crm.accept_quote(actor, deal_id, version)`` makes
its total the deal's amount, and winning the deal makes a contract of it
(``contract.amount``, ``contract.quote_version``, ``contract.lines``).
``Crm.set_payment_plan(actor, contract_id, terms, base=None)`` splits the
contract by a terms template into a ``crm.PaymentPlan``
(``contract.payment_plan``: ``crm.PlanLine`` installments, ``crm.Payment``
objects, the credit, the milestones reached; ``total``, ``paid``,
``outstanding``, ``is_settled``); signing the contract dates the installments
waiting for ``contract_signed``. ``record_payment(actor, contract_id, id,
amount, on=None, to=None)``, ``reverse_payment``, ``write_off_installment``
(the configured ``write_off_roles`` only), ``reach_milestone`` and
``reschedule_payments`` change it, each with its event, and a paid contract
whose delivery was accepted completes itself. ``Crm.receivables(actor,
today=...)`` ages what each contract is owed (``crm.Receivable``,
``crm.Aging``); ``Crm.collected(actor, from_, until)`` sums what came in per
owner (``crm.Collected``). Days are ``datetime.date``, amounts ``crm.Money``;
under the default policy contract changes need a supervisor or an admin.

>>> from decimal import Decimal
>>> root = crm.Actor("root", roles=["admin"])
>>> engine = crm.Crm(now=datetime(2026, 3, 2, 9, tzinfo=timezone.utc), seed=1)
>>> deal = engine.create_opportunity(root, engine.create_customer(root, "Acme").id, "Seats")
>>> seats = {"product": "seat", "quantity": 10, "unit_price": Decimal("100"), "tax_percent": 0}
>>> deal = engine.accept_quote(root, engine.add_quote(root, deal.id, [seats], currency="EUR").id, 1)
>>> _, contract = engine.win_opportunity(root, engine.advance_opportunity(root, deal.id).id)
>>> contract.amount, contract.quote_version
(Money('1000.00', 'EUR'), 1)
>>> contract = engine.set_payment_plan(root, contract.id, terms)
>>> contract = engine.record_payment(root, contract.id, "bank-1", crm.Money("300.00", "EUR"))
>>> [(line.label, line.due_date, line.open.amount) for line in contract.payment_plan.installments]
[('down payment', datetime.date(2026, 3, 2), Decimal('0.00')), ('on acceptance', None, Decimal('700.00'))]
>>> engine.receivables(root)[0].outstanding
Money('700.00', 'EUR')

The service desk
----------------

``crm.Calendar(calendar)`` is a working calendar, from a dict or a str of
JSON: a time zone, working intervals per weekday (a lunch break is a gap) and
holidays. ``add(start, minutes)`` gives the instant so many working minutes
later, ``between(from_, to)`` the working minutes between two instants,
``is_working(at)`` whether an instant is working time, ``to_dict()`` the
calendar back; ``add_many`` and ``between_many`` do the same over columns
(lists, pandas Series; ``None`` in, ``None`` out). Everything is exact across
weekends, holidays and daylight-saving changes; a bad calendar raises
``crm.ValidationError`` naming the field (``time_zone``, ``hours.mon[0]``).

>>> office = crm.Calendar({"time_zone": "Europe/Berlin",
...     "hours": {"mon-fri": [["09:00", "12:00"], ["13:00", "17:00"]]},
...     "holidays": [date(2026, 4, 3)]})
>>> thursday = datetime(2026, 4, 2, 14, tzinfo=timezone.utc)  # 16:00 in Berlin
>>> office.add(thursday, 120)  # one hour on Thursday; Good Friday off; one on Monday
datetime.datetime(2026, 4, 6, 8, 0, tzinfo=datetime.timezone.utc)
>>> office.between(thursday, datetime(2026, 4, 6, 8, tzinfo=timezone.utc))
120

In the engine, ``config={"sla": ...}`` names calendars, SLA policies (first
response and resolution targets in working minutes, by priority, category,
tier or customer), escalation steps and surveys. ``Crm.open_ticket`` then
routes the ticket by the assignment rules and puts the policy's clocks on it
(``ticket.sla``: a ``crm.TicketSla`` of ``crm.TargetClock`` objects); they
pause while the ticket awaits the customer. ``Crm.ticket_sla(actor, id)``
reports each target (``crm.TargetState``), ``Crm.escalate(actor)`` applies the
steps due (``crm.TicketEscalation``: notify the assignee or supervisor, or
give the ticket to the supervisor), and closing a ticket schedules its survey
(``ticket.survey``, a ``crm.Survey``); ``Crm.answer_survey(actor, id,
csat=..., nps=..., feedback=..., comment=...)`` records the answer, and a low
score or a complaint creates a follow-up task. ``due_work`` lists the desk's
items (kinds ``"sla"``, ``"escalation"``, ``"survey"``), and
``Crm.create_task(actor, title, team=...)`` without an assignee makes a
department's task.

>>> sla = {"calendars": {"office": office.to_dict()},
...        "policies": [{"name": "urgent", "priority": "urgent", "calendar": "office",
...                      "first_response_minutes": 30, "resolution_minutes": 240}],
...        "escalation": [{"at_percent": 100, "action": "notify_assignee"}]}
>>> engine = crm.Crm(now=datetime(2026, 3, 2, 7, tzinfo=timezone.utc), seed=1, config={"sla": sla})
>>> leak = engine.open_ticket(root, "Press 4 leaks oil", priority="urgent")
>>> leak.sla.clocks[0].due_at
datetime.datetime(2026, 3, 2, 8, 30, tzinfo=datetime.timezone.utc)
>>> [(s.target, s.status, s.remaining_minutes)
...  for s in engine.ticket_sla(root, leak.id, now=datetime(2026, 3, 2, 8, 40, tzinfo=timezone.utc))]
[('first_response', 'breached', -10), ('resolution', 'running', 200)]
>>> engine.escalate(root, now=datetime(2026, 3, 2, 8, 40, tzinfo=timezone.utc))[0].target
'first_response'

Loyalty
-------

``config={"loyalty": ...}`` sets up a loyalty program: earn rules (a rate per
amount, by product or category, or a multiplier by level or campaign),
bonuses, expiry, levels with their benefits (a quote discount, a ticket
priority, free services) and care rules. ``Crm.record_purchase(actor,
customer, reference, amount, lines=[{"category": ..., "amount": Decimal}])``
credits what a purchase earns (``crm.PointsPosting``: the customer with its
``crm.Membership`` in ``customer.loyalty``, the ``crm.PointsEntry`` ledger
entries, the ``crm.Earning``, a ``crm.LevelChange``); ``refund_purchase``,
``redeem_points``, ``adjust_points`` (the program's ``adjust_roles`` only)
and ``award_bonus`` move points too, ``points_entries`` lists the ledger and
``review_loyalty`` expires points and applies downgrades. Care items come due
in ``due_work`` (kind ``"care"``, ``item.care`` a ``crm.CareDue``);
``act_on_care`` logs the activity and marks them handled.
``Crm.launch_campaign(actor, name, segment, holdout_percent=..., seed=...,
window_days=...)`` targets the customers matching a condition (a dict) and
holds out a seeded share of them (``crm.draw_holdout(n, percent, seed)``
draws the same), ``record_campaign_contacts`` records the treated contacted
(the holdout may not be), and ``campaign_results`` measures the lift
(``crm.CampaignMeasure``). Points are ``int``, amounts ``Decimal``, rates
``float``. ``crm.loyalty_points(program, lines)`` prices points without an
engine.

>>> program = {"currency": "EUR", "bonuses": {"first_purchase": 50},
...            "earn": [{"name": "base", "per": "1.00", "points": 1},
...                     {"name": "coffee", "category": "coffee", "per": "1.00", "points": 3}]}
>>> engine = crm.Crm(now=datetime(2026, 1, 5, 9, tzinfo=timezone.utc), seed=1, config={"loyalty": program})
>>> mia = engine.create_customer(root, "Mia Rossi", kind="person", time_zone="Europe/Rome")
>>> posting = engine.record_purchase(root, mia.id, "A-1", crm.Money("120.50", "EUR"),
...     lines=[{"category": "coffee", "amount": Decimal("20.50")}, {"category": "mugs", "amount": Decimal("100.00")}])
>>> posting.earning
Earning(points=161, base=Decimal('161.50'), multiplier=Decimal('1'), rules=['coffee', 'base'])
>>> [(entry.kind, entry.points) for entry in posting.entries], posting.customer.loyalty.balance
([('earn', 161), ('bonus', 50)], 211)
>>> engine.redeem_points(root, mia.id, 200, "mug").customer.loyalty.balance
11

Analytics and import
--------------------

``Crm.metric(actor, metric, from_=..., until=..., scope=..., group_by=...,
costs=..., targets=..., clv=...)`` computes a metric (``"lead_conversion"``,
``"stage_conversion"``, ``"time_in_stage"``, ``"win_rate"``,
``"lost_reasons"``, ``"cycle_time"``, ``"forecast"``, ``"churn"``,
``"service"``, ``"channel_roi"``, ``"targets"``, ``"clv"``) over the records
the actor may read as a ``crm.Table``: ``columns`` as ``(name, kind)``,
``rows()`` as dicts (``Decimal`` for money, aware ``datetime`` for times),
and ``to_arrow()`` / ``to_pandas()`` / ``to_polars()`` (decimal columns as
``decimal128(38, s)``, exact; times ``timestamp[us, UTC]``).
``Crm.customer_lifetime_value(actor, as_of=..., months=12,
monthly_discount=0.01)`` gives a ``crm.ClvReport`` (historic value, and the
BG/NBD and Gamma-Gamma predictions when there is enough history), and
``crm.fit_clv(customers, at, amounts, as_of=..., minor_units=2)`` fits the
same models on three columns (lists, NumPy arrays, pandas or polars Series,
pyarrow arrays) into a ``crm.ClvModel``, rounding money to ``minor_units``. ``Crm.import_rows(actor, spec, source,
progress=None)`` imports customers, contacts, leads or purchases from a CSV,
JSON Lines or Excel file (a path, or its bytes), refusing rows with their
number, field and reason (``crm.ImportReport``); ``progress`` gets a
``crm.ImportProgress`` after each batch and stops the import by returning
``False`` (or raising).

>>> engine = crm.Crm(now=datetime(2026, 1, 5, 9, tzinfo=timezone.utc), seed=1)
>>> spec = {"kind": "lead", "format": "csv", "mode": "best_effort"}
>>> report = engine.import_rows(root, spec, b"company,source,email\\nAcme,web,a@acme.example\\nBeta,web,nope\\n")
>>> report.imported, [(r.row, r.field) for r in report.rejected]
(1, [(3, 'email')])
>>> engine.advance_clock(hours=1)
>>> table = engine.metric(root, "lead_conversion")
>>> table.rows()[0]["source"], table.rows()[0]["leads"], len(table)
('web', 1, 1)
"""

from ._crm import (
    Absence,
    Activity,
    Actor,
    Aging,
    Allocation,
    BgNbd,
    Calendar,
    Campaign,
    CampaignMeasure,
    CampaignMember,
    CareDue,
    ClvModel,
    ClvReport,
    Collected,
    Contact,
    Contract,
    Conversion,
    Crm,
    Customer,
    CustomerValue,
    DedupeResult,
    DueItem,
    DueWork,
    Earning,
    Escalated,
    Event,
    FieldChange,
    GammaGamma,
    GroupMeasure,
    ImportProgress,
    ImportReport,
    Installment,
    Lead,
    LevelChange,
    Lot,
    LotUse,
    LoyaltyReview,
    MemberLevelChange,
    MemberOutcome,
    Membership,
    Money,
    Opportunity,
    OutboxMessage,
    Payment,
    PaymentPlan,
    PendingDowngrade,
    PlanLine,
    PointsEntry,
    PointsPosting,
    PricedLine,
    PricedQuote,
    Purchase,
    QuoteVersion,
    Receivable,
    RecordKey,
    RejectedRow,
    Reversal,
    RfmResult,
    RfmSkipped,
    Routing,
    Score,
    ScorePart,
    Share,
    Skipped,
    Survey,
    Table,
    TargetClock,
    TargetState,
    Task,
    TaskLogEntry,
    Team,
    Ticket,
    TicketEscalation,
    TicketSla,
    TraceStep,
    User,
    ValueRefresh,
    WindowItem,
    WriteOff,
    dedupe,
    draw_holdout,
    explain_match,
    fit_clv,
    loyalty_points,
    price_quote,
    reach_milestone,
    rfm_aggregate,
    score_rfm,
    score_rfm_aggregates,
    score_rfm_frame,
    split_payments,
)
from ._errors import (
    ConfigError,
    ConflictError,
    CrmError,
    ForbiddenError,
    InvalidTransitionError,
    NotFoundError,
    StorageError,
    ValidationError,
)

open = Crm.open
"""Opens a durable store: ``crm.open("crm.db")`` (SQLite) or ``crm.open("postgres://...")``."""

__all__ = [
    "Absence",
    "Activity",
    "Actor",
    "Aging",
    "Allocation",
    "BgNbd",
    "Calendar",
    "Campaign",
    "CampaignMeasure",
    "CampaignMember",
    "CareDue",
    "ClvModel",
    "ClvReport",
    "Collected",
    "ConfigError",
    "ConflictError",
    "Contact",
    "Contract",
    "Conversion",
    "Crm",
    "CrmError",
    "Customer",
    "CustomerValue",
    "DedupeResult",
    "DueItem",
    "DueWork",
    "Earning",
    "Escalated",
    "Event",
    "FieldChange",
    "ForbiddenError",
    "GammaGamma",
    "GroupMeasure",
    "ImportProgress",
    "ImportReport",
    "Installment",
    "InvalidTransitionError",
    "Lead",
    "LevelChange",
    "Lot",
    "LotUse",
    "LoyaltyReview",
    "MemberLevelChange",
    "MemberOutcome",
    "Membership",
    "Money",
    "NotFoundError",
    "Opportunity",
    "OutboxMessage",
    "Payment",
    "PaymentPlan",
    "PendingDowngrade",
    "PlanLine",
    "PointsEntry",
    "PointsPosting",
    "PricedLine",
    "PricedQuote",
    "Purchase",
    "QuoteVersion",
    "Receivable",
    "RecordKey",
    "RejectedRow",
    "Reversal",
    "RfmResult",
    "RfmSkipped",
    "Routing",
    "Score",
    "ScorePart",
    "Share",
    "Skipped",
    "StorageError",
    "Survey",
    "Table",
    "TargetClock",
    "TargetState",
    "Task",
    "TaskLogEntry",
    "Team",
    "Ticket",
    "TicketEscalation",
    "TicketSla",
    "TraceStep",
    "User",
    "ValidationError",
    "ValueRefresh",
    "WindowItem",
    "WriteOff",
    "dedupe",
    "draw_holdout",
    "explain_match",
    "fit_clv",
    "loyalty_points",
    "open",
    "price_quote",
    "reach_milestone",
    "rfm_aggregate",
    "score_rfm",
    "score_rfm_aggregates",
    "score_rfm_frame",
    "split_payments",
]
