//! `crm.Crm`: the engine, for Python.
//!
//! Every command converts its arguments, releases the GIL while the engine
//! works, and converts the result back; errors become `crm` exceptions.

use std::sync::{Mutex, MutexGuard};

use chrono::Duration;
use crm::access::Actor;
use crm::store::MemoryStore;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyMapping, PyString, PyTuple};

use crate::analytics::{self, PyClvReport, PyImportReport, PyTable};
use crate::convert::{
    ToPy, extract_count, extract_date, extract_decimal, extract_money, extract_opt_date,
    extract_opt_money, extract_opt_time, extract_time, extract_u32, to_json, whole,
};
use crate::desk::{PyTargetState, PyTicketEscalation, feedback_kind, survey_score};
use crate::error::{invalid, to_py};
use crate::loyalty::{
    PyCampaignMeasure, PyLoyaltyReview, PyPointsPosting, purchase_lines, segment_of,
};
use crate::model::{
    PyAbsence, PyActivity, PyActor, PyCampaign, PyContact, PyContract, PyConversion, PyCustomer,
    PyDueWork, PyEvent, PyLead, PyOpportunity, PyOutboxMessage, PyPointsEntry, PyRecordKey,
    PyRouting, PyScore, PyTask, PyTeam, PyTicket, PyUser, PyValueRefresh, any_record,
};
use crate::payments::{price_list_of, quote_lines, terms_of};
use crate::plans::{PyCollected, PyReceivable};
use crate::rfm::text;

/// The CRM engine. `Crm()` keeps everything in memory; `crm.open(location)`
/// keeps it in an SQLite file (a path) or a PostgreSQL database (a
/// `postgres://` URL).
///
/// With `now`, the engine runs on a fixed clock that starts there and moves
/// only when told (`advance_clock`, `set_now`): what tests and replays want.
/// Without it, it runs on the system clock. `seed` makes ids repeatable.
///
/// `config` is the engine's configuration, as the Config JSON: a `str`, or a
/// `Mapping` (serialised with `json.dumps`) with any of `lifecycles`,
/// `fields`, `policy`, `assignment`, `lead_scoring`, `claim_limit`,
/// `reclaim`, `first_contact_within_hours`, `follow_up_after_hours`,
/// `due_ahead_hours`, `outbox_lease_seconds`, `contract_number_prefix`, `rfm`
/// (the customer value configuration, as `crm.score_rfm` takes it),
/// `value_currency` and `dedupe` (the duplicate matching configuration, as
/// `crm.dedupe` takes it, for `find_duplicates`) and `sla` (the service
/// desk: working calendars as `crm.Calendar` takes them, SLA policies,
/// escalation steps, surveys). An invalid one raises `crm.ConfigError` naming where it
/// is wrong.
///
/// >>> from datetime import datetime, timezone
/// >>> import crm
/// >>> engine = crm.Crm(now=datetime(2026, 1, 5, 9, tzinfo=timezone.utc), seed=1)
/// >>> ana = crm.Actor("ana", roles=["sales"])
/// >>> lead = engine.create_lead(ana, company="Acme", owner="ana")
/// >>> lead.status
/// 'new'
/// >>> engine.qualify_lead(ana, lead.id).status
/// 'qualified'
#[pyclass(name = "Crm", module = "crm")]
pub struct PyCrm {
    inner: Mutex<Engine>,
    clock: Option<crm::FixedClock>,
    /// The thread running an import while its progress callback may run:
    /// a call back into this engine from there would wait on itself.
    importing: Mutex<Option<std::thread::ThreadId>>,
}

type Engine = crm::Crm<crm::DynStore>;

impl PyCrm {
    /// Refuses a call from an import's progress callback into the engine
    /// that is importing (it holds the engine; the call would never return).
    fn not_reentrant(&self) -> PyResult<()> {
        let importing = *self
            .importing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if importing == Some(std::thread::current().id()) {
            return Err(invalid(
                "progress",
                "may not call the engine that is importing; it is busy until import_rows returns",
            ));
        }
        Ok(())
    }

    fn locked(&self) -> MutexGuard<'_, Engine> {
        // A panic inside the engine would poison the lock; the engine does not
        // panic, and a poisoned lock still holds a consistent store (commits are
        // all or nothing), so carry on with it.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `work` on the engine with the GIL released.
    fn run<T: Send>(
        &self,
        py: Python<'_>,
        work: impl FnOnce(&mut Engine) -> crm::Result<T> + Send,
    ) -> PyResult<T> {
        self.not_reentrant()?;
        py.detach(|| work(&mut self.locked())).map_err(to_py)
    }
}

impl PyCrm {
    fn build(
        store: crm::DynStore,
        now: Option<&Bound<'_, PyAny>>,
        seed: Option<u64>,
        config: crm::Config,
    ) -> PyResult<Self> {
        let ids = seed.map_or_else(crm::ids_from_entropy, crm::SeededIds::new);
        let (engine, clock) = match extract_opt_time("now", now)? {
            Some(start) => {
                let clock = crm::FixedClock::new(start);
                (
                    crm::Crm::new(store, config, clock.clone(), ids),
                    Some(clock),
                )
            }
            None => (crm::Crm::new(store, config, crm::SystemClock, ids), None),
        };
        Ok(PyCrm {
            inner: Mutex::new(engine.map_err(to_py)?),
            clock,
            importing: Mutex::new(None),
        })
    }
}

/// The configuration from a `str` of JSON or a `Mapping` (through
/// `json.dumps`); the default without one.
fn config(value: Option<&Bound<'_, PyAny>>) -> PyResult<crm::Config> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(crm::Config::default());
    };
    let text = if value.cast::<PyString>().is_ok() {
        value.extract::<String>()?
    } else if value.cast::<PyMapping>().is_ok() {
        dumps(value, "config")?
    } else {
        return Err(to_py(crm::Error::config(
            "config",
            format!(
                "must be a str of JSON or a Mapping, got {}",
                value.get_type().name()?
            ),
        )));
    };
    crm::Config::from_json(&text).map_err(to_py)
}

/// `json.dumps(value)`, with nested `Mapping`s as objects, a `crm.Calendar`
/// as its JSON, `date` and aware `datetime` as ISO text, a `Decimal` as its
/// exact text, and no NaN; what it cannot write is a `crm.ConfigError` at
/// `path`.
pub(crate) fn dumps(value: &Bound<'_, PyAny>, path: &str) -> PyResult<String> {
    let py = value.py();
    let as_object = pyo3::types::PyCFunction::new_closure(
        py,
        None,
        None,
        |args: &Bound<'_, PyTuple>, _kwargs| -> PyResult<Py<PyAny>> {
            let item = args.get_item(0)?;
            if item.cast::<PyMapping>().is_ok() {
                return Ok(item.py().get_type::<PyDict>().call1((item,))?.unbind());
            }
            if let Ok(calendar) = item.cast::<crate::desk::PyCalendar>() {
                return calendar.get().0.to_json().to_py(item.py());
            }
            let decimal = item.py().import("decimal")?.getattr("Decimal")?;
            if item.is_instance(&decimal)? {
                return Ok(item.str()?.into_any().unbind());
            }
            if item.is_instance_of::<pyo3::types::PyDate>() {
                // A naive datetime is refused, as everywhere.
                return to_json("config", &item)
                    .map_err(|_| {
                        pyo3::exceptions::PyTypeError::new_err("a naive datetime is not JSON")
                    })?
                    .to_py(item.py());
            }
            Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "a {} is not JSON",
                item.get_type().name()?
            )))
        },
    )?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("allow_nan", false)?;
    kwargs.set_item("default", as_object)?;
    py.import("json")?
        .call_method("dumps", (value,), Some(&kwargs))
        .and_then(|text| text.extract::<String>())
        .map_err(|err| {
            // What json.dumps cannot write (a set, NaN, a cycle) is a bad
            // configuration; anything else (KeyboardInterrupt) goes on as it is.
            let unwritable = err.is_instance_of::<pyo3::exceptions::PyTypeError>(py)
                || err.is_instance_of::<pyo3::exceptions::PyValueError>(py)
                || err.is_instance_of::<pyo3::exceptions::PyRecursionError>(py);
            if !unwritable {
                return err;
            }
            let reason = err
                .value(py)
                .str()
                .map(|s| s.to_string())
                .unwrap_or_default();
            to_py(crm::Error::config(path, reason))
        })
}

/// A user's absences from `crm.Absence` objects or dicts with `from`,
/// `until` and (optionally) `reason`.
fn absences(value: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<crm::Absence>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(Vec::new());
    };
    if value.cast::<PyString>().is_ok() || value.cast::<PyMapping>().is_ok() {
        return Err(invalid(
            "away",
            "expects a list of crm.Absence or of dicts with from, until and reason",
        ));
    }
    let items = value.try_iter().map_err(|_| {
        invalid(
            "away",
            "expects a list of crm.Absence or of dicts with from, until and reason",
        )
    })?;
    let mut away = Vec::new();
    for (at, item) in items.enumerate() {
        let item = item?;
        let field = format!("away[{at}]");
        if let Ok(absence) = item.cast::<PyAbsence>() {
            away.push(absence.get().0.clone());
            continue;
        }
        let Ok(map) = item.cast::<PyMapping>() else {
            return Err(invalid(
                &field,
                "expects a crm.Absence or a dict with from, until and reason",
            ));
        };
        for key in map.keys()?.iter() {
            let known = key
                .extract::<String>()
                .is_ok_and(|k| matches!(k.as_str(), "from" | "until" | "reason"));
            if !known {
                return Err(invalid(
                    &field,
                    format!(
                        "has the unknown key {}; expected from, until, reason",
                        key.repr()?
                    ),
                ));
            }
        }
        let get = |name: &str| -> PyResult<Option<Bound<'_, PyAny>>> {
            Ok(if map.contains(name)? {
                Some(map.get_item(name)?).filter(|v| !v.is_none())
            } else {
                None
            })
        };
        let time = |name: &str| -> PyResult<chrono::DateTime<chrono::Utc>> {
            let field = format!("{field}.{name}");
            match get(name)? {
                Some(v) => extract_time(&field, &v),
                None => Err(invalid(&field, "is required")),
            }
        };
        let reason = match get("reason")? {
            Some(v) => Some(
                v.extract::<String>()
                    .map_err(|_| invalid(&format!("{field}.reason"), "expects a str"))?,
            ),
            None => None,
        };
        away.push(crm::Absence {
            from: time("from")?,
            until: time("until")?,
            reason,
        });
    }
    Ok(away)
}

