//! Quotes and payment terms for Python: `crm.split_payments` (a total split
//! into installments by a terms template), `crm.reach_milestone` (dating the
//! installments that wait for an event) and `crm.price_quote` (exact line and
//! quote totals). Pure functions, like `crm.score_rfm` and `crm.dedupe`.
//!
//! The arithmetic, the due-date rules and every check live in
//! `crm::schedule` and `crm::quote`; this module only converts: `crm.Money`,
//! `decimal.Decimal` (never `float`) and `datetime.date` in, the same out.

use crm::quote::{PriceList, PricedLine, PricedQuote, QuoteLine};
use crm::schedule::{Installment, Terms};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyMapping, PyString, PyTuple};
use serde_json::Value;

use crate::convert::{ToPy, column, extract_date, extract_decimal, extract_money, to_json};
use crate::error::{invalid, to_py};
use crate::rfm::text;

// ----- payment terms -------------------------------------------------------------

crate::plans::value_class!(
    /// One installment of a split: its label, amount (a `crm.Money` in the
    /// total's currency, in whole minor units), due date (a `datetime.date`, or
    /// `None` while it waits for its milestone or when no base date was given),
    /// the milestone it waits for and its due rule (as in the template, e.g.
    /// `{"days_after": 30}`).
    ///
    /// >>> from datetime import date
    /// >>> import crm
    /// >>> terms = {"name": "30/70", "lines": [
    /// ...     {"label": "down payment", "percent": "30", "due": {"days_after": 0}},
    /// ...     {"label": "on acceptance", "percent": "70",
    /// ...      "due": {"milestone": {"event": "delivery_accepted", "plus_days": 30}}}]}
    /// >>> plan = crm.split_payments(crm.Money("1000.00", "EUR"), terms, base=date(2026, 1, 15))
    /// >>> plan[0]
    /// Installment(label='down payment', amount=Money('300.00', 'EUR'), due_date='2026-01-15', milestone=None)
    /// >>> plan[1].amount.amount, plan[1].due_date, plan[1].milestone, plan[1].due
    /// (Decimal('700.00'), None, 'delivery_accepted', {'milestone': {'event': 'delivery_accepted', 'plus_days': 30}})
    PyInstallment, "Installment", Installment,
    fields: [
        /// The line's label.
        label,
        /// The amount, a `crm.Money` in the total's currency.
        amount,
        /// The due date; `None` until the milestone happens (or without a base
        /// date).
        due_date,
        /// The milestone the installment waits for, if any.
        milestone,
        /// The due rule, as the template writes it (`{"days_after": 30}`,
        /// `{"end_of_month": {"plus_days": 10}}`, ...).
        due,
    ],
    repr: custom,
    extra: {
        fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
            let i = &self.0;
            Ok(format!(
                "Installment(label={}, amount=Money('{}', '{}'), due_date={}, milestone={})",
                quoted(py, &i.label)?,
                i.amount.amount(),
                i.amount.currency(),
                i.due_date
                    .map_or_else(|| "None".to_string(), |d| format!("'{d}'")),
                match &i.milestone {
                    Some(m) => quoted(py, m)?,
                    None => "None".to_string(),
                }
            ))
        }
    }
);

