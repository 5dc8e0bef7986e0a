//! Conversions between Python values and crm's types: Rust to Python through
//! [`ToPy`], Python to Rust through the `extract_*` functions. They convert and
//! check types; every rule about the values themselves stays in the core.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyBytes, PyDate, PyDateTime, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString,
};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::error::invalid;
use crate::{desk, loyalty, model, payments, plans};

/// A Rust value that becomes a Python object.
pub trait ToPy {
    /// The Python object.
    fn to_py(&self, py: Python<'_>) -> PyResult<Py<PyAny>>;
}

macro_rules! native {
    ($($ty:ty),*) => {$(
        impl ToPy for $ty {
            fn to_py(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                self.clone().into_py_any(py)
            }
        }
    )*};
}
native!(
    String,
    bool,
    u8,
    u32,
    u64,
    usize,
    i64,
    f64,
    Decimal,
    DateTime<Utc>,
    NaiveDate
);

macro_rules! as_text {
    ($($ty:ty),*) => {$(
        impl ToPy for $ty {
            fn to_py(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                self.to_string().into_py_any(py)
            }
        }
    )*};
}
as_text!(
    crm::UserId,
    crm::TeamId,
    crm::LeadId,
    crm::CustomerId,
    crm::ContactId,
    crm::OpportunityId,
    crm::ContractId,
    crm::TicketId,
    crm::ActivityId,
    crm::TaskId,
    crm::EventId,
    crm::PointsEntryId,
    crm::CampaignId,
    crm::EntityKind
);

as_text!(
    crm::Currency,
    crm::CustomerKind,
    crm::Tier,
    crm::TicketPriority,
    crm::TaskPriority,
    crm::ActivityKind,
    crm::ShareAccess
);

impl<T: ToPy> ToPy for Option<T> {
    fn to_py(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match self {
            Some(value) => value.to_py(py),
            None => Ok(py.None()),
        }
    }
}

impl<T: ToPy> ToPy for Vec<T> {
    fn to_py(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let items = self
            .iter()
            .map(|item| item.to_py(py))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(py, items)?.into_any().unbind())
    }
}

impl ToPy for crm::FieldValue {
    fn to_py(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match self {
            crm::FieldValue::Text(text) | crm::FieldValue::Choice(text) => text.to_py(py),
            crm::FieldValue::Number(number) => number.to_py(py),
            crm::FieldValue::Decimal(decimal) => decimal.to_py(py),
            crm::FieldValue::Date(date) => date.to_py(py),
            crm::FieldValue::Bool(flag) => flag.to_py(py),
        }
    }
}

/// A map by name (custom fields, a plan's milestones) as a `dict`.
impl<T: ToPy> ToPy for std::collections::BTreeMap<String, T> {
    fn to_py(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let dict = PyDict::new(py);
        for (key, value) in self {
            dict.set_item(key, value.to_py(py)?)?;
        }
        Ok(dict.into_any().unbind())
    }
}

impl ToPy for Value {
    fn to_py(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match self {
            Value::Null => Ok(py.None()),
            Value::Bool(flag) => flag.to_py(py),
            Value::Number(number) => match number.as_i64() {
                Some(int) => int.to_py(py),
                // Numbers in events are counts and versions; anything else stays exact as text.
                None => number.to_string().into_py_any(py),
            },
            Value::String(text) => text.to_py(py),
            Value::Array(items) => items.clone().to_py(py),
            Value::Object(map) => {
                let dict = PyDict::new(py);
                for (key, value) in map {
                    dict.set_item(key, value.to_py(py)?)?;
                }
                Ok(dict.into_any().unbind())
            }
        }
    }
}

