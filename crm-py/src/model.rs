//! Python classes for crm's records and values: frozen wrappers over the core
//! types, with read-only attributes, `to_dict()`, `repr()` and `==`.

use chrono::{DateTime, Utc};
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rust_decimal::Decimal;

use crate::convert::{ToPy, extract_decimal, extract_time, stamp};
use crate::error::to_py;
use crate::rfm::PyRfmSkipped;

macro_rules! record_class {
    ($py:ident, $name:literal, $core:ty, $summary:literal, [$($field:ident),* $(,)?]) => {
        #[doc = $summary]
        #[pyclass(name = $name, module = "crm", frozen, eq, from_py_object)]
        #[derive(Clone, PartialEq)]
        pub struct $py(pub $core);

        impl From<$core> for $py {
            fn from(record: $core) -> Self {
                Self(record)
            }
        }

        #[pymethods]
        impl $py {
            $(
                #[getter]
                fn $field(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                    self.0.$field.to_py(py)
                }
            )*

            /// Bumped by one on every write.
            #[getter]
            fn version(&self) -> u64 {
                self.0.meta.version
            }

            /// When the record was created.
            #[getter]
            fn created_at(&self) -> DateTime<Utc> {
                self.0.meta.created_at
            }

            /// When the record last changed.
            #[getter]
            fn updated_at(&self) -> DateTime<Utc> {
                self.0.meta.updated_at
            }

            /// Who created it.
            #[getter]
            fn created_by(&self) -> String {
                self.0.meta.created_by.to_string()
            }

            /// Whom it is shared with.
            #[getter]
            fn shares(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                self.0.meta.shares.to_py(py)
            }

            /// The record this one was merged into (`Crm.merge`), if it was:
            /// it is kept, marked, and left out of duplicate checks.
            #[getter]
            fn merged_into(&self) -> Option<PyRecordKey> {
                self.0.meta.merged_into.clone().map(PyRecordKey)
            }

            /// Every attribute, as a dict of Python values.
            fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
                let dict = PyDict::new(py);
                $( dict.set_item(stringify!($field), self.0.$field.to_py(py)?)?; )*
                dict.set_item("version", self.0.meta.version)?;
                dict.set_item("created_at", self.0.meta.created_at)?;
                dict.set_item("updated_at", self.0.meta.updated_at)?;
                dict.set_item("created_by", self.0.meta.created_by.as_str())?;
                dict.set_item("shares", self.0.meta.shares.to_py(py)?)?;
                dict.set_item("merged_into", self.0.meta.merged_into.to_py(py)?)?;
                Ok(dict.unbind())
            }

            fn __repr__(&self) -> String {
                let state = crm::Record::state(&self.0).map(|s| format!(", state='{s}'")).unwrap_or_default();
                format!("{}(id='{}', version={}{})", $name, crm::Record::key(&self.0).id, self.0.meta.version, state)
            }
        }
    };
}