/// Splits `total` into installments by a payment terms template, exactly: the
/// installments always sum to the total, in whole minor units of its currency
/// (JPY 0 decimals, EUR 2, KWD 3).
///
/// `total` is a `crm.Money` (not negative). `terms` is the template, a `dict`
/// or a `str` of JSON: `name`, `lines` (each a `label`, a `percent` or a
/// `fixed` amount, as `decimal.Decimal`, `int` or `str`, never `float`, and a
/// `due` rule: `{"days_after": n}`, `{"end_of_month": {"plus_days": n}}`,
/// `{"months_after_end_of_month": n}`, `{"day_of_next_month": {"day": d,
/// "after_days": n}}` or `{"milestone": {"event": e, "plus_days": n}}`),
/// `rounding` (`"half_up"`, the default, `"half_even"` or `"down"`) and
/// `remainder_line` (the percent line that takes the rounding remainder;
/// default the last). Date rules count from `base` (a `datetime.date`);
/// without it only amounts are computed.
///
/// Raises `crm.ValidationError` naming the path of what is wrong:
/// `terms.lines` (percents not summing to exactly 100),
/// `terms.lines[1].percent`, `terms.lines[0].fixed` (more than the total),
/// `total`, `base`.
///
/// >>> from datetime import date
/// >>> import crm
/// >>> thirds = {"name": "thirds", "lines": [
/// ...     {"label": "1/3", "percent": "33.33", "due": {"days_after": 0}},
/// ...     {"label": "2/3", "percent": "33.33", "due": {"days_after": 30}},
/// ...     {"label": "3/3", "percent": "33.34", "due": {"days_after": 60}}]}
/// >>> plan = crm.split_payments(crm.Money("5.47", "EUR"), thirds, base=date(2026, 1, 15))
/// >>> [str(i.amount.amount) for i in plan], plan[2].due_date
/// (['1.82', '1.82', '1.83'], datetime.date(2026, 3, 16))
#[pyfunction]
#[pyo3(signature = (total, terms, base = None))]
pub fn split_payments(
    py: Python<'_>,
    total: &Bound<'_, PyAny>,
    terms: &Bound<'_, PyAny>,
    base: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyList>> {
    let total = extract_money("total", total)?;
    let terms = terms_of(terms)?;
    let base = base
        .filter(|b| !b.is_none())
        .map(|b| extract_date("base", b))
        .transpose()?;
    let plan = crm::schedule::split(&total, &terms, base).map_err(to_py)?;
    installments_to_py(py, plan)
}

/// Dates the installments that wait for the milestone `event`, which happened
/// `on` (a `datetime.date`): each falls due its line's days after it.
/// Returns the installments as a new list (they are immutable), the others
/// as they were; installments already dated keep their date.
///
/// >>> from datetime import date
/// >>> import crm
/// >>> terms = {"name": "on delivery", "lines": [
/// ...     {"label": "all", "percent": "100",
/// ...      "due": {"milestone": {"event": "delivered", "plus_days": 14}}}]}
/// >>> plan = crm.split_payments(crm.Money("80", "EUR"), terms)
/// >>> crm.reach_milestone(plan, "delivered", date(2026, 3, 2))[0].due_date
/// datetime.date(2026, 3, 16)
#[pyfunction]
pub fn reach_milestone(
    py: Python<'_>,
    installments: &Bound<'_, PyAny>,
    event: &Bound<'_, PyAny>,
    on: &Bound<'_, PyAny>,
) -> PyResult<Py<PyList>> {
    if installments.cast::<PyString>().is_ok() || installments.cast::<PyMapping>().is_ok() {
        return Err(invalid("installments", "expects a list of crm.Installment"));
    }
    let items = installments
        .try_iter()
        .map_err(|_| invalid("installments", "expects a list of crm.Installment"))?;
    let mut plan = Vec::new();
    for (at, item) in items.enumerate() {
        let item = item?;
        match item.cast::<PyInstallment>() {
            Ok(installment) => plan.push(installment.get().0.clone()),
            Err(_) => {
                return Err(invalid(
                    &format!("installments[{at}]"),
                    format!("expects a crm.Installment, got {}", item.get_type().name()?),
                ));
            }
        }
    }
    let event = text("event", event)?;
    let on = extract_date("on", on)?;
    crm::schedule::reach_milestone(&mut plan, &event, on).map_err(to_py)?;
    installments_to_py(py, plan)
}

fn installments_to_py(py: Python<'_>, plan: Vec<Installment>) -> PyResult<Py<PyList>> {
    let items = plan
        .into_iter()
        .map(|i| Py::new(py, PyInstallment(i)))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(PyList::new(py, items)?.unbind())
}

/// The template from a `str` of JSON or a `Mapping`, checked by the core.
pub(crate) fn terms_of(value: &Bound<'_, PyAny>) -> PyResult<Terms> {
    let text = if value.cast::<PyString>().is_ok() {
        value.extract::<String>()?
    } else {
        let mut terms = json_object("terms", value, "lines")?;
        // Percents and fixed amounts are decimals, written as strings; an
        // `int` (`"percent": 30`) is one too.
        if let Some(Value::Array(lines)) = terms.get_mut("lines") {
            for line in lines.iter_mut().filter_map(Value::as_object_mut) {
                for key in ["percent", "fixed"] {
                    decimal_text(line.get_mut(key));
                }
            }
        }
        Value::Object(terms).to_string()
    };
    Terms::from_json(&text).map_err(to_py)
}

// ----- quotes --------------------------------------------------------------------

crate::plans::value_class!(
    /// One priced line of a quote: the product, its description, the quantity, the
    /// unit price used (given, or from the price list) and `gross` (quantity x
    /// unit price, not rounded) as `decimal.Decimal`; the `discount`, `net`
    /// (the rounded gross less the discount, never below zero), `tax` and `total` (net + tax) as `crm.Money`, rounded
    /// half-up to the currency's minor units; the `tax_percent`.
    PyPricedLine, "PricedLine", PricedLine,
    fields: [
        /// The product.
        product,
        /// The description, if any.
        description,
        /// The quantity.
        quantity,
        /// The unit price used (may be finer than a minor unit).
        unit_price,
        /// Quantity x unit price, not rounded.
        gross,
        /// The discount, rounded.
        discount,
        /// The rounded gross less the discount (never below zero).
        net,
        /// The tax rate, in percent.
        tax_percent,
        /// The tax on the net, rounded per line.
        tax,
        /// Net + tax.
        total,
    ],
    repr: custom,
    extra: {
        fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
            let l = &self.0;
            Ok(format!(
                "PricedLine(product={}, quantity='{}', unit_price='{}', net='{}', tax='{}', total='{}', currency='{}')",
                quoted(py, &l.product)?,
                l.quantity,
                l.unit_price,
                l.net.amount(),
                l.tax.amount(),
                l.total.amount(),
                l.total.currency()
            ))
        }
    }
);