fn user(field: &str, id: Option<String>) -> PyResult<Option<crm::UserId>> {
    id.map(crm::UserId::new)
        .transpose()
        .map_err(|e| to_py_in(e, field))
}

fn team(field: &str, id: Option<String>) -> PyResult<Option<crm::TeamId>> {
    id.map(crm::TeamId::new)
        .transpose()
        .map_err(|e| to_py_in(e, field))
}

fn parse<T: std::str::FromStr<Err = crm::Error>>(text: &str) -> PyResult<T> {
    text.parse().map_err(to_py)
}

fn key(kind: &str, id: &str) -> PyResult<crm::RecordKey> {
    crm::RecordKey::parse(kind, id).map_err(to_py)
}

/// A core error about a general rule (a user id) reported for the argument
/// that held the value (`owner`).
fn to_py_in(err: crm::Error, field: &str) -> PyErr {
    to_py(err.in_field(field))
}

/// An enum value from its name (`"urgent"`), the error on `field`.
fn enum_value<T: std::str::FromStr<Err = crm::Error>>(field: &str, value: &str) -> PyResult<T> {
    value.parse().map_err(|err| to_py_in(err, field))
}

/// An id from its text, a bad one reported on `field` (`contract`).
fn id_in<T: std::str::FromStr<Err = crm::Error>>(field: &str, text: &str) -> PyResult<T> {
    text.parse().map_err(|err| to_py_in(err, field))
}

/// The installment numbers a payment goes to, from a list of `int`.
fn installments(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<u32>>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if value.cast::<PyString>().is_ok() || value.cast::<PyMapping>().is_ok() {
        return Err(invalid("to", "expects a list of installment numbers"));
    }
    let items = value
        .try_iter()
        .map_err(|_| invalid("to", "expects a list of installment numbers"))?;
    items
        .enumerate()
        .map(|(at, item)| extract_u32(&format!("to[{at}]"), &item?))
        .collect::<PyResult<Vec<_>>>()
        .map(Some)
}

/// Customer ids from a list of `str`; errors on `field[i]`.
fn customer_ids(field: &str, value: &Bound<'_, PyAny>) -> PyResult<Vec<crm::CustomerId>> {
    if value.cast::<PyString>().is_ok() || value.cast::<PyMapping>().is_ok() {
        return Err(invalid(field, "expects a list of customer ids"));
    }
    let items = value
        .try_iter()
        .map_err(|_| invalid(field, "expects a list of customer ids"))?;
    items
        .enumerate()
        .map(|(at, item)| {
            let at = format!("{field}[{at}]");
            id_in(&at, &text(&at, &item?)?)
        })
        .collect()
}

fn grantee(user_id: Option<String>, team_id: Option<String>) -> PyResult<crm::Grantee> {
    match (user("user", user_id)?, team("team", team_id)?) {
        (Some(user), None) => Ok(crm::Grantee::User(user)),
        (None, Some(team)) => Ok(crm::Grantee::Team(team)),
        _ => Err(invalid("grantee", "name exactly one of user= or team=")),
    }
}

fn score(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u8>> {
    value
        .filter(|v| !v.is_none())
        .map(|v| {
            let count = extract_count("quality_score", v)?;
            u8::try_from(count).map_err(|_| {
                to_py(crm::Error::invalid("quality_score", "must be 0 to 100").with_value(count))
            })
        })
        .transpose()
}

/// A record's key from a `crm.RecordKey`, a `(kind, id)` tuple or a dict with
/// `kind` and `id`; errors on `field`, `field.kind` or `field.id`.
fn record_key(field: &str, value: &Bound<'_, PyAny>) -> PyResult<crm::RecordKey> {
    if let Ok(key) = value.cast::<PyRecordKey>() {
        return Ok(key.get().0.clone());
    }
    let expects = || -> PyResult<PyErr> {
        Ok(invalid(
            field,
            format!(
                "expects a crm.RecordKey, a (kind, id) tuple or a dict with kind and id, got {}",
                value.get_type().name()?
            ),
        ))
    };
    let (kind, id) = if let Ok(pair) = value.cast::<PyTuple>() {
        if pair.len() != 2 {
            return Err(expects()?);
        }
        (pair.get_item(0)?, pair.get_item(1)?)
    } else if let Ok(map) = value.cast::<PyMapping>() {
        for name in map.keys()?.iter() {
            let known = name
                .extract::<String>()
                .is_ok_and(|k| matches!(k.as_str(), "kind" | "id"));
            if !known {
                return Err(invalid(
                    field,
                    format!("has the unknown key {}; expected kind, id", name.repr()?),
                ));
            }
        }
        let get = |name: &str| -> PyResult<Bound<'_, PyAny>> {
            if map.contains(name)? {
                map.get_item(name)
            } else {
                Err(invalid(&format!("{field}.{name}"), "is required"))
            }
        };
        (get("kind")?, get("id")?)
    } else {
        return Err(expects()?);
    };
    let text = |name: &str, value: &Bound<'_, PyAny>| -> PyResult<String> {
        value.extract::<String>().map_err(|_| {
            let got = value
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default();
            invalid(
                &format!("{field}.{name}"),
                format!("expects a str, got {got}"),
            )
        })
    };
    let (kind, id) = (text("kind", &kind)?, text("id", &id)?);
    kind.parse::<crm::EntityKind>()
        .map_err(|e| to_py_in(e, &format!("{field}.kind")))?;
    crm::RecordKey::parse(&kind, &id).map_err(|e| to_py_in(e, &format!("{field}.id")))
}

/// The keys of a list of records (each as [`record_key`] reads it), errors
/// on `field[i]`.
fn record_keys(field: &str, value: &Bound<'_, PyAny>) -> PyResult<Vec<crm::RecordKey>> {
    let expects = || -> PyResult<PyErr> {
        Ok(invalid(
            field,
            format!(
                "expects a list of crm.RecordKey, (kind, id) tuples or dicts with kind and id, got {}",
                value.get_type().name()?
            ),
        ))
    };
    if value.cast::<PyString>().is_ok() || value.cast::<PyMapping>().is_ok() {
        return Err(expects()?);
    }
    let Ok(items) = value.try_iter() else {
        return Err(expects()?);
    };
    items
        .enumerate()
        .map(|(at, item)| record_key(&format!("{field}[{at}]"), &item?))
        .collect()
}

/// A survivor rule from its name.
fn survivor_rule(rule: &str) -> PyResult<crm::SurvivorRule> {
    serde_json::from_value(serde_json::Value::String(rule.to_string())).map_err(|_| {
        to_py(
            crm::Error::invalid("rule", "must be oldest, newest or most_complete")
                .with_value(rule.chars().take(40).collect::<String>()),
        )
    })
}

/// A likely duplicate as a dict: `record` (a `crm.RecordKey`), `probability`,
/// `rule` and `explanation` (as `crm.explain_match` gives it).
fn duplicate(py: Python<'_>, found: &crm::DuplicateMatch) -> PyResult<Py<PyAny>> {
    let dict = PyDict::new(py);
    dict.set_item("record", PyRecordKey(found.record.clone()))?;
    dict.set_item("probability", found.probability)?;
    dict.set_item("rule", found.rule.as_deref())?;
    dict.set_item(
        "explanation",
        crate::dedupe::to_python(py, serde_json::to_string(&found.explanation))?,
    )?;
    Ok(dict.into_any().unbind())
}

#[pymethods]
impl PyCrm {
    #[new]
    #[pyo3(signature = (*, now = None, seed = None, config = None))]
    fn new(
        now: Option<&Bound<'_, PyAny>>,
        seed: Option<u64>,
        config: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let config = self::config(config)?;
        Self::build(Box::new(MemoryStore::new()), now, seed, config)
    }

    /// Opens a durable store: an SQLite file at a path (created when missing),
    /// or a PostgreSQL database at a `postgres://` URL. The file or database
    /// keeps everything between runs; the configuration is the host's to pass
    /// each time.
    #[staticmethod]
    #[pyo3(signature = (location, *, now = None, seed = None, config = None))]
    fn open(
        py: Python<'_>,
        location: String,
        now: Option<&Bound<'_, PyAny>>,
        seed: Option<u64>,
        config: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let config = self::config(config)?;
        let store = py.detach(|| crm::open_store(&location)).map_err(to_py)?;
        Self::build(store, now, seed, config)
    }

    /// The engine's current time.
    fn now(&self, py: Python<'_>) -> PyResult<chrono::DateTime<chrono::Utc>> {
        self.run(py, |crm| Ok(crm.now()))
    }

    /// Moves a fixed clock on.
    #[pyo3(signature = (*, minutes = 0, hours = 0, days = 0))]
    fn advance_clock(&self, minutes: i64, hours: i64, days: i64) -> PyResult<()> {
        let clock = self.clock.as_ref().ok_or_else(|| {
            invalid(
                "clock",
                "the system clock cannot be moved; pass now= to Crm()",
            )
        })?;
        let total = minutes
            .checked_add(hours.checked_mul(60).unwrap_or(i64::MAX))
            .and_then(|m| m.checked_add(days.checked_mul(24 * 60)?));
        let total = total
            .filter(|m| m.abs() < 1_000_000_000)
            .ok_or_else(|| invalid("minutes", "is out of range"))?;
        clock.advance(Duration::minutes(total));
        Ok(())
    }

    /// Sets a fixed clock to a time.
    fn set_now(&self, now: &Bound<'_, PyAny>) -> PyResult<()> {
        let clock = self.clock.as_ref().ok_or_else(|| {
            invalid(
                "clock",
                "the system clock cannot be set; pass now= to Crm()",
            )
        })?;
        clock.set(extract_time("now", now)?);
        Ok(())
    }

    // ----- users, teams, customers, contacts -----------------------------------

    /// Creates or updates a team.
    #[pyo3(signature = (actor, id, name, *, region = None, supervisor = None))]
    fn save_team(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        id: String,
        name: String,
        region: Option<String>,
        supervisor: Option<String>,
    ) -> PyResult<PyTeam> {
        let input = crm::TeamInput {
            id: crm::TeamId::new(id).map_err(to_py)?,
            name,
            region,
            supervisor: user("supervisor", supervisor)?,
        };
        let actor = actor.0.clone();
        self.run(py, move |crm| crm.save_team(&actor, input))
            .map(PyTeam)
    }

