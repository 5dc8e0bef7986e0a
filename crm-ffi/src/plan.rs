//! Payment plans and quote versions as the engine keeps them on records: a
//! contract's [`PaymentPlan`] (its [`PlanLine`]s, [`Payment`]s and
//! milestones), a deal's [`QuoteVersion`]s, and what the collection commands
//! return ([`Receivable`] with its [`Aging`], [`Collected`]); plus the inputs
//! of `addQuote` ([`QuoteInput`]) and `recordPayment` ([`PaymentInput`]).
//!
//! Conventions as in [`crate::payments`]: money is [`Money`], calendar dates
//! are `YYYY-MM-DD` strings, an installment's due rule is JSON text
//! (`due_json`), the price list and terms templates are JSON text. The
//! convenience methods (`PaymentPlan.total()`, `PlanLine.status(today)`, ...)
//! read the record back into the core's type and ask it: nothing is decided
//! here.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use crm::Error as CoreError;
use crm::quote::{QuoteStatus as CoreQuoteStatus, QuoteVersion as CoreQuoteVersion};
use crm::schedule::{
    Aging as CoreAging, Allocation as CoreAllocation, Due,
    InstallmentStatus as CoreInstallmentStatus, Payment as CorePayment,
    PaymentPlan as CorePaymentPlan, PlanLine as CorePlanLine, Reversal as CoreReversal,
    WriteOff as CoreWriteOff,
};

use crate::clock::{date_text, parse_date, to_system_time};
use crate::error::CrmError;
use crate::model::{Money, count, money_at, opt_text};
use crate::payments::{PricedQuote, QuoteLine, price_list, quote_lines};

/// An installment's due rule as JSON text, as the terms template writes it.
pub(crate) fn due_json(due: &Due) -> String {
    // A due rule is a plain enum of numbers and strings: it always serialises.
    serde_json::to_string(due).unwrap_or_else(|_| "null".to_owned())
}

/// Where an installment stands on a day (`PlanLine.status(today)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum InstallmentStatus {
    /// Not yet due (or waiting for its milestone).
    Planned,
    /// Due on the day, nothing paid yet.
    Due,
    /// Part paid.
    PartiallyPaid,
    /// Paid in full.
    Paid,
    /// Past its due date and not paid in full.
    Overdue,
    /// Written off.
    WrittenOff,
}

impl From<CoreInstallmentStatus> for InstallmentStatus {
    fn from(status: CoreInstallmentStatus) -> Self {
        match status {
            CoreInstallmentStatus::Planned => InstallmentStatus::Planned,
            CoreInstallmentStatus::Due => InstallmentStatus::Due,
            CoreInstallmentStatus::PartiallyPaid => InstallmentStatus::PartiallyPaid,
            CoreInstallmentStatus::Paid => InstallmentStatus::Paid,
            CoreInstallmentStatus::Overdue => InstallmentStatus::Overdue,
            CoreInstallmentStatus::WrittenOff => InstallmentStatus::WrittenOff,
        }
    }
}

/// A write-off of what was left of an installment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Record)]
pub struct WriteOff {
    /// When, `YYYY-MM-DD`.
    pub on: String,
    /// Why.
    pub reason: String,
    /// What was left and is no longer owed.
    pub amount: Money,
}

impl From<CoreWriteOff> for WriteOff {
    fn from(w: CoreWriteOff) -> Self {
        WriteOff {
            on: date_text(w.on),
            reason: w.reason,
            amount: w.amount.into(),
        }
    }
}

/// One installment of a contract's payment plan.
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Record)]
pub struct PlanLine {
    /// Its number in the plan, from 1, never reused.
    pub number: u32,
    /// Its label (`"on signing"`).
    pub label: String,
    /// What it asks.
    pub amount: Money,
    /// When it falls due, `YYYY-MM-DD`; `null` while it waits for a milestone.
    pub due_date: Option<String>,
    /// The milestone it waits for (`"delivery_accepted"`), if any.
    pub milestone: Option<String>,
    /// Its due rule as JSON text (`{"days_after":30}`).
    pub due_json: String,
    /// What was paid on it (reversals taken off).
    pub paid: Money,
    /// Its write-off, if any.
    pub written_off: Option<WriteOff>,
    /// Replaced by a reschedule (kept for the record; owes nothing).
    pub replaced: bool,
}

