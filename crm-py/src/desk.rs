//! The service desk, for Python: working calendars (`crm.Calendar`), and the
//! SLA clocks, escalations and surveys the engine keeps on tickets
//! (`Ticket.sla`, `Ticket.survey`, `Crm.ticket_sla`, `Crm.escalate`):
//! frozen wrappers over the core types, with read-only attributes,
//! `to_dict()`, `repr()` and `==`.
//!
//! Every rule (working time across holidays and daylight-saving changes,
//! which policy applies, when a clock pauses, which escalation is due) lives
//! in `crm::sla` and `crm::engine`; this module only converts. Instants are
//! timezone-aware `datetime` objects in UTC.

use chrono::{DateTime, Utc, Weekday};
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::{PyDate, PyDict, PyList, PyMapping, PyString, PyTuple};
use serde_json::Value;

use crate::convert::{ToPy, column, extract_time, same_length, to_json, whole};
use crate::error::{invalid, to_py};
use crate::plans::value_class;

/// The core's snake_case enums as their names (`"first_response"`,
/// `"breached"`, `"assign_supervisor"`, `"complaint"`), as in JSON.
macro_rules! named {
    ($($ty:ty),*) => {$(
        impl ToPy for $ty {
            fn to_py(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                match serde_json::to_value(self) {
                    Ok(Value::String(name)) => name.into_py_any(py),
                    _ => format!("{self:?}").into_py_any(py),
                }
            }
        }
    )*};
}
named!(
    crm::sla::Target,
    crm::sla::TargetStatus,
    crm::sla::EscalationAction,
    crm::FeedbackKind
);

// ----- working calendars --------------------------------------------------------