record_class!(
    PyCustomer,
    "Customer",
    crm::Customer,
    "A customer: a company or a person that buys, or may buy.",
    [
        id,
        kind,
        name,
        stage,
        stage_since,
        tier,
        owner,
        team,
        region,
        industry,
        tags,
        phone,
        email,
        source_lead,
        time_zone,
        segment,
        last_contact_at,
        loyalty,
        care_done,
        custom
    ]
);
record_class!(
    PyContact,
    "Contact",
    crm::Contact,
    "A person at a customer.",
    [
        id, customer, name, title, phones, emails, owner, team, custom
    ]
);
record_class!(
    PyLead,
    "Lead",
    crm::Lead,
    "A lead: an enquiry not yet qualified into a customer and a deal.",
    [
        id,
        status,
        source,
        channel,
        campaign,
        company,
        contact_name,
        title,
        phone,
        email,
        region,
        product_line,
        owner,
        team,
        quality_score,
        assigned_at,
        first_contact_due_at,
        first_contacted_at,
        next_follow_up_at,
        discard_reason,
        conversion,
        custom
    ]
);
record_class!(
    PyOpportunity,
    "Opportunity",
    crm::Opportunity,
    "An opportunity (a deal) moving through a pipeline.",
    [
        id,
        name,
        stage,
        customer,
        contact,
        lead,
        owner,
        team,
        product_line,
        expected_amount,
        expected_close_date,
        probability,
        lost_reason,
        contract,
        closed_at,
        quotes,
        custom
    ]
);
record_class!(
    PyContract,
    "Contract",
    crm::Contract,
    "A contract with a customer.",
    [
        id,
        number,
        status,
        customer,
        opportunity,
        owner,
        team,
        amount,
        signed_at,
        ended_at,
        termination_reason,
        quote_version,
        lines,
        payment_plan,
        custom
    ]
);
record_class!(
    PyTicket,
    "Ticket",
    crm::Ticket,
    "A service ticket.",
    [
        id,
        subject,
        status,
        priority,
        category,
        channel,
        customer,
        contact,
        group,
        assignee,
        resolution,
        reopen_count,
        resolved_at,
        closed_at,
        contract,
        order,
        warranty_until,
        out_of_scope,
        sla,
        survey,
        custom
    ]
);
record_class!(
    PyActivity,
    "Activity",
    crm::Activity,
    "A call, email, visit, meeting or note.",
    [
        id,
        kind,
        subject,
        summary,
        occurred_at,
        by,
        team,
        next_follow_up_at,
        custom
    ]
);
record_class!(
    PyTask,
    "Task",
    crm::Task,
    "A collaboration task with a log.",
    [
        id,
        title,
        description,
        status,
        priority,
        assignee,
        team,
        due_at,
        related,
        log,
        custom
    ]
);
record_class!(
    PyUser,
    "User",
    crm::User,
    "A user of the CRM.",
    [
        id,
        name,
        email,
        team,
        region,
        product_lines,
        roles,
        active,
        away,
        custom
    ]
);
record_class!(
    PyTeam,
    "Team",
    crm::Team,
    "A sales team or service group.",
    [id, name, region, supervisor, custom]
);

record_class!(
    PyPointsEntry,
    "PointsEntry",
    crm::PointsEntry,
    "One movement of a customer's loyalty points: written once, never changed.",
    [
        id, customer, owner, team, kind, points, balance, at, expires_at, reference, amount, rule,
        reason, lots, custom
    ]
);
record_class!(
    PyCampaign,
    "Campaign",
    crm::Campaign,
    "A retention or win-back campaign: a segment of customers, a seeded holdout.",
    [
        id,
        name,
        action,
        owner,
        team,
        segment,
        launched_at,
        holdout_percent,
        seed,
        window_days,
        members,
        custom
    ]
);

/// Any record as its Python class.
pub fn any_record(py: Python<'_>, record: crm::AnyRecord) -> PyResult<Py<PyAny>> {
    match record {
        crm::AnyRecord::Customer(r) => PyCustomer(r).into_py_any(py),
        crm::AnyRecord::Contact(r) => PyContact(r).into_py_any(py),
        crm::AnyRecord::Lead(r) => PyLead(r).into_py_any(py),
        crm::AnyRecord::Opportunity(r) => PyOpportunity(r).into_py_any(py),
        crm::AnyRecord::Contract(r) => PyContract(r).into_py_any(py),
        crm::AnyRecord::Ticket(r) => PyTicket(r).into_py_any(py),
        crm::AnyRecord::Activity(r) => PyActivity(r).into_py_any(py),
        crm::AnyRecord::Task(r) => PyTask(r).into_py_any(py),
        crm::AnyRecord::User(r) => PyUser(r).into_py_any(py),
        crm::AnyRecord::Team(r) => PyTeam(r).into_py_any(py),
        crm::AnyRecord::PointsEntry(r) => PyPointsEntry(r).into_py_any(py),
        crm::AnyRecord::Campaign(r) => PyCampaign(r).into_py_any(py),
    }
}