impl From<CorePlanLine> for PlanLine {
    fn from(line: CorePlanLine) -> Self {
        PlanLine {
            number: line.number,
            label: line.label,
            amount: line.amount.into(),
            due_date: line.due_date.map(date_text),
            milestone: line.milestone,
            due_json: due_json(&line.due),
            paid: line.paid.into(),
            written_off: line.written_off.map(WriteOff::from),
            replaced: line.replaced,
        }
    }
}

impl PlanLine {
    /// Back to the core, fields named under `installments[row]`.
    fn to_core(&self, row: usize) -> Result<CorePlanLine, CoreError> {
        let at = |field: &str| format!("installments[{row}].{field}");
        let written_off = match &self.written_off {
            Some(w) => Some(CoreWriteOff {
                on: parse_date(&at("written_off.on"), &w.on)?,
                reason: w.reason.clone(),
                amount: money_at(&at("written_off."), &w.amount)?,
            }),
            None => None,
        };
        Ok(CorePlanLine {
            number: self.number,
            label: self.label.clone(),
            amount: money_at(&at(""), &self.amount)?,
            due_date: self
                .due_date
                .as_deref()
                .map(|d| parse_date(&at("due_date"), d))
                .transpose()?,
            milestone: self.milestone.clone(),
            due: serde_json::from_str(&self.due_json)
                .map_err(|e| CoreError::invalid(at("due"), format!("is not a due rule: {e}")))?,
            paid: money_at(&at("paid."), &self.paid)?,
            written_off,
            replaced: self.replaced,
        })
    }
}

#[uniffi::export]
impl PlanLine {
    /// Its status on `today` (`YYYY-MM-DD`): written off, paid, overdue
    /// (past its due date), partially paid, due (on the day) or planned.
    ///
    /// # Errors
    ///
    /// `Validation` on `today` for a date not in the form `YYYY-MM-DD`, or on
    /// `installments[0].FIELD` for a line that does not read back.
    pub fn status(&self, today: String) -> Result<InstallmentStatus, CrmError> {
        let today = parse_date("today", &today)?;
        Ok(self.to_core(0)?.status(today).into())
    }
}

/// One allocation of a payment to an installment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Record)]
pub struct Allocation {
    /// The installment's number.
    pub installment: u32,
    /// How much of the payment went to it.
    pub amount: Money,
}

/// A payment undone (it bounced).
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Record)]
pub struct Reversal {
    /// When, `YYYY-MM-DD`.
    pub on: String,
    /// Why.
    pub reason: String,
}

/// A payment received on a contract.
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Record)]
pub struct Payment {
    /// The caller's id for it (a bank reference), unique in the plan.
    pub id: String,
    /// When it was received, `YYYY-MM-DD`.
    pub on: String,
    /// How much.
    pub amount: Money,
    /// Where it went, in order.
    pub allocations: Vec<Allocation>,
    /// What was left over: a credit on the plan.
    pub credit: Money,
    /// Its reversal, if any.
    pub reversed: Option<Reversal>,
}

impl From<CorePayment> for Payment {
    fn from(p: CorePayment) -> Self {
        Payment {
            id: p.id,
            on: date_text(p.on),
            amount: p.amount.into(),
            allocations: p
                .allocations
                .into_iter()
                .map(|a| Allocation {
                    installment: a.installment,
                    amount: a.amount.into(),
                })
                .collect(),
            credit: p.credit.into(),
            reversed: p.reversed.map(|r| Reversal {
                on: date_text(r.on),
                reason: r.reason,
            }),
        }
    }
}

impl Payment {
    /// Back to the core, fields named under `payments[row]`.
    fn to_core(&self, row: usize) -> Result<CorePayment, CoreError> {
        let at = |field: &str| format!("payments[{row}].{field}");
        Ok(CorePayment {
            id: self.id.clone(),
            on: parse_date(&at("on"), &self.on)?,
            amount: money_at(&at(""), &self.amount)?,
            allocations: self
                .allocations
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    Ok(CoreAllocation {
                        installment: a.installment,
                        amount: money_at(&at(&format!("allocations[{i}].")), &a.amount)?,
                    })
                })
                .collect::<Result<_, CoreError>>()?,
            credit: money_at(&at("credit."), &self.credit)?,
            reversed: match &self.reversed {
                Some(r) => Some(CoreReversal {
                    on: parse_date(&at("reversed.on"), &r.on)?,
                    reason: r.reason.clone(),
                }),
                None => None,
            },
        })
    }
}

