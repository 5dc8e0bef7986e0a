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
    DueItem,
    DueWork,
    Event,
    FieldChange,
    Lead,
    Money,
    Opportunity,
    OutboxMessage,
    RecordKey,
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
    "DueItem",
    "DueWork",
    "Event",
    "FieldChange",
    "ForbiddenError",
    "InvalidTransitionError",
    "Lead",
    "Money",
    "NotFoundError",
    "Opportunity",
    "OutboxMessage",
    "RecordKey",
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
    "open",
]