/// The weekday names of a calendar's `hours`, Monday first.
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A working calendar: a time zone, working hours per weekday (several
/// intervals a day, so a lunch break is a gap) and holidays (whole local days
/// off), from a dict or a str of JSON:
///
/// `{"time_zone": "Europe/Berlin", "hours": {"mon-fri": [["09:00", "12:00"],
/// ["13:00", "17:00"]]}, "holidays": ["2026-12-25"]}`
///
/// `hours` keys name a weekday (`mon` ... `sun`), a range (`mon-fri`) or a
/// list (`sat,sun`); `24:00` ends an interval at midnight. Holidays are ISO
/// dates or `datetime.date`. Working time is counted exactly, to the second,
/// across weekends, holidays and daylight-saving changes; instants are aware
/// `datetime` objects (a naive one is refused) and come back in UTC.
///
/// A bad calendar raises `crm.ValidationError` naming the field: `time_zone`
/// (not an IANA name), `hours.KEY` (a bad weekday), `hours.DAY[i]` (a bad,
/// reversed or overlapping interval), `hours` (no working time), `calendar`
/// (not a calendar at all).
///
/// >>> from datetime import datetime, timezone
/// >>> import crm
/// >>> office = crm.Calendar({"time_zone": "Europe/Berlin",
/// ...     "hours": {"mon-fri": [["09:00", "12:00"], ["13:00", "17:00"]]}})
/// >>> friday = datetime(2026, 3, 27, 15, tzinfo=timezone.utc)  # 16:00 in Berlin
/// >>> office.add(friday, 120)  # one hour on Friday, one on Monday (clocks went forward)
/// datetime.datetime(2026, 3, 30, 8, 0, tzinfo=datetime.timezone.utc)
/// >>> office.between(friday, datetime(2026, 3, 30, 8, tzinfo=timezone.utc))
/// 120
/// >>> office.is_working(friday), office.is_working(datetime(2026, 3, 28, 10, tzinfo=timezone.utc))
/// (True, False)
#[pyclass(name = "Calendar", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyCalendar(pub crm::sla::Calendar);

#[pymethods]
impl PyCalendar {
    #[new]
    fn new(calendar: &Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(same) = calendar.cast::<PyCalendar>() {
            return Ok(same.get().clone());
        }
        let text = if calendar.cast::<PyString>().is_ok() {
            calendar.extract::<String>()?
        } else if calendar.cast::<PyMapping>().is_ok() {
            calendar_json("calendar", calendar)?.to_string()
        } else {
            return Err(invalid(
                "calendar",
                format!(
                    "expects a dict or a str of JSON, got {}",
                    calendar.get_type().name()?
                ),
            ));
        };
        crm::sla::Calendar::from_json(&text)
            .map(PyCalendar)
            .map_err(to_py)
    }

    /// The IANA time zone its hours and holidays are in.
    #[getter]
    fn time_zone(&self) -> String {
        self.0.zone().name().to_string()
    }

    /// The instant `minutes` working minutes after `start` (an aware
    /// `datetime`); from a non-working time the count starts when work does.
    /// Raises `crm.ValidationError` on `minutes` when negative.
    fn add(&self, start: &Bound<'_, PyAny>, minutes: &Bound<'_, PyAny>) -> PyResult<DateTime<Utc>> {
        let (start, minutes) = (extract_time("start", start)?, whole("minutes", minutes)?);
        self.0.add(start, minutes).map_err(to_py)
    }

    /// The working minutes between two instants, whole minutes rounded down
    /// (negative when `to` is before `from_`; `from` is a Python keyword).
    fn between(&self, from_: &Bound<'_, PyAny>, to: &Bound<'_, PyAny>) -> PyResult<i64> {
        let (from, to) = (extract_time("from_", from_)?, extract_time("to", to)?);
        Ok(self.0.between_minutes(from, to))
    }

    /// The working seconds between two instants (negative when `to` is
    /// before `from_`).
    fn between_seconds(&self, from_: &Bound<'_, PyAny>, to: &Bound<'_, PyAny>) -> PyResult<i64> {
        let (from, to) = (extract_time("from_", from_)?, extract_time("to", to)?);
        Ok(self.0.between_seconds(from, to))
    }

    /// Whether an instant is working time.
    fn is_working(&self, at: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self.0.is_working(extract_time("at", at)?))
    }

    /// `add` over a column: `starts` (any iterable of aware `datetime`,
    /// a pandas Series of them included) plus `minutes`, one `int` for all
    /// or an iterable as long as `starts`. `None` in, `None` out. Errors name
    /// the position: `starts[3]`, `minutes[3]`.
    ///
    /// >>> from datetime import datetime, timezone
    /// >>> import crm
    /// >>> office = crm.Calendar('{"time_zone": "UTC", "hours": {"mon-fri": [["09:00", "17:00"]]}}')
    /// >>> monday = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    /// >>> [t and t.isoformat() for t in office.add_many([monday, None, monday], [60, 0, 540])]
    /// ['2026-03-02T10:00:00+00:00', None, '2026-03-03T10:00:00+00:00']
    /// >>> office.add_many([monday, None], 480)
    /// [datetime.datetime(2026, 3, 2, 17, 0, tzinfo=datetime.timezone.utc), None]
    fn add_many(
        &self,
        starts: &Bound<'_, PyAny>,
        minutes: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<Option<DateTime<Utc>>>> {
        let starts = column("starts", starts, ITERABLE)?;
        let minutes: Vec<Bound<'_, PyAny>> =
            if minutes.is_instance_of::<pyo3::types::PyInt>() || minutes.is_none() {
                vec![minutes.clone(); starts.len()]
            } else {
                let minutes = column("minutes", minutes, ITERABLE)?;
                same_length("minutes", FIRST, starts.len(), minutes.len())?;
                minutes
            };
        starts
            .iter()
            .zip(&minutes)
            .enumerate()
            .map(|(at, (start, minutes))| {
                if start.is_none() || minutes.is_none() {
                    return Ok(None);
                }
                let start = extract_time(&format!("starts[{at}]"), start)?;
                let field = format!("minutes[{at}]");
                let minutes = whole(&field, minutes)?;
                self.0
                    .add(start, minutes)
                    .map(Some)
                    .map_err(|e| to_py(e.in_field(&field)))
            })
            .collect()
    }

    /// `between` over two columns of the same length (iterables of aware
    /// `datetime`). `None` in, `None` out. Errors name the position:
    /// `froms[3]`, `tos[3]`.
    fn between_many(
        &self,
        froms: &Bound<'_, PyAny>,
        tos: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<Option<i64>>> {
        let (froms, tos) = (
            column("froms", froms, ITERABLE)?,
            column("tos", tos, ITERABLE)?,
        );
        same_length("tos", FIRST, froms.len(), tos.len())?;
        froms
            .iter()
            .zip(&tos)
            .enumerate()
            .map(|(at, (from, to))| {
                if from.is_none() || to.is_none() {
                    return Ok(None);
                }
                let from = extract_time(&format!("froms[{at}]"), from)?;
                let to = extract_time(&format!("tos[{at}]"), to)?;
                Ok(Some(self.0.between_minutes(from, to)))
            })
            .collect()
    }

    /// The calendar as a dict `crm.Calendar` takes back: `time_zone`,
    /// `hours` per weekday (`{"mon": [["09:00", "12:00"], ...]}`), and
    /// `holidays` as `datetime.date`.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let json = self.0.to_json();
        let dict = PyDict::new(py);
        dict.set_item("time_zone", self.0.zone().name())?;
        // Monday first, not in the alphabetical order of the JSON map.
        let hours = PyDict::new(py);
        for day in WEEKDAYS {
            if let Some(intervals) = json["hours"].get(day) {
                hours.set_item(day, intervals.to_py(py)?)?;
            }
        }
        dict.set_item("hours", hours)?;
        let holidays = json["holidays"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|day| day.as_str()?.parse::<chrono::NaiveDate>().ok())
            .collect::<Vec<_>>();
        dict.set_item("holidays", holidays.to_py(py)?)?;
        Ok(dict.unbind())
    }

    /// The calendar as a str of JSON, as the engine's `sla.calendars` take it.
    fn to_json(&self) -> String {
        self.0.to_json().to_string()
    }

    fn __repr__(&self) -> String {
        let json = self.0.to_json();
        let holidays = json["holidays"].as_array().map_or(0, Vec::len);
        let week: i64 = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ]
        .into_iter()
        .map(|day| self.0.day_seconds(day))
        .sum();
        format!(
            "Calendar(time_zone='{}', weekly_minutes={}, holidays={})",
            self.0.zone().name(),
            week / 60,
            holidays
        )
    }
}