/// An exact amount of money in one currency.
///
/// >>> from decimal import Decimal
/// >>> import crm
/// >>> crm.Money(Decimal("12.5"), "EUR")
/// Money('12.50', 'EUR')
#[pyclass(name = "Money", module = "crm", frozen, eq, hash, from_py_object)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyMoney(pub crm::Money);

impl From<crm::Money> for PyMoney {
    fn from(money: crm::Money) -> Self {
        Self(money)
    }
}

#[pymethods]
impl PyMoney {
    #[new]
    fn new(amount: &Bound<'_, PyAny>, currency: &str) -> PyResult<Self> {
        let amount = extract_decimal("amount", amount)?;
        let currency: crm::Currency = currency.parse().map_err(to_py)?;
        crm::Money::new(amount, currency).map(Self).map_err(to_py)
    }

    /// The amount, at the currency's minor units.
    #[getter]
    fn amount(&self) -> Decimal {
        self.0.amount()
    }

    /// The ISO 4217 code.
    #[getter]
    fn currency(&self) -> String {
        self.0.currency().to_string()
    }

    fn __repr__(&self) -> String {
        format!("Money('{}', '{}')", self.0.amount(), self.0.currency())
    }

    fn __str__(&self) -> String {
        self.0.to_string()
    }
}

/// A record's identity: its kind and id.
#[pyclass(name = "RecordKey", module = "crm", frozen, eq, hash, from_py_object)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyRecordKey(pub crm::RecordKey);

impl From<crm::RecordKey> for PyRecordKey {
    fn from(key: crm::RecordKey) -> Self {
        Self(key)
    }
}

#[pymethods]
impl PyRecordKey {
    #[new]
    fn new(kind: &str, id: String) -> PyResult<Self> {
        let kind: crm::EntityKind = kind.parse().map_err(to_py)?;
        Ok(Self(crm::RecordKey::new(kind, id)))
    }

    /// The kind of record: `"lead"`, `"customer"`, ...
    #[getter]
    fn kind(&self) -> &'static str {
        self.0.kind.as_str()
    }

    /// The record's id.
    #[getter]
    fn id(&self) -> String {
        self.0.id.clone()
    }

    fn __repr__(&self) -> String {
        format!("RecordKey('{}', '{}')", self.0.kind, self.0.id)
    }
}

/// One share of a record.
#[pyclass(name = "Share", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyShare(pub crm::Share);

impl From<crm::Share> for PyShare {
    fn from(share: crm::Share) -> Self {
        Self(share)
    }
}

#[pymethods]
impl PyShare {
    /// The user it is shared with, if a user.
    #[getter]
    fn user(&self) -> Option<String> {
        match &self.0.grantee {
            crm::Grantee::User(user) => Some(user.to_string()),
            crm::Grantee::Team(_) => None,
        }
    }

    /// The team it is shared with, if a team.
    #[getter]
    fn team(&self) -> Option<String> {
        match &self.0.grantee {
            crm::Grantee::Team(team) => Some(team.to_string()),
            crm::Grantee::User(_) => None,
        }
    }

    /// `"read"` or `"edit"`.
    #[getter]
    fn access(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.0.access.to_py(py)
    }

    fn __repr__(&self) -> String {
        let who = match &self.0.grantee {
            crm::Grantee::User(user) => format!("user='{user}'"),
            crm::Grantee::Team(team) => format!("team='{team}'"),
        };
        format!(
            "Share({who}, access='{}')",
            if self.0.access == crm::ShareAccess::Edit {
                "edit"
            } else {
                "read"
            }
        )
    }
}

/// What a converted lead became.
#[pyclass(name = "Conversion", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyConversion(pub crm::Conversion);

impl From<crm::Conversion> for PyConversion {
    fn from(conversion: crm::Conversion) -> Self {
        Self(conversion)
    }
}

#[pymethods]
impl PyConversion {
    /// The customer's id.
    #[getter]
    fn customer(&self) -> String {
        self.0.customer.to_string()
    }

    /// The contact's id.
    #[getter]
    fn contact(&self) -> String {
        self.0.contact.to_string()
    }

    /// The opportunity's id, when one was opened.
    #[getter]
    fn opportunity(&self) -> Option<String> {
        self.0.opportunity.map(|id| id.to_string())
    }