/// A contract's payment plan: installments, payments, the credit left over
/// and the milestones reached.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PaymentPlan {
    /// The terms' name (`"30/70"`).
    pub terms: String,
    /// The currency, an ISO 4217 code.
    pub currency: String,
    /// The installments, in order (replaced ones kept).
    pub installments: Vec<PlanLine>,
    /// The payments, in the order received.
    pub payments: Vec<Payment>,
    /// Money received beyond what was owed.
    pub credit: Money,
    /// The milestones reached: event -> `YYYY-MM-DD`.
    pub milestones: HashMap<String, String>,
}

impl From<CorePaymentPlan> for PaymentPlan {
    fn from(plan: CorePaymentPlan) -> Self {
        PaymentPlan {
            terms: plan.terms,
            currency: plan.currency.code().to_owned(),
            installments: plan.installments.into_iter().map(PlanLine::from).collect(),
            payments: plan.payments.into_iter().map(Payment::from).collect(),
            credit: plan.credit.into(),
            milestones: plan
                .milestones
                .into_iter()
                .map(|(event, on)| (event, date_text(on)))
                .collect(),
        }
    }
}

impl PaymentPlan {
    /// Back to the core, for the convenience methods.
    fn to_core(&self) -> Result<CorePaymentPlan, CoreError> {
        let milestones = self
            .milestones
            .iter()
            .map(|(event, on)| {
                Ok((
                    event.clone(),
                    parse_date(&format!("milestones.{event}"), on)?,
                ))
            })
            .collect::<Result<BTreeMap<_, _>, CoreError>>()?;
        Ok(CorePaymentPlan {
            terms: self.terms.clone(),
            currency: self.currency.parse()?,
            installments: self
                .installments
                .iter()
                .enumerate()
                .map(|(row, line)| line.to_core(row))
                .collect::<Result<_, _>>()?,
            payments: self
                .payments
                .iter()
                .enumerate()
                .map(|(row, payment)| payment.to_core(row))
                .collect::<Result<_, _>>()?,
            credit: money_at("credit.", &self.credit)?,
            milestones,
        })
    }
}

#[uniffi::export]
impl PaymentPlan {
    /// What the plan asks in total (written-off lines included; a replaced
    /// line for what was paid on it, so a reschedule keeps the total).
    ///
    /// # Errors
    ///
    /// `Validation` naming the field of a plan that does not read back.
    pub fn total(&self) -> Result<Money, CrmError> {
        Ok(self.to_core()?.total()?.into())
    }

    /// Paid to date, on installments (the credit aside).
    ///
    /// # Errors
    ///
    /// As `total()`.
    pub fn paid(&self) -> Result<Money, CrmError> {
        Ok(self.to_core()?.paid()?.into())
    }

    /// Still owed.
    ///
    /// # Errors
    ///
    /// As `total()`.
    pub fn outstanding(&self) -> Result<Money, CrmError> {
        Ok(self.to_core()?.outstanding()?.into())
    }

    /// Whether nothing is owed any more.
    ///
    /// # Errors
    ///
    /// As `total()`.
    pub fn is_settled(&self) -> Result<bool, CrmError> {
        Ok(self.to_core()?.is_settled())
    }
}

/// Amounts owed by age past their due date, on a day.
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Record)]
pub struct Aging {
    /// Not yet past due (including undated).
    pub current: Money,
    /// 1 to 30 days past due.
    pub days_1_to_30: Money,
    /// 31 to 60.
    pub days_31_to_60: Money,
    /// 61 to 90.
    pub days_61_to_90: Money,
    /// More than 90.
    pub days_90_plus: Money,
}

impl From<CoreAging> for Aging {
    fn from(a: CoreAging) -> Self {
        Aging {
            current: a.current.into(),
            days_1_to_30: a.days_1_30.into(),
            days_31_to_60: a.days_31_60.into(),
            days_61_to_90: a.days_61_90.into(),
            days_90_plus: a.days_90_plus.into(),
        }
    }
}