/// A calendar given as Python values as JSON: dicts (any `Mapping`), lists
/// and tuples, `datetime.date` holidays as ISO dates.
fn calendar_json(field: &str, value: &Bound<'_, PyAny>) -> PyResult<Value> {
    if value.cast::<PyString>().is_ok() || value.is_instance_of::<PyDate>() {
        return to_json(field, value);
    }
    if value.cast::<PyDict>().is_err() && value.cast::<PyMapping>().is_ok() {
        let dict = value.py().get_type::<PyDict>().call1((value,))?;
        return calendar_json(field, &dict);
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        let mut map = serde_json::Map::new();
        for (key, item) in dict.iter() {
            let key: String = key
                .extract()
                .map_err(|_| invalid(field, "has a key that is not a str"))?;
            let path = if field == "calendar" {
                key.clone()
            } else {
                format!("{field}.{key}")
            };
            map.insert(key, calendar_json(&path, &item)?);
        }
        return Ok(Value::Object(map));
    }
    if value.cast::<PyList>().is_ok() || value.cast::<PyTuple>().is_ok() {
        return value
            .try_iter()?
            .enumerate()
            .map(|(at, item)| calendar_json(&format!("{field}[{at}]"), &item?))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Array);
    }
    to_json(field, value)
}

/// What a column argument takes, and what a second column must be as long as.
const ITERABLE: &str = "expects a list or another iterable of values";
const FIRST: &str = "the first column";

// ----- SLA clocks, escalations, surveys -----------------------------------------

value_class!(
    /// A ticket's SLA (`Ticket.sla`): the policy and calendar that apply, a
    /// clock per target, since when it is paused, the escalations done, and
    /// the next instant something falls due.
    ///
    /// >>> from datetime import datetime, timezone
    /// >>> import crm
    /// >>> office = {"time_zone": "Europe/Berlin", "hours": {"mon-fri": [["09:00", "17:00"]]}}
    /// >>> sla = {"calendars": {"office": office}, "policies": [
    /// ...     {"name": "standard", "calendar": "office", "first_response_minutes": 60, "resolution_minutes": 480}]}
    /// >>> engine = crm.Crm(now=datetime(2026, 3, 2, 7, tzinfo=timezone.utc), seed=1, config={"sla": sla})
    /// >>> ticket = engine.open_ticket(crm.Actor("root", roles=["admin"]), "Printer jams")
    /// >>> ticket.sla
    /// TicketSla(policy='standard', calendar='office', next_check_at=datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.timezone.utc))
    /// >>> [(clock.target, clock.due_at.hour) for clock in ticket.sla.clocks]
    /// [('first_response', 9), ('resolution', 16)]
    PyTicketSla, "TicketSla", crm::sla::TicketSla,
    fields: [
        /// The policy's name.
        policy,
        /// The calendar's name (in the engine's `sla.calendars`).
        calendar,
        /// A clock per target.
        clocks,
        /// Paused since, while the ticket is in a pause status.
        paused_since,
        /// The escalations done, oldest first.
        escalations,
        /// The next instant a target or an escalation step falls due.
        next_check_at,
    ],
    repr: [policy, calendar, next_check_at],
    extra: {}
);