    fn __repr__(&self) -> String {
        format!(
            "Conversion(customer='{}', contact='{}', opportunity={:?})",
            self.0.customer,
            self.0.contact,
            self.0.opportunity.map(|id| id.to_string())
        )
    }
}

/// One line of a task's log.
#[pyclass(name = "TaskLogEntry", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyTaskLogEntry(pub crm::TaskLogEntry);

impl From<crm::TaskLogEntry> for PyTaskLogEntry {
    fn from(entry: crm::TaskLogEntry) -> Self {
        Self(entry)
    }
}

#[pymethods]
impl PyTaskLogEntry {
    /// When it was written.
    #[getter]
    fn at(&self) -> DateTime<Utc> {
        self.0.at
    }

    /// Who wrote it.
    #[getter]
    fn by(&self) -> String {
        self.0.by.to_string()
    }

    /// What was written.
    #[getter]
    fn note(&self) -> String {
        self.0.note.clone()
    }

    fn __repr__(&self) -> String {
        format!("TaskLogEntry(at='{}', by='{}')", self.0.at, self.0.by)
    }
}

/// One changed field of an event.
#[pyclass(name = "FieldChange", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyFieldChange(pub crm::FieldChange);

impl From<crm::FieldChange> for PyFieldChange {
    fn from(change: crm::FieldChange) -> Self {
        Self(change)
    }
}

#[pymethods]
impl PyFieldChange {
    /// The field's name (`custom.KEY` for custom fields).
    #[getter]
    fn field(&self) -> String {
        self.0.field.clone()
    }

    /// The value before, as JSON-like Python values (amounts as str).
    #[getter(old)]
    fn old_value(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.0.old.to_py(py)
    }

    /// The value after.
    #[getter(new)]
    fn new_value(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.0.new.to_py(py)
    }

    fn __repr__(&self) -> String {
        format!("FieldChange(field='{}')", self.0.field)
    }
}

/// One change to one record: who, when, what, from which state to which, why.
#[pyclass(name = "Event", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyEvent(pub crm::Event);

#[pymethods]
impl PyEvent {
    /// The event's id.
    #[getter]
    fn id(&self) -> String {
        self.0.id.to_string()
    }

    /// Its position in the store's log.
    #[getter]
    fn seq(&self) -> u64 {
        self.0.seq
    }

    /// When it happened.
    #[getter]
    fn at(&self) -> DateTime<Utc> {
        self.0.at
    }

    /// Who did it.
    #[getter]
    fn actor(&self) -> String {
        self.0.actor.to_string()
    }

    /// The record it changed.
    #[getter]
    fn entity(&self) -> PyRecordKey {
        PyRecordKey(self.0.entity.clone())
    }

    /// What was done (`create`, `update`, `qualify`, ...).
    #[getter]
    fn action(&self) -> String {
        self.0.action.clone()
    }

    /// The state before (`from` is a Python keyword).
    #[getter(from_state)]
    fn state_before(&self) -> Option<String> {
        self.0.from.clone()
    }

    /// The state after.
    #[getter(to_state)]
    fn state_after(&self) -> Option<String> {
        self.0.to.clone()
    }

    /// Why, when a reason was given.
    #[getter]
    fn reason(&self) -> Option<String> {
        self.0.reason.clone()
    }

    /// The fields that changed.
    #[getter]
    fn changes(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.0.changes.to_py(py)
    }

    /// Anything else the event keeps, as JSON-like Python values.
    #[getter]
    fn payload(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.0.payload.to_py(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "Event(seq={}, action='{}', entity=RecordKey('{}', '{}'))",
            self.0.seq, self.0.action, self.0.entity.kind, self.0.entity.id
        )
    }
}

/// A side effect for the host to perform; acknowledge it when done.
#[pyclass(name = "OutboxMessage", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyOutboxMessage(pub crm::OutboxMessage);

#[pymethods]
impl PyOutboxMessage {
    /// The message's id: the host's idempotency key.
    #[getter]
    fn id(&self) -> String {
        self.0.id.to_string()
    }

