//! A contract's payment plan (`Contract.paymentPlan`): installments with what
//! was paid on them, payments and their allocations, reversals, write-offs
//! and milestones, as the core keeps them (see [`crm::schedule::PaymentPlan`]).
//! Declared here, before the contract that names it (see lib.rs).

use napi_derive::napi;
use serde_json::Value;

use crm::Money;
use crm::schedule::{Allocation, Payment, PaymentPlan, PlanLine, Reversal, WriteOff};

use crate::model::JsMoney;

/// A sum the core computes over a plan's amounts, as money. The amounts are
/// whole minor units of one currency, so the sum always is one: the error is
/// unreachable, and zero stands in rather than failing a whole record.
fn sum(total: crm::Result<Money>, plan: &PaymentPlan) -> JsMoney {
    total.unwrap_or_else(|_| Money::zero(plan.currency)).into()
}

/// A write-off of what was left of an installment.
#[napi(object, js_name = "WriteOff", object_from_js = false)]
pub struct JsWriteOff {
    /// When, `YYYY-MM-DD`.
    pub on: String,
    /// Why.
    pub reason: String,
    /// What was left and is no longer owed.
    pub amount: JsMoney,
}

impl From<WriteOff> for JsWriteOff {
    fn from(write_off: WriteOff) -> Self {
        JsWriteOff {
            on: write_off.on.to_string(),
            reason: write_off.reason,
            amount: write_off.amount.into(),
        }
    }
}

/// One installment of a payment plan.
#[napi(
    object,
    js_name = "PlanLine",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsPlanLine {
    /// Its number in the plan, from 1, never reused (a reschedule adds new
    /// numbers): what `recordPayment`'s `to` and `writeOffInstallment` name.
    pub number: u32,
    /// Its label, e.g. `'down payment'`.
    pub label: String,
    /// What it asks.
    pub amount: JsMoney,
    /// When it falls due, `YYYY-MM-DD`; `null` while it waits for its
    /// milestone.
    pub due_date: Option<String>,
    /// The milestone it waits for (`'delivery_accepted'`), or `null`.
    pub milestone: Option<String>,
    /// Its due rule as the terms template gives it, e.g. `{ days_after: 30 }`.
    #[napi(ts_type = "Record<string, any>")]
    pub due: Value,
    /// What was paid on it, reversals taken off.
    pub paid: JsMoney,
    /// Its write-off, or `null`.
    pub written_off: Option<JsWriteOff>,
    /// Replaced by a reschedule: kept for the record, it owes nothing more.
    pub replaced: bool,
}

impl From<PlanLine> for JsPlanLine {
    fn from(line: PlanLine) -> Self {
        JsPlanLine {
            number: line.number,
            label: line.label,
            amount: line.amount.into(),
            due_date: line.due_date.map(|day| day.to_string()),
            milestone: line.milestone,
            due: serde_json::to_value(&line.due).unwrap_or_default(),
            paid: line.paid.into(),
            written_off: line.written_off.map(JsWriteOff::from),
            replaced: line.replaced,
        }
    }
}

/// What part of a payment went to one installment.
#[napi(object, js_name = "Allocation", object_from_js = false)]
pub struct JsAllocation {
    /// The installment's number.
    pub installment: u32,
    /// How much of the payment went to it.
    pub amount: JsMoney,
}

impl From<Allocation> for JsAllocation {
    fn from(allocation: Allocation) -> Self {
        JsAllocation {
            installment: allocation.installment,
            amount: allocation.amount.into(),
        }
    }
}

/// A payment undone (it bounced).
#[napi(object, js_name = "Reversal", object_from_js = false)]
pub struct JsReversal {
    /// When, `YYYY-MM-DD`.
    pub on: String,
    /// Why.
    pub reason: String,
}

impl From<Reversal> for JsReversal {
    fn from(reversal: Reversal) -> Self {
        JsReversal {
            on: reversal.on.to_string(),
            reason: reversal.reason,
        }
    }
}

/// A payment received on a plan.
#[napi(
    object,
    js_name = "Payment",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsPayment {
    /// The caller's id for it (a bank reference), unique in the plan.
    pub id: String,
    /// When it was received, `YYYY-MM-DD`.
    pub on: String,
    /// How much.
    pub amount: JsMoney,
    /// Where it went: the installments it paid, in order.
    pub allocations: Vec<JsAllocation>,
    /// What was left over, added to the plan's credit.
    pub credit: JsMoney,
    /// Its reversal, or `null`.
    pub reversed: Option<JsReversal>,
}

impl From<Payment> for JsPayment {
    fn from(payment: Payment) -> Self {
        JsPayment {
            id: payment.id,
            on: payment.on.to_string(),
            amount: payment.amount.into(),
            allocations: payment
                .allocations
                .into_iter()
                .map(JsAllocation::from)
                .collect(),
            credit: payment.credit.into(),
            reversed: payment.reversed.map(JsReversal::from),
        }
    }
}

/// A contract's payment plan (`setPaymentPlan`): its installments, the
/// payments received, the credit left over and the milestones reached, with
/// the plan's sums (`total`, `paid`, `outstanding`, `isSettled`) as the core
/// computes them.
#[napi(object, js_name = "PaymentPlan", object_from_js = false)]
pub struct JsPaymentPlan {
    /// The terms' name.
    pub terms: String,
    /// The currency, an ISO 4217 code.
    pub currency: String,
    /// The installments, in order (replaced ones kept).
    pub installments: Vec<JsPlanLine>,
    /// The payments, in the order received (reversed ones kept).
    pub payments: Vec<JsPayment>,
    /// Money received beyond what was owed.
    pub credit: JsMoney,
    /// The milestones reached, each with its day:
    /// `{ contract_signed: '2026-03-03' }`.
    #[napi(ts_type = "Record<string, string>")]
    pub milestones: Value,
    /// What the plan asks in total (written-off lines included; a replaced
    /// line for what was paid on it, so a reschedule keeps the total).
    pub total: JsMoney,
    /// Paid to date on installments (the credit aside).
    pub paid: JsMoney,
    /// Still owed.
    pub outstanding: JsMoney,
    /// Whether nothing is owed any more.
    pub is_settled: bool,
}

impl From<PaymentPlan> for JsPaymentPlan {
    fn from(plan: PaymentPlan) -> Self {
        let total = sum(plan.total(), &plan);
        let paid = sum(plan.paid(), &plan);
        let outstanding = sum(plan.outstanding(), &plan);
        let is_settled = plan.is_settled();
        JsPaymentPlan {
            terms: plan.terms,
            currency: plan.currency.code().to_owned(),
            installments: plan
                .installments
                .into_iter()
                .map(JsPlanLine::from)
                .collect(),
            payments: plan.payments.into_iter().map(JsPayment::from).collect(),
            credit: plan.credit.into(),
            milestones: serde_json::to_value(&plan.milestones).unwrap_or_default(),
            total,
            paid,
            outstanding,
            is_settled,
        }
    }
}
