//! Payment plans, quote versions, receivables and collections as the engine
//! keeps and reports them (`Contract.payment_plan`, `Opportunity.quotes`,
//! `Crm.receivables`, `Crm.collected`): frozen wrappers over the core types,
//! with read-only attributes, `to_dict()`, `repr()` and `==`.
//!
//! Every rule (allocation, reversal, aging, statuses) lives in
//! `crm::schedule` and `crm::engine`; this module only converts: amounts are
//! `crm.Money`, days `datetime.date`, never `float`.

use chrono::NaiveDate;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{ToPy, extract_date};
use crate::error::to_py;

/// A frozen class over a core value: a getter per field (through [`ToPy`]),
/// `to_dict()` with those fields, a `repr()` showing the `repr` fields (or,
/// with `repr: custom`, one the class writes in `extra`), and any `extra`
/// methods.
macro_rules! value_class {
    (
        $(#[doc = $doc:literal])*
        $py:ident, $name:literal, $core:ty,
        fields: [$($(#[doc = $fdoc:literal])* $field:ident),* $(,)?],
        repr: [$($shown:ident),* $(,)?],
        extra: { $($extra:tt)* }
    ) => {
        value_class!(
            $(#[doc = $doc])*
            $py, $name, $core,
            fields: [$($(#[doc = $fdoc])* $field),*],
            repr: custom,
            extra: {
                fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                    let parts: Vec<String> = vec![
                        $( format!("{}={}", stringify!($shown), self.0.$shown.to_py(py)?.bind(py).repr()?), )*
                    ];
                    Ok(format!("{}({})", $name, parts.join(", ")))
                }

                $($extra)*
            }
        );
    };
    (
        $(#[doc = $doc:literal])*
        $py:ident, $name:literal, $core:ty,
        fields: [$($(#[doc = $fdoc:literal])* $field:ident),* $(,)?],
        repr: custom,
        extra: { $($extra:tt)* }
    ) => {
        $(#[doc = $doc])*
        #[pyclass(name = $name, module = "crm", frozen, eq, from_py_object)]
        #[derive(Clone, PartialEq)]
        pub struct $py(pub $core);

        impl From<$core> for $py {
            fn from(value: $core) -> Self {
                Self(value)
            }
        }

        #[pymethods]
        impl $py {
            $(
                $(#[doc = $fdoc])*
                #[getter]
                fn $field(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                    self.0.$field.to_py(py)
                }
            )*

            /// Every attribute, as a dict of Python values.
            fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
                let dict = PyDict::new(py);
                $( dict.set_item(stringify!($field), self.0.$field.to_py(py)?)?; )*
                Ok(dict.unbind())
            }

            $($extra)*
        }
    };
}
pub(crate) use value_class;

value_class!(
    /// A contract's payment plan: its installments (those a reschedule
    /// replaced kept, owing nothing), the payments received, the credit left
    /// over and the milestones reached. `total`, `paid`, `outstanding` and
    /// `is_settled` sum the installments; `aging(today)` buckets what is owed
    /// by days past due.
    ///
    /// >>> from datetime import datetime, timezone
    /// >>> import crm
    /// >>> engine = crm.Crm(now=datetime(2026, 1, 15, 9, tzinfo=timezone.utc), seed=1)
    /// >>> admin = crm.Actor("root", roles=["admin"])
    /// >>> acme = engine.create_customer(admin, "Acme")
    /// >>> deal = engine.create_opportunity(admin, acme.id, "Seats", expected_amount=crm.Money("1000.00", "EUR"))
    /// >>> _, contract = engine.win_opportunity(admin, engine.advance_opportunity(admin, deal.id).id)
    /// >>> terms = {"name": "halves", "lines": [
    /// ...     {"label": "now", "percent": 50, "due": {"days_after": 0}},
    /// ...     {"label": "later", "percent": 50, "due": {"days_after": 30}}]}
    /// >>> plan = engine.set_payment_plan(admin, contract.id, terms).payment_plan
    /// >>> plan
    /// PaymentPlan(terms='halves', currency='EUR', credit=Money('0.00', 'EUR'))
    /// >>> plan.installments[1]
    /// PlanLine(number=2, label='later', amount=Money('500.00', 'EUR'), due_date=datetime.date(2026, 2, 14), paid=Money('0.00', 'EUR'))
    /// >>> plan = engine.record_payment(admin, contract.id, "bank-1", crm.Money("600.00", "EUR")).payment_plan
    /// >>> plan.paid, plan.outstanding, plan.is_settled
    /// (Money('600.00', 'EUR'), Money('400.00', 'EUR'), False)
    /// >>> [line.status(datetime(2026, 1, 20).date()) for line in plan.installments]
    /// ['paid', 'partially_paid']
    PyPaymentPlan, "PaymentPlan", crm::schedule::PaymentPlan,
    fields: [
        /// The terms' name.
        terms,
        /// The ISO 4217 code of every amount of the plan.
        currency,
        /// The installments, in order (replaced ones kept).
        installments,
        /// The payments, in the order received (reversed ones kept).
        payments,
        /// Money received beyond what was owed.
        credit,
        /// The milestones reached: `{event: date}`.
        milestones,
    ],
    repr: [terms, currency, credit],
    extra: {
        /// What the plan asks in total (a replaced line for what was paid on
        /// it, so a reschedule keeps the total).
        #[getter]
        fn total(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
            self.0.total().map_err(to_py)?.to_py(py)
        }

        /// Paid to date on installments (the credit aside).
        #[getter]
        fn paid(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
            self.0.paid().map_err(to_py)?.to_py(py)
        }

        /// Still owed.
        #[getter]
        fn outstanding(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
            self.0.outstanding().map_err(to_py)?.to_py(py)
        }

        /// Whether nothing is owed any more.
        #[getter]
        fn is_settled(&self) -> bool {
            self.0.is_settled()
        }

        /// What is owed on `today` (a `datetime.date`), by days past due.
        fn aging(&self, py: Python<'_>, today: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
            let today = extract_date("today", today)?;
            self.0.aging(today).map_err(to_py)?.to_py(py)
        }
    }
);

value_class!(
    /// One installment of a payment plan: what it asks, when it falls due
    /// (`None` while it waits for its milestone), its due rule, what was paid
    /// on it (reversals taken off), its write-off, and whether a reschedule
    /// replaced it. `open` is what is still owed; `status(today)` where it
    /// stands on a day.
    PyPlanLine, "PlanLine", crm::schedule::PlanLine,
    fields: [
        /// Its number in the plan, from 1, never reused.
        number,
        /// Its label.
        label,
        /// What it asks, a `crm.Money`.
        amount,
        /// When it falls due; `None` while waiting for its milestone.
        due_date,
        /// The milestone it waits for, if any.
        milestone,
        /// Its due rule, as the terms template writes it.
        due,
        /// What was paid on it, reversals taken off.
        paid,
        /// Its write-off, if any.
        written_off,
        /// Whether a reschedule replaced it (it then owes nothing).
        replaced,
    ],
    repr: [number, label, amount, due_date, paid],
    extra: {
        /// What is still owed on it (nothing once written off or replaced).
        #[getter]
        fn open(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
            crm::Money::new(self.0.open(), self.0.amount.currency())
                .map_err(to_py)?
                .to_py(py)
        }

        /// Where it stands on `today` (a `datetime.date`): `"planned"`,
        /// `"due"`, `"partially_paid"`, `"paid"`, `"overdue"` or
        /// `"written_off"`.
        fn status(&self, py: Python<'_>, today: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
            let today: NaiveDate = extract_date("today", today)?;
            self.0.status(today).to_py(py)
        }
    }
);

value_class!(
    /// A payment received on a plan: the caller's id for it (a bank
    /// reference), the day, the amount, where it went (`allocations`), the
    /// credit it left, and its reversal if it bounced.
    PyPayment, "Payment", crm::schedule::Payment,
    fields: [
        /// The caller's id for it, unique in the plan.
        id,
        /// When it was received.
        on,
        /// How much.
        amount,
        /// Where it went, installment by installment.
        allocations,
        /// What was left over: a credit on the plan.
        credit,
        /// Its reversal, if it bounced.
        reversed,
    ],
    repr: [id, on, amount],
    extra: {}
);

value_class!(
    /// The part of a payment that went to one installment.
    PyAllocation, "Allocation", crm::schedule::Allocation,
    fields: [
        /// The installment's number.
        installment,
        /// How much of the payment went to it.
        amount,
    ],
    repr: [installment, amount],
    extra: {}
);

value_class!(
    /// A payment undone (it bounced): when and why.
    PyReversal, "Reversal", crm::schedule::Reversal,
    fields: [
        /// When.
        on,
        /// Why.
        reason,
    ],
    repr: [on, reason],
    extra: {}
);

value_class!(
    /// A write-off of what was left of an installment: when, why, how much.
    PyWriteOff, "WriteOff", crm::schedule::WriteOff,
    fields: [
        /// When.
        on,
        /// Why.
        reason,
        /// What was left and is no longer owed.
        amount,
    ],
    repr: [on, reason, amount],
    extra: {}
);

value_class!(
    /// What is owed, by days past due on a day.
    PyAging, "Aging", crm::schedule::Aging,
    fields: [
        /// Not yet past due (undated installments included).
        current,
        /// 1 to 30 days past due.
        days_1_30,
        /// 31 to 60 days.
        days_31_60,
        /// 61 to 90 days.
        days_61_90,
        /// More than 90 days.
        days_90_plus,
    ],
    repr: [current, days_1_30, days_31_60, days_61_90, days_90_plus],
    extra: {}
);

value_class!(
    /// One version of a deal's quote: its number, status (`"open"`,
    /// `"accepted"` or `"superseded"`), when it was made, the last day it may
    /// be accepted, the price list used (by name), the note, the lines as
    /// given (dicts, as `price_quote` takes them) and as priced (a
    /// `crm.PricedQuote`).
    PyQuoteVersion, "QuoteVersion", crm::quote::QuoteVersion,
    fields: [
        /// Its version, from 1.
        version,
        /// `"open"`, `"accepted"` or `"superseded"`.
        status,
        /// When it was made.
        created_at,
        /// The last day it may be accepted, if limited.
        valid_until,
        /// The price list used, by name.
        price_list,
        /// A note to the customer.
        note,
        /// The lines as given: dicts with every key of a quote line.
        lines,
        /// The lines and totals as priced.
        priced,
    ],
    repr: [version, status],
    extra: {}
);

value_class!(
    /// What one contract with a payment plan is owed on a day
    /// (`Crm.receivables`).
    PyReceivable, "Receivable", crm::Receivable,
    fields: [
        /// The contract's id.
        contract,
        /// Its number.
        number,
        /// Its customer's id.
        customer,
        /// Its owner.
        owner,
        /// What the plan asks in total.
        total,
        /// Paid to date.
        paid,
        /// Still owed.
        outstanding,
        /// Received beyond what was owed.
        credit,
        /// What is owed, by days past due.
        aging,
    ],
    repr: [number, outstanding],
    extra: {}
);

value_class!(
    /// Money collected by one owner in one currency over a period
    /// (`Crm.collected`), reversed payments left out.
    PyCollected, "Collected", crm::Collected,
    fields: [
        /// The contracts' owner (`None`: contracts without one).
        owner,
        /// The amount received.
        amount,
        /// How many payments.
        payments,
    ],
    repr: [owner, amount, payments],
    extra: {}
);