    /// When it was written.
    #[getter]
    fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// The event that caused it.
    #[getter]
    fn event(&self) -> String {
        self.0.event.to_string()
    }

    /// What to do (`notify`, `send_quote_template`, ...).
    #[getter]
    fn topic(&self) -> String {
        self.0.topic.clone()
    }

    /// The record it is about.
    #[getter]
    fn record(&self) -> PyRecordKey {
        PyRecordKey(self.0.record.clone())
    }

    /// Whom it is for.
    #[getter]
    fn recipient(&self) -> Option<String> {
        self.0.recipient.as_ref().map(ToString::to_string)
    }

    /// Details for the host.
    #[getter]
    fn payload(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.0.payload.to_py(py)
    }

    /// How many times it has been taken.
    #[getter]
    fn attempts(&self) -> u32 {
        self.0.attempts
    }

    /// Until when the last taker holds it.
    #[getter]
    fn leased_until(&self) -> Option<DateTime<Utc>> {
        self.0.leased_until
    }

    /// When the host acknowledged it.
    #[getter]
    fn acked_at(&self) -> Option<DateTime<Utc>> {
        self.0.acked_at
    }

    fn __repr__(&self) -> String {
        format!(
            "OutboxMessage(topic='{}', record=RecordKey('{}', '{}'), attempts={})",
            self.0.topic, self.0.record.kind, self.0.record.id, self.0.attempts
        )
    }
}

/// Who runs a command: a user with roles, a team and a region.
///
/// >>> import crm
/// >>> crm.Actor("ana", roles=["sales"], team="east")
/// Actor(user='ana', roles=['sales'], team='east', region=None)
#[pyclass(name = "Actor", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyActor(pub crm::access::Actor);

#[pymethods]
impl PyActor {
    #[new]
    #[pyo3(signature = (user, *, roles = Vec::new(), team = None, region = None))]
    fn new(
        user: String,
        roles: Vec<String>,
        team: Option<String>,
        region: Option<String>,
    ) -> PyResult<Self> {
        let mut actor = crm::access::Actor::new(crm::UserId::new(user).map_err(to_py)?);
        actor.roles = roles;
        actor.team = team.map(crm::TeamId::new).transpose().map_err(to_py)?;
        actor.region = region;
        Ok(Self(actor))
    }

    /// The user's id.
    #[getter]
    fn user(&self) -> String {
        self.0.user.to_string()
    }

    /// The roles.
    #[getter]
    fn roles(&self) -> Vec<String> {
        self.0.roles.clone()
    }

    /// The team.
    #[getter]
    fn team(&self) -> Option<String> {
        self.0.team.as_ref().map(ToString::to_string)
    }

    /// The region.
    #[getter]
    fn region(&self) -> Option<String> {
        self.0.region.clone()
    }

    fn __repr__(&self) -> String {
        let quoted =
            |v: &Option<String>| v.as_ref().map_or("None".to_string(), |v| format!("'{v}'"));
        let roles: Vec<String> = self
            .0
            .roles
            .iter()
            .map(|role| format!("'{role}'"))
            .collect();
        format!(
            "Actor(user='{}', roles=[{}], team={}, region={})",
            self.0.user,
            roles.join(", "),
            quoted(&self.0.team.as_ref().map(ToString::to_string)),
            quoted(&self.0.region)
        )
    }
}

// ----- assignment --------------------------------------------------------------

/// A time a user is away (leave, holidays), from `from_` until (not including)
/// `until`: assignment rules pass them over then. `from` is a Python keyword,
/// hence `from_`.
///
/// >>> from datetime import datetime, timezone
/// >>> import crm
/// >>> crm.Absence(datetime(2026, 1, 5, tzinfo=timezone.utc), datetime(2026, 1, 12, tzinfo=timezone.utc), "holiday")
/// Absence(from_='2026-01-05T00:00:00Z', until='2026-01-12T00:00:00Z', reason='holiday')
#[pyclass(name = "Absence", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyAbsence(pub crm::Absence);