macro_rules! wrapped {
    ($($core:ty => $py:ty),*) => {$(
        impl ToPy for $core {
            fn to_py(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                Py::new(py, <$py>::from(self.clone())).map(Py::into_any)
            }
        }
    )*};
}
wrapped!(
    crm::Money => model::PyMoney,
    crm::RecordKey => model::PyRecordKey,
    crm::Share => model::PyShare,
    crm::Conversion => model::PyConversion,
    crm::TaskLogEntry => model::PyTaskLogEntry,
    crm::FieldChange => model::PyFieldChange,
    crm::Absence => model::PyAbsence,
    crm::assign::Routing => model::PyRouting,
    crm::assign::TraceStep => model::PyTraceStep,
    crm::assign::Skipped => model::PySkipped,
    crm::DueWork => model::PyDueWork,
    crm::DueItem => model::PyDueItem,
    crm::assign::Score => model::PyScore,
    crm::assign::ScorePart => model::PyScorePart,
    crm::quote::PricedLine => payments::PyPricedLine,
    crm::quote::PricedQuote => payments::PyPricedQuote,
    crm::quote::QuoteVersion => plans::PyQuoteVersion,
    crm::schedule::PaymentPlan => plans::PyPaymentPlan,
    crm::schedule::PlanLine => plans::PyPlanLine,
    crm::schedule::Payment => plans::PyPayment,
    crm::schedule::Allocation => plans::PyAllocation,
    crm::schedule::Reversal => plans::PyReversal,
    crm::schedule::WriteOff => plans::PyWriteOff,
    crm::schedule::Aging => plans::PyAging,
    crm::Receivable => plans::PyReceivable,
    crm::Collected => plans::PyCollected,
    crm::sla::TicketSla => desk::PyTicketSla,
    crm::sla::TargetClock => desk::PyTargetClock,
    crm::sla::Escalated => desk::PyEscalated,
    crm::sla::TargetState => desk::PyTargetState,
    crm::TicketEscalation => desk::PyTicketEscalation,
    crm::Survey => desk::PySurvey,
    crm::Customer => model::PyCustomer,
    crm::PointsEntry => model::PyPointsEntry,
    crm::loyalty::Membership => loyalty::PyMembership,
    crm::loyalty::Lot => loyalty::PyLot,
    crm::loyalty::LotUse => loyalty::PyLotUse,
    crm::loyalty::WindowItem => loyalty::PyWindowItem,
    crm::loyalty::PendingDowngrade => loyalty::PyPendingDowngrade,
    crm::loyalty::Earning => loyalty::PyEarning,
    crm::loyalty::LevelChange => loyalty::PyLevelChange,
    crm::MemberLevelChange => loyalty::PyMemberLevelChange,
    crm::loyalty::CareDue => loyalty::PyCareDue,
    crm::CampaignMember => loyalty::PyCampaignMember,
    crm::loyalty::GroupMeasure => loyalty::PyGroupMeasure,
    crm::loyalty::MemberOutcome => loyalty::PyMemberOutcome
);

/// A due rule as the terms template writes it (`{"days_after": 30}`).
impl ToPy for crm::schedule::Due {
    fn to_py(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        serde_json::to_value(self)
            .map_err(|e| crate::error::to_py(crm::Error::invalid("due", e.to_string())))?
            .to_py(py)
    }
}

/// `"open"`, `"accepted"` or `"superseded"`.
impl ToPy for crm::quote::QuoteStatus {
    fn to_py(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let name = match self {
            crm::quote::QuoteStatus::Open => "open",
            crm::quote::QuoteStatus::Accepted => "accepted",
            crm::quote::QuoteStatus::Superseded => "superseded",
        };
        name.into_py_any(py)
    }
}

/// `"planned"`, `"due"`, `"partially_paid"`, `"paid"`, `"overdue"` or
/// `"written_off"`.
impl ToPy for crm::schedule::InstallmentStatus {
    fn to_py(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        use crm::schedule::InstallmentStatus as S;
        let name = match self {
            S::Planned => "planned",
            S::Due => "due",
            S::PartiallyPaid => "partially_paid",
            S::Paid => "paid",
            S::Overdue => "overdue",
            S::WrittenOff => "written_off",
        };
        name.into_py_any(py)
    }
}

/// A quote line as given: a dict with every key of the lines `price_quote`
/// and `Crm.add_quote` take (`None` where not given), so it can be given
/// back as it is.
impl ToPy for crm::quote::QuoteLine {
    fn to_py(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let dict = PyDict::new(py);
        dict.set_item("product", &self.product)?;
        dict.set_item("description", &self.description)?;
        dict.set_item("quantity", self.quantity)?;
        dict.set_item("unit_price", self.unit_price)?;
        dict.set_item("discount_percent", self.discount_percent)?;
        dict.set_item("discount_amount", self.discount_amount)?;
        dict.set_item("tax_percent", self.tax_percent)?;
        Ok(dict.into_any().unbind())
    }
}

impl ToPy for crm::Grantee {
    fn to_py(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let dict = PyDict::new(py);
        match self {
            crm::Grantee::User(user) => dict.set_item("user", user.as_str())?,
            crm::Grantee::Team(team) => dict.set_item("team", team.as_str())?,
        }
        Ok(dict.into_any().unbind())
    }
}

// ----- Python to Rust ---------------------------------------------------------