/// What one contract with a plan is owed (`receivables`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Record)]
pub struct Receivable {
    /// The contract's id.
    pub contract: String,
    /// Its number (`C-000042`).
    pub number: String,
    /// Its customer.
    pub customer: String,
    /// Its owner.
    pub owner: Option<String>,
    /// What the plan asks in total.
    pub total: Money,
    /// Paid to date.
    pub paid: Money,
    /// Still owed.
    pub outstanding: Money,
    /// Received beyond what was owed.
    pub credit: Money,
    /// What is owed, by age past due.
    pub aging: Aging,
}

impl From<crm::Receivable> for Receivable {
    fn from(r: crm::Receivable) -> Self {
        Receivable {
            contract: r.contract.to_string(),
            number: r.number,
            customer: r.customer.to_string(),
            owner: opt_text(r.owner),
            total: r.total.into(),
            paid: r.paid.into(),
            outstanding: r.outstanding.into(),
            credit: r.credit.into(),
            aging: r.aging.into(),
        }
    }
}

/// Money collected by one owner in one currency over a period (`collected`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Record)]
pub struct Collected {
    /// The contracts' owner (`null`: contracts without one).
    pub owner: Option<String>,
    /// The amount received (reversed payments left out).
    pub amount: Money,
    /// How many payments.
    pub payments: u64,
}

impl From<crm::Collected> for Collected {
    fn from(c: crm::Collected) -> Self {
        Collected {
            owner: opt_text(c.owner),
            amount: c.amount.into(),
            payments: count(c.payments),
        }
    }
}

/// A payment to record on a contract (`recordPayment`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Record)]
pub struct PaymentInput {
    /// The caller's reference (a bank transaction id), unique per contract.
    pub id: String,
    /// How much, in the contract's currency.
    pub amount: Money,
    /// When it was received, `YYYY-MM-DD` (default: today by the engine's clock).
    #[uniffi(default)]
    pub on: Option<String>,
    /// The installments to pay, in order (default: the open ones, oldest due first).
    #[uniffi(default)]
    pub to: Option<Vec<u32>>,
}

impl TryFrom<PaymentInput> for crm::PaymentInput {
    type Error = CoreError;

    /// # Errors
    ///
    /// A validation error on `amount.amount` / `amount.currency`, on `on`.
    fn try_from(input: PaymentInput) -> Result<Self, CoreError> {
        Ok(crm::PaymentInput {
            amount: money_at("amount.", &input.amount)?,
            on: input.on.map(|d| parse_date("on", &d)).transpose()?,
            id: input.id,
            to: input.to,
        })
    }
}

/// Where a version of a deal's quote stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum QuoteStatus {
    /// The latest version, waiting for the customer.
    Open,
    /// Accepted: its total is the deal's amount and becomes the contract's.
    Accepted,
    /// Replaced by a later version (kept for the record).
    Superseded,
}

impl From<CoreQuoteStatus> for QuoteStatus {
    fn from(status: CoreQuoteStatus) -> Self {
        match status {
            CoreQuoteStatus::Open => QuoteStatus::Open,
            CoreQuoteStatus::Accepted => QuoteStatus::Accepted,
            CoreQuoteStatus::Superseded => QuoteStatus::Superseded,
        }
    }
}

/// One version of a deal's quote: the lines as given and as priced.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct QuoteVersion {
    /// Its version, from 1.
    pub version: u32,
    /// Where it stands.
    pub status: QuoteStatus,
    /// When it was made.
    pub created_at: SystemTime,
    /// The last day it may be accepted, `YYYY-MM-DD`, if limited.
    pub valid_until: Option<String>,
    /// The price list used, by name.
    pub price_list: Option<String>,
    /// A note to the customer.
    pub note: Option<String>,
    /// The lines as given.
    pub lines: Vec<QuoteLine>,
    /// The lines and totals as priced.
    pub priced: PricedQuote,
}

impl From<CoreQuoteVersion> for QuoteVersion {
    fn from(q: CoreQuoteVersion) -> Self {
        QuoteVersion {
            version: q.version,
            status: q.status.into(),
            created_at: to_system_time(q.created_at),
            valid_until: q.valid_until.map(date_text),
            price_list: q.price_list,
            note: q.note,
            lines: q.lines.into_iter().map(QuoteLine::from).collect(),
            priced: q.priced.into(),
        }
    }
}