/// A priced quote: its lines and the sums of their nets (`subtotal`),
/// discounts, taxes and totals, each a `crm.Money`; the total is always the
/// sum of the line totals (and subtotal + tax).
#[pyclass(name = "PricedQuote", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyPricedQuote(pub PricedQuote);

impl From<PricedQuote> for PyPricedQuote {
    fn from(quote: PricedQuote) -> Self {
        Self(quote)
    }
}

#[pymethods]
impl PyPricedQuote {
    /// The priced lines, in order.
    #[getter]
    fn lines(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        let items = self
            .0
            .lines
            .iter()
            .map(|l| Py::new(py, PyPricedLine(l.clone())))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(py, items)?.unbind())
    }

    /// The sum of the lines' nets.
    #[getter]
    fn subtotal(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.0.subtotal.to_py(py)
    }

    /// The sum of the lines' discounts.
    #[getter]
    fn discount(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.0.discount.to_py(py)
    }

    /// The sum of the lines' taxes.
    #[getter]
    fn tax(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.0.tax.to_py(py)
    }

    /// The sum of the lines' totals.
    #[getter]
    fn total(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.0.total.to_py(py)
    }

    /// Every attribute, as a dict of Python values (the lines as dicts too).
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let q = &self.0;
        let lines = q
            .lines
            .iter()
            .map(|l| PyPricedLine(l.clone()).to_dict(py))
            .collect::<PyResult<Vec<_>>>()?;
        let dict = PyDict::new(py);
        dict.set_item("lines", PyList::new(py, lines)?)?;
        dict.set_item("subtotal", q.subtotal.to_py(py)?)?;
        dict.set_item("discount", q.discount.to_py(py)?)?;
        dict.set_item("tax", q.tax.to_py(py)?)?;
        dict.set_item("total", q.total.to_py(py)?)?;
        Ok(dict.unbind())
    }

    fn __len__(&self) -> usize {
        self.0.lines.len()
    }

    fn __repr__(&self) -> String {
        let q = &self.0;
        format!(
            "PricedQuote(lines={}, subtotal='{}', discount='{}', tax='{}', total='{}', currency='{}')",
            q.lines.len(),
            q.subtotal.amount(),
            q.discount.amount(),
            q.tax.amount(),
            q.total.amount(),
            q.total.currency()
        )
    }
}