/// A timezone-aware `datetime`, in UTC. A naive `datetime` is refused: crm
/// never guesses a time zone.
pub fn extract_time(field: &str, value: &Bound<'_, PyAny>) -> PyResult<DateTime<Utc>> {
    let Ok(datetime) = value.cast::<PyDateTime>() else {
        return Err(invalid(
            field,
            format!("expects a datetime, got {}", type_name(value)),
        ));
    };
    if datetime.getattr("tzinfo")?.is_none() || datetime.call_method0("utcoffset")?.is_none() {
        return Err(invalid(
            field,
            "is a naive datetime; give it a time zone (e.g. tzinfo=timezone.utc)",
        ));
    }
    let aware: DateTime<FixedOffset> = datetime.extract()?;
    Ok(aware.with_timezone(&Utc))
}

/// An optional [`extract_time`].
pub fn extract_opt_time(
    field: &str,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<DateTime<Utc>>> {
    value
        .filter(|v| !v.is_none())
        .map(|v| extract_time(field, v))
        .transpose()
}

/// A `datetime.date` (a `datetime` is refused: it says more than a date).
pub fn extract_date(field: &str, value: &Bound<'_, PyAny>) -> PyResult<NaiveDate> {
    if value.is_instance_of::<PyDateTime>() || !value.is_instance_of::<PyDate>() {
        return Err(invalid(
            field,
            format!("expects a date, got {}", type_name(value)),
        ));
    }
    value.extract()
}

/// An optional [`extract_date`].
pub fn extract_opt_date(
    field: &str,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<NaiveDate>> {
    value
        .filter(|v| !v.is_none())
        .map(|v| extract_date(field, v))
        .transpose()
}

/// An exact decimal from `decimal.Decimal`, `int` or `str`. A `float` is
/// refused: it cannot hold money exactly.
pub fn extract_decimal(field: &str, value: &Bound<'_, PyAny>) -> PyResult<Decimal> {
    if value.is_instance_of::<PyFloat>() {
        return Err(invalid(
            field,
            "is a float; use decimal.Decimal or a str for exact amounts",
        ));
    }
    if value.is_instance_of::<PyBool>() {
        return Err(invalid(field, "expects a number, got bool"));
    }
    if value.is_instance_of::<PyInt>() {
        let int: i64 = value
            .extract()
            .map_err(|_| invalid(field, "is out of range"))?;
        return Ok(Decimal::from(int));
    }
    if value.is_instance_of::<PyString>() {
        let text: String = value.extract()?;
        return Decimal::from_str_exact(text.trim()).map_err(|_| {
            to_core(crm::Error::invalid(field, "is not a decimal number").with_value(short(&text)))
        });
    }
    let class = value.getattr("__class__")?.getattr("__name__")?;
    if class.extract::<String>()? == "Decimal" {
        if !value.call_method0("is_finite")?.extract::<bool>()? {
            return Err(to_core(
                crm::Error::invalid(field, "must be finite").with_value(value.str()?.to_string()),
            ));
        }
        let shown = value.str()?.to_string();
        return value.extract::<Decimal>().map_err(|_| {
            to_core(crm::Error::invalid(field, "is out of range").with_value(short(&shown)))
        });
    }
    Err(invalid(
        field,
        format!("expects a decimal.Decimal, got {}", type_name(value)),
    ))
}

/// A whole number that is not negative (a version, a limit, a score), from an
/// `int`; `bool`, `float` (NaN included) and others are refused.
pub fn extract_count(field: &str, value: &Bound<'_, PyAny>) -> PyResult<u64> {
    if !value.is_instance_of::<PyInt>() || value.is_instance_of::<PyBool>() {
        return Err(invalid(
            field,
            format!("expects an int, got {}", type_name(value)),
        ));
    }
    value.extract::<u64>().map_err(|_| {
        to_core(
            crm::Error::invalid(field, "must be a whole number, zero or more")
                .with_value(value.str().map(|s| s.to_string()).unwrap_or_default()),
        )
    })
}

/// A whole number (signed) from an `int`, a NumPy integer too; `bool` and
/// `float` are refused.
pub(crate) fn whole(field: &str, value: &Bound<'_, PyAny>) -> PyResult<i64> {
    if value.is_instance_of::<PyBool>() || value.is_instance_of::<PyFloat>() {
        return Err(invalid(
            field,
            format!("expects an int, got {}", type_name(value)),
        ));
    }
    value.extract::<i64>().map_err(|_| {
        if value.is_instance_of::<PyInt>() {
            to_core(
                crm::Error::invalid(field, "is out of range")
                    .with_value(value.str().map(|s| s.to_string()).unwrap_or_default()),
            )
        } else {
            invalid(field, format!("expects an int, got {}", type_name(value)))
        }
    })
}

/// A number (a version, an installment, a count of minor units) from an
/// `int` that fits in a `u32`.
pub(crate) fn extract_u32(field: &str, value: &Bound<'_, PyAny>) -> PyResult<u32> {
    let count = extract_count(field, value)?;
    u32::try_from(count)
        .map_err(|_| to_core(crm::Error::invalid(field, "is out of range").with_value(count)))
}

/// The items of a column given as an iterable (a list, a tuple, a pandas
/// Series, a NumPy array); a `str`, `bytes` or a mapping is refused with
/// `expects` (what the argument takes).
pub(crate) fn column<'py>(
    field: &str,
    value: &Bound<'py, PyAny>,
    expects: &str,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    if value.is_instance_of::<PyString>()
        || value.is_instance_of::<PyBytes>()
        || value.cast::<PyMapping>().is_ok()
    {
        return Err(invalid(field, expects));
    }
    value
        .try_iter()
        .map_err(|_| invalid(field, expects))?
        .collect()
}

/// An error on `field` unless a column is as long as the first one
/// (`first`, what the message calls it).
pub(crate) fn same_length(field: &str, first: &str, expected: usize, found: usize) -> PyResult<()> {
    if expected == found {
        return Ok(());
    }
    Err(to_core(
        crm::Error::invalid(field, format!("must be as long as {first} ({expected})"))
            .with_value(found),
    ))
}

/// A time as in the canonical JSON: RFC 3339 in UTC, with a `Z`.
pub(crate) fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Money from a `crm.Money`.
pub fn extract_money(field: &str, value: &Bound<'_, PyAny>) -> PyResult<crm::Money> {
    match value.cast::<model::PyMoney>() {
        Ok(money) => Ok(money.get().0),
        Err(_) => Err(invalid(
            field,
            format!("expects a crm.Money, got {}", type_name(value)),
        )),
    }
}

/// An optional [`extract_money`].
pub fn extract_opt_money(
    field: &str,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<crm::Money>> {
    value
        .filter(|v| !v.is_none())
        .map(|v| extract_money(field, v))
        .transpose()
}

/// A Python value as the canonical JSON of a field (what `Crm.update` takes):
/// `Decimal` and `Money` amounts as strings, aware `datetime` as RFC 3339,
/// `date` as ISO; `float` is refused.
pub fn to_json(field: &str, value: &Bound<'_, PyAny>) -> PyResult<Value> {
    if value.is_none() {
        return Ok(Value::Null);
    }
    if value.is_instance_of::<PyBool>() {
        return Ok(Value::Bool(value.extract()?));
    }
    if value.is_instance_of::<PyInt>() {
        let int: i64 = value
            .extract()
            .map_err(|_| invalid(field, "is out of range"))?;
        return Ok(Value::from(int));
    }
    if value.is_instance_of::<PyFloat>() {
        return Err(invalid(
            field,
            "is a float; use int, decimal.Decimal or str",
        ));
    }
    if value.is_instance_of::<PyString>() {
        return Ok(Value::String(value.extract()?));
    }
    if value.is_instance_of::<PyDateTime>() {
        return Ok(Value::String(stamp(extract_time(field, value)?)));
    }
    if value.is_instance_of::<PyDate>() {
        return Ok(Value::String(extract_date(field, value)?.to_string()));
    }
    if let Ok(money) = value.cast::<model::PyMoney>() {
        return serde_json::to_value(money.get().0).map_err(|e| invalid(field, e.to_string()));
    }
    if let Ok(list) = value.cast::<PyList>() {
        return list
            .iter()
            .map(|item| to_json(field, &item))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Array);
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        let mut map = serde_json::Map::new();
        for (key, item) in dict.iter() {
            let key: String = key
                .extract()
                .map_err(|_| invalid(field, "has a key that is not a str"))?;
            let item = to_json(&format!("{field}.{key}"), &item)?;
            map.insert(key, item);
        }
        return Ok(Value::Object(map));
    }
    if value
        .getattr("__class__")?
        .getattr("__name__")?
        .extract::<String>()?
        == "Decimal"
    {
        return Ok(Value::String(extract_decimal(field, value)?.to_string()));
    }
    Err(invalid(
        field,
        format!("cannot hold a {}", type_name(value)),
    ))
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|name| name.to_string())
        .unwrap_or_else(|_| "object".to_string())
}

fn short(text: &str) -> String {
    text.chars().take(40).collect()
}

fn to_core(err: crm::Error) -> PyErr {
    crate::error::to_py(err)
}