/// A new version of a deal's quote (`addQuote`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, uniffi::Record)]
pub struct QuoteInput {
    /// The lines (at least one).
    pub lines: Vec<QuoteLine>,
    /// The currency, an ISO 4217 code (default: the price list's, else the
    /// deal's expected amount's).
    #[uniffi(default)]
    pub currency: Option<String>,
    /// Unit prices for lines that give none, as for `priceQuote`: `{"name",
    /// "currency", "prices": {"PRODUCT": "PRICE"}}`.
    #[uniffi(default)]
    pub price_list_json: Option<String>,
    /// The last day it may be accepted, `YYYY-MM-DD`.
    #[uniffi(default)]
    pub valid_until: Option<String>,
    /// A note to the customer.
    #[uniffi(default)]
    pub note: Option<String>,
}

impl TryFrom<QuoteInput> for crm::QuoteInput {
    type Error = CoreError;

    /// # Errors
    ///
    /// A validation error on `lines[row].FIELD`, `currency`, `price_list`,
    /// `valid_until`.
    fn try_from(input: QuoteInput) -> Result<Self, CoreError> {
        Ok(crm::QuoteInput {
            lines: quote_lines(input.lines)?,
            currency: input.currency.map(|c| c.parse()).transpose()?,
            price_list: price_list(input.price_list_json)?,
            valid_until: input
                .valid_until
                .map(|d| parse_date("valid_until", &d))
                .transpose()?,
            note: input.note,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm::Money as CoreMoney;
    use crm::schedule::{Terms, split};

    fn eur(amount: &str) -> Money {
        Money {
            amount: amount.into(),
            currency: "EUR".into(),
        }
    }

    fn plan() -> PaymentPlan {
        let terms = Terms::from_json(
            r#"{"name": "30/70", "lines": [
                {"label": "down payment", "percent": "30", "due": {"days_after": 0}},
                {"label": "rest", "percent": "70",
                 "due": {"milestone": {"event": "delivery_accepted", "plus_days": 30}}}]}"#,
        )
        .unwrap();
        let total = CoreMoney::parse("1000.00", "EUR").unwrap();
        let base = parse_date("base", "2026-01-15").unwrap();
        let mut core =
            CorePaymentPlan::new(&terms.name, split(&total, &terms, Some(base)).unwrap()).unwrap();
        core.record_payment("b1", CoreMoney::parse("100.00", "EUR").unwrap(), base, None)
            .unwrap();
        core.reach_milestone("delivery_accepted", base).unwrap();
        core.into()
    }

    #[test]
    fn a_plan_reads_back_and_answers_its_sums() {
        let plan = plan();
        assert_eq!(plan.installments[0].due_json, r#"{"days_after":0}"#);
        assert_eq!(plan.milestones["delivery_accepted"], "2026-01-15");
        assert_eq!(plan.payments[0].on, "2026-01-15");
        assert_eq!(PaymentPlan::from(plan.to_core().unwrap()), plan);
        assert_eq!(plan.total().unwrap(), eur("1000.00"));
        assert_eq!(plan.paid().unwrap(), eur("100.00"));
        assert_eq!(plan.outstanding().unwrap(), eur("900.00"));
        assert!(!plan.is_settled().unwrap());
        let first = &plan.installments[0];
        assert_eq!(
            first.status("2026-01-15".into()).unwrap(),
            InstallmentStatus::PartiallyPaid
        );
        assert_eq!(
            first.status("2026-01-16".into()).unwrap(),
            InstallmentStatus::Overdue
        );
    }

    #[test]
    fn a_record_that_does_not_read_back_names_the_field() {
        let fields = |err: CrmError| match err {
            CrmError::Validation { fields, .. } => fields,
            other => panic!("{other:?}"),
        };
        let mut bad = plan();
        bad.installments[1].paid = eur("1.001");
        assert_eq!(
            fields(bad.total().unwrap_err()),
            ["installments[1].paid.amount"]
        );
        let mut bad = plan();
        bad.payments[0].on = "soon".into();
        assert_eq!(fields(bad.paid().unwrap_err()), ["payments[0].on"]);
        assert_eq!(
            fields(plan().installments[0].status("x".into()).unwrap_err()),
            ["today"]
        );
    }
}
