"""Type stubs of the native module behind ``import crm``.

Checked against the built module by ``mypy.stubtest`` in the test command, so
they cannot drift from what the module really exports.
"""

import os
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable, Dict, Iterable, List, Literal, Mapping, Optional, Protocol, Sequence, Tuple, TypedDict, Union, final, overload

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
    "Contact",
    "Contract",
    "Conversion",
    "Crm",
    "Customer",
    "CustomerValue",
    "DedupeResult",
    "DueItem",
    "DueWork",
    "Earning",
    "Escalated",
    "Event",
    "FieldChange",
    "GammaGamma",
    "GroupMeasure",
    "ImportProgress",
    "ImportReport",
    "Installment",
    "Lead",
    "LevelChange",
    "Lot",
    "LotUse",
    "LoyaltyReview",
    "MemberLevelChange",
    "MemberOutcome",
    "Membership",
    "Money",
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
    "ValueRefresh",
    "WindowItem",
    "WriteOff",
    "dedupe",
    "draw_holdout",
    "explain_match",
    "fit_clv",
    "loyalty_points",
    "price_quote",
    "reach_milestone",
    "rfm_aggregate",
    "score_rfm",
    "score_rfm_aggregates",
    "score_rfm_frame",
    "split_payments",
]

_AnyRecord = Union["Customer", "Contact", "Lead", "Opportunity", "Contract", "Ticket", "Activity", "Task", "User", "Team", "PointsEntry", "Campaign"]
_CustomValue = Union[str, int, Decimal, date, bool]
_Json = Any
_Config = Union[str, Mapping[str, Any]]
_StepResult = Literal["not_matched", "outside_hours", "no_one_available", "chosen"]
_SkipReason = Literal["unknown", "inactive", "on_leave", "at_daily_cap", "at_window_cap", "excluded"]
_DueKind = Literal["first_contact", "follow_up", "task", "win_back", "installment", "sla", "escalation", "survey", "care"]
_Tier = Literal["A", "B", "C"]
_Signal = Literal["active", "at_risk", "dormant", "churned"]
_AmountUnit = Literal["minor", "major"]

class _ArrowStream(Protocol):
    """Anything with the Arrow PyCapsule stream interface: a pyarrow ``Table``
    or ``RecordBatchReader``, a polars or pandas ``DataFrame``, a duckdb
    relation, ..."""

    def __arrow_c_stream__(self, requested_schema: Any = ...) -> Any: ...

class _PurchaseDict(TypedDict):
    """A purchase as a dict: ``{"customer": ..., "at": ..., "amount": ...}``."""

    customer: str
    at: datetime
    amount: Union[Decimal, int, str]

_PurchaseLike = Union["Purchase", Tuple[str, datetime, Union[Decimal, int, str]], _PurchaseDict]

class _MatchRecordDict(TypedDict, total=False):
    """A record to match (``crm.dedupe``, ``crm.explain_match``): any of these
    keys, each a ``str`` or ``None`` (blank: no evidence, never a match)."""

    first_name: Optional[str]
    last_name: Optional[str]
    name: Optional[str]
    email: Optional[str]
    phone: Optional[str]
    company: Optional[str]
    title: Optional[str]
    city: Optional[str]

_MatchRecordLike = Union[_MatchRecordDict, Mapping[str, Optional[str]]]

_AbsenceSpan = TypedDict("_AbsenceSpan", {"from": datetime, "until": datetime})

class _AbsenceDict(_AbsenceSpan, total=False):
    """An absence as a dict: ``{"from": ..., "until": ..., "reason": ...}``."""

    reason: Optional[str]

class _RecordKeyDict(TypedDict):
    """A record's key as a dict: ``{"kind": "customer", "id": ...}``."""

    kind: str
    id: str

_RecordKeyLike = Union["RecordKey", Tuple[str, str], _RecordKeyDict, Mapping[str, str]]
_SurvivorRule = Literal["oldest", "newest", "most_complete"]
_Mergeable = Union["Customer", "Contact", "Lead"]

class _DuplicateMatch(TypedDict):
    """A stored record that may be a duplicate (``Crm.find_duplicates``)."""

    record: "RecordKey"
    probability: float
    rule: Optional[str]
    explanation: "_Explanation"

class _MergeOutcome(TypedDict):
    """What ``Crm.merge`` did: the survivor after the merge, the records merged
    into it, the records moved to it and the id of its ``merge`` event."""

    survivor: _Mergeable
    merged: List["RecordKey"]
    moved: List["RecordKey"]
    event: str