impl From<crm::Absence> for PyAbsence {
    fn from(absence: crm::Absence) -> Self {
        Self(absence)
    }
}

#[pymethods]
impl PyAbsence {
    #[new]
    #[pyo3(signature = (from_, until, reason = None))]
    fn new(
        from_: &Bound<'_, PyAny>,
        until: &Bound<'_, PyAny>,
        reason: Option<String>,
    ) -> PyResult<Self> {
        Ok(Self(crm::Absence {
            from: extract_time("from_", from_)?,
            until: extract_time("until", until)?,
            reason,
        }))
    }

    /// When it starts.
    #[getter(from_)]
    fn starts(&self) -> DateTime<Utc> {
        self.0.from
    }

    /// When it ends (the user is back at this instant).
    #[getter]
    fn until(&self) -> DateTime<Utc> {
        self.0.until
    }

    /// Why (holiday, sick leave, ...), when given.
    #[getter]
    fn reason(&self) -> Option<String> {
        self.0.reason.clone()
    }

    fn __repr__(&self) -> String {
        format!(
            "Absence(from_='{}', until='{}', reason={})",
            stamp(self.0.from),
            stamp(self.0.until),
            quoted(self.0.reason.as_deref())
        )
    }
}

/// Where a record went, and why: the user chosen (or the pool, with the
/// reason), the rule that chose, and every rule tried (`trace`).
///
/// >>> from datetime import datetime, timezone
/// >>> import crm
/// >>> rules = {"rules": [{"name": "east", "when": {"field": "region", "eq": "east"}, "users": ["ana"]}]}
/// >>> engine = crm.Crm(now=datetime(2026, 1, 5, 9, tzinfo=timezone.utc), seed=1, config={"assignment": rules})
/// >>> admin = crm.Actor("root", roles=["admin"])
/// >>> _ = engine.save_user(admin, "ana", "Ana")
/// >>> east = engine.create_lead(admin, company="Acme", region="east")
/// >>> east.owner
/// 'ana'
/// >>> west = engine.create_lead(admin, company="Globex", region="west")
/// >>> routing = engine.route_lead(admin, west.id)
/// >>> routing.owner, routing.pool_reason
/// (None, 'no rule matches')
/// >>> [(step.rule, step.result) for step in routing.trace]
/// [('east', 'not_matched')]
/// >>> engine.route_lead(admin, east.id)
/// Routing(subject=RecordKey('lead', '...'), owner='ana', team=None, rule='east', pool_reason=None)
#[pyclass(name = "Routing", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyRouting(pub crm::assign::Routing);

impl From<crm::assign::Routing> for PyRouting {
    fn from(routing: crm::assign::Routing) -> Self {
        Self(routing)
    }
}

#[pymethods]
impl PyRouting {
    /// The record decided on.
    #[getter]
    fn subject(&self) -> Option<PyRecordKey> {
        self.0.subject.clone().map(PyRecordKey)
    }

    /// The user chosen; `None`: the record went to the pool.
    #[getter]
    fn owner(&self) -> Option<String> {
        self.0.owner.as_ref().map(ToString::to_string)
    }

    /// The team of the owner, or of the pool.
    #[getter]
    fn team(&self) -> Option<String> {
        self.0.team.as_ref().map(ToString::to_string)
    }

    /// The rule that chose.
    #[getter]
    fn rule(&self) -> Option<String> {
        self.0.rule.clone()
    }

    /// Why it went to the pool.
    #[getter]
    fn pool_reason(&self) -> Option<String> {
        self.0.pool_reason.clone()
    }

    /// Every rule tried, in order.
    #[getter]
    fn trace(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.0.trace.to_py(py)
    }

    fn __repr__(&self) -> String {
        let subject = self.0.subject.as_ref().map_or("None".to_string(), |key| {
            format!("RecordKey('{}', '{}')", key.kind, key.id)
        });
        let text = |v: Option<String>| quoted(v.as_deref());
        format!(
            "Routing(subject={subject}, owner={}, team={}, rule={}, pool_reason={})",
            text(self.0.owner.as_ref().map(ToString::to_string)),
            text(self.0.team.as_ref().map(ToString::to_string)),
            text(self.0.rule.clone()),
            text(self.0.pool_reason.clone())
        )
    }
}