/// The keys of a quote line, in the order of `QuoteLine`.
const LINE_KEYS: &str =
    "product, description, quantity, unit_price, discount_percent, discount_amount, tax_percent";

/// Prices quote lines in `currency` (an ISO 4217 code), exactly. Per line:
/// gross = quantity x unit price (not rounded); the discount (a percent of the
/// gross, or an amount off it) rounded half-up to the currency's minor units;
/// net = gross rounded, less the discount (never below zero); tax = net x tax percent / 100, rounded per
/// line; total = net + tax. The quote's sums are the sums of its lines.
///
/// `lines` is a list of dicts with `product` (its key in the price list),
/// `description`, `quantity` (above 0; may be fractional), `unit_price`
/// (from the price list when not given), `discount_percent` or
/// `discount_amount` (not both), `tax_percent` (default 0); the numbers as
/// `decimal.Decimal`, `int` or `str`, never `float`. `price_list`, if given,
/// is a `dict` or a `str` of JSON: `{"name": ..., "currency": ..., "prices":
/// {product: unit price}}`, in the quote's currency.
///
/// Raises `crm.ValidationError` naming the line and field
/// (`lines[1].quantity`, `lines[0].unit_price` when it is neither given nor
/// in the price list, `lines[2].discount_amount`, `lines[0].tax_percent`),
/// `price_list` (another currency, bad JSON) or `currency`.
///
/// >>> from decimal import Decimal
/// >>> import crm
/// >>> prices = {"name": "2026", "currency": "EUR", "prices": {"seat": Decimal("49.90"), "sms": Decimal("0.0125")}}
/// >>> quote = crm.price_quote([
/// ...     {"product": "seat", "quantity": 3, "discount_percent": 10, "tax_percent": 19},
/// ...     {"product": "sms", "quantity": 1000, "tax_percent": Decimal("19")},
/// ... ], "EUR", price_list=prices)
/// >>> quote
/// PricedQuote(lines=2, subtotal='147.23', discount='14.97', tax='27.98', total='175.21', currency='EUR')
/// >>> quote.lines[0].net, quote.lines[1].tax.amount
/// (Money('134.73', 'EUR'), Decimal('2.38'))
#[pyfunction]
#[pyo3(signature = (lines, currency, price_list = None))]
pub fn price_quote(
    py: Python<'_>,
    lines: &Bound<'_, PyAny>,
    currency: &Bound<'_, PyAny>,
    price_list: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyPricedQuote> {
    let lines = quote_lines(lines)?;
    let currency: crm::Currency = text("currency", currency)?.parse().map_err(to_py)?;
    let price_list = price_list
        .filter(|p| !p.is_none())
        .map(price_list_of)
        .transpose()?;
    let quote = py
        .detach(|| crm::quote::price(&lines, &currency, price_list.as_ref()))
        .map_err(to_py)?;
    Ok(PyPricedQuote(quote))
}

pub(crate) fn quote_lines(lines: &Bound<'_, PyAny>) -> PyResult<Vec<QuoteLine>> {
    column("lines", lines, "expects a list of dicts")?
        .iter()
        .enumerate()
        .map(|(at, item)| quote_line(item, at))
        .collect()
}

fn quote_line(item: &Bound<'_, PyAny>, at: usize) -> PyResult<QuoteLine> {
    let field = format!("lines[{at}]");
    let Ok(map) = item.cast::<PyMapping>() else {
        return Err(invalid(
            &field,
            format!(
                "expects a dict with {LINE_KEYS}, got {}",
                item.get_type().name()?
            ),
        ));
    };
    let mut line = QuoteLine::default();
    for key in map.keys()?.iter() {
        let Ok(name) = key.extract::<String>() else {
            return Err(invalid(
                &field,
                format!("has a key that is not a str: {}", key.repr()?),
            ));
        };
        let value = map.get_item(&key)?;
        if value.is_none() {
            continue; // not given: the default
        }
        let at = format!("{field}.{name}");
        match name.as_str() {
            "product" => line.product = text(&at, &value)?,
            "description" => line.description = Some(text(&at, &value)?),
            "quantity" => line.quantity = extract_decimal(&at, &value)?,
            "unit_price" => line.unit_price = Some(extract_decimal(&at, &value)?),
            "discount_percent" => line.discount_percent = Some(extract_decimal(&at, &value)?),
            "discount_amount" => line.discount_amount = Some(extract_decimal(&at, &value)?),
            "tax_percent" => line.tax_percent = extract_decimal(&at, &value)?,
            _ => {
                return Err(invalid(
                    &at,
                    format!("is not a field of a quote line; expected {LINE_KEYS}"),
                ));
            }
        }
    }
    Ok(line)
}

/// The price list from a `str` of JSON or a `Mapping`, checked by the core.
pub(crate) fn price_list_of(value: &Bound<'_, PyAny>) -> PyResult<PriceList> {
    let text = if value.cast::<PyString>().is_ok() {
        value.extract::<String>()?
    } else {
        let mut list = json_object("price_list", value, "prices")?;
        if let Some(Value::Object(prices)) = list.get_mut("prices") {
            for price in prices.values_mut() {
                decimal_text(Some(price));
            }
        }
        Value::Object(list).to_string()
    };
    PriceList::from_json(&text).map_err(to_py)
}

// ----- helpers -------------------------------------------------------------------

/// A `Mapping` as a JSON object, its values through `to_json` (`Decimal` as a
/// string, `float` refused); the items of the list under `indexed` are named
/// by index in errors (`terms.lines[1].percent`).
pub(crate) fn json_object(
    field: &str,
    value: &Bound<'_, PyAny>,
    indexed: &str,
) -> PyResult<serde_json::Map<String, Value>> {
    let Ok(map) = value.cast::<PyMapping>() else {
        return Err(invalid(
            field,
            format!(
                "must be a dict or a str of JSON, got {}",
                value.get_type().name()?
            ),
        ));
    };
    let mut out = serde_json::Map::new();
    for key in map.keys()?.iter() {
        let Ok(name) = key.extract::<String>() else {
            return Err(invalid(
                field,
                format!("has a key that is not a str: {}", key.repr()?),
            ));
        };
        let item = map.get_item(&key)?;
        let at = format!("{field}.{name}");
        let sequence = item.cast::<PyList>().is_ok() || item.cast::<PyTuple>().is_ok();
        let json = if sequence && name == indexed {
            Value::Array(
                item.try_iter()?
                    .enumerate()
                    .map(|(i, entry)| to_json(&format!("{at}[{i}]"), &entry?))
                    .collect::<PyResult<Vec<_>>>()?,
            )
        } else {
            to_json(&at, &item)?
        };
        out.insert(name, json);
    }
    Ok(out)
}

/// A whole number where the core reads a decimal (written as a string) becomes
/// that string: `"percent": 30` is `"percent": "30"`.
fn decimal_text(value: Option<&mut Value>) {
    if let Some(value) = value {
        if let Value::Number(number) = value {
            *value = Value::String(number.to_string());
        }
    }
}

/// A string as Python's `repr` writes it.
pub(crate) fn quoted(py: Python<'_>, text: &str) -> PyResult<String> {
    Ok(PyString::new(py, text).repr()?.to_string())
}