    /// Creates or updates a user. `away` lists when they are away
    /// (`crm.Absence`, or dicts with `from`, `until` and `reason`).
    #[pyo3(signature = (actor, id, name, *, email = None, team = None, region = None, roles = Vec::new(), active = true, away = None))]
    #[allow(clippy::too_many_arguments)]
    fn save_user(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        id: String,
        name: String,
        email: Option<String>,
        team: Option<String>,
        region: Option<String>,
        roles: Vec<String>,
        active: bool,
        away: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyUser> {
        let mut input = crm::UserInput::new(crm::UserId::new(id).map_err(to_py)?, name);
        input.email = email;
        input.team = self::team("team", team)?;
        input.region = region;
        input.roles = roles;
        input.active = active;
        input.away = absences(away)?;
        let actor = actor.0.clone();
        self.run(py, move |crm| crm.save_user(&actor, input))
            .map(PyUser)
    }

    /// Creates a customer. `time_zone` (an IANA name) is where its yearly
    /// care items (a birthday) fall due.
    #[pyo3(signature = (actor, name, *, kind = "company", owner = None, team = None, region = None, industry = None, phone = None, email = None, tags = Vec::new(), time_zone = None))]
    #[allow(clippy::too_many_arguments)]
    fn create_customer(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        name: String,
        kind: &str,
        owner: Option<String>,
        team: Option<String>,
        region: Option<String>,
        industry: Option<String>,
        phone: Option<String>,
        email: Option<String>,
        tags: Vec<String>,
        time_zone: Option<String>,
    ) -> PyResult<PyCustomer> {
        let new = crm::NewCustomer {
            kind: enum_value("kind", kind)?,
            name,
            owner: user("owner", owner)?,
            team: self::team("team", team)?,
            region,
            industry,
            tags,
            phone,
            email,
            time_zone,
            custom: Default::default(),
        };
        let actor = actor.0.clone();
        self.run(py, move |crm| crm.create_customer(&actor, new))
            .map(PyCustomer)
    }

    /// Adds a contact to a customer.
    #[pyo3(signature = (actor, customer, name, *, title = None, phones = Vec::new(), emails = Vec::new()))]
    #[allow(clippy::too_many_arguments)]
    fn add_contact(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        customer: &str,
        name: String,
        title: Option<String>,
        phones: Vec<String>,
        emails: Vec<String>,
    ) -> PyResult<PyContact> {
        let new = crm::NewContact {
            customer: Some(parse(customer)?),
            name,
            title,
            phones,
            emails,
            custom: Default::default(),
        };
        let actor = actor.0.clone();
        self.run(py, move |crm| crm.add_contact(&actor, new))
            .map(PyContact)
    }

    // ----- leads ---------------------------------------------------------------

    /// Records a new lead; with an owner it is assigned, without one it goes to the pool.
    #[pyo3(signature = (actor, *, source = None, channel = None, campaign = None, company = None, contact_name = None, title = None, phone = None, email = None, region = None, product_line = None, owner = None, team = None, quality_score = None))]
    #[allow(clippy::too_many_arguments)]
    fn create_lead(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        source: Option<String>,
        channel: Option<String>,
        campaign: Option<String>,
        company: Option<String>,
        contact_name: Option<String>,
        title: Option<String>,
        phone: Option<String>,
        email: Option<String>,
        region: Option<String>,
        product_line: Option<String>,
        owner: Option<String>,
        team: Option<String>,
        quality_score: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyLead> {
        let new = crm::NewLead {
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
            owner: user("owner", owner)?,
            team: self::team("team", team)?,
            quality_score: score(quality_score)?,
            custom: Default::default(),
        };
        let actor = actor.0.clone();
        self.run(py, move |crm| crm.create_lead(&actor, new))
            .map(PyLead)
    }

    /// Gives a lead to an owner; the first contact falls due.
    fn assign_lead(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        id: &str,
        owner: String,
    ) -> PyResult<PyLead> {
        let (id, owner) = (
            parse(id)?,
            crm::UserId::new(owner).map_err(|e| to_py_in(e, "owner"))?,
        );
        let actor = actor.0.clone();
        self.run(py, move |crm| crm.assign_lead(&actor, id, owner))
            .map(PyLead)
    }

    /// Records a call, email, visit, meeting or note about a record.
    #[pyo3(signature = (actor, subject_kind, subject_id, kind, summary, *, occurred_at = None, next_follow_up_at = None))]
    #[allow(clippy::too_many_arguments)]
    fn log_activity(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        subject_kind: &str,
        subject_id: &str,
        kind: &str,
        summary: String,
        occurred_at: Option<&Bound<'_, PyAny>>,
        next_follow_up_at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyActivity> {
        let mut new = crm::NewActivity::new(
            enum_value("kind", kind)?,
            key(subject_kind, subject_id)?,
            summary,
        );
        new.occurred_at = extract_opt_time("occurred_at", occurred_at)?;
        new.next_follow_up_at = extract_opt_time("next_follow_up_at", next_follow_up_at)?;
        let actor = actor.0.clone();
        self.run(py, move |crm| crm.log_activity(&actor, new))
            .map(PyActivity)
    }

    /// Marks a lead as qualified.
    fn qualify_lead(&self, py: Python<'_>, actor: &PyActor, id: &str) -> PyResult<PyLead> {
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| crm.qualify_lead(&actor, id))
            .map(PyLead)
    }

    /// Discards a lead, with a reason.
    fn discard_lead(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        id: &str,
        reason: String,
    ) -> PyResult<PyLead> {
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| crm.discard_lead(&actor, id, &reason))
            .map(PyLead)
    }

    /// Converts a qualified lead into a customer, a contact and (by default) a deal.
    #[pyo3(signature = (actor, id, *, into_customer = None, create_opportunity = true, opportunity_name = None, expected_amount = None, expected_close_date = None, allow_duplicate = false))]
    #[allow(clippy::too_many_arguments)]
    fn convert_lead(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        id: &str,
        into_customer: Option<&str>,
        create_opportunity: bool,
        opportunity_name: Option<String>,
        expected_amount: Option<&Bound<'_, PyAny>>,
        expected_close_date: Option<&Bound<'_, PyAny>>,
        allow_duplicate: bool,
    ) -> PyResult<PyConversion> {
        let deal = crm::DealFromLead {
            name: opportunity_name,
            expected_amount: extract_opt_money("expected_amount", expected_amount)?,
            expected_close_date: expected_close_date
                .filter(|d| !d.is_none())
                .map(|d| extract_date("expected_close_date", d))
                .transpose()?,
        };
        let options = crm::ConvertLead {
            into_customer: into_customer.map(parse).transpose()?,
            opportunity: create_opportunity.then_some(deal),
            allow_duplicate,
        };
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| crm.convert_lead(&actor, id, options))
            .map(PyConversion)
    }

    // ----- deals and contracts -------------------------------------------------

    /// Opens a deal with a customer.
    #[pyo3(signature = (actor, customer, name, *, owner = None, contact = None, product_line = None, expected_amount = None, expected_close_date = None))]
    #[allow(clippy::too_many_arguments)]
    fn create_opportunity(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        customer: &str,
        name: String,
        owner: Option<String>,
        contact: Option<&str>,
        product_line: Option<String>,
        expected_amount: Option<&Bound<'_, PyAny>>,
        expected_close_date: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyOpportunity> {
        let new = crm::NewOpportunity {
            name,
            customer: Some(parse(customer)?),
            contact: contact.map(parse).transpose()?,
            owner: user("owner", owner)?,
            product_line,
            expected_amount: extract_opt_money("expected_amount", expected_amount)?,
            expected_close_date: expected_close_date
                .filter(|d| !d.is_none())
                .map(|d| extract_date("expected_close_date", d))
                .transpose()?,
            custom: Default::default(),
        };
        let actor = actor.0.clone();
        self.run(py, move |crm| crm.create_opportunity(&actor, new))
            .map(PyOpportunity)
    }

    /// Moves a deal to the next stage, or to the stage named.
    #[pyo3(signature = (actor, id, *, to = None))]
    fn advance_opportunity(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        id: &str,
        to: Option<String>,
    ) -> PyResult<PyOpportunity> {
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| {
            crm.advance_opportunity(&actor, id, to.as_deref())
        })
        .map(PyOpportunity)
    }