/// One rule tried in a routing: what became of it, why, and whom it passed over.
#[pyclass(name = "TraceStep", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyTraceStep(pub crm::assign::TraceStep);

impl From<crm::assign::TraceStep> for PyTraceStep {
    fn from(step: crm::assign::TraceStep) -> Self {
        Self(step)
    }
}

#[pymethods]
impl PyTraceStep {
    /// The rule's name.
    #[getter]
    fn rule(&self) -> String {
        self.0.rule.clone()
    }

    /// `"not_matched"`, `"outside_hours"`, `"no_one_available"` or `"chosen"`.
    #[getter]
    fn result(&self) -> &'static str {
        self.0.result.as_str()
    }

    /// Why: the tests that decided its condition, or its hours.
    #[getter]
    fn detail(&self) -> String {
        self.0.detail.clone()
    }

    /// The users it passed over, and why.
    #[getter]
    fn skipped(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.0.skipped.to_py(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "TraceStep(rule='{}', result='{}', skipped={})",
            self.0.rule,
            self.0.result.as_str(),
            self.0.skipped.len()
        )
    }
}

/// A user a rule passed over, and why.
#[pyclass(name = "Skipped", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PySkipped(pub crm::assign::Skipped);

impl From<crm::assign::Skipped> for PySkipped {
    fn from(skipped: crm::assign::Skipped) -> Self {
        Self(skipped)
    }
}

#[pymethods]
impl PySkipped {
    /// The user.
    #[getter]
    fn user(&self) -> String {
        self.0.user.to_string()
    }

    /// `"unknown"`, `"inactive"`, `"on_leave"`, `"at_daily_cap"`,
    /// `"at_window_cap"` or `"excluded"`.
    #[getter]
    fn reason(&self) -> &'static str {
        self.0.reason.as_str()
    }

    fn __repr__(&self) -> String {
        format!(
            "Skipped(user='{}', reason='{}')",
            self.0.user,
            self.0.reason.as_str()
        )
    }
}

/// One user's due work: first contacts, follow-ups and tasks, earliest first.
#[pyclass(name = "DueWork", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyDueWork(pub crm::DueWork);

impl From<crm::DueWork> for PyDueWork {
    fn from(work: crm::DueWork) -> Self {
        Self(work)
    }
}

#[pymethods]
impl PyDueWork {
    /// The user.
    #[getter]
    fn user(&self) -> String {
        self.0.user.to_string()
    }

    /// How many of the items are overdue.
    #[getter]
    fn overdue(&self) -> usize {
        self.0.overdue
    }

    /// The items, earliest first.
    #[getter]
    fn items(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.0.items.to_py(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "DueWork(user='{}', overdue={}, items={})",
            self.0.user,
            self.0.overdue,
            self.0.items.len()
        )
    }
}

/// One piece of due work: a lead's first contact or follow-up, a task,
/// winning back a customer, an installment, the service desk's SLA
/// targets, escalation steps and surveys, or customer care (`care`).
#[pyclass(name = "DueItem", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyDueItem(pub crm::DueItem);

impl From<crm::DueItem> for PyDueItem {
    fn from(item: crm::DueItem) -> Self {
        Self(item)
    }
}

#[pymethods]
impl PyDueItem {
    /// The lead, task or customer.
    #[getter]
    fn subject(&self) -> PyRecordKey {
        PyRecordKey(self.0.subject.clone())
    }