value_class!(
    /// One target's clock: `"first_response"` or `"resolution"`, its working
    /// minutes, when it started, the working seconds spent paused, when it
    /// falls due (`None` while paused or stopped), when it stopped, the
    /// working seconds used when it stopped or paused last, and whether it
    /// was met.
    PyTargetClock, "TargetClock", crm::sla::TargetClock,
    fields: [
        /// `"first_response"` or `"resolution"`.
        target,
        /// Its working minutes.
        minutes,
        /// When it started (the ticket's creation, or a restart).
        started_at,
        /// Working seconds spent in pauses.
        paused_seconds,
        /// When it falls due; `None` while paused or stopped.
        due_at,
        /// When it stopped.
        stopped_at,
        /// Working seconds used when it stopped or paused last.
        consumed_seconds,
        /// Whether it was met (`None` until it stops).
        met,
    ],
    repr: [target, minutes, due_at, met],
    extra: {}
);

value_class!(
    /// An escalation done on a ticket: the target, the step's threshold in
    /// percent of the target, the action and when.
    PyEscalated, "Escalated", crm::sla::Escalated,
    fields: [
        /// `"first_response"` or `"resolution"`.
        target,
        /// The step's threshold, in percent of the target.
        at_percent,
        /// `"notify_assignee"`, `"notify_supervisor"` or `"assign_supervisor"`.
        action,
        /// When.
        at,
    ],
    repr: [target, at_percent, action, at],
    extra: {}
);

value_class!(
    /// A target's state at an instant (`Crm.ticket_sla`): `"running"`,
    /// `"paused"`, `"met"` or `"breached"`, the working minutes used and left
    /// (negative past due), and when it falls due if running.
    PyTargetState, "TargetState", crm::sla::TargetState,
    fields: [
        /// `"first_response"` or `"resolution"`.
        target,
        /// `"running"`, `"paused"`, `"met"` or `"breached"`.
        status,
        /// Working minutes used.
        consumed_minutes,
        /// Working minutes left (negative past due).
        remaining_minutes,
        /// When it falls due, if running.
        due_at,
    ],
    repr: [target, status, consumed_minutes, remaining_minutes],
    extra: {}
);

value_class!(
    /// An escalation step `Crm.escalate` applied: the ticket, the late
    /// target, the step's threshold, the action, and who was notified or
    /// given the ticket (`None`: nobody to tell).
    PyTicketEscalation, "TicketEscalation", crm::TicketEscalation,
    fields: [
        /// The ticket's id.
        ticket,
        /// `"first_response"` or `"resolution"`.
        target,
        /// The step's threshold, in percent of the target.
        at_percent,
        /// `"notify_assignee"`, `"notify_supervisor"` or `"assign_supervisor"`.
        action,
        /// Who was notified or given the ticket.
        to,
    ],
    repr: [ticket, target, at_percent, action, to],
    extra: {}
);

value_class!(
    /// A ticket's satisfaction survey (`Ticket.survey`): when it is to be
    /// sent, when it was answered, the CSAT (1-5), the NPS answer (0-10), the
    /// kind of feedback (`"inquiry"`, `"suggestion"`, `"complaint"`,
    /// `"praise"`), the comment, and the follow-up task a low score or a
    /// complaint created.
    PySurvey, "Survey", crm::Survey,
    fields: [
        /// When it is to be sent.
        due_at,
        /// When it was answered.
        answered_at,
        /// Satisfaction with the ticket, 1 (very unhappy) to 5.
        csat,
        /// How likely they are to recommend us, 0 to 10.
        nps,
        /// `"inquiry"`, `"suggestion"`, `"complaint"` or `"praise"`.
        feedback,
        /// In their words.
        comment,
        /// The follow-up task's id, if a low score or a complaint created one.
        follow_up,
    ],
    repr: [due_at, answered_at, csat, nps, feedback],
    extra: {}
);

/// A survey score from an `int` within `0..=max` (the core checks the lower
/// bound of CSAT); `None` when not given.
pub fn survey_score(
    field: &str,
    value: Option<&Bound<'_, PyAny>>,
    range: &str,
) -> PyResult<Option<u8>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    let score = crate::convert::extract_count(field, value)?;
    u8::try_from(score).map(Some).map_err(|_| {
        to_py(crm::Error::invalid(field, format!("is a score from {range}")).with_value(score))
    })
}

/// The kind of feedback from its name.
pub fn feedback_kind(value: Option<&str>) -> PyResult<Option<crm::FeedbackKind>> {
    value
        .map(|name| {
            serde_json::from_value(Value::String(name.to_string())).map_err(|_| {
                to_py(
                    crm::Error::invalid(
                        "feedback",
                        "is one of inquiry, suggestion, complaint, praise",
                    )
                    .with_value(name),
                )
            })
        })
        .transpose()
}
