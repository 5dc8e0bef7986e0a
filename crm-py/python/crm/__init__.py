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
"""

from ._crm import (
    Absence,
    Activity,
    Actor,
    Contact,
    Contract,
    Conversion,
    Crm,
    Customer,
    CustomerValue,
    DedupeResult,
    DueItem,
    DueWork,
    Event,
    FieldChange,
    Installment,
    Lead,
    Money,
    Opportunity,
    OutboxMessage,
    PricedLine,
    PricedQuote,
    Purchase,
    RecordKey,
    RfmResult,
    RfmSkipped,
    Routing,
    Score,
    ScorePart,
    Share,
    Skipped,
    Task,
    TaskLogEntry,
    Team,
    Ticket,
    TraceStep,
    User,
    ValueRefresh,
    dedupe,
    explain_match,
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
    "Event",
    "FieldChange",
    "ForbiddenError",
    "Installment",
    "InvalidTransitionError",
    "Lead",
    "Money",
    "NotFoundError",
    "Opportunity",
    "OutboxMessage",
    "PricedLine",
    "PricedQuote",
    "Purchase",
    "RecordKey",
    "RfmResult",
    "RfmSkipped",
    "Routing",
    "Score",
    "ScorePart",
    "Share",
    "Skipped",
    "StorageError",
    "Task",
    "TaskLogEntry",
    "Team",
    "Ticket",
    "TraceStep",
    "User",
    "ValidationError",
    "ValueRefresh",
    "dedupe",
    "explain_match",
    "open",
    "price_quote",
    "reach_milestone",
    "rfm_aggregate",
    "score_rfm",
    "score_rfm_aggregates",
    "score_rfm_frame",
    "split_payments",
]