    /// Wins a deal; returns the deal and its new draft contract.
    fn win_opportunity(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        id: &str,
    ) -> PyResult<(PyOpportunity, PyContract)> {
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| crm.win_opportunity(&actor, id))
            .map(|(deal, contract)| (PyOpportunity(deal), PyContract(contract)))
    }

    /// Loses a deal, with a reason from the pipeline's list.
    fn lose_opportunity(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        id: &str,
        reason: String,
    ) -> PyResult<PyOpportunity> {
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| crm.lose_opportunity(&actor, id, &reason))
            .map(PyOpportunity)
    }

    /// Signs a draft contract.
    fn sign_contract(&self, py: Python<'_>, actor: &PyActor, id: &str) -> PyResult<PyContract> {
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| crm.sign_contract(&actor, id))
            .map(PyContract)
    }

    /// Puts a signed contract into force.
    fn activate_contract(&self, py: Python<'_>, actor: &PyActor, id: &str) -> PyResult<PyContract> {
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| crm.activate_contract(&actor, id))
            .map(PyContract)
    }

    /// Completes an active contract.
    fn complete_contract(&self, py: Python<'_>, actor: &PyActor, id: &str) -> PyResult<PyContract> {
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| crm.complete_contract(&actor, id))
            .map(PyContract)
    }

    /// Terminates a contract, with a reason.
    fn terminate_contract(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        id: &str,
        reason: String,
    ) -> PyResult<PyContract> {
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| crm.terminate_contract(&actor, id, &reason))
            .map(PyContract)
    }

    // ----- quotes and payment plans --------------------------------------------

    /// Adds a version of a deal's quote, priced exactly as `crm.price_quote`
    /// prices it; earlier versions (an accepted one too) are superseded.
    /// `lines`, `currency` and `price_list` are what `crm.price_quote` takes;
    /// the currency defaults to the price list's, else the deal's expected
    /// amount's. `valid_until` (a `datetime.date`) is the last day it may be
    /// accepted. Returns the deal; its `quotes` holds every version.
    ///
    /// Raises `crm.ValidationError` naming the field: a line's
    /// (`lines[0].unit_price`, ...), `lines` (none), `currency` (none given
    /// or implied), `price_list`, `opportunity` (the deal is closed).
    #[pyo3(signature = (actor, opportunity, lines, *, currency = None, price_list = None, valid_until = None, note = None))]
    #[allow(clippy::too_many_arguments)]
    fn add_quote(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        opportunity: &str,
        lines: &Bound<'_, PyAny>,
        currency: Option<&Bound<'_, PyAny>>,
        price_list: Option<&Bound<'_, PyAny>>,
        valid_until: Option<&Bound<'_, PyAny>>,
        note: Option<String>,
    ) -> PyResult<PyOpportunity> {
        let input = crm::QuoteInput {
            lines: quote_lines(lines)?,
            currency: currency
                .filter(|c| !c.is_none())
                .map(|c| text("currency", c)?.parse::<crm::Currency>().map_err(to_py))
                .transpose()?,
            price_list: price_list
                .filter(|p| !p.is_none())
                .map(price_list_of)
                .transpose()?,
            valid_until: extract_opt_date("valid_until", valid_until)?,
            note,
        };
        let (id, actor) = (id_in("opportunity", opportunity)?, actor.0.clone());
        self.run(py, move |crm| crm.add_quote(&actor, id, input))
            .map(PyOpportunity)
    }

    /// The customer accepted a version of the deal's quote: its total becomes
    /// the deal's expected amount, and winning the deal makes a contract of
    /// its amount and lines. Raises `crm.ValidationError` on `version` when
    /// there is no such version, it was superseded, is accepted already or
    /// expired.
    fn accept_quote(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        opportunity: &str,
        version: &Bound<'_, PyAny>,
    ) -> PyResult<PyOpportunity> {
        let version = extract_u32("version", version)?;
        let (id, actor) = (id_in("opportunity", opportunity)?, actor.0.clone());
        self.run(py, move |crm| crm.accept_quote(&actor, id, version))
            .map(PyOpportunity)
    }

    /// Gives a contract a payment plan: its amount split by `terms` (a terms
    /// template, as `crm.split_payments` takes it), date rules counted from
    /// `base` (a `datetime.date`; default the day it was signed, or today).
    /// Milestones the contract already passed (`contract_signed`) date their
    /// installments at once, and signing it later does the same.
    ///
    /// Raises `crm.ValidationError` as `crm.split_payments` does, or on
    /// `contract` when its plan has payments (reschedule it instead);
    /// `crm.ForbiddenError` for an actor who may not edit the contract (by
    /// default sales users may not).
    #[pyo3(signature = (actor, contract, terms, *, base = None))]
    fn set_payment_plan(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        contract: &str,
        terms: &Bound<'_, PyAny>,
        base: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyContract> {
        let (terms, base) = (terms_of(terms)?, extract_opt_date("base", base)?);
        let (id, actor) = (id_in("contract", contract)?, actor.0.clone());
        self.run(py, move |crm| {
            crm.set_payment_plan(&actor, id, &terms, base)
        })
        .map(PyContract)
    }

    /// Records a payment on a contract's plan: `id` is the caller's reference
    /// (a bank transaction id), unique per contract; `amount` a `crm.Money`
    /// in the plan's currency; `on` the day received (default today); `to`
    /// the installment numbers to pay, in order (default the open ones,
    /// oldest due first). What is left over becomes a credit. A payment that
    /// settles a delivered contract completes it.
    ///
    /// Raises `crm.ValidationError` on `id` (empty or used already),
    /// `amount` (not above 0, another currency), `installment`, `contract`
    /// (no plan).
    #[pyo3(signature = (actor, contract, id, amount, *, on = None, to = None))]
    #[allow(clippy::too_many_arguments)]
    fn record_payment(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        contract: &str,
        id: String,
        amount: &Bound<'_, PyAny>,
        on: Option<&Bound<'_, PyAny>>,
        to: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyContract> {
        let payment = crm::PaymentInput {
            id,
            amount: extract_money("amount", amount)?,
            on: extract_opt_date("on", on)?,
            to: installments(to)?,
        };
        let (contract, actor) = (id_in("contract", contract)?, actor.0.clone());
        self.run(py, move |crm| crm.record_payment(&actor, contract, payment))
            .map(PyContract)
    }

    /// Reverses a payment (it bounced): what it paid is owed again, and its
    /// credit is taken back. Raises `crm.ValidationError` on `id` (no such
    /// payment, reversed already), `reason` (blank), `credit` (the credit it
    /// left was used since).
    fn reverse_payment(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        contract: &str,
        id: String,
        reason: String,
    ) -> PyResult<PyContract> {
        let (contract, actor) = (id_in("contract", contract)?, actor.0.clone());
        self.run(py, move |crm| {
            crm.reverse_payment(&actor, contract, &id, &reason)
        })
        .map(PyContract)
    }

    /// Writes off what is left of an installment (by its number). Only the
    /// configured `write_off_roles` may (by default supervisors and admins):
    /// `crm.ForbiddenError` for others; `crm.ValidationError` on `reason`
    /// (blank) or `installment` (not in the plan, nothing left).
    fn write_off_installment(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        contract: &str,
        installment: &Bound<'_, PyAny>,
        reason: String,
    ) -> PyResult<PyContract> {
        let installment = extract_u32("installment", installment)?;
        let (contract, actor) = (id_in("contract", contract)?, actor.0.clone());
        self.run(py, move |crm| {
            crm.write_off_installment(&actor, contract, installment, &reason)
        })
        .map(PyContract)
    }

    /// A milestone happened (`"delivery_accepted"`, ...) `on` a day (default
    /// today): it is recorded on the plan and the installments waiting for it
    /// fall due their days after it. Reaching the configured delivery
    /// milestone of a paid contract completes it. Raises
    /// `crm.ValidationError` on `event` when it is blank or reached already.
    #[pyo3(signature = (actor, contract, event, *, on = None))]
    fn reach_milestone(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        contract: &str,
        event: String,
        on: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyContract> {
        let on = extract_opt_date("on", on)?;
        let (contract, actor) = (id_in("contract", contract)?, actor.0.clone());
        self.run(py, move |crm| {
            crm.reach_milestone(&actor, contract, &event, on)
        })
        .map(PyContract)
    }

    /// Re-splits what is still owed by new `terms`, counted from `base`
    /// (default today): installments paid in full or written off stay, the
    /// others are marked replaced (keeping what was paid on them), and new
    /// ones are numbered after the last. Raises `crm.ValidationError` on
    /// `reason` when blank, on `terms` when nothing is left to reschedule.
    #[pyo3(signature = (actor, contract, terms, *, base = None, reason))]
    fn reschedule_payments(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        contract: &str,
        terms: &Bound<'_, PyAny>,
        base: Option<&Bound<'_, PyAny>>,
        reason: String,
    ) -> PyResult<PyContract> {
        let (terms, base) = (terms_of(terms)?, extract_opt_date("base", base)?);
        let (contract, actor) = (id_in("contract", contract)?, actor.0.clone());
        self.run(py, move |crm| {
            crm.reschedule_payments(&actor, contract, &terms, base, &reason)
        })
        .map(PyContract)
    }

    /// What each contract with a payment plan is owed on `today` (a
    /// `datetime.date`; default the engine's clock), with its aging: the
    /// actor's readable contracts, one customer's with `customer`.
    #[pyo3(signature = (actor, *, customer = None, today = None))]
    fn receivables(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        customer: Option<&str>,
        today: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<PyReceivable>> {
        let customer = customer.map(|c| id_in("customer", c)).transpose()?;
        let (today, actor) = (extract_opt_date("today", today)?, actor.0.clone());
        let owed = self.run(py, move |crm| {
            let today = today.unwrap_or_else(|| crm.now().date_naive());
            crm.receivables(&actor, customer, today)
        })?;
        Ok(owed.into_iter().map(PyReceivable).collect())
    }

    /// Money received from `from_` (included) until `until` (excluded), both
    /// `datetime.date`, per contract owner and currency, reversed payments
    /// left out. `from` is a Python keyword, hence `from_`.
    fn collected(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        from_: &Bound<'_, PyAny>,
        until: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<PyCollected>> {
        let (from, until) = (extract_date("from_", from_)?, extract_date("until", until)?);
        let actor = actor.0.clone();
        let sums = self.run(py, move |crm| crm.collected(&actor, from, until))?;
        Ok(sums.into_iter().map(PyCollected).collect())
    }

    // ----- tickets -------------------------------------------------------------

    /// Opens a ticket in its group's queue, routed at once when assignment
    /// rules apply to tickets. `contract` (its id), `order` (the host's
    /// reference) and `warranty_until` (a `datetime.date`) say what it is
    /// about: a request outside warranty or contract scope is flagged in
    /// `out_of_scope`. The configured SLA policy (`sla` in the config) puts
    /// its clocks on it (`ticket.sla`).
    #[pyo3(signature = (actor, subject, *, priority = "normal", category = None, channel = None, customer = None, contact = None, group = None, contract = None, order = None, warranty_until = None))]
    #[allow(clippy::too_many_arguments)]
    fn open_ticket(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        subject: String,
        priority: &str,
        category: Option<String>,
        channel: Option<String>,
        customer: Option<&str>,
        contact: Option<&str>,
        group: Option<String>,
        contract: Option<&str>,
        order: Option<String>,
        warranty_until: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTicket> {
        let new = crm::NewTicket {
            subject,
            priority: enum_value("priority", priority)?,
            category,
            channel,
            customer: customer.map(parse).transpose()?,
            contact: contact.map(parse).transpose()?,
            group: team("group", group)?,
            contract: contract.map(|c| id_in("contract", c)).transpose()?,
            order,
            warranty_until: extract_opt_date("warranty_until", warranty_until)?,
            custom: Default::default(),
        };
        let actor = actor.0.clone();
        self.run(py, move |crm| crm.open_ticket(&actor, new))
            .map(PyTicket)
    }

    /// Assigns a ticket to an agent.
    fn assign_ticket(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        id: &str,
        assignee: String,
    ) -> PyResult<PyTicket> {
        let (id, assignee) = (
            parse(id)?,
            crm::UserId::new(assignee).map_err(|e| to_py_in(e, "assignee"))?,
        );
        let actor = actor.0.clone();
        self.run(py, move |crm| crm.assign_ticket(&actor, id, assignee))
            .map(PyTicket)
    }

    /// Starts work on a ticket.
    fn start_ticket(&self, py: Python<'_>, actor: &PyActor, id: &str) -> PyResult<PyTicket> {
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| crm.start_ticket(&actor, id))
            .map(PyTicket)
    }

    /// Puts a ticket on hold until the customer answers.
    fn await_customer(&self, py: Python<'_>, actor: &PyActor, id: &str) -> PyResult<PyTicket> {
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| crm.await_customer(&actor, id))
            .map(PyTicket)
    }

    /// Resumes a ticket the customer has answered.
    fn customer_replied(&self, py: Python<'_>, actor: &PyActor, id: &str) -> PyResult<PyTicket> {
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| crm.customer_replied(&actor, id))
            .map(PyTicket)
    }

    /// Resolves a ticket, saying how.
    fn resolve_ticket(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        id: &str,
        resolution: String,
    ) -> PyResult<PyTicket> {
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| crm.resolve_ticket(&actor, id, &resolution))
            .map(PyTicket)
    }

    /// Closes a resolved ticket.
    fn close_ticket(&self, py: Python<'_>, actor: &PyActor, id: &str) -> PyResult<PyTicket> {
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| crm.close_ticket(&actor, id))
            .map(PyTicket)
    }

    /// Reopens a resolved ticket, with a reason.
    fn reopen_ticket(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        id: &str,
        reason: String,
    ) -> PyResult<PyTicket> {
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| crm.reopen_ticket(&actor, id, &reason))
            .map(PyTicket)
    }

    /// Hands a ticket to another group.
    fn transfer_ticket(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        id: &str,
        group: String,
        reason: String,
    ) -> PyResult<PyTicket> {
        let (id, group) = (
            parse(id)?,
            crm::TeamId::new(group).map_err(|e| to_py_in(e, "group"))?,
        );
        let actor = actor.0.clone();
        self.run(py, move |crm| {
            crm.transfer_ticket(&actor, id, group, &reason)
        })
        .map(PyTicket)
    }

    // ----- the service desk ----------------------------------------------------

    /// A ticket's SLA targets at `now` (default: the engine's clock): each
    /// `"running"`, `"paused"`, `"met"` or `"breached"`, with the working
    /// minutes used and left and the due time (empty when no policy applies).
    #[pyo3(signature = (actor, id, *, now = None))]
    fn ticket_sla(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        id: &str,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<PyTargetState>> {
        let (id, now, actor) = (parse(id)?, extract_opt_time("now", now)?, actor.0.clone());
        let states = self.run(py, move |crm| {
            let now = now.unwrap_or_else(|| crm.now());
            crm.ticket_sla(&actor, id, now)
        })?;
        Ok(states.into_iter().map(PyTargetState).collect())
    }

    /// Applies the escalation steps due at `now` (default: the engine's
    /// clock) on the tickets the actor may assign, in one commit: each step
    /// once, notifications to the outbox (`sla_escalation`), and
    /// `assign_supervisor` gives the ticket to the group's supervisor.
    #[pyo3(signature = (actor, *, now = None))]
    fn escalate(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<PyTicketEscalation>> {
        let (now, actor) = (extract_opt_time("now", now)?, actor.0.clone());
        let done = self.run(py, move |crm| {
            let now = now.unwrap_or_else(|| crm.now());
            crm.escalate(&actor, now)
        })?;
        Ok(done.into_iter().map(PyTicketEscalation).collect())
    }

    /// Records the answer to a resolved or closed ticket's survey: `csat`
    /// (1-5), `nps` (0-10), `feedback` (`"inquiry"`, `"suggestion"`,
    /// `"complaint"`, `"praise"`) and a `comment`, at least one of them. A
    /// low score or a complaint creates a follow-up task
    /// (`ticket.survey.follow_up`). Raises `crm.ValidationError` on `csat`,
    /// `nps`, `feedback`, `comment`, `survey` (nothing answered, or answered
    /// already) or `ticket` (not resolved or closed).
    #[pyo3(signature = (actor, id, *, csat = None, nps = None, feedback = None, comment = None))]
    #[allow(clippy::too_many_arguments)]
    fn answer_survey(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        id: &str,
        csat: Option<&Bound<'_, PyAny>>,
        nps: Option<&Bound<'_, PyAny>>,
        feedback: Option<&str>,
        comment: Option<String>,
    ) -> PyResult<PyTicket> {
        let answer = crm::SurveyAnswer {
            csat: survey_score("csat", csat, "1 to 5")?,
            nps: survey_score("nps", nps, "0 to 10")?,
            feedback: feedback_kind(feedback)?,
            comment,
        };
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| crm.answer_survey(&actor, id, answer))
            .map(PyTicket)
    }

    // ----- tasks ---------------------------------------------------------------

    /// Creates a task. The assignee defaults to the creator, unless a `team`
    /// is given: with a team and no assignee it is the department's task,
    /// unassigned, for its supervisor to hand out.
    #[pyo3(signature = (actor, title, *, description = None, priority = "normal", assignee = None, team = None, due_at = None))]
    #[allow(clippy::too_many_arguments)]
    fn create_task(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        title: String,
        description: Option<String>,
        priority: &str,
        assignee: Option<String>,
        team: Option<String>,
        due_at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTask> {
        let new = crm::NewTask {
            title,
            description,
            priority: enum_value("priority", priority)?,
            assignee: user("assignee", assignee)?,
            team: self::team("team", team)?,
            due_at: extract_opt_time("due_at", due_at)?,
            related: None,
            custom: Default::default(),
        };
        let actor = actor.0.clone();
        self.run(py, move |crm| crm.create_task(&actor, new))
            .map(PyTask)
    }

    /// Starts a task.
    fn start_task(&self, py: Python<'_>, actor: &PyActor, id: &str) -> PyResult<PyTask> {
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| crm.start_task(&actor, id))
            .map(PyTask)
    }

    /// Hands a task in for review.
    fn submit_task(&self, py: Python<'_>, actor: &PyActor, id: &str) -> PyResult<PyTask> {
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| crm.submit_task(&actor, id))
            .map(PyTask)
    }

    /// Accepts a reviewed task.
    fn approve_task(&self, py: Python<'_>, actor: &PyActor, id: &str) -> PyResult<PyTask> {
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| crm.approve_task(&actor, id))
            .map(PyTask)
    }

    /// Sends a reviewed task back, with a reason.
    fn reject_task(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        id: &str,
        reason: String,
    ) -> PyResult<PyTask> {
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| crm.reject_task(&actor, id, &reason))
            .map(PyTask)
    }

    /// Cancels a task, with a reason.
    fn cancel_task(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        id: &str,
        reason: String,
    ) -> PyResult<PyTask> {
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| crm.cancel_task(&actor, id, &reason))
            .map(PyTask)
    }

    /// Adds a line to a task's log.
    fn add_task_note(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        id: &str,
        note: String,
    ) -> PyResult<PyTask> {
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| crm.add_task_note(&actor, id, &note))
            .map(PyTask)
    }

    // ----- any record ----------------------------------------------------------

    /// Moves any record with a lifecycle by an action.
    #[pyo3(signature = (actor, kind, id, action, *, to = None, reason = None, expected_version = None))]
    #[allow(clippy::too_many_arguments)]
    fn transition(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        kind: &str,
        id: &str,
        action: String,
        to: Option<String>,
        reason: Option<String>,
        expected_version: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let key = key(kind, id)?;
        let expected_version = expected_version
            .filter(|v| !v.is_none())
            .map(|v| extract_count("expected_version", v))
            .transpose()?;
        let input = crm::TransitionInput {
            to,
            reason,
            expected_version,
        };
        let actor = actor.0.clone();
        let record = self.run(py, move |crm| crm.transition(&actor, key, &action, input))?;
        any_record(py, record)
    }

    /// Changes a record's own fields, based on the version read. `fields` maps
    /// field names to new values (`None` clears; amounts as `crm.Money`).
    fn update(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        kind: &str,
        id: &str,
        expected_version: &Bound<'_, PyAny>,
        fields: &Bound<'_, PyDict>,
    ) -> PyResult<Py<PyAny>> {
        let key = key(kind, id)?;
        let expected_version = extract_count("expected_version", expected_version)?;
        let serde_json::Value::Object(fields) = to_json("fields", fields.as_any())? else {
            return Err(invalid("fields", "expects a dict"));
        };
        let actor = actor.0.clone();
        let record = self.run(py, move |crm| {
            crm.update_fields(&actor, key, expected_version, fields)
        })?;
        any_record(py, record)
    }

    /// Shares a record with a user or a team (`access` is `"read"` or `"edit"`).
    #[pyo3(signature = (actor, kind, id, *, user = None, team = None, access = "read"))]
    #[allow(clippy::too_many_arguments)]
    fn share(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        kind: &str,
        id: &str,
        user: Option<String>,
        team: Option<String>,
        access: &str,
    ) -> PyResult<Py<PyAny>> {
        let (key, grantee, access) = (
            key(kind, id)?,
            grantee(user, team)?,
            enum_value::<crm::ShareAccess>("access", access)?,
        );
        let actor = actor.0.clone();
        let record = self.run(py, move |crm| crm.share(&actor, key, grantee, access))?;
        any_record(py, record)
    }

    /// Withdraws a share.
    #[pyo3(signature = (actor, kind, id, *, user = None, team = None))]
    fn unshare(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        kind: &str,
        id: &str,
        user: Option<String>,
        team: Option<String>,
    ) -> PyResult<Py<PyAny>> {
        let (key, grantee) = (key(kind, id)?, grantee(user, team)?);
        let actor = actor.0.clone();
        let record = self.run(py, move |crm| crm.unshare(&actor, key, &grantee))?;
        any_record(py, record)
    }

    /// The record of this kind and id, as the actor may see it.
    fn get(&self, py: Python<'_>, actor: &PyActor, kind: &str, id: &str) -> PyResult<Py<PyAny>> {
        let (key, actor) = (key(kind, id)?, actor.0.clone());
        let record = self.run(py, move |crm| crm.get_any(&actor, key))?;
        any_record(py, record)
    }

    /// The events of a record, oldest first.
    fn history(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        kind: &str,
        id: &str,
    ) -> PyResult<Vec<PyEvent>> {
        let (key, actor) = (key(kind, id)?, actor.0.clone());
        let events = self.run(py, move |crm| crm.history(&actor, key))?;
        Ok(events.into_iter().map(PyEvent).collect())
    }

    /// The records of a kind the actor may read, optionally filtered.
    #[pyo3(signature = (actor, kind, *, owner = None, status = None, limit = None))]
    fn list(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        kind: &str,
        owner: Option<String>,
        status: Option<String>,
        limit: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<Py<PyAny>>> {
        let mut query = crm::store::Query::new(parse(kind)?);
        if let Some(owner) = user("owner", owner)? {
            query = query.owner(owner);
        }
        if let Some(status) = status {
            query = query.status(status);
        }
        if let Some(limit) = limit.filter(|l| !l.is_none()) {
            query =
                query.limit(usize::try_from(extract_count("limit", limit)?).unwrap_or(usize::MAX));
        }
        let actor: Actor = actor.0.clone();
        let records = self.run(py, move |crm| crm.list(&actor, &query))?;
        records
            .into_iter()
            .map(|record| any_record(py, record))
            .collect()
    }

    // ----- duplicates ----------------------------------------------------------

    /// The stored customers, contacts and leads that may be duplicates of
    /// `record` (a dict with any of the keys `crm.dedupe` reads: `first_name`,
    /// `last_name`, `name`, `email`, `phone`, `company`, `title`, `city`),
    /// most likely first: records sharing one of its match keys (looked up in
    /// the store's index, no scan) that the configured `dedupe` method calls
    /// a match. Only records the actor may read are considered; records
    /// merged into another are left out.
    ///
    /// Each is a dict with `record` (a `crm.RecordKey`), `probability`,
    /// `rule` (the first match rule that holds, or `None`) and `explanation`
    /// (as `crm.explain_match` gives it). Raises `crm.ValidationError` on
    /// `record` or `record.<key>` for a bad record.
    ///
    /// >>> from datetime import datetime, timezone
    /// >>> import crm
    /// >>> engine = crm.Crm(now=datetime(2026, 1, 5, 9, tzinfo=timezone.utc), seed=1)
    /// >>> root = crm.Actor("root", roles=["admin"])
    /// >>> acme = engine.create_customer(root, "Acme Widgets Ltd", phone="+1 415 555 0134")
    /// >>> [found] = engine.find_duplicates(root, {"company": "ACME Widgets Inc.", "phone": "(415) 555-0134"})
    /// >>> found["record"] == crm.RecordKey("customer", acme.id), found["explanation"]["matched"]
    /// (True, True)
    fn find_duplicates(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        record: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<Py<PyAny>>> {
        let candidate = crate::dedupe::record(record, "record")?;
        let actor = actor.0.clone();
        let found = self.run(py, move |crm| crm.find_duplicates(&actor, &candidate))?;
        found.iter().map(|m| duplicate(py, m)).collect()
    }

    /// `find_duplicates` for a stored customer, contact or lead (itself left
    /// out). Raises `crm.ValidationError` on `entity` for another kind.
    fn find_duplicates_of(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        kind: &str,
        id: &str,
    ) -> PyResult<Vec<Py<PyAny>>> {
        let (key, actor) = (key(kind, id)?, actor.0.clone());
        let found = self.run(py, move |crm| crm.find_duplicates_of(&actor, key))?;
        found.iter().map(|m| duplicate(py, m)).collect()
    }

    /// Merges two or more customers, contacts or leads (all of one kind) into
    /// one survivor, in one commit. `records` lists them (each a
    /// `crm.RecordKey`, a `(kind, id)` tuple or a dict with `kind` and `id`);
    /// `survivor` names the one that stays (one of them), or `rule` chooses it
    /// (`"oldest"`, the default, `"newest"` or `"most_complete"`).
    ///
    /// The survivor keeps its values and takes each empty field from the
    /// others; lists (tags, phones, emails) are united, the better tier and
    /// the higher lead score kept. Contacts, deals, contracts, tickets,
    /// activities and tasks of the others move to it; the others are kept,
    /// marked `merged_into`. The survivor's `merge` event holds the prior
    /// state of the whole group, which `unmerge` restores.
    ///
    /// Returns a dict with `survivor` (the record after the merge), `merged`
    /// and `moved` (lists of `crm.RecordKey`) and `event` (the id of the
    /// `merge` event). Raises `crm.ValidationError` on `reason` (empty), on
    /// `records` (fewer than two, repeated, mixed or unmergeable kinds,
    /// already merged) or `survivor`, `crm.NotFoundError`,
    /// `crm.ForbiddenError` without the edit permission on every record.
    #[pyo3(signature = (actor, records, *, survivor = None, rule = "oldest", reason))]
    fn merge(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        records: &Bound<'_, PyAny>,
        survivor: Option<&Bound<'_, PyAny>>,
        rule: &str,
        reason: String,
    ) -> PyResult<Py<PyAny>> {
        let records = record_keys("records", records)?;
        let survivor = survivor
            .filter(|v| !v.is_none())
            .map(|v| record_key("survivor", v))
            .transpose()?;
        let input = crm::MergeInput {
            records,
            survivor,
            rule: survivor_rule(rule)?,
            reason,
        };
        let actor = actor.0.clone();
        let outcome = self.run(py, move |crm| crm.merge(&actor, input))?;
        let dict = PyDict::new(py);
        dict.set_item("survivor", any_record(py, outcome.survivor)?)?;
        dict.set_item("merged", outcome.merged.to_py(py)?)?;
        dict.set_item("moved", outcome.moved.to_py(py)?)?;
        dict.set_item("event", outcome.event.to_string())?;
        Ok(dict.into_any().unbind())
    }

    /// Undoes a merge from its event (`event`, or the survivor's latest
    /// `merge` event): the survivor's fields as they were, the merged records
    /// unmarked, every moved record moved back, in one commit. Returns the
    /// survivor as restored.
    ///
    /// Raises `crm.ValidationError` on `reason` (empty) or `event` (not a
    /// merge into this record), `crm.ConflictError` when a record of the
    /// merge changed since (an unmerge done already included).
    #[pyo3(signature = (actor, kind, id, *, event = None, reason))]
    fn unmerge(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        kind: &str,
        id: &str,
        event: Option<String>,
        reason: String,
    ) -> PyResult<Py<PyAny>> {
        let key = key(kind, id)?;
        let event = event
            .map(|e| {
                e.parse::<crm::EventId>()
                    .map_err(|err| to_py_in(err, "event"))
            })
            .transpose()?;
        let actor = actor.0.clone();
        let record = self.run(py, move |crm| crm.unmerge(&actor, key, event, &reason))?;
        any_record(py, record)
    }

    // ----- assignment ----------------------------------------------------------

    /// Routes records of a kind by the assignment rules, in one commit: each
    /// goes to the user the first matching rule chooses, or to the pool with
    /// the reason. Returns their routings in the order of `ids`.
    fn route(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        kind: &str,
        ids: Vec<String>,
    ) -> PyResult<Vec<PyRouting>> {
        let keys = ids
            .iter()
            .map(|id| key(kind, id))
            .collect::<PyResult<Vec<_>>>()?;
        let actor = actor.0.clone();
        let routings = self.run(py, move |crm| crm.route(&actor, &keys))?;
        Ok(routings.into_iter().map(PyRouting).collect())
    }

    /// Routes one lead by the assignment rules.
    fn route_lead(&self, py: Python<'_>, actor: &PyActor, id: &str) -> PyResult<PyRouting> {
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| crm.route_lead(&actor, id))
            .map(PyRouting)
    }

    /// Routes everything in a pool (of `kind`, in `team`'s pool or every
    /// pool), best lead first, in one commit.
    #[pyo3(signature = (actor, kind, *, team = None))]
    fn route_pool(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        kind: &str,
        team: Option<String>,
    ) -> PyResult<Vec<PyRouting>> {
        let (kind, team) = (parse::<crm::EntityKind>(kind)?, self::team("team", team)?);
        let actor = actor.0.clone();
        let routings = self.run(py, move |crm| crm.route_pool(&actor, kind, team.as_ref()))?;
        Ok(routings.into_iter().map(PyRouting).collect())
    }

    /// The open records of a kind nobody owns (in `team`'s pool, or every
    /// pool) that the actor may see or claim: leads best score first.
    #[pyo3(signature = (actor, kind, *, team = None))]
    fn pool(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        kind: &str,
        team: Option<String>,
    ) -> PyResult<Vec<Py<PyAny>>> {
        let (kind, team) = (parse::<crm::EntityKind>(kind)?, self::team("team", team)?);
        let actor = actor.0.clone();
        let records = self.run(py, move |crm| crm.pool(&actor, kind, team.as_ref()))?;
        records
            .into_iter()
            .map(|record| any_record(py, record))
            .collect()
    }

    /// Takes a record from the pool: it becomes the actor's.
    fn claim(&self, py: Python<'_>, actor: &PyActor, kind: &str, id: &str) -> PyResult<Py<PyAny>> {
        let (key, actor) = (key(kind, id)?, actor.0.clone());
        let record = self.run(py, move |crm| crm.claim(&actor, key))?;
        any_record(py, record)
    }

    /// Gives a record back to its team's pool, with a reason.
    fn release(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        kind: &str,
        id: &str,
        reason: String,
    ) -> PyResult<Py<PyAny>> {
        let (key, actor) = (key(kind, id)?, actor.0.clone());
        let record = self.run(py, move |crm| crm.release(&actor, key, &reason))?;
        any_record(py, record)
    }

    /// What is due per user by `now` (default: the engine's clock) plus the
    /// configured look-ahead: first contacts, follow-ups, tasks, win-backs
    /// (customers the value refresh moved to `at_risk` or `dormant`), and
    /// the rest (installments, the desk's items, care items with `care`).
    #[pyo3(signature = (actor, *, now = None))]
    fn due_work(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<PyDueWork>> {
        let (now, actor) = (extract_opt_time("now", now)?, actor.0.clone());
        let work = self.run(py, move |crm| {
            let now = now.unwrap_or_else(|| crm.now());
            crm.due_work(&actor, now)
        })?;
        Ok(work.into_iter().map(PyDueWork).collect())
    }

    /// Scores every customer by RFM from the signed contracts (their amount,
    /// at their signing time) as of `as_of` (default: the engine's clock), with
    /// the configured `rfm`, and writes back what changed, with events: the
    /// tier (`"A"`, `"B"`, `"C"`) and the lifecycle stage the activity signal
    /// calls for (`active`, `at_risk`, `dormant`, `churned`). Customers without
    /// purchases are left as they are. Customers entering `at_risk` or
    /// `dormant` come due to their owner in `due_work` (kind `"win_back"`).
    ///
    /// Raises `crm.ForbiddenError` unless the actor may edit every customer it
    /// would change (nothing is written then), `crm.ConfigError` on
    /// `value_currency` when contracts are in several currencies and none is
    /// configured, `crm.ValidationError` on `as_of` for a naive or non-datetime.
    ///
    /// >>> from datetime import datetime, timezone
    /// >>> import crm
    /// >>> engine = crm.Crm(now=datetime(2026, 1, 5, 9, tzinfo=timezone.utc), seed=1)
    /// >>> engine.refresh_customer_value(crm.Actor("root", roles=["admin"]))
    /// ValueRefresh(scored=0, tiers_changed=0, stages_changed=0, batches=0, skipped=RfmSkipped(future=0, refund_only=0))
    #[pyo3(signature = (actor, *, as_of = None))]
    fn refresh_customer_value(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        as_of: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyValueRefresh> {
        let (as_of, actor) = (extract_opt_time("as_of", as_of)?, actor.0.clone());
        self.run(py, move |crm| {
            let as_of = as_of.unwrap_or_else(|| crm.now());
            crm.refresh_customer_value(&actor, as_of)
        })
        .map(PyValueRefresh)
    }

    // ----- loyalty -------------------------------------------------------------

    /// Records a purchase and credits the points it earns under the loyalty
    /// program (`config={"loyalty": ...}`): `amount` a `crm.Money` in the
    /// program's currency, `reference` the host's order number (once per
    /// customer), `at` when it happened (default now), `lines` dicts with
    /// `product`, `category` and `amount` (`decimal.Decimal`) adding up to
    /// the amount, `campaign` the campaign it was bought in. The first
    /// purchase also earns the `first_purchase` bonus; an upgrade applies at
    /// once. Returns a `crm.PointsPosting`.
    ///
    /// Raises `crm.ValidationError` on `reference` (blank, or recorded
    /// already), `amount` (not above zero, another currency), `lines`, `at`
    /// (in the future); `crm.NotFoundError`, `crm.ForbiddenError`.
    ///
    /// >>> from datetime import datetime, timezone
    /// >>> from decimal import Decimal
    /// >>> import crm
    /// >>> program = {"currency": "EUR", "earn": [{"name": "base", "per": "1.00", "points": 1}],
    /// ...            "bonuses": {"first_purchase": 50}}
    /// >>> engine = crm.Crm(now=datetime(2026, 1, 5, 9, tzinfo=timezone.utc), seed=1, config={"loyalty": program})
    /// >>> root = crm.Actor("root", roles=["admin"])
    /// >>> mia = engine.create_customer(root, "Mia Rossi", kind="person")
    /// >>> posting = engine.record_purchase(root, mia.id, "A-1", crm.Money("120.50", "EUR"))
    /// >>> [(e.kind, e.points, e.balance) for e in posting.entries]
    /// [('earn', 120, 120), ('bonus', 50, 170)]
    /// >>> posting.customer.loyalty.balance
    /// 170
    #[pyo3(signature = (actor, customer, reference, amount, *, at = None, lines = None, campaign = None))]
    #[allow(clippy::too_many_arguments)]
    fn record_purchase(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        customer: &str,
        reference: String,
        amount: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
        lines: Option<&Bound<'_, PyAny>>,
        campaign: Option<String>,
    ) -> PyResult<PyPointsPosting> {
        let input = crm::PurchaseInput {
            customer: id_in("customer", customer)?,
            reference,
            amount: extract_money("amount", amount)?,
            at: extract_opt_time("at", at)?,
            lines: purchase_lines(lines)?,
            campaign,
        };
        let actor = actor.0.clone();
        self.run(py, move |crm| crm.record_purchase(&actor, input))
            .map(PyPointsPosting)
    }

    /// Refunds (part of) a recorded purchase: the points it earned are taken
    /// back in proportion (as many as are left; what was spent already is
    /// said in the entry's reason). Raises `crm.ValidationError` on
    /// `reference` (no such purchase) or `amount` (not above zero, more than
    /// is left to refund).
    fn refund_purchase(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        customer: &str,
        reference: String,
        amount: &Bound<'_, PyAny>,
    ) -> PyResult<PyPointsPosting> {
        let amount = extract_money("amount", amount)?;
        let (customer, actor) = (id_in("customer", customer)?, actor.0.clone());
        self.run(py, move |crm| {
            crm.refund_purchase(&actor, customer, &reference, amount)
        })
        .map(PyPointsPosting)
    }

    /// Exchanges `points` (an `int`) for a `reward`, oldest points first.
    /// Raises `crm.ValidationError` on `points` (not above zero, or more than
    /// are available: the message says the balance) or `reward` (blank).
    #[pyo3(signature = (actor, customer, points, reward, *, reference = None))]
    fn redeem_points(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        customer: &str,
        points: &Bound<'_, PyAny>,
        reward: String,
        reference: Option<String>,
    ) -> PyResult<PyPointsPosting> {
        let points = whole("points", points)?;
        let (customer, actor) = (id_in("customer", customer)?, actor.0.clone());
        self.run(py, move |crm| {
            crm.redeem_points(&actor, customer, points, &reward, reference.as_deref())
        })
        .map(PyPointsPosting)
    }

    /// Corrects a balance by hand (`points` above zero: a credit; below: a
    /// debit), with a reason. Only the program's `adjust_roles` may:
    /// `crm.ForbiddenError` for others; `crm.ValidationError` on `points`
    /// (zero, or a debit beyond the balance) or `reason` (blank).
    fn adjust_points(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        customer: &str,
        points: &Bound<'_, PyAny>,
        reason: String,
    ) -> PyResult<PyPointsPosting> {
        let points = whole("points", points)?;
        let (customer, actor) = (id_in("customer", customer)?, actor.0.clone());
        self.run(py, move |crm| {
            crm.adjust_points(&actor, customer, points, &reason)
        })
        .map(PyPointsPosting)
    }

    /// Gives the bonus the program sets for `event` (`bonuses`), once per
    /// event and `reference`. Raises `crm.ValidationError` on `event` (no
    /// bonus for it) or `reference` (given already).
    #[pyo3(signature = (actor, customer, event, *, reference = None))]
    fn award_bonus(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        customer: &str,
        event: String,
        reference: Option<String>,
    ) -> PyResult<PyPointsPosting> {
        let (customer, actor) = (id_in("customer", customer)?, actor.0.clone());
        self.run(py, move |crm| {
            crm.award_bonus(&actor, customer, &event, reference.as_deref())
        })
        .map(PyPointsPosting)
    }

    /// A customer's points ledger, oldest entry first.
    fn points_entries(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        customer: &str,
    ) -> PyResult<Vec<PyPointsEntry>> {
        let (customer, actor) = (id_in("customer", customer)?, actor.0.clone());
        let entries = self.run(py, move |crm| crm.points_entries(&actor, customer))?;
        Ok(entries.into_iter().map(PyPointsEntry).collect())
    }

    /// Reviews the members due a check by `now` (default: the engine's
    /// clock), in batches: expires points past their date and applies the
    /// downgrades whose grace ended. Returns a `crm.LoyaltyReview`.
    #[pyo3(signature = (actor, *, now = None))]
    fn review_loyalty(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyLoyaltyReview> {
        let (now, actor) = (extract_opt_time("now", now)?, actor.0.clone());
        self.run(py, move |crm| {
            let now = now.unwrap_or_else(|| crm.now());
            crm.review_loyalty(&actor, now)
        })
        .map(PyLoyaltyReview)
    }

    /// Acts on a care item (`due_work`, kind `"care"`): logs the activity
    /// (`kind`: `"call"`, `"email"`, ...) on the customer and marks the
    /// rule's current occurrence handled, in one commit. Raises
    /// `crm.ValidationError` on `rule` (no item of that rule is due for the
    /// customer), `kind` or `summary`.
    fn act_on_care(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        customer: &str,
        rule: String,
        kind: &str,
        summary: String,
    ) -> PyResult<PyActivity> {
        let kind: crm::ActivityKind = enum_value("kind", kind)?;
        let (customer, actor) = (id_in("customer", customer)?, actor.0.clone());
        self.run(py, move |crm| {
            crm.act_on_care(&actor, customer, &rule, kind, &summary)
        })
        .map(PyActivity)
    }

    /// Launches a campaign: the customers matching `segment` (a condition as
    /// a dict, `{"field": "tags", "eq": "lapsed"}`) become its members, and
    /// `holdout_percent` of them (a `decimal.Decimal`, `int` or `str`, 0 to
    /// 100) are held out by a draw seeded with `seed` (an `int` from 0 to
    /// 2**64 - 1; `crm.draw_holdout` draws the same). Purchases count
    /// `window_days` after each member's contact. Returns a `crm.Campaign`.
    ///
    /// Raises `crm.ValidationError` on `name`, `segment`, `holdout_percent`,
    /// `seed`, `window_days`.
    #[pyo3(signature = (actor, name, segment, *, holdout_percent, seed, window_days, action = None))]
    #[allow(clippy::too_many_arguments)]
    fn launch_campaign(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        name: String,
        segment: &Bound<'_, PyAny>,
        holdout_percent: &Bound<'_, PyAny>,
        seed: &Bound<'_, PyAny>,
        window_days: &Bound<'_, PyAny>,
        action: Option<String>,
    ) -> PyResult<PyCampaign> {
        let input = crm::CampaignInput {
            name,
            action,
            segment: segment_of(segment)?,
            holdout_percent: extract_decimal("holdout_percent", holdout_percent)?,
            seed: extract_count("seed", seed)?,
            window_days: extract_u32("window_days", window_days)?,
        };
        let actor = actor.0.clone();
        self.run(py, move |crm| crm.launch_campaign(&actor, input))
            .map(PyCampaign)
    }

    /// Records that treated members (`customers`, a list of customer ids)
    /// were contacted `at` (default now); a member contacted already keeps
    /// their first contact. Raises `crm.ValidationError` on `customers` (not
    /// a member, or held out: the holdout is not to be contacted) or `at`.
    #[pyo3(signature = (actor, campaign, customers, *, at = None))]
    fn record_campaign_contacts(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        campaign: &str,
        customers: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyCampaign> {
        let customers = customer_ids("customers", customers)?;
        let at = extract_opt_time("at", at)?;
        let (campaign, actor) = (id_in("campaign", campaign)?, actor.0.clone());
        self.run(py, move |crm| {
            crm.record_campaign_contacts(&actor, campaign, &customers, at)
        })
        .map(PyCampaign)
    }

    /// Measures a campaign at `as_of` (default: the engine's clock): each
    /// group's repurchase rate and revenue per customer in the members'
    /// windows, treated against holdout. Returns a `crm.CampaignMeasure`.
    #[pyo3(signature = (actor, campaign, *, as_of = None))]
    fn campaign_results(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        campaign: &str,
        as_of: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyCampaignMeasure> {
        let as_of = extract_opt_time("as_of", as_of)?;
        let (campaign, actor) = (id_in("campaign", campaign)?, actor.0.clone());
        self.run(py, move |crm| {
            let as_of = as_of.unwrap_or_else(|| crm.now());
            crm.campaign_results(&actor, campaign, as_of)
        })
        .map(PyCampaignMeasure)
    }

    /// Takes back the leads not contacted in time by `now` (default: the
    /// engine's clock), as the configured reclaim policy says.
    #[pyo3(signature = (actor, *, now = None))]
    fn reclaim_overdue(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<PyRouting>> {
        let (now, actor) = (extract_opt_time("now", now)?, actor.0.clone());
        let routings = self.run(py, move |crm| {
            let now = now.unwrap_or_else(|| crm.now());
            crm.reclaim_overdue(&actor, now)
        })?;
        Ok(routings.into_iter().map(PyRouting).collect())
    }

    /// Moves every open item of a user to others in one commit: to `to` when
    /// given, otherwise by the rules (never back to `from_user`) or to the pool.
    #[pyo3(signature = (actor, from_user, *, to = None, reason))]
    fn transfer_work(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        from_user: String,
        to: Option<String>,
        reason: String,
    ) -> PyResult<Vec<PyRouting>> {
        let from = crm::UserId::new(from_user).map_err(|e| to_py_in(e, "from_user"))?;
        let (to, actor) = (user("to", to)?, actor.0.clone());
        let routings = self.run(py, move |crm| {
            crm.transfer_work(&actor, &from, to.as_ref(), &reason)
        })?;
        Ok(routings.into_iter().map(PyRouting).collect())
    }

    /// Scores a lead by the configured points rules, stores the score, and
    /// says which rules gave what.
    fn score_lead(&self, py: Python<'_>, actor: &PyActor, id: &str) -> PyResult<PyScore> {
        let (id, actor) = (parse(id)?, actor.0.clone());
        self.run(py, move |crm| crm.score_lead(&actor, id))
            .map(PyScore)
    }

    // ----- analytics and import -----------------------------------------------

    /// Computes a metric over the records the actor may read, in a scope and
    /// a period, as a `crm.Table`.
    ///
    /// `metric` is one of `"lead_conversion"`, `"stage_conversion"`,
    /// `"time_in_stage"`, `"win_rate"`, `"lost_reasons"`, `"cycle_time"`,
    /// `"forecast"`, `"churn"`, `"service"`, `"channel_roi"`, `"targets"`,
    /// `"clv"`. `from_` and `until` (aware `datetime`, `until` excluded) bound
    /// the period (default: all time until now); `scope` is `None` or
    /// `"all"`, `{"user": id}`, `{"team": id}` or `{"region": name}`;
    /// `group_by` (`service`) is `"priority"`, `"category"` or `"all"`;
    /// `costs` (`channel_roi`) dicts with `channel`, `campaign` and `amount`
    /// (a `crm.Money`); `targets` (`targets`) dicts with `user` or `team`,
    /// `from` and `until` (`datetime`), `amount` (a `crm.Money`),
    /// `new_customers`, `activities`; `clv` (`clv`) a dict with `months`,
    /// `monthly_discount` and `minor_units` (as `crm.fit_clv` takes them;
    /// the purchases' currency, when there is one, decides the minor units).
    ///
    /// Raises `crm.ValidationError` on `query` (an unknown metric, a bad cost
    /// or target), `until` (not after `from_`), `group_by`, `scope`, `clv`
    /// (an unknown key) or the `clv` key at fault; `crm.ForbiddenError`.
    #[pyo3(signature = (actor, metric, *, from_ = None, until = None, scope = None, group_by = None, costs = None, targets = None, clv = None))]
    #[allow(clippy::too_many_arguments)]
    fn metric(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        metric: &Bound<'_, PyAny>,
        from_: Option<&Bound<'_, PyAny>>,
        until: Option<&Bound<'_, PyAny>>,
        scope: Option<&Bound<'_, PyAny>>,
        group_by: Option<String>,
        costs: Option<&Bound<'_, PyAny>>,
        targets: Option<&Bound<'_, PyAny>>,
        clv: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTable> {
        let query =
            analytics::metric_query(metric, from_, until, scope, group_by, costs, targets, clv)?;
        let actor = actor.0.clone();
        self.run(py, move |crm| crm.metric(&actor, &query))
            .map(PyTable)
    }

    /// The lifetime value of each customer the actor may read (in `scope`,
    /// as `metric` takes it): the money received so far and, when there is
    /// enough history, the BG/NBD and Gamma-Gamma predictions fitted on
    /// their purchases up to `as_of` (default: the engine's clock), over
    /// `months` of 30 days discounted by `monthly_discount` a month. Returns
    /// a `crm.ClvReport`.
    ///
    /// Raises `crm.ValidationError` on `months`, `monthly_discount`, `scope`;
    /// `crm.ConfigError` on `value_currency` when purchases are in several
    /// currencies and none is configured.
    #[pyo3(
        signature = (actor, *, as_of = None, months = None, monthly_discount = None, scope = None),
        text_signature = "($self, actor, *, as_of=None, months=12, monthly_discount=0.01, scope=None)"
    )]
    fn customer_lifetime_value(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        as_of: Option<&Bound<'_, PyAny>>,
        months: Option<&Bound<'_, PyAny>>,
        monthly_discount: Option<&Bound<'_, PyAny>>,
        scope: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyClvReport> {
        let as_of = extract_opt_time("as_of", as_of)?;
        let options = crm::analytics::ClvOptions {
            months: analytics::months_of(months)?,
            monthly_discount: analytics::discount_of(monthly_discount)?,
            ..Default::default()
        };
        let (scope, actor) = (analytics::scope_of(scope)?, actor.0.clone());
        self.run(py, move |crm| {
            let as_of = as_of.unwrap_or_else(|| crm.now());
            crm.customer_lifetime_value(&actor, as_of, &options, &scope)
        })
        .map(PyClvReport)
    }

    /// Imports a file of customers, contacts, leads or purchases.
    ///
    /// `spec` (a dict or a str of JSON): `kind` (`"customer"`, `"contact"`,
    /// `"lead"`, `"purchase"`), `format` (`"csv"`, `"jsonl"`, `"xlsx"`),
    /// `mapping` (field to column), `mode` (`"all_or_nothing"`, the default,
    /// or `"best_effort"`), `duplicates` (`"reject"`, the default, or
    /// `"allow"`), `delimiter`, `sheet`, `batch_size`. `source` is the file:
    /// a path (`str` or `os.PathLike`) or its contents (`bytes`). Each row is
    /// checked as the matching command would check it, with the actor's
    /// permissions; refused rows are reported (`crm.RejectedRow`: row,
    /// field, reason). Returns a `crm.ImportReport`.
    ///
    /// `progress`, when given, is called after each batch with a
    /// `crm.ImportProgress`, in this thread: returning `None` or a true value
    /// goes on, a false value stops the import (`cancelled` in the report;
    /// batches written stay written), and an exception it raises stops the
    /// import and is raised here. It may not call this engine.
    ///
    /// Raises `crm.ConfigError` on the spec (`import`, `import.mapping.x`),
    /// `crm.StorageError` when the file cannot be read, `crm.ValidationError`
    /// on `source`, `progress`, `sheet`.
    ///
    /// >>> from datetime import datetime, timezone
    /// >>> import crm
    /// >>> engine = crm.Crm(now=datetime(2026, 1, 5, 9, tzinfo=timezone.utc), seed=1)
    /// >>> root = crm.Actor("root", roles=["admin"])
    /// >>> spec = {"kind": "customer", "format": "csv", "mode": "best_effort", "mapping": {"name": "Company"}}
    /// >>> report = engine.import_rows(root, spec, b"Company,email\nAcme,hi@acme.example\nBeta,nope\n")
    /// >>> report
    /// ImportReport(rows=2, imported=1, duplicates=0, batches=1, cancelled=False)
    /// >>> report.rejected
    /// [RejectedRow(row=3, field='email', reason='is not an email address')]
    #[pyo3(signature = (actor, spec, source, *, progress = None))]
    fn import_rows(
        &self,
        py: Python<'_>,
        actor: &PyActor,
        spec: &Bound<'_, PyAny>,
        source: &Bound<'_, PyAny>,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyImportReport> {
        let spec = analytics::import_spec(spec)?;
        let source = analytics::ImportSource::extract(source)?;
        let callback = analytics::progress_of(progress)?;
        let actor = actor.0.clone();
        self.not_reentrant()?;
        let mut failure: Option<PyErr> = None;
        *self
            .importing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(std::thread::current().id());
        let report = py.detach(|| {
            let mut on_progress = |p: &crm::import::Progress| match &callback {
                Some(callback) => analytics::report_progress(callback, p, &mut failure),
                None => true,
            };
            self.locked()
                .import_rows(&actor, &spec, source.source(), &mut on_progress)
        });
        *self
            .importing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
        if let Some(err) = failure {
            return Err(err);
        }
        report.map(PyImportReport).map_err(to_py)
    }

    /// Takes up to `limit` outbox messages to perform (leased for a while).
    fn take_outbox(
        &self,
        py: Python<'_>,
        limit: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<PyOutboxMessage>> {
        let limit = usize::try_from(extract_count("limit", limit)?).unwrap_or(usize::MAX);
        let messages = self.run(py, move |crm| crm.take_outbox(limit))?;
        Ok(messages.into_iter().map(PyOutboxMessage).collect())
    }

    /// Marks outbox messages as performed; returns how many were newly marked.
    fn ack_outbox(&self, py: Python<'_>, ids: Vec<String>) -> PyResult<usize> {
        let ids = ids
            .iter()
            .map(|id| parse::<crm::EventId>(id))
            .collect::<PyResult<Vec<_>>>()?;
        self.run(py, move |crm| crm.ack_outbox(&ids))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let now = self.run(py, |crm| Ok(crm.now()))?;
        Ok(format!(
            "Crm(now='{}', clock={})",
            now,
            if self.clock.is_some() {
                "fixed"
            } else {
                "system"
            }
        ))
    }
}