@final
class Money:
    """An exact amount of money in one currency (ISO 4217)."""

    def __new__(cls, amount: Union[Decimal, int, str], currency: str) -> "Money": ...
    @property
    def amount(self) -> Decimal:
        """The amount, at the currency's minor units."""
    @property
    def currency(self) -> str:
        """The ISO 4217 code."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class RecordKey:
    """A record's identity: its kind and id."""

    def __new__(cls, kind: str, id: str) -> "RecordKey": ...
    @property
    def kind(self) -> str: ...
    @property
    def id(self) -> str: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Share:
    """One share of a record with a user or a team."""

    @property
    def user(self) -> Optional[str]: ...
    @property
    def team(self) -> Optional[str]: ...
    @property
    def access(self) -> str:
        """``"read"`` or ``"edit"``."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class Conversion:
    """What a converted lead became (ids)."""

    @property
    def customer(self) -> str: ...
    @property
    def contact(self) -> str: ...
    @property
    def opportunity(self) -> Optional[str]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class TaskLogEntry:
    """One line of a task's log."""

    @property
    def at(self) -> datetime: ...
    @property
    def by(self) -> str: ...
    @property
    def note(self) -> str: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class FieldChange:
    """One changed field of an event, with JSON-like values."""

    @property
    def field(self) -> str: ...
    @property
    def old(self) -> _Json: ...
    @property
    def new(self) -> _Json: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Event:
    """One change to one record."""

    @property
    def id(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def entity(self) -> RecordKey: ...
    @property
    def action(self) -> str: ...
    @property
    def from_state(self) -> Optional[str]: ...
    @property
    def to_state(self) -> Optional[str]: ...
    @property
    def reason(self) -> Optional[str]: ...
    @property
    def changes(self) -> List[FieldChange]: ...
    @property
    def payload(self) -> _Json: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class OutboxMessage:
    """A side effect for the host to perform; acknowledge it when done."""

    @property
    def id(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def event(self) -> str: ...
    @property
    def topic(self) -> str: ...
    @property
    def record(self) -> RecordKey: ...
    @property
    def recipient(self) -> Optional[str]: ...
    @property
    def payload(self) -> _Json: ...
    @property
    def attempts(self) -> int: ...
    @property
    def leased_until(self) -> Optional[datetime]: ...
    @property
    def acked_at(self) -> Optional[datetime]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Actor:
    """Who runs a command: a user with roles, a team and a region."""

    def __new__(cls, user: str, *, roles: List[str] = ..., team: Optional[str] = None, region: Optional[str] = None) -> "Actor": ...
    @property
    def user(self) -> str: ...
    @property
    def roles(self) -> List[str]: ...
    @property
    def team(self) -> Optional[str]: ...
    @property
    def region(self) -> Optional[str]: ...
    def __eq__(self, other: object, /) -> bool: ...

class _Record:
    @property
    def version(self) -> int: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...
    @property
    def created_by(self) -> str: ...
    @property
    def shares(self) -> List[Share]: ...
    @property
    def merged_into(self) -> Optional[RecordKey]:
        """The record this one was merged into (``Crm.merge``), if it was."""
    @property
    def custom(self) -> Dict[str, _CustomValue]: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Customer(_Record):
    """A customer: a company or a person that buys, or may buy."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def stage(self) -> str: ...
    @property
    def stage_since(self) -> Optional[datetime]:
        """Since when the customer has been in its stage."""
    @property
    def tier(self) -> Optional[str]: ...
    @property
    def owner(self) -> Optional[str]: ...
    @property
    def team(self) -> Optional[str]: ...
    @property
    def region(self) -> Optional[str]: ...
    @property
    def industry(self) -> Optional[str]: ...
    @property
    def tags(self) -> List[str]: ...
    @property
    def phone(self) -> Optional[str]: ...
    @property
    def email(self) -> Optional[str]: ...
    @property
    def source_lead(self) -> Optional[str]: ...
    @property
    def time_zone(self) -> Optional[str]:
        """Its IANA time zone (where yearly care items fall due)."""
    @property
    def segment(self) -> Optional[str]:
        """Its RFM segment, set by the value refresh."""
    @property
    def last_contact_at(self) -> Optional[datetime]:
        """When it was last contacted (an activity logged on it)."""
    @property
    def loyalty(self) -> Optional[Membership]:
        """Its loyalty membership, from its first movement of points."""
    @property
    def care_done(self) -> Dict[str, str]:
        """The care rules handled, by rule: the occurrence handled last."""

@final
class Contact(_Record):
    """A person at a customer."""

    @property
    def id(self) -> str: ...
    @property
    def customer(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def title(self) -> Optional[str]: ...
    @property
    def phones(self) -> List[str]: ...
    @property
    def emails(self) -> List[str]: ...
    @property
    def owner(self) -> Optional[str]: ...
    @property
    def team(self) -> Optional[str]: ...

@final
class Lead(_Record):
    """A lead: an enquiry not yet qualified into a customer and a deal."""

    @property
    def id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def source(self) -> Optional[str]: ...
    @property
    def channel(self) -> Optional[str]: ...
    @property
    def campaign(self) -> Optional[str]:
        """The marketing campaign it came from."""
    @property
    def company(self) -> Optional[str]: ...
    @property
    def contact_name(self) -> Optional[str]: ...
    @property
    def title(self) -> Optional[str]: ...
    @property
    def phone(self) -> Optional[str]: ...
    @property
    def email(self) -> Optional[str]: ...
    @property
    def region(self) -> Optional[str]: ...
    @property
    def product_line(self) -> Optional[str]: ...
    @property
    def owner(self) -> Optional[str]: ...
    @property
    def team(self) -> Optional[str]: ...
    @property
    def quality_score(self) -> Optional[int]: ...
    @property
    def assigned_at(self) -> Optional[datetime]: ...
    @property
    def first_contact_due_at(self) -> Optional[datetime]: ...
    @property
    def first_contacted_at(self) -> Optional[datetime]: ...
    @property
    def next_follow_up_at(self) -> Optional[datetime]: ...
    @property
    def discard_reason(self) -> Optional[str]: ...
    @property
    def conversion(self) -> Optional[Conversion]: ...

@final
class Opportunity(_Record):
    """An opportunity (a deal) moving through a pipeline."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def stage(self) -> str: ...
    @property
    def customer(self) -> str: ...
    @property
    def contact(self) -> Optional[str]: ...
    @property
    def lead(self) -> Optional[str]: ...
    @property
    def owner(self) -> Optional[str]: ...
    @property
    def team(self) -> Optional[str]: ...
    @property
    def product_line(self) -> Optional[str]: ...
    @property
    def expected_amount(self) -> Optional[Money]: ...
    @property
    def expected_close_date(self) -> Optional[date]: ...
    @property
    def probability(self) -> int: ...
    @property
    def lost_reason(self) -> Optional[str]: ...
    @property
    def contract(self) -> Optional[str]: ...
    @property
    def closed_at(self) -> Optional[datetime]: ...
    @property
    def quotes(self) -> List[QuoteVersion]:
        """Every version of the deal's quote, oldest first (``Crm.add_quote``)."""

@final
class Contract(_Record):
    """A contract with a customer."""

    @property
    def id(self) -> str: ...
    @property
    def number(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def customer(self) -> str: ...
    @property
    def opportunity(self) -> Optional[str]: ...
    @property
    def owner(self) -> Optional[str]: ...
    @property
    def team(self) -> Optional[str]: ...
    @property
    def amount(self) -> Money: ...
    @property
    def signed_at(self) -> Optional[datetime]: ...
    @property
    def ended_at(self) -> Optional[datetime]: ...
    @property
    def termination_reason(self) -> Optional[str]: ...
    @property
    def quote_version(self) -> Optional[int]:
        """The accepted quote version it was made from, if any."""
    @property
    def lines(self) -> List[PricedLine]:
        """The accepted quote's priced lines (empty without a quote)."""
    @property
    def payment_plan(self) -> Optional[PaymentPlan]:
        """Its payment plan (``Crm.set_payment_plan``), if it has one."""

@final
class Ticket(_Record):
    """A service ticket."""

    @property
    def id(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def priority(self) -> str: ...
    @property
    def category(self) -> Optional[str]: ...
    @property
    def channel(self) -> Optional[str]: ...
    @property
    def customer(self) -> Optional[str]: ...
    @property
    def contact(self) -> Optional[str]: ...
    @property
    def group(self) -> Optional[str]: ...
    @property
    def assignee(self) -> Optional[str]: ...
    @property
    def resolution(self) -> Optional[str]: ...
    @property
    def reopen_count(self) -> int: ...
    @property
    def resolved_at(self) -> Optional[datetime]: ...
    @property
    def closed_at(self) -> Optional[datetime]: ...
    @property
    def contract(self) -> Optional[str]:
        """The contract it is about (its id)."""
    @property
    def order(self) -> Optional[str]:
        """The order it is about (the host's reference)."""
    @property
    def warranty_until(self) -> Optional[date]:
        """The last day of the warranty of what it is about."""
    @property
    def out_of_scope(self) -> Optional[str]:
        """Why the request is outside warranty or contract scope, when it is."""
    @property
    def sla(self) -> Optional[TicketSla]:
        """Its SLA clocks, when a configured policy applies."""
    @property
    def survey(self) -> Optional[Survey]:
        """Its satisfaction survey, scheduled when it is closed."""

@final
class Activity(_Record):
    """A call, email, visit, meeting or note."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def subject(self) -> RecordKey: ...
    @property
    def summary(self) -> str: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def by(self) -> str: ...
    @property
    def team(self) -> Optional[str]: ...
    @property
    def next_follow_up_at(self) -> Optional[datetime]: ...

@final
class Task(_Record):
    """A collaboration task with a log."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def description(self) -> Optional[str]: ...
    @property
    def status(self) -> str: ...
    @property
    def priority(self) -> str: ...
    @property
    def assignee(self) -> Optional[str]: ...
    @property
    def team(self) -> Optional[str]: ...
    @property
    def due_at(self) -> Optional[datetime]: ...
    @property
    def related(self) -> Optional[RecordKey]: ...
    @property
    def log(self) -> List[TaskLogEntry]: ...

@final
class User(_Record):
    """A user of the CRM."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def email(self) -> Optional[str]: ...
    @property
    def team(self) -> Optional[str]: ...
    @property
    def region(self) -> Optional[str]: ...
    @property
    def product_lines(self) -> List[str]: ...
    @property
    def roles(self) -> List[str]: ...
    @property
    def active(self) -> bool: ...
    @property
    def away(self) -> List[Absence]:
        """When they are away; assignment rules pass them over then."""

@final
class Team(_Record):
    """A sales team or service group."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def region(self) -> Optional[str]: ...
    @property
    def supervisor(self) -> Optional[str]: ...

@final
class Absence:
    """A time a user is away, from ``from_`` until (not including) ``until``."""

    def __new__(cls, from_: datetime, until: datetime, reason: Optional[str] = None) -> "Absence": ...
    @property
    def from_(self) -> datetime:
        """When it starts (``from`` is a Python keyword)."""
    @property
    def until(self) -> datetime:
        """When it ends: the user is back at this instant."""
    @property
    def reason(self) -> Optional[str]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Skipped:
    """A user a rule passed over, and why."""

    @property
    def user(self) -> str: ...
    @property
    def reason(self) -> _SkipReason: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class TraceStep:
    """One rule tried in a routing: what became of it, why, and whom it passed over."""

    @property
    def rule(self) -> str: ...
    @property
    def result(self) -> _StepResult: ...
    @property
    def detail(self) -> str: ...
    @property
    def skipped(self) -> List[Skipped]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Routing:
    """Where a record went (a user, or the pool with the reason), the rule that chose, and every rule tried."""

    @property
    def subject(self) -> Optional[RecordKey]: ...
    @property
    def owner(self) -> Optional[str]:
        """The user chosen; ``None``: the record went to the pool."""
    @property
    def team(self) -> Optional[str]: ...
    @property
    def rule(self) -> Optional[str]: ...
    @property
    def pool_reason(self) -> Optional[str]: ...
    @property
    def trace(self) -> List[TraceStep]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class DueItem:
    """One piece of due work: a lead's first contact or follow-up, a task,
    winning back a customer, an installment, the service desk's items, or
    customer care (``care``)."""

    @property
    def subject(self) -> RecordKey: ...
    @property
    def kind(self) -> _DueKind: ...
    @property
    def title(self) -> str: ...
    @property
    def due_at(self) -> datetime: ...
    @property
    def overdue(self) -> bool: ...
    @property
    def care(self) -> Optional[CareDue]:
        """For a ``"care"`` item: the rule, why and what to do."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class DueWork:
    """One user's due work, earliest first."""

    @property
    def user(self) -> str: ...
    @property
    def overdue(self) -> int:
        """How many of the items are overdue."""
    @property
    def items(self) -> List[DueItem]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class ScorePart:
    """The points one scoring rule gave."""

    @property
    def rule(self) -> str: ...
    @property
    def points(self) -> int: ...
    @property
    def detail(self) -> str: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Score:
    """A lead's score (0 to 100) and how it was reached."""

    @property
    def score(self) -> int: ...
    @property
    def base(self) -> int: ...
    @property
    def parts(self) -> List[ScorePart]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Crm:
    """The CRM engine: in memory (``Crm()``) or durable (``Crm.open(location)``).

    With ``now`` it runs on a fixed clock (moved by ``advance_clock`` and
    ``set_now``); without it, on the system clock. ``seed`` makes ids repeatable.
    ``config`` is the engine's configuration (the Config JSON, as a str or a
    Mapping); an invalid one raises ``crm.ConfigError`` naming where.
    Every command raises a ``crm.CrmError`` subclass on failure.
    """

    def __new__(cls, *, now: Optional[datetime] = None, seed: Optional[int] = None, config: Optional[_Config] = None) -> "Crm": ...
    @staticmethod
    def open(location: str, *, now: Optional[datetime] = None, seed: Optional[int] = None, config: Optional[_Config] = None) -> "Crm":
        """Opens an SQLite file (a path) or a PostgreSQL database (a ``postgres://`` URL)."""
    def now(self) -> datetime: ...
    def advance_clock(self, *, minutes: int = 0, hours: int = 0, days: int = 0) -> None: ...
    def set_now(self, now: datetime) -> None: ...
    def save_team(self, actor: Actor, id: str, name: str, *, region: Optional[str] = None, supervisor: Optional[str] = None) -> Team: ...
    def save_user(self, actor: Actor, id: str, name: str, *, email: Optional[str] = None, team: Optional[str] = None, region: Optional[str] = None, roles: List[str] = ..., active: bool = True, away: Optional[Sequence[Union[Absence, _AbsenceDict]]] = None) -> User: ...
    def create_customer(self, actor: Actor, name: str, *, kind: str = "company", owner: Optional[str] = None, team: Optional[str] = None, region: Optional[str] = None, industry: Optional[str] = None, phone: Optional[str] = None, email: Optional[str] = None, tags: List[str] = ..., time_zone: Optional[str] = None) -> Customer: ...
    def add_contact(self, actor: Actor, customer: str, name: str, *, title: Optional[str] = None, phones: List[str] = ..., emails: List[str] = ...) -> Contact: ...
    def create_lead(self, actor: Actor, *, source: Optional[str] = None, channel: Optional[str] = None, campaign: Optional[str] = None, company: Optional[str] = None, contact_name: Optional[str] = None, title: Optional[str] = None, phone: Optional[str] = None, email: Optional[str] = None, region: Optional[str] = None, product_line: Optional[str] = None, owner: Optional[str] = None, team: Optional[str] = None, quality_score: Optional[int] = None) -> Lead: ...
    def assign_lead(self, actor: Actor, id: str, owner: str) -> Lead: ...
    def log_activity(self, actor: Actor, subject_kind: str, subject_id: str, kind: str, summary: str, *, occurred_at: Optional[datetime] = None, next_follow_up_at: Optional[datetime] = None) -> Activity: ...
    def qualify_lead(self, actor: Actor, id: str) -> Lead: ...
    def discard_lead(self, actor: Actor, id: str, reason: str) -> Lead: ...
    def convert_lead(self, actor: Actor, id: str, *, into_customer: Optional[str] = None, create_opportunity: bool = True, opportunity_name: Optional[str] = None, expected_amount: Optional[Money] = None, expected_close_date: Optional[date] = None, allow_duplicate: bool = False) -> Conversion: ...
    def create_opportunity(self, actor: Actor, customer: str, name: str, *, owner: Optional[str] = None, contact: Optional[str] = None, product_line: Optional[str] = None, expected_amount: Optional[Money] = None, expected_close_date: Optional[date] = None) -> Opportunity: ...
    def advance_opportunity(self, actor: Actor, id: str, *, to: Optional[str] = None) -> Opportunity: ...
    def win_opportunity(self, actor: Actor, id: str) -> Tuple[Opportunity, Contract]: ...
    def lose_opportunity(self, actor: Actor, id: str, reason: str) -> Opportunity: ...
    def sign_contract(self, actor: Actor, id: str) -> Contract: ...
    def activate_contract(self, actor: Actor, id: str) -> Contract: ...
    def complete_contract(self, actor: Actor, id: str) -> Contract: ...
    def terminate_contract(self, actor: Actor, id: str, reason: str) -> Contract: ...
    def add_quote(
        self,
        actor: Actor,
        opportunity: str,
        lines: Iterable[_QuoteLineLike],
        *,
        currency: Optional[str] = None,
        price_list: Optional[_PriceListLike] = None,
        valid_until: Optional[date] = None,
        note: Optional[str] = None,
    ) -> Opportunity:
        """Adds a version of a deal's quote, priced as ``crm.price_quote`` prices
        it; earlier versions are superseded."""
    def accept_quote(self, actor: Actor, opportunity: str, version: int) -> Opportunity:
        """Accepts a version: its total becomes the deal's expected amount, and
        winning the deal makes a contract of its amount and lines."""
    def set_payment_plan(self, actor: Actor, contract: str, terms: _TermsLike, *, base: Optional[date] = None) -> Contract:
        """Splits the contract's amount by ``terms`` into its payment plan."""
    def record_payment(
        self,
        actor: Actor,
        contract: str,
        id: str,
        amount: Money,
        *,
        on: Optional[date] = None,
        to: Optional[Sequence[int]] = None,
    ) -> Contract:
        """Records a payment (``id``: the caller's reference, unique per
        contract) on the open installments, oldest due first, or on ``to``."""
    def reverse_payment(self, actor: Actor, contract: str, id: str, reason: str) -> Contract:
        """Reverses a payment (it bounced): what it paid is owed again."""
    def write_off_installment(self, actor: Actor, contract: str, installment: int, reason: str) -> Contract:
        """Writes off what is left of an installment (``write_off_roles`` only)."""
    def reach_milestone(self, actor: Actor, contract: str, event: str, *, on: Optional[date] = None) -> Contract:
        """Records a milestone and dates the installments waiting for it."""
    def reschedule_payments(
        self,
        actor: Actor,
        contract: str,
        terms: _TermsLike,
        *,
        base: Optional[date] = None,
        reason: str,
    ) -> Contract:
        """Re-splits what is still owed by new terms, keeping what was paid."""
    def receivables(self, actor: Actor, *, customer: Optional[str] = None, today: Optional[date] = None) -> List[Receivable]:
        """What each contract with a plan is owed on ``today``, with its aging."""
    def collected(self, actor: Actor, from_: date, until: date) -> List[Collected]:
        """Money received from ``from_`` until ``until`` (excluded), per owner
        and currency."""
    def open_ticket(
        self,
        actor: Actor,
        subject: str,
        *,
        priority: str = "normal",
        category: Optional[str] = None,
        channel: Optional[str] = None,
        customer: Optional[str] = None,
        contact: Optional[str] = None,
        group: Optional[str] = None,
        contract: Optional[str] = None,
        order: Optional[str] = None,
        warranty_until: Optional[date] = None,
    ) -> Ticket:
        """Opens a ticket, routed at once when assignment rules apply to
        tickets, with the configured SLA policy's clocks; a request outside
        warranty or contract scope is flagged in ``out_of_scope``."""
    def assign_ticket(self, actor: Actor, id: str, assignee: str) -> Ticket: ...
    def start_ticket(self, actor: Actor, id: str) -> Ticket: ...
    def await_customer(self, actor: Actor, id: str) -> Ticket: ...
    def customer_replied(self, actor: Actor, id: str) -> Ticket: ...
    def resolve_ticket(self, actor: Actor, id: str, resolution: str) -> Ticket: ...
    def close_ticket(self, actor: Actor, id: str) -> Ticket: ...
    def reopen_ticket(self, actor: Actor, id: str, reason: str) -> Ticket: ...
    def transfer_ticket(self, actor: Actor, id: str, group: str, reason: str) -> Ticket: ...
    def create_task(self, actor: Actor, title: str, *, description: Optional[str] = None, priority: str = "normal", assignee: Optional[str] = None, team: Optional[str] = None, due_at: Optional[datetime] = None) -> Task:
        """Creates a task; with a ``team`` and no ``assignee`` it is the
        department's task, unassigned."""
    def ticket_sla(self, actor: Actor, id: str, *, now: Optional[datetime] = None) -> List[TargetState]:
        """A ticket's SLA targets at ``now`` (default: the engine's clock)."""
    def escalate(self, actor: Actor, *, now: Optional[datetime] = None) -> List[TicketEscalation]:
        """Applies the escalation steps due at ``now``, each once."""
    def answer_survey(
        self,
        actor: Actor,
        id: str,
        *,
        csat: Optional[int] = None,
        nps: Optional[int] = None,
        feedback: Optional[_FeedbackKind] = None,
        comment: Optional[str] = None,
    ) -> Ticket:
        """Records the answer to a resolved or closed ticket's survey; a low
        score or a complaint creates a follow-up task."""
    def start_task(self, actor: Actor, id: str) -> Task: ...
    def submit_task(self, actor: Actor, id: str) -> Task: ...
    def approve_task(self, actor: Actor, id: str) -> Task: ...
    def reject_task(self, actor: Actor, id: str, reason: str) -> Task: ...
    def cancel_task(self, actor: Actor, id: str, reason: str) -> Task: ...
    def add_task_note(self, actor: Actor, id: str, note: str) -> Task: ...
    def transition(self, actor: Actor, kind: str, id: str, action: str, *, to: Optional[str] = None, reason: Optional[str] = None, expected_version: Optional[int] = None) -> _AnyRecord: ...
    def update(self, actor: Actor, kind: str, id: str, expected_version: int, fields: Dict[str, Any]) -> _AnyRecord: ...
    def share(self, actor: Actor, kind: str, id: str, *, user: Optional[str] = None, team: Optional[str] = None, access: str = "read") -> _AnyRecord: ...
    def unshare(self, actor: Actor, kind: str, id: str, *, user: Optional[str] = None, team: Optional[str] = None) -> _AnyRecord: ...
    @overload
    def get(self, actor: Actor, kind: Literal["customer"], id: str) -> Customer: ...
    @overload
    def get(self, actor: Actor, kind: Literal["contact"], id: str) -> Contact: ...
    @overload
    def get(self, actor: Actor, kind: Literal["lead"], id: str) -> Lead: ...
    @overload
    def get(self, actor: Actor, kind: Literal["opportunity"], id: str) -> Opportunity: ...
    @overload
    def get(self, actor: Actor, kind: Literal["contract"], id: str) -> Contract: ...
    @overload
    def get(self, actor: Actor, kind: Literal["ticket"], id: str) -> Ticket: ...
    @overload
    def get(self, actor: Actor, kind: Literal["activity"], id: str) -> Activity: ...
    @overload
    def get(self, actor: Actor, kind: Literal["task"], id: str) -> Task: ...
    @overload
    def get(self, actor: Actor, kind: Literal["user"], id: str) -> User: ...
    @overload
    def get(self, actor: Actor, kind: Literal["team"], id: str) -> Team: ...
    @overload
    def get(self, actor: Actor, kind: Literal["points_entry"], id: str) -> PointsEntry: ...
    @overload
    def get(self, actor: Actor, kind: Literal["campaign"], id: str) -> Campaign: ...
    @overload
    def get(self, actor: Actor, kind: str, id: str) -> _AnyRecord: ...
    def history(self, actor: Actor, kind: str, id: str) -> List[Event]: ...
    @overload
    def list(self, actor: Actor, kind: Literal["customer"], *, owner: Optional[str] = None, status: Optional[str] = None, limit: Optional[int] = None) -> List[Customer]: ...
    @overload
    def list(self, actor: Actor, kind: Literal["contact"], *, owner: Optional[str] = None, status: Optional[str] = None, limit: Optional[int] = None) -> List[Contact]: ...
    @overload
    def list(self, actor: Actor, kind: Literal["lead"], *, owner: Optional[str] = None, status: Optional[str] = None, limit: Optional[int] = None) -> List[Lead]: ...
    @overload
    def list(self, actor: Actor, kind: Literal["opportunity"], *, owner: Optional[str] = None, status: Optional[str] = None, limit: Optional[int] = None) -> List[Opportunity]: ...
    @overload
    def list(self, actor: Actor, kind: Literal["contract"], *, owner: Optional[str] = None, status: Optional[str] = None, limit: Optional[int] = None) -> List[Contract]: ...
    @overload
    def list(self, actor: Actor, kind: Literal["ticket"], *, owner: Optional[str] = None, status: Optional[str] = None, limit: Optional[int] = None) -> List[Ticket]: ...
    @overload
    def list(self, actor: Actor, kind: Literal["activity"], *, owner: Optional[str] = None, status: Optional[str] = None, limit: Optional[int] = None) -> List[Activity]: ...
    @overload
    def list(self, actor: Actor, kind: Literal["task"], *, owner: Optional[str] = None, status: Optional[str] = None, limit: Optional[int] = None) -> List[Task]: ...
    @overload
    def list(self, actor: Actor, kind: Literal["user"], *, owner: Optional[str] = None, status: Optional[str] = None, limit: Optional[int] = None) -> List[User]: ...
    @overload
    def list(self, actor: Actor, kind: Literal["team"], *, owner: Optional[str] = None, status: Optional[str] = None, limit: Optional[int] = None) -> List[Team]: ...
    @overload
    def list(self, actor: Actor, kind: Literal["points_entry"], *, owner: Optional[str] = None, status: Optional[str] = None, limit: Optional[int] = None) -> List[PointsEntry]: ...
    @overload
    def list(self, actor: Actor, kind: Literal["campaign"], *, owner: Optional[str] = None, status: Optional[str] = None, limit: Optional[int] = None) -> List[Campaign]: ...
    @overload
    def list(self, actor: Actor, kind: str, *, owner: Optional[str] = None, status: Optional[str] = None, limit: Optional[int] = None) -> List[_AnyRecord]: ...
    def find_duplicates(self, actor: Actor, record: _MatchRecordLike) -> List[_DuplicateMatch]:
        """The stored customers, contacts and leads that may be duplicates of
        ``record`` (a dict as ``crm.dedupe`` reads it), most likely first."""
    def find_duplicates_of(self, actor: Actor, kind: str, id: str) -> List[_DuplicateMatch]:
        """``find_duplicates`` for a stored customer, contact or lead (itself left out)."""
    def merge(
        self,
        actor: Actor,
        records: Iterable[_RecordKeyLike],
        *,
        survivor: Optional[_RecordKeyLike] = None,
        rule: _SurvivorRule = "oldest",
        reason: str,
    ) -> _MergeOutcome:
        """Merges two or more customers, contacts or leads of one kind into a
        survivor (``survivor``, or the one ``rule`` chooses), in one commit."""
    @overload
    def unmerge(self, actor: Actor, kind: Literal["customer"], id: str, *, event: Optional[str] = None, reason: str) -> Customer: ...
    @overload
    def unmerge(self, actor: Actor, kind: Literal["contact"], id: str, *, event: Optional[str] = None, reason: str) -> Contact: ...
    @overload
    def unmerge(self, actor: Actor, kind: Literal["lead"], id: str, *, event: Optional[str] = None, reason: str) -> Lead: ...
    @overload
    def unmerge(self, actor: Actor, kind: str, id: str, *, event: Optional[str] = None, reason: str) -> _Mergeable: ...
    def route(self, actor: Actor, kind: str, ids: Sequence[str]) -> List[Routing]: ...
    def route_lead(self, actor: Actor, id: str) -> Routing: ...
    def route_pool(self, actor: Actor, kind: str, *, team: Optional[str] = None) -> List[Routing]: ...
    @overload
    def pool(self, actor: Actor, kind: Literal["customer"], *, team: Optional[str] = None) -> List[Customer]: ...
    @overload
    def pool(self, actor: Actor, kind: Literal["contact"], *, team: Optional[str] = None) -> List[Contact]: ...
    @overload
    def pool(self, actor: Actor, kind: Literal["lead"], *, team: Optional[str] = None) -> List[Lead]: ...
    @overload
    def pool(self, actor: Actor, kind: Literal["opportunity"], *, team: Optional[str] = None) -> List[Opportunity]: ...
    @overload
    def pool(self, actor: Actor, kind: Literal["contract"], *, team: Optional[str] = None) -> List[Contract]: ...
    @overload
    def pool(self, actor: Actor, kind: Literal["ticket"], *, team: Optional[str] = None) -> List[Ticket]: ...
    @overload
    def pool(self, actor: Actor, kind: Literal["task"], *, team: Optional[str] = None) -> List[Task]: ...
    @overload
    def pool(self, actor: Actor, kind: str, *, team: Optional[str] = None) -> List[_AnyRecord]: ...
    @overload
    def claim(self, actor: Actor, kind: Literal["customer"], id: str) -> Customer: ...
    @overload
    def claim(self, actor: Actor, kind: Literal["contact"], id: str) -> Contact: ...
    @overload
    def claim(self, actor: Actor, kind: Literal["lead"], id: str) -> Lead: ...
    @overload
    def claim(self, actor: Actor, kind: Literal["opportunity"], id: str) -> Opportunity: ...
    @overload
    def claim(self, actor: Actor, kind: Literal["contract"], id: str) -> Contract: ...
    @overload
    def claim(self, actor: Actor, kind: Literal["ticket"], id: str) -> Ticket: ...
    @overload
    def claim(self, actor: Actor, kind: Literal["task"], id: str) -> Task: ...
    @overload
    def claim(self, actor: Actor, kind: str, id: str) -> _AnyRecord: ...
    @overload
    def release(self, actor: Actor, kind: Literal["customer"], id: str, reason: str) -> Customer: ...
    @overload
    def release(self, actor: Actor, kind: Literal["contact"], id: str, reason: str) -> Contact: ...
    @overload
    def release(self, actor: Actor, kind: Literal["lead"], id: str, reason: str) -> Lead: ...
    @overload
    def release(self, actor: Actor, kind: Literal["opportunity"], id: str, reason: str) -> Opportunity: ...
    @overload
    def release(self, actor: Actor, kind: Literal["contract"], id: str, reason: str) -> Contract: ...
    @overload
    def release(self, actor: Actor, kind: Literal["ticket"], id: str, reason: str) -> Ticket: ...
    @overload
    def release(self, actor: Actor, kind: Literal["task"], id: str, reason: str) -> Task: ...
    @overload
    def release(self, actor: Actor, kind: str, id: str, reason: str) -> _AnyRecord: ...
    def due_work(self, actor: Actor, *, now: Optional[datetime] = None) -> List[DueWork]: ...
    def reclaim_overdue(self, actor: Actor, *, now: Optional[datetime] = None) -> List[Routing]: ...
    def transfer_work(self, actor: Actor, from_user: str, *, to: Optional[str] = None, reason: str) -> List[Routing]: ...
    def score_lead(self, actor: Actor, id: str) -> Score: ...
    def refresh_customer_value(self, actor: Actor, *, as_of: Optional[datetime] = None) -> ValueRefresh:
        """Scores every customer by RFM from the signed contracts as of ``as_of``
        (default: the engine's clock) and writes back tiers and lifecycle stages."""
    def record_purchase(
        self,
        actor: Actor,
        customer: str,
        reference: str,
        amount: Money,
        *,
        at: Optional[datetime] = None,
        lines: Optional[Iterable[_PurchaseLineLike]] = None,
        campaign: Optional[str] = None,
    ) -> PointsPosting:
        """Records a purchase and credits the points it earns under the loyalty
        program (the first purchase also earns its bonus)."""
    def refund_purchase(self, actor: Actor, customer: str, reference: str, amount: Money) -> PointsPosting:
        """Refunds (part of) a recorded purchase, taking its points back in proportion."""
    def redeem_points(self, actor: Actor, customer: str, points: int, reward: str, *, reference: Optional[str] = None) -> PointsPosting:
        """Exchanges points for a reward, oldest points first."""
    def adjust_points(self, actor: Actor, customer: str, points: int, reason: str) -> PointsPosting:
        """Corrects a balance by hand (the program's ``adjust_roles`` only)."""
    def award_bonus(self, actor: Actor, customer: str, event: str, *, reference: Optional[str] = None) -> PointsPosting:
        """Gives the bonus the program sets for ``event``, once per event and reference."""
    def points_entries(self, actor: Actor, customer: str) -> List[PointsEntry]:
        """A customer's points ledger, oldest entry first."""
    def review_loyalty(self, actor: Actor, *, now: Optional[datetime] = None) -> LoyaltyReview:
        """Expires points and applies the downgrades due by ``now``."""
    def act_on_care(self, actor: Actor, customer: str, rule: str, kind: str, summary: str) -> Activity:
        """Logs the activity of a care item and marks its occurrence handled."""
    def launch_campaign(
        self,
        actor: Actor,
        name: str,
        segment: Mapping[str, Any],
        *,
        holdout_percent: _Decimalish,
        seed: int,
        window_days: int,
        action: Optional[str] = None,
    ) -> Campaign:
        """Launches a campaign over the customers matching ``segment``, with a
        seeded holdout of ``holdout_percent``."""
    def record_campaign_contacts(self, actor: Actor, campaign: str, customers: Iterable[str], *, at: Optional[datetime] = None) -> Campaign:
        """Records that treated members were contacted (the holdout may not be)."""
    def campaign_results(self, actor: Actor, campaign: str, *, as_of: Optional[datetime] = None) -> CampaignMeasure:
        """Measures a campaign at ``as_of``: treated against holdout."""
    def metric(
        self,
        actor: Actor,
        metric: _MetricName,
        *,
        from_: Optional[datetime] = None,
        until: Optional[datetime] = None,
        scope: Optional[_ScopeLike] = None,
        group_by: Optional[str] = None,
        costs: Optional[Sequence[_CostDict]] = None,
        targets: Optional[Sequence[_TargetDict]] = None,
        clv: Optional[_ClvOptionsDict] = None,
    ) -> Table:
        """A metric over the records the actor may read, in a scope and a period, as a table."""
    def customer_lifetime_value(
        self,
        actor: Actor,
        *,
        as_of: Optional[datetime] = None,
        months: int = 12,
        monthly_discount: float = 0.01,
        scope: Optional[_ScopeLike] = None,
    ) -> ClvReport:
        """Each customer's lifetime value: historic, and predicted when there is enough history."""
    def import_rows(
        self,
        actor: Actor,
        spec: Union[str, Mapping[str, Any]],
        source: Union[str, "os.PathLike[str]", bytes, bytearray],
        *,
        progress: Optional[Callable[[ImportProgress], Optional[bool]]] = None,
    ) -> ImportReport:
        """Imports a file (a path, or its bytes) of customers, contacts, leads or purchases."""
    def take_outbox(self, limit: int) -> List[OutboxMessage]: ...
    def ack_outbox(self, ids: List[str]) -> int: ...

# ----- customer value (RFM) ------------------------------------------------------

@final
class Purchase:
    """One purchase (a negative amount: a refund). The amount is exact:
    ``Decimal``, ``int`` or ``str``, never ``float``."""

    def __new__(cls, customer: str, at: datetime, amount: Union[Decimal, int, str]) -> "Purchase": ...
    @property
    def customer(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def amount(self) -> Decimal: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class CustomerValue:
    """One customer's RFM value, scores, segment, tier and signal."""

    @property
    def customer(self) -> str: ...
    @property
    def recency_days(self) -> int:
        """Whole calendar days (UTC) from the last purchase to ``as_of``."""
    @property
    def frequency(self) -> int:
        """The number of purchases (refunds are not purchases)."""
    @property
    def monetary(self) -> Decimal:
        """Purchases minus refunds (or their mean), exactly, in the currency."""
    @property
    def first_purchase(self) -> datetime: ...
    @property
    def tenure_days(self) -> int: ...
    @property
    def r(self) -> int: ...
    @property
    def f(self) -> int: ...
    @property
    def m(self) -> int: ...
    @property
    def fm(self) -> int: ...
    @property
    def segment(self) -> str: ...
    @property
    def tier(self) -> _Tier: ...
    @property
    def signal(self) -> _Signal: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class RfmSkipped:
    """What an RFM run left out: rows after ``as_of``, customers with refunds only."""

    @property
    def future(self) -> int: ...
    @property
    def refund_only(self) -> int: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class ValueRefresh:
    """What ``Crm.refresh_customer_value`` did."""

    @property
    def scored(self) -> int:
        """Customers scored (those with at least one purchase)."""
    @property
    def tiers_changed(self) -> int: ...
    @property
    def stages_changed(self) -> int: ...
    @property
    def batches(self) -> int:
        """Commits made (500 customers each at most)."""
    @property
    def skipped(self) -> RfmSkipped: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class RfmResult:
    """The scored customers (ordered by customer id) and what was left out."""

    @property
    def customers(self) -> List[CustomerValue]: ...
    @property
    def skipped(self) -> RfmSkipped: ...
    def __len__(self) -> int: ...
    def __eq__(self, other: object, /) -> bool: ...

def score_rfm(purchases: Iterable[_PurchaseLike], as_of: datetime, config: Optional[_Config] = None) -> RfmResult:
    """Scores purchases: RFM, segments, tiers and signals as of ``as_of``."""

# The columnar functions return the kind of frame passed in (a polars or
# pandas DataFrame, else a pyarrow Table): ``Any``, since neither pyarrow nor
# pandas ships types and none of the three is a dependency of crm.
def score_rfm_frame(
    data: _ArrowStream,
    *,
    as_of: datetime,
    customer: str = "customer_id",
    at: str = "ts",
    amount: str = "amount_cents",
    amount_unit: _AmountUnit = "minor",
    config: Optional[_Config] = None,
    threads: Optional[int] = None,
) -> Any:
    """Scores a table of purchases (any Arrow stream): one row per customer out."""

def rfm_aggregate(
    data: _ArrowStream,
    *,
    as_of: datetime,
    customer: str = "customer_id",
    at: str = "ts",
    amount: str = "amount_cents",
    amount_unit: _AmountUnit = "minor",
    config: Optional[_Config] = None,
    threads: Optional[int] = None,
) -> Any:
    """Per-customer partial aggregates of a partition, as a pyarrow Table."""

def score_rfm_aggregates(
    partials: Union[_ArrowStream, Sequence[_ArrowStream]],
    *,
    as_of: datetime,
    customer: str = "customer_id",
    config: Optional[_Config] = None,
) -> Any:
    """Merges partial aggregates exactly and scores them as ``score_rfm_frame`` would."""

# ----- duplicate matching ----------------------------------------------------------

_Field = Literal["first_name", "last_name", "email", "phone", "company", "title", "city"]
_Level = Literal["missing", "different", "similar", "close", "exact"]
_BlockKey = Literal["email", "phone", "name", "last_company", "last_domain", "first_company"]

class _MatchPair(TypedDict):
    """A matched pair, as ``DedupeResult.pairs`` lists it without pyarrow."""

    left: int
    right: int
    probability: float
    weight: float
    rule: Optional[str]

class _Cluster(TypedDict):
    """A group of duplicates: its id (the smallest row), rows, matched pairs
    inside and the weakest matched pair's probability."""

    id: int
    rows: List[int]
    pairs: int
    min_probability: float

class _FieldExplanation(TypedDict):
    """One field of an explained pair."""

    field: _Field
    left: Optional[str]
    right: Optional[str]
    level: _Level
    similarity: Optional[float]
    weight: float
    term_frequency: bool

class _Explanation(TypedDict):
    """Why two records do or do not match."""

    probability: float
    weight: float
    prior_weight: float
    fields: List[_FieldExplanation]
    rule: Optional[str]
    matched: bool
    decided_by: str
    names_swapped: bool

class _FieldWeights(TypedDict):
    m: List[float]
    u: List[float]

class _Model(TypedDict):
    """The Fellegi-Sunter model: the prior and each field's ``m`` and ``u``
    (missing excluded: different, similar, close, exact)."""

    prior: float
    fields: Dict[_Field, _FieldWeights]

class _BlockReport(TypedDict):
    """What one blocking key contributed."""

    key: _BlockKey
    blocks: int
    pairs: int
    skipped_blocks: int
    skipped_records: int

class _Progress(Protocol):
    def __call__(self, stage: str, done: int, total: int, /) -> object: ...

@final
class DedupeResult:
    """The duplicates a scan found: matched pairs, a cluster id per row,
    clusters, explanations, the model and what blocking did."""

    def pairs(self) -> Any:
        """The matched pairs: a pyarrow ``Table`` (``left``, ``right``: uint32;
        ``probability``, ``weight``: float64; ``rule``: string or null), or a
        ``List[_MatchPair]`` of dicts when pyarrow is not installed."""
    def cluster_ids(self) -> Any:
        """The cluster id of each row: a pyarrow ``UInt32Array``, or a
        ``List[int]`` when pyarrow is not installed."""
    def clusters(self) -> List[_Cluster]:
        """The groups of two or more rows, by id."""
    def explain(self, left: int, right: int) -> _Explanation:
        """Why rows ``left`` and ``right`` do or do not match."""
    @property
    def model(self) -> _Model:
        """The model the scan scored with."""
    @property
    def candidate_pairs(self) -> int:
        """Pairs compared, after blocking."""
    @property
    def blocking(self) -> List[_BlockReport]:
        """What each blocking key contributed."""
    def __len__(self) -> int: ...

def dedupe(
    data: Union[Iterable[_MatchRecordLike], _ArrowStream],
    *,
    config: Optional[_Config] = None,
    threads: int = 1,
    progress: Optional[_Progress] = None,
) -> DedupeResult:
    """Finds the duplicates among records (a list of dicts or any Arrow table);
    ``progress(stage, done, total)`` is called on the calling thread."""

def explain_match(a: _MatchRecordLike, b: _MatchRecordLike, config: Optional[_Config] = None) -> _Explanation:
    """Why two records do or do not match, without a scan."""

# ----- quotes and payment terms ------------------------------------------------------

_Decimalish = Union[Decimal, int, str]

class _DaysAfter(TypedDict):
    days_after: int

class _PlusDays(TypedDict, total=False):
    plus_days: int

class _EndOfMonth(TypedDict):
    end_of_month: _PlusDays

class _MonthsAfterEndOfMonth(TypedDict):
    months_after_end_of_month: int

class _DayOfNextMonthRule(TypedDict, total=False):
    day: int
    after_days: int

class _DayOfNextMonth(TypedDict):
    day_of_next_month: _DayOfNextMonthRule

class _MilestoneRule(TypedDict, total=False):
    event: str
    plus_days: int

class _Milestone(TypedDict):
    milestone: _MilestoneRule

# A due rule: {"days_after": 30}, {"end_of_month": {"plus_days": 10}},
# {"months_after_end_of_month": 1}, {"day_of_next_month": {"day": 10, "after_days": 0}}
# or {"milestone": {"event": ..., "plus_days": 30}}.
_Due = Union[_DaysAfter, _EndOfMonth, _MonthsAfterEndOfMonth, _DayOfNextMonth, _Milestone]

class _TermLineBase(TypedDict):
    label: str
    due: _Due

class _TermLine(_TermLineBase, total=False):
    """A line of a terms template: a ``percent`` or a ``fixed`` amount (one of the two)."""

    percent: _Decimalish
    fixed: _Decimalish

class _TermsBase(TypedDict):
    name: str
    lines: List[_TermLine]

class _Terms(_TermsBase, total=False):
    """A payment terms template."""

    rounding: Literal["half_up", "half_even", "down"]
    remainder_line: int

_TermsLike = Union[str, _Terms, Mapping[str, Any]]

class _InstallmentDict(TypedDict):
    label: str
    amount: Money
    due_date: Optional[date]
    milestone: Optional[str]
    due: Dict[str, Any]

class _QuoteLine(TypedDict, total=False):
    """A quote line: the numbers as ``Decimal``, ``int`` or ``str``, never ``float``."""

    product: str
    description: Optional[str]
    quantity: _Decimalish
    unit_price: Optional[_Decimalish]
    discount_percent: Optional[_Decimalish]
    discount_amount: Optional[_Decimalish]
    tax_percent: _Decimalish

class _PriceList(TypedDict):
    """A price list: its name, currency and unit price per product."""

    name: str
    currency: str
    prices: Mapping[str, _Decimalish]

_QuoteLineLike = Union[_QuoteLine, Mapping[str, Any]]
_PriceListLike = Union[str, _PriceList, Mapping[str, Any]]

class _PricedLineDict(TypedDict):
    product: str
    description: Optional[str]
    quantity: Decimal
    unit_price: Decimal
    gross: Decimal
    discount: Money
    net: Money
    tax_percent: Decimal
    tax: Money
    total: Money

class _PricedQuoteDict(TypedDict):
    lines: List[_PricedLineDict]
    subtotal: Money
    discount: Money
    tax: Money
    total: Money

@final
class Installment:
    """One installment of a split: label, amount, due date (``None`` until its
    milestone, or without a base date), milestone and due rule."""

    @property
    def label(self) -> str: ...
    @property
    def amount(self) -> Money:
        """In the total's currency, in whole minor units."""
    @property
    def due_date(self) -> Optional[date]: ...
    @property
    def milestone(self) -> Optional[str]: ...
    @property
    def due(self) -> Dict[str, Any]:
        """The due rule, as the template writes it (``{"days_after": 30}``, ...)."""
    def to_dict(self) -> _InstallmentDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class PricedLine:
    """A priced quote line: quantity, unit price and gross (not rounded) as
    ``Decimal``; discount, net, tax and total as ``Money``, rounded."""

    @property
    def product(self) -> str: ...
    @property
    def description(self) -> Optional[str]: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def unit_price(self) -> Decimal: ...
    @property
    def gross(self) -> Decimal:
        """Quantity x unit price, not rounded."""
    @property
    def discount(self) -> Money: ...
    @property
    def net(self) -> Money: ...
    @property
    def tax_percent(self) -> Decimal: ...
    @property
    def tax(self) -> Money: ...
    @property
    def total(self) -> Money: ...
    def to_dict(self) -> _PricedLineDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class PricedQuote:
    """A priced quote: its lines and their sums (the total is always the sum of
    the line totals)."""

    @property
    def lines(self) -> List[PricedLine]: ...
    @property
    def subtotal(self) -> Money:
        """The sum of the lines' nets."""
    @property
    def discount(self) -> Money: ...
    @property
    def tax(self) -> Money: ...
    @property
    def total(self) -> Money: ...
    def to_dict(self) -> _PricedQuoteDict: ...
    def __len__(self) -> int: ...
    def __eq__(self, other: object, /) -> bool: ...

def split_payments(total: Money, terms: _TermsLike, base: Optional[date] = None) -> List[Installment]:
    """Splits ``total`` into installments by a terms template, exactly (they
    always sum to the total); date rules count from ``base``."""

def reach_milestone(installments: Iterable[Installment], event: str, on: date) -> List[Installment]:
    """The installments with those waiting for ``event`` dated from ``on``."""

def price_quote(lines: Iterable[_QuoteLineLike], currency: str, price_list: Optional[_PriceListLike] = None) -> PricedQuote:
    """Prices quote lines in ``currency``: exact line and quote totals."""

# ----- payment plans, quote versions, receivables (the engine) -------------------

_QuoteStatus = Literal["open", "accepted", "superseded"]
_InstallmentStatus = Literal["planned", "due", "partially_paid", "paid", "overdue", "written_off"]

class _QuoteLineDict(TypedDict):
    """A quote line as given, every key present (``None`` where not given)."""

    product: str
    description: Optional[str]
    quantity: Decimal
    unit_price: Optional[Decimal]
    discount_percent: Optional[Decimal]
    discount_amount: Optional[Decimal]
    tax_percent: Decimal

class _QuoteVersionDict(TypedDict):
    version: int
    status: _QuoteStatus
    created_at: datetime
    valid_until: Optional[date]
    price_list: Optional[str]
    note: Optional[str]
    lines: List[_QuoteLineDict]
    priced: PricedQuote

class _WriteOffDict(TypedDict):
    on: date
    reason: str
    amount: Money

class _ReversalDict(TypedDict):
    on: date
    reason: str

class _AllocationDict(TypedDict):
    installment: int
    amount: Money

class _PlanLineDict(TypedDict):
    number: int
    label: str
    amount: Money
    due_date: Optional[date]
    milestone: Optional[str]
    due: Dict[str, Any]
    paid: Money
    written_off: Optional[WriteOff]
    replaced: bool

class _PaymentDict(TypedDict):
    id: str
    on: date
    amount: Money
    allocations: List[Allocation]
    credit: Money
    reversed: Optional[Reversal]

class _PaymentPlanDict(TypedDict):
    terms: str
    currency: str
    installments: List[PlanLine]
    payments: List[Payment]
    credit: Money
    milestones: Dict[str, date]

class _AgingDict(TypedDict):
    current: Money
    days_1_30: Money
    days_31_60: Money
    days_61_90: Money
    days_90_plus: Money

class _ReceivableDict(TypedDict):
    contract: str
    number: str
    customer: str
    owner: Optional[str]
    total: Money
    paid: Money
    outstanding: Money
    credit: Money
    aging: Aging

class _CollectedDict(TypedDict):
    owner: Optional[str]
    amount: Money
    payments: int

@final
class QuoteVersion:
    """One version of a deal's quote: the lines as given and as priced."""

    @property
    def version(self) -> int:
        """From 1."""
    @property
    def status(self) -> _QuoteStatus: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def valid_until(self) -> Optional[date]:
        """The last day it may be accepted, if limited."""
    @property
    def price_list(self) -> Optional[str]:
        """The price list used, by name."""
    @property
    def note(self) -> Optional[str]: ...
    @property
    def lines(self) -> List[_QuoteLineDict]:
        """The lines as given (dicts, as ``price_quote`` takes them)."""
    @property
    def priced(self) -> PricedQuote: ...
    def to_dict(self) -> _QuoteVersionDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class WriteOff:
    """A write-off of what was left of an installment."""

    @property
    def on(self) -> date: ...
    @property
    def reason(self) -> str: ...
    @property
    def amount(self) -> Money: ...
    def to_dict(self) -> _WriteOffDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Reversal:
    """A payment undone (it bounced)."""

    @property
    def on(self) -> date: ...
    @property
    def reason(self) -> str: ...
    def to_dict(self) -> _ReversalDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Allocation:
    """The part of a payment that went to one installment."""

    @property
    def installment(self) -> int: ...
    @property
    def amount(self) -> Money: ...
    def to_dict(self) -> _AllocationDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class PlanLine:
    """One installment of a payment plan."""

    @property
    def number(self) -> int:
        """From 1, never reused."""
    @property
    def label(self) -> str: ...
    @property
    def amount(self) -> Money: ...
    @property
    def due_date(self) -> Optional[date]:
        """``None`` while it waits for its milestone."""
    @property
    def milestone(self) -> Optional[str]: ...
    @property
    def due(self) -> Dict[str, Any]: ...
    @property
    def paid(self) -> Money:
        """Paid on it, reversals taken off."""
    @property
    def written_off(self) -> Optional[WriteOff]: ...
    @property
    def replaced(self) -> bool:
        """Replaced by a reschedule (it then owes nothing)."""
    @property
    def open(self) -> Money:
        """What is still owed on it."""
    def status(self, today: date) -> _InstallmentStatus: ...
    def to_dict(self) -> _PlanLineDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Payment:
    """A payment received on a plan, where it went, and its reversal if any."""

    @property
    def id(self) -> str:
        """The caller's reference, unique in the plan."""
    @property
    def on(self) -> date: ...
    @property
    def amount(self) -> Money: ...
    @property
    def allocations(self) -> List[Allocation]: ...
    @property
    def credit(self) -> Money:
        """What was left over."""
    @property
    def reversed(self) -> Optional[Reversal]: ...
    def to_dict(self) -> _PaymentDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Aging:
    """What is owed, by days past due."""

    @property
    def current(self) -> Money: ...
    @property
    def days_1_30(self) -> Money: ...
    @property
    def days_31_60(self) -> Money: ...
    @property
    def days_61_90(self) -> Money: ...
    @property
    def days_90_plus(self) -> Money: ...
    def to_dict(self) -> _AgingDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class PaymentPlan:
    """A contract's payment plan: installments, payments, credit, milestones."""

    @property
    def terms(self) -> str: ...
    @property
    def currency(self) -> str: ...
    @property
    def installments(self) -> List[PlanLine]: ...
    @property
    def payments(self) -> List[Payment]: ...
    @property
    def credit(self) -> Money: ...
    @property
    def milestones(self) -> Dict[str, date]: ...
    @property
    def total(self) -> Money: ...
    @property
    def paid(self) -> Money: ...
    @property
    def outstanding(self) -> Money: ...
    @property
    def is_settled(self) -> bool: ...
    def aging(self, today: date) -> Aging: ...
    def to_dict(self) -> _PaymentPlanDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Receivable:
    """What one contract with a payment plan is owed on a day."""

    @property
    def contract(self) -> str: ...
    @property
    def number(self) -> str: ...
    @property
    def customer(self) -> str: ...
    @property
    def owner(self) -> Optional[str]: ...
    @property
    def total(self) -> Money: ...
    @property
    def paid(self) -> Money: ...
    @property
    def outstanding(self) -> Money: ...
    @property
    def credit(self) -> Money: ...
    @property
    def aging(self) -> Aging: ...
    def to_dict(self) -> _ReceivableDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Collected:
    """Money collected by one owner in one currency over a period."""

    @property
    def owner(self) -> Optional[str]: ...
    @property
    def amount(self) -> Money: ...
    @property
    def payments(self) -> int: ...
    def to_dict(self) -> _CollectedDict: ...
    def __eq__(self, other: object, /) -> bool: ...

# ----- the service desk: working calendars, SLA clocks, escalation, surveys ------

_Target = Literal["first_response", "resolution"]
_TargetStatus = Literal["running", "paused", "met", "breached"]
_EscalationAction = Literal["notify_assignee", "notify_supervisor", "assign_supervisor"]
_FeedbackKind = Literal["inquiry", "suggestion", "complaint", "praise"]

class _CalendarDictBase(TypedDict):
    time_zone: str
    hours: Mapping[str, Sequence[Sequence[str]]]

class _CalendarInput(_CalendarDictBase, total=False):
    """A calendar as ``crm.Calendar`` takes it: holidays as ISO dates or ``date``."""

    holidays: Sequence[Union[str, date]]

class _CalendarDict(TypedDict):
    time_zone: str
    hours: Dict[str, List[List[str]]]
    holidays: List[date]

_CalendarLike = Union["Calendar", str, _CalendarInput, Mapping[str, Any]]

class _TicketSlaDict(TypedDict):
    policy: str
    calendar: str
    clocks: List[TargetClock]
    paused_since: Optional[datetime]
    escalations: List[Escalated]
    next_check_at: Optional[datetime]

class _TargetClockDict(TypedDict):
    target: _Target
    minutes: int
    started_at: datetime
    paused_seconds: int
    due_at: Optional[datetime]
    stopped_at: Optional[datetime]
    consumed_seconds: int
    met: Optional[bool]

class _EscalatedDict(TypedDict):
    target: _Target
    at_percent: int
    action: _EscalationAction
    at: datetime

class _TargetStateDict(TypedDict):
    target: _Target
    status: _TargetStatus
    consumed_minutes: int
    remaining_minutes: int
    due_at: Optional[datetime]

class _TicketEscalationDict(TypedDict):
    ticket: str
    target: _Target
    at_percent: int
    action: _EscalationAction
    to: Optional[str]

class _SurveyDict(TypedDict):
    due_at: datetime
    answered_at: Optional[datetime]
    csat: Optional[int]
    nps: Optional[int]
    feedback: Optional[_FeedbackKind]
    comment: Optional[str]
    follow_up: Optional[str]

@final
class Calendar:
    """A working calendar: a time zone, working hours per weekday and holidays,
    from a dict or a str of JSON. Working time is counted exactly across
    weekends, holidays and daylight-saving changes."""

    def __new__(cls, calendar: _CalendarLike) -> "Calendar": ...
    @property
    def time_zone(self) -> str: ...
    def add(self, start: datetime, minutes: int) -> datetime:
        """The instant ``minutes`` working minutes after ``start``."""
    def between(self, from_: datetime, to: datetime) -> int:
        """The working minutes between two instants, rounded down."""
    def between_seconds(self, from_: datetime, to: datetime) -> int: ...
    def is_working(self, at: datetime) -> bool: ...
    def add_many(self, starts: Iterable[Optional[datetime]], minutes: Union[int, Iterable[Optional[int]]]) -> List[Optional[datetime]]:
        """``add`` over a column (``None`` in, ``None`` out)."""
    def between_many(self, froms: Iterable[Optional[datetime]], tos: Iterable[Optional[datetime]]) -> List[Optional[int]]:
        """``between`` over two columns of the same length."""
    def to_dict(self) -> _CalendarDict: ...
    def to_json(self) -> str: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class TargetClock:
    """One SLA target's clock on a ticket."""

    @property
    def target(self) -> _Target: ...
    @property
    def minutes(self) -> int:
        """Its working minutes."""
    @property
    def started_at(self) -> datetime: ...
    @property
    def paused_seconds(self) -> int: ...
    @property
    def due_at(self) -> Optional[datetime]:
        """``None`` while paused or stopped."""
    @property
    def stopped_at(self) -> Optional[datetime]: ...
    @property
    def consumed_seconds(self) -> int:
        """Working seconds used when it stopped or paused last."""
    @property
    def met(self) -> Optional[bool]: ...
    def to_dict(self) -> _TargetClockDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Escalated:
    """An escalation done on a ticket."""

    @property
    def target(self) -> _Target: ...
    @property
    def at_percent(self) -> int: ...
    @property
    def action(self) -> _EscalationAction: ...
    @property
    def at(self) -> datetime: ...
    def to_dict(self) -> _EscalatedDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class TicketSla:
    """A ticket's SLA: policy, calendar, clocks, pause, escalations done."""

    @property
    def policy(self) -> str: ...
    @property
    def calendar(self) -> str:
        """The calendar's name in the engine's ``sla.calendars``."""
    @property
    def clocks(self) -> List[TargetClock]: ...
    @property
    def paused_since(self) -> Optional[datetime]: ...
    @property
    def escalations(self) -> List[Escalated]: ...
    @property
    def next_check_at(self) -> Optional[datetime]: ...
    def to_dict(self) -> _TicketSlaDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class TargetState:
    """A ticket's SLA target at an instant (``Crm.ticket_sla``)."""

    @property
    def target(self) -> _Target: ...
    @property
    def status(self) -> _TargetStatus: ...
    @property
    def consumed_minutes(self) -> int: ...
    @property
    def remaining_minutes(self) -> int:
        """Negative past due."""
    @property
    def due_at(self) -> Optional[datetime]: ...
    def to_dict(self) -> _TargetStateDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class TicketEscalation:
    """An escalation step ``Crm.escalate`` applied."""

    @property
    def ticket(self) -> str: ...
    @property
    def target(self) -> _Target: ...
    @property
    def at_percent(self) -> int: ...
    @property
    def action(self) -> _EscalationAction: ...
    @property
    def to(self) -> Optional[str]:
        """Who was notified or given the ticket; ``None``: nobody to tell."""
    def to_dict(self) -> _TicketEscalationDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Survey:
    """A ticket's satisfaction survey."""

    @property
    def due_at(self) -> datetime: ...
    @property
    def answered_at(self) -> Optional[datetime]: ...
    @property
    def csat(self) -> Optional[int]:
        """1 (very unhappy) to 5."""
    @property
    def nps(self) -> Optional[int]:
        """0 to 10."""
    @property
    def feedback(self) -> Optional[_FeedbackKind]: ...
    @property
    def comment(self) -> Optional[str]: ...
    @property
    def follow_up(self) -> Optional[str]:
        """The follow-up task's id, if a low score or a complaint created one."""
    def to_dict(self) -> _SurveyDict: ...
    def __eq__(self, other: object, /) -> bool: ...

# ----- loyalty: points ledger, member levels, care items, campaigns ---------------

_PointsKind = Literal["earn", "bonus", "redeem", "expire", "adjust", "reverse"]

class _PurchaseLine(TypedDict, total=False):
    product: Optional[str]
    category: Optional[str]
    amount: _Decimalish

_PurchaseLineLike = Union[_PurchaseLine, Mapping[str, Any]]
_ProgramLike = Union[str, Mapping[str, Any]]

class _LotDict(TypedDict):
    entry: str
    earned_at: datetime
    expires_at: Optional[datetime]
    points: int
    remaining: int

class _LotUseDict(TypedDict):
    entry: str
    points: int

class _WindowItemDict(TypedDict):
    at: datetime
    points: int
    spend: Decimal

class _PendingDowngradeDict(TypedDict):
    to: Optional[str]
    at: datetime

class _MembershipDict(TypedDict):
    joined_at: datetime
    balance: int
    earned: int
    redeemed: int
    expired: int
    lots: List[Lot]
    level: Optional[str]
    level_since: Optional[datetime]
    previous_level: Optional[str]
    downgrade: Optional[PendingDowngrade]
    window: List[WindowItem]
    first_purchase_at: Optional[datetime]
    last_purchase_at: Optional[datetime]
    purchases: int
    next_check_at: Optional[datetime]

class _EarningDict(TypedDict):
    points: int
    base: Decimal
    multiplier: Decimal
    rules: List[str]

class _LevelChangeDict(TypedDict):
    from_: Optional[str]
    to: Optional[str]
    reason: str

class _PointsPostingDict(TypedDict):
    customer: Customer
    entries: List[PointsEntry]
    earning: Optional[Earning]
    level_change: Optional[LevelChange]

class _MemberLevelChangeDict(TypedDict):
    customer: str
    change: LevelChange

class _LoyaltyReviewDict(TypedDict):
    checked: int
    expired_points: int
    entries: int
    level_changes: List[MemberLevelChange]
    batches: int

class _CareDueDict(TypedDict):
    rule: str
    due_at: datetime
    reason: str
    action: str
    occurrence: str

class _CampaignMemberDict(TypedDict):
    customer: str
    holdout: bool
    contacted_at: Optional[datetime]
    contacted_by: Optional[str]

class _GroupMeasureDict(TypedDict):
    members: int
    contacted: int
    repurchased: int
    repurchase_rate: float
    revenue: Decimal
    revenue_per_customer: Decimal

class _MemberOutcomeDict(TypedDict):
    customer: str
    holdout: bool
    contacted: bool
    start: datetime
    purchases: int
    revenue: Decimal

class _CampaignMeasureDict(TypedDict):
    as_of: datetime
    window_days: int
    complete: bool
    treated: GroupMeasure
    holdout: GroupMeasure
    rate_lift: float
    rate_lift_ci95: Optional[Tuple[float, float]]
    revenue_lift: Decimal
    members: List[MemberOutcome]

@final
class Lot:
    """A credit of points with points left."""

    @property
    def entry(self) -> str:
        """The ledger entry that credited them."""
    @property
    def earned_at(self) -> datetime: ...
    @property
    def expires_at(self) -> Optional[datetime]: ...
    @property
    def points(self) -> int: ...
    @property
    def remaining(self) -> int: ...
    def to_dict(self) -> _LotDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class LotUse:
    """The points a debit took from one credit."""

    @property
    def entry(self) -> str: ...
    @property
    def points(self) -> int: ...
    def to_dict(self) -> _LotUseDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class WindowItem:
    """What one purchase or bonus counts toward a level in the window."""

    @property
    def at(self) -> datetime: ...
    @property
    def points(self) -> int: ...
    @property
    def spend(self) -> Decimal: ...
    def to_dict(self) -> _WindowItemDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class PendingDowngrade:
    """A downgrade waiting for the grace period."""

    @property
    def to(self) -> Optional[str]: ...
    @property
    def at(self) -> datetime: ...
    def to_dict(self) -> _PendingDowngradeDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Membership:
    """A customer's loyalty membership: balance, lots, level, window, purchases."""

    @property
    def joined_at(self) -> datetime: ...
    @property
    def balance(self) -> int:
        """The points available."""
    @property
    def earned(self) -> int: ...
    @property
    def redeemed(self) -> int: ...
    @property
    def expired(self) -> int: ...
    @property
    def lots(self) -> List[Lot]:
        """The credits with points left, oldest first."""
    @property
    def level(self) -> Optional[str]: ...
    @property
    def level_since(self) -> Optional[datetime]: ...
    @property
    def previous_level(self) -> Optional[str]: ...
    @property
    def downgrade(self) -> Optional[PendingDowngrade]: ...
    @property
    def window(self) -> List[WindowItem]: ...
    @property
    def first_purchase_at(self) -> Optional[datetime]: ...
    @property
    def last_purchase_at(self) -> Optional[datetime]: ...
    @property
    def purchases(self) -> int: ...
    @property
    def next_check_at(self) -> Optional[datetime]: ...
    def to_dict(self) -> _MembershipDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Earning:
    """What a purchase earns, and why."""

    @property
    def points(self) -> int:
        """Whole points, rounded down once."""
    @property
    def base(self) -> Decimal:
        """The lines' points before multipliers and rounding."""
    @property
    def multiplier(self) -> Decimal: ...
    @property
    def rules(self) -> List[str]: ...
    def to_dict(self) -> _EarningDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class LevelChange:
    """A member's move from one level to another (``from_``: ``from`` is a keyword)."""

    @property
    def from_(self) -> Optional[str]: ...
    @property
    def to(self) -> Optional[str]: ...
    @property
    def reason(self) -> str: ...
    def to_dict(self) -> _LevelChangeDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class PointsEntry(_Record):
    """One movement of a customer's loyalty points: written once, never changed."""

    @property
    def id(self) -> str: ...
    @property
    def customer(self) -> str: ...
    @property
    def owner(self) -> Optional[str]: ...
    @property
    def team(self) -> Optional[str]: ...
    @property
    def kind(self) -> _PointsKind: ...
    @property
    def points(self) -> int:
        """Above zero for a credit, below for a debit."""
    @property
    def balance(self) -> int:
        """The balance after this entry."""
    @property
    def at(self) -> datetime: ...
    @property
    def expires_at(self) -> Optional[datetime]: ...
    @property
    def reference(self) -> Optional[str]: ...
    @property
    def amount(self) -> Optional[Money]: ...
    @property
    def rule(self) -> Optional[str]: ...
    @property
    def reason(self) -> Optional[str]: ...
    @property
    def lots(self) -> List[LotUse]:
        """The credits a debit took its points from, oldest first."""

@final
class PointsPosting:
    """What a command on the points ledger did."""

    @property
    def customer(self) -> Customer: ...
    @property
    def entries(self) -> List[PointsEntry]: ...
    @property
    def earning(self) -> Optional[Earning]: ...
    @property
    def level_change(self) -> Optional[LevelChange]: ...
    def to_dict(self) -> _PointsPostingDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class MemberLevelChange:
    """A member's level change found by ``Crm.review_loyalty``."""

    @property
    def customer(self) -> str: ...
    @property
    def change(self) -> LevelChange: ...
    def to_dict(self) -> _MemberLevelChangeDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class LoyaltyReview:
    """What ``Crm.review_loyalty`` did."""

    @property
    def checked(self) -> int: ...
    @property
    def expired_points(self) -> int: ...
    @property
    def entries(self) -> int: ...
    @property
    def level_changes(self) -> List[MemberLevelChange]: ...
    @property
    def batches(self) -> int: ...
    def to_dict(self) -> _LoyaltyReviewDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class CareDue:
    """A care item due for a customer (``DueItem.care``)."""

    @property
    def rule(self) -> str: ...
    @property
    def due_at(self) -> datetime: ...
    @property
    def reason(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def occurrence(self) -> str: ...
    def to_dict(self) -> _CareDueDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class CampaignMember:
    """One customer a campaign targets."""

    @property
    def customer(self) -> str: ...
    @property
    def holdout(self) -> bool:
        """Held out: not to be contacted."""
    @property
    def contacted_at(self) -> Optional[datetime]: ...
    @property
    def contacted_by(self) -> Optional[str]: ...
    def to_dict(self) -> _CampaignMemberDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Campaign(_Record):
    """A retention or win-back campaign: a segment of customers, a seeded holdout."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def action(self) -> Optional[str]: ...
    @property
    def owner(self) -> Optional[str]: ...
    @property
    def team(self) -> Optional[str]: ...
    @property
    def segment(self) -> Dict[str, Any]:
        """The condition its members matched."""
    @property
    def launched_at(self) -> datetime: ...
    @property
    def holdout_percent(self) -> Decimal: ...
    @property
    def seed(self) -> int: ...
    @property
    def window_days(self) -> int: ...
    @property
    def members(self) -> List[CampaignMember]: ...

@final
class GroupMeasure:
    """One group of a campaign's measure (treated or holdout)."""

    @property
    def members(self) -> int: ...
    @property
    def contacted(self) -> int: ...
    @property
    def repurchased(self) -> int: ...
    @property
    def repurchase_rate(self) -> float: ...
    @property
    def revenue(self) -> Decimal: ...
    @property
    def revenue_per_customer(self) -> Decimal: ...
    def to_dict(self) -> _GroupMeasureDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class MemberOutcome:
    """One member's outcome in a campaign's measure."""

    @property
    def customer(self) -> str: ...
    @property
    def holdout(self) -> bool: ...
    @property
    def contacted(self) -> bool: ...
    @property
    def start(self) -> datetime: ...
    @property
    def purchases(self) -> int: ...
    @property
    def revenue(self) -> Decimal: ...
    def to_dict(self) -> _MemberOutcomeDict: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class CampaignMeasure:
    """A campaign measured at ``as_of``: treated against holdout."""

    @property
    def as_of(self) -> datetime: ...
    @property
    def window_days(self) -> int: ...
    @property
    def complete(self) -> bool:
        """Whether every member's window has ended."""
    @property
    def treated(self) -> GroupMeasure: ...
    @property
    def holdout(self) -> GroupMeasure: ...
    @property
    def rate_lift(self) -> float: ...
    @property
    def rate_lift_ci95(self) -> Optional[Tuple[float, float]]: ...
    @property
    def revenue_lift(self) -> Decimal: ...
    @property
    def members(self) -> List[MemberOutcome]: ...
    def members_rows(self) -> List[_MemberOutcomeDict]:
        """The members' outcomes as dicts, one per member."""
    def to_dict(self) -> _CampaignMeasureDict: ...
    def __eq__(self, other: object, /) -> bool: ...

def loyalty_points(program: _ProgramLike, lines: Iterable[_PurchaseLineLike], level: Optional[str] = None, campaign: Optional[str] = None) -> Earning:
    """What ``lines`` earn under a loyalty program, at ``level``, in ``campaign``."""

def draw_holdout(n: int, percent: _Decimalish, seed: int) -> List[bool]:
    """A campaign's seeded holdout draw: ``True`` marks the holdout."""

_MetricName = Literal[
    "lead_conversion", "stage_conversion", "time_in_stage", "win_rate", "lost_reasons", "cycle_time",
    "forecast", "churn", "service", "channel_roi", "targets", "clv",
]
_ColumnKind = Literal["text", "integer", "float", "decimal", "time", "date", "bool"]
_Cell = Union[str, int, float, Decimal, datetime, bool, None]

class _ScopeUser(TypedDict):
    user: str

class _ScopeTeam(TypedDict):
    team: str

class _ScopeRegion(TypedDict):
    region: str

_ScopeLike = Union[Literal["all"], _ScopeUser, _ScopeTeam, _ScopeRegion]

class _CostDict(TypedDict, total=False):
    channel: Optional[str]
    campaign: Optional[str]
    amount: Money

_TargetPeriod = TypedDict("_TargetPeriod", {"from": datetime, "until": datetime})

class _TargetDict(_TargetPeriod, total=False):
    user: str
    team: str
    amount: Money
    new_customers: int
    activities: int

class _ClvOptionsDict(TypedDict, total=False):
    months: int
    monthly_discount: float
    minor_units: int

class _ColumnDict(TypedDict):
    name: str
    kind: _ColumnKind

class _TableDict(TypedDict):
    metric: str
    columns: List[_ColumnDict]
    rows: List[List[_Cell]]

@final
class Table:
    """A metric's result: named, typed columns and rows."""

    @property
    def metric(self) -> str: ...
    @property
    def columns(self) -> List[Tuple[str, _ColumnKind]]:
        """``(name, kind)`` pairs, in order."""
    def rows(self) -> List[Dict[str, _Cell]]:
        """One dict per row: ``Decimal`` for decimal columns, aware ``datetime`` for times, ``str`` for dates."""
    def to_dict(self) -> _TableDict:
        """``{"metric", "columns": [{"name", "kind"}], "rows": [[value per column]]}``."""
    def to_arrow(self) -> Any:
        """A pyarrow ``Table`` (decimals as decimal128, times as timestamp[us, UTC])."""
    def to_pandas(self) -> Any:
        """A pandas ``DataFrame`` (through pyarrow)."""
    def to_polars(self) -> Any:
        """A polars ``DataFrame`` (through pyarrow)."""
    def __len__(self) -> int: ...
    def __eq__(self, other: object, /) -> bool: ...

class _BgNbdDict(TypedDict):
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    iterations: int

@final
class BgNbd:
    """The fitted BG/NBD model: purchase rates Gamma(r, alpha), drop-out Beta(a, b)."""

    @property
    def r(self) -> float: ...
    @property
    def alpha(self) -> float: ...
    @property
    def a(self) -> float: ...
    @property
    def b(self) -> float: ...
    @property
    def log_likelihood(self) -> float: ...
    @property
    def iterations(self) -> int: ...
    def to_dict(self) -> _BgNbdDict: ...
    def __eq__(self, other: object, /) -> bool: ...

class _GammaGammaDict(TypedDict):
    p: float
    q: float
    v: float
    log_likelihood: float
    iterations: int

@final
class GammaGamma:
    """The fitted Gamma-Gamma model of the spend per purchase."""

    @property
    def p(self) -> float: ...
    @property
    def q(self) -> float: ...
    @property
    def v(self) -> float: ...
    @property
    def log_likelihood(self) -> float: ...
    @property
    def iterations(self) -> int: ...
    def to_dict(self) -> _GammaGammaDict: ...
    def __eq__(self, other: object, /) -> bool: ...

class _ClvModelDict(TypedDict):
    bg_nbd: BgNbd
    gamma_gamma: GammaGamma
    customers: List[Dict[str, _Cell]]

@final
class ClvModel:
    """The lifetime-value models fitted on purchases, with each customer's prediction."""

    @property
    def bg_nbd(self) -> BgNbd: ...
    @property
    def gamma_gamma(self) -> GammaGamma: ...
    @property
    def customers(self) -> Table:
        """One row per customer: frequency, recency, t, monetary, p_alive, expected_purchases, expected_value, clv."""
    def to_dict(self) -> _ClvModelDict: ...
    def __len__(self) -> int: ...
    def __eq__(self, other: object, /) -> bool: ...

class _ClvReportDict(TypedDict):
    currency: Optional[str]
    bg_nbd: Optional[BgNbd]
    gamma_gamma: Optional[GammaGamma]
    not_fitted: Optional[str]
    rows: List[Dict[str, _Cell]]

@final
class ClvReport:
    """The customers' lifetime value, with the fitted models (``None`` when too little history)."""

    @property
    def currency(self) -> Optional[str]: ...
    @property
    def bg_nbd(self) -> Optional[BgNbd]: ...
    @property
    def gamma_gamma(self) -> Optional[GammaGamma]: ...
    @property
    def not_fitted(self) -> Optional[str]:
        """Why the models could not be fitted."""
    @property
    def rows(self) -> Table:
        """One row per customer with a purchase."""
    def to_dict(self) -> _ClvReportDict: ...
    def __len__(self) -> int: ...
    def __eq__(self, other: object, /) -> bool: ...

_ColumnLike = Union[Iterable[Any], _ArrowStream]

def fit_clv(
    customers: _ColumnLike,
    at: _ColumnLike,
    amounts: _ColumnLike,
    *,
    as_of: datetime,
    months: int = 12,
    monthly_discount: float = 0.01,
    minor_units: int = 2,
) -> ClvModel:
    """Fits BG/NBD and Gamma-Gamma on purchases given as three columns, and predicts each customer."""

class _RejectedRowDict(TypedDict):
    row: int
    field: Optional[str]
    reason: str

@final
class RejectedRow:
    """A row an import refused: its number in the file, the field at fault, why."""

    @property
    def row(self) -> int: ...
    @property
    def field(self) -> Optional[str]: ...
    @property
    def reason(self) -> str: ...
    def to_dict(self) -> _RejectedRowDict: ...
    def __eq__(self, other: object, /) -> bool: ...

class _ImportProgressDict(TypedDict):
    rows: int
    imported: int
    rejected: int
    checking: bool

@final
class ImportProgress:
    """Where an import stands, after each batch."""

    @property
    def rows(self) -> int: ...
    @property
    def imported(self) -> int: ...
    @property
    def rejected(self) -> int: ...
    @property
    def checking(self) -> bool: ...
    def to_dict(self) -> _ImportProgressDict: ...
    def __eq__(self, other: object, /) -> bool: ...

class _ImportReportDict(TypedDict):
    rows: int
    imported: int
    duplicates: int
    rejected: List[RejectedRow]
    batches: int
    cancelled: bool

@final
class ImportReport:
    """What an import did."""

    @property
    def rows(self) -> int: ...
    @property
    def imported(self) -> int: ...
    @property
    def duplicates(self) -> int: ...
    @property
    def rejected(self) -> List[RejectedRow]: ...
    @property
    def batches(self) -> int: ...
    @property
    def cancelled(self) -> bool: ...
    def to_dict(self) -> _ImportReportDict: ...
    def __eq__(self, other: object, /) -> bool: ...