    /// `"first_contact"`, `"follow_up"`, `"task"`, `"win_back"`,
    /// `"installment"`, `"sla"` (a ticket's target due or breached),
    /// `"escalation"` (an escalation step due), `"survey"` (a closed
    /// ticket's survey to send) or `"care"` (customer care by the loyalty
    /// program's care rules; `care` says which).
    #[getter]
    fn kind(&self) -> &'static str {
        self.0.kind.as_str()
    }

    /// What to show: the lead's company or contact, the task's title, the
    /// customer's name.
    #[getter]
    fn title(&self) -> String {
        self.0.title.clone()
    }

    /// When it is (or was) due.
    #[getter]
    fn due_at(&self) -> DateTime<Utc> {
        self.0.due_at
    }

    /// Whether that is already past.
    #[getter]
    fn overdue(&self) -> bool {
        self.0.overdue
    }

    /// For a `"care"` item: the rule, why and what to do (a `crm.CareDue`);
    /// `None` for other kinds.
    #[getter]
    fn care(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.0.care.to_py(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "DueItem(subject=RecordKey('{}', '{}'), kind='{}', due_at='{}', overdue={})",
            self.0.subject.kind,
            self.0.subject.id,
            self.0.kind.as_str(),
            stamp(self.0.due_at),
            if self.0.overdue { "True" } else { "False" }
        )
    }
}

/// A lead's score (0 to 100) and how it was reached.
#[pyclass(name = "Score", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyScore(pub crm::assign::Score);

impl From<crm::assign::Score> for PyScore {
    fn from(score: crm::assign::Score) -> Self {
        Self(score)
    }
}

#[pymethods]
impl PyScore {
    /// The score, 0 to 100.
    #[getter]
    fn score(&self) -> u8 {
        self.0.score
    }

    /// Where it started.
    #[getter]
    fn base(&self) -> i32 {
        self.0.base
    }

    /// The rules that gave points, in order.
    #[getter]
    fn parts(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.0.parts.to_py(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "Score(score={}, base={}, parts={})",
            self.0.score,
            self.0.base,
            self.0.parts.len()
        )
    }
}

/// What `Crm.refresh_customer_value` did: customers scored, tiers and stages
/// changed, commits made, and what the scoring left out.
#[pyclass(name = "ValueRefresh", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyValueRefresh(pub crm::ValueRefresh);

#[pymethods]
impl PyValueRefresh {
    /// Customers scored (those with at least one purchase).
    #[getter]
    fn scored(&self) -> usize {
        self.0.scored
    }

    /// Customers whose tier changed.
    #[getter]
    fn tiers_changed(&self) -> usize {
        self.0.tiers_changed
    }

    /// Customers whose lifecycle stage changed.
    #[getter]
    fn stages_changed(&self) -> usize {
        self.0.stages_changed
    }

    /// Commits made (500 customers each at most).
    #[getter]
    fn batches(&self) -> usize {
        self.0.batches
    }

    /// What the scoring left out: contracts signed after `as_of`, customers
    /// with refunds only.
    #[getter]
    fn skipped(&self) -> PyRfmSkipped {
        PyRfmSkipped(self.0.skipped)
    }

    fn __repr__(&self) -> String {
        format!(
            "ValueRefresh(scored={}, tiers_changed={}, stages_changed={}, batches={}, skipped=RfmSkipped(future={}, refund_only={}))",
            self.0.scored,
            self.0.tiers_changed,
            self.0.stages_changed,
            self.0.batches,
            self.0.skipped.future,
            self.0.skipped.refund_only
        )
    }
}

/// The points one scoring rule gave.
#[pyclass(name = "ScorePart", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyScorePart(pub crm::assign::ScorePart);

impl From<crm::assign::ScorePart> for PyScorePart {
    fn from(part: crm::assign::ScorePart) -> Self {
        Self(part)
    }
}

#[pymethods]
impl PyScorePart {
    /// The rule's name.
    #[getter]
    fn rule(&self) -> String {
        self.0.rule.clone()
    }

    /// Its points (negative ones take away).
    #[getter]
    fn points(&self) -> i32 {
        self.0.points
    }

    /// Why its condition held.
    #[getter]
    fn detail(&self) -> String {
        self.0.detail.clone()
    }

    fn __repr__(&self) -> String {
        format!(
            "ScorePart(rule='{}', points={})",
            self.0.rule, self.0.points
        )
    }
}

fn quoted(value: Option<&str>) -> String {
    value.map_or("None".to_string(), |v| format!("'{v}'"))
}
