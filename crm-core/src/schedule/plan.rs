//! A payment plan in motion: installments with what was paid on them,
//! payments and their allocations, reversals, write-offs, milestones,
//! rescheduling, and what is due, overdue and aging. Pure state: the engine
//! keeps it on a contract and records an event for each change.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Due, Installment, Terms, split};
use crate::error::{Error, Result};
use crate::model::{Currency, Money};

/// Where an installment stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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

/// A write-off of what was left of an installment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteOff {
    /// When.
    pub on: NaiveDate,
    /// Why.
    pub reason: String,
    /// What was left and is no longer owed.
    pub amount: Money,
}

/// One installment of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanLine {
    /// Its number in the plan, from 1, never reused.
    pub number: u32,
    /// Its label.
    pub label: String,
    /// What it asks.
    pub amount: Money,
    /// When it falls due (`None` while waiting for a milestone).
    pub due_date: Option<NaiveDate>,
    /// The milestone it waits for.
    pub milestone: Option<String>,
    /// Its rule.
    pub due: Due,
    /// What was paid on it (reversals taken off).
    pub paid: Money,
    /// Its write-off, if any.
    pub written_off: Option<WriteOff>,
    /// Replaced by a reschedule (kept for the record; owes nothing).
    #[serde(default)]
    pub replaced: bool,
}

impl PlanLine {
    /// What is still owed on it.
    pub fn open(&self) -> Decimal {
        if self.written_off.is_some() || self.replaced {
            Decimal::ZERO
        } else {
            self.amount.amount() - self.paid.amount()
        }
    }

    /// Its status on `today`.
    pub fn status(&self, today: NaiveDate) -> InstallmentStatus {
        if self.written_off.is_some() {
            return InstallmentStatus::WrittenOff;
        }
        if self.open() <= Decimal::ZERO {
            return InstallmentStatus::Paid;
        }
        match self.due_date {
            Some(due) if due < today => InstallmentStatus::Overdue,
            _ if !self.paid.amount().is_zero() => InstallmentStatus::PartiallyPaid,
            Some(due) if due <= today => InstallmentStatus::Due,
            _ => InstallmentStatus::Planned,
        }
    }
}

/// One allocation of a payment to an installment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    /// The installment's number.
    pub installment: u32,
    /// How much of the payment went to it.
    pub amount: Money,
}

/// A payment received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// The caller's id for it (a bank reference), unique in the plan.
    pub id: String,
    /// When it was received.
    pub on: NaiveDate,
    /// How much.
    pub amount: Money,
    /// Where it went.
    pub allocations: Vec<Allocation>,
    /// What was left over: a credit on the plan.
    pub credit: Money,
    /// Its reversal (a bounced payment), if any.
    pub reversed: Option<Reversal>,
}

/// A payment undone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reversal {
    /// When.
    pub on: NaiveDate,
    /// Why.
    pub reason: String,
}

/// Amounts owed by age past their due date, on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aging {
    /// Not yet past due (including undated).
    pub current: Money,
    /// 1 to 30 days past due.
    pub days_1_30: Money,
    /// 31 to 60.
    pub days_31_60: Money,
    /// 61 to 90.
    pub days_61_90: Money,
    /// More than 90.
    pub days_90_plus: Money,
}

/// A payment plan: installments, payments and the credit left over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentPlan {
    /// The terms' name.
    pub terms: String,
    /// The currency.
    pub currency: Currency,
    /// The installments, in order (replaced ones kept).
    pub installments: Vec<PlanLine>,
    /// The payments, in the order received.
    pub payments: Vec<Payment>,
    /// Money received beyond what was owed.
    pub credit: Money,
    /// The milestones reached, with their days (kept through reschedules:
    /// new installments waiting for one are dated at once).
    #[serde(default)]
    pub milestones: BTreeMap<String, NaiveDate>,
}

impl PaymentPlan {
    /// A plan from a split ([`split`]).
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `installments` when there are none or their
    /// currencies differ.
    pub fn new(terms: &str, installments: Vec<Installment>) -> Result<PaymentPlan> {
        let currency = installments
            .first()
            .map(|i| i.amount.currency())
            .ok_or_else(|| Error::invalid("installments", "a plan needs at least one"))?;
        if installments.iter().any(|i| i.amount.currency() != currency) {
            return Err(Error::invalid(
                "installments",
                "are not all in one currency",
            ));
        }
        let zero = Money::zero(currency);
        Ok(PaymentPlan {
            terms: terms.to_string(),
            currency,
            installments: installments
                .into_iter()
                .enumerate()
                .map(|(i, installment)| PlanLine {
                    number: i as u32 + 1,
                    label: installment.label,
                    amount: installment.amount,
                    due_date: installment.due_date,
                    milestone: installment.milestone,
                    due: installment.due,
                    paid: zero,
                    written_off: None,
                    replaced: false,
                })
                .collect(),
            payments: Vec::new(),
            credit: zero,
            milestones: BTreeMap::new(),
        })
    }

    fn money(&self, amount: Decimal) -> Result<Money> {
        Money::new(amount, self.currency)
    }

    fn check_currency(&self, field: &str, amount: &Money) -> Result<()> {
        if amount.currency() != self.currency {
            return Err(Error::invalid(
                field,
                format!("is in {}, the plan in {}", amount.currency(), self.currency),
            ));
        }
        Ok(())
    }

    /// What the plan asks in total: written-off lines included, a replaced
    /// line for what was paid on it (so a reschedule keeps the total).
    pub fn total(&self) -> Result<Money> {
        self.money(self.installments.iter().map(|l| l.amount.amount()).sum())
    }

    /// Paid to date, on installments (credit aside).
    pub fn paid(&self) -> Result<Money> {
        self.money(self.installments.iter().map(|l| l.paid.amount()).sum())
    }

    /// Still owed.
    pub fn outstanding(&self) -> Result<Money> {
        self.money(self.installments.iter().map(PlanLine::open).sum())
    }

    /// Whether nothing is owed any more.
    pub fn is_settled(&self) -> bool {
        self.installments.iter().all(|l| l.open() <= Decimal::ZERO)
    }

    fn line_mut(&mut self, number: u32) -> Result<&mut PlanLine> {
        self.installments
            .iter_mut()
            .find(|l| l.number == number && !l.replaced)
            .ok_or_else(|| {
                Error::invalid("installment", "is not an installment of the plan")
                    .with_value(number)
            })
    }

    /// Records a payment: it pays the named installments in the order given,
    /// or else the open ones oldest due first (undated ones last, then by
    /// number); what is left over becomes a credit.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `amount` (not above 0, another currency), on
    /// `id` (empty or already used), on `installment` (not in the plan).
    pub fn record_payment(
        &mut self,
        id: &str,
        amount: Money,
        on: NaiveDate,
        to: Option<&[u32]>,
    ) -> Result<&Payment> {
        self.check_currency("amount", &amount)?;
        if amount.amount() <= Decimal::ZERO {
            return Err(Error::invalid("amount", "must be above 0").with_value(amount.amount()));
        }
        if id.trim().is_empty() {
            return Err(Error::invalid("id", "must not be empty"));
        }
        if self.payments.iter().any(|p| p.id == id) {
            return Err(Error::invalid("id", "is a payment of the plan already").with_value(id));
        }
        let order: Vec<u32> = match to {
            Some(numbers) => {
                for n in numbers {
                    self.line_mut(*n)?;
                }
                numbers.to_vec()
            }
            None => {
                let mut open: Vec<&PlanLine> = self
                    .installments
                    .iter()
                    .filter(|l| l.open() > Decimal::ZERO)
                    .collect();
                open.sort_by_key(|l| (l.due_date.is_none(), l.due_date, l.number));
                open.iter().map(|l| l.number).collect()
            }
        };
        let mut left = amount.amount();
        let mut allocations = Vec::new();
        for number in order {
            if left <= Decimal::ZERO {
                break;
            }
            let currency = self.currency;
            let line = self.line_mut(number)?;
            let take = line.open().min(left);
            if take <= Decimal::ZERO {
                continue;
            }
            line.paid = Money::new(line.paid.amount() + take, currency)?;
            left -= take;
            allocations.push(Allocation {
                installment: number,
                amount: Money::new(take, currency)?,
            });
        }
        let credit = self.money(left)?;
        self.credit = self.money(self.credit.amount() + left)?;
        self.payments.push(Payment {
            id: id.to_string(),
            on,
            amount,
            allocations,
            credit,
            reversed: None,
        });
        Ok(self.payments.last().expect("just pushed"))
    }

    /// Reverses a payment (it bounced): what it paid is owed again, and its
    /// credit is taken back.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `id` (not a payment, or reversed already), on
    /// `reason` (empty), on `credit` when the credit it left was used since.
    pub fn reverse_payment(&mut self, id: &str, on: NaiveDate, reason: &str) -> Result<()> {
        if reason.trim().is_empty() {
            return Err(Error::invalid("reason", "a reversal needs a reason"));
        }
        let index = self
            .payments
            .iter()
            .position(|p| p.id == id)
            .ok_or_else(|| Error::invalid("id", "is not a payment of the plan").with_value(id))?;
        if self.payments[index].reversed.is_some() {
            return Err(Error::invalid("id", "was reversed already").with_value(id));
        }
        let payment = self.payments[index].clone();
        if payment.credit.amount() > self.credit.amount() {
            return Err(Error::invalid(
                "credit",
                "the credit this payment left was used since; reverse that first",
            ));
        }
        for allocation in &payment.allocations {
            let currency = self.currency;
            let line = self
                .installments
                .iter_mut()
                .find(|l| l.number == allocation.installment)
                .ok_or_else(|| Error::invalid("installment", "is gone from the plan"))?;
            line.paid = Money::new(line.paid.amount() - allocation.amount.amount(), currency)?;
        }
        self.credit = self.money(self.credit.amount() - payment.credit.amount())?;
        self.payments[index].reversed = Some(Reversal {
            on,
            reason: reason.trim().to_string(),
        });
        Ok(())
    }

    /// Writes off what is left of an installment.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `reason` (empty), on `installment` (not in
    /// the plan, nothing left, or written off already).
    pub fn write_off(&mut self, number: u32, on: NaiveDate, reason: &str) -> Result<Money> {
        if reason.trim().is_empty() {
            return Err(Error::invalid("reason", "a write-off needs a reason"));
        }
        let currency = self.currency;
        let line = self.line_mut(number)?;
        if line.written_off.is_some() || line.open() <= Decimal::ZERO {
            return Err(
                Error::invalid("installment", "has nothing left to write off").with_value(number),
            );
        }
        let amount = Money::new(line.open(), currency)?;
        line.written_off = Some(WriteOff {
            on,
            reason: reason.trim().to_string(),
            amount,
        });
        Ok(amount)
    }

    /// Records that `event` happened on `on` and dates the installments
    /// waiting for it; returns how many (0 is fine: a milestone may matter
    /// for completion without any installment waiting for it).
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `event` when it is blank or was already
    /// reached (a milestone happens once), on `due` when a date falls
    /// outside the calendar. The plan is unchanged on error.
    pub fn reach_milestone(&mut self, event: &str, on: NaiveDate) -> Result<usize> {
        let event = event.trim();
        if event.is_empty() {
            return Err(Error::invalid("event", "a milestone needs a name"));
        }
        if let Some(day) = self.milestones.get(event) {
            return Err(
                Error::invalid("event", format!("was already reached on {day}")).with_value(event),
            );
        }
        let mut dated = Vec::new();
        for (i, line) in self.installments.iter().enumerate() {
            if !line.replaced && line.milestone.as_deref() == Some(event) && line.due_date.is_none()
            {
                dated.push((i, line.due.date_from(on)?));
            }
        }
        for &(i, day) in &dated {
            self.installments[i].due_date = Some(day);
        }
        self.milestones.insert(event.to_string(), on);
        Ok(dated.len())
    }

    /// Replaces the unpaid part of the plan: installments paid in full (or
    /// written off) stay; the others are marked replaced, keeping what was
    /// paid on them, and what they still owed is split by `terms` into new
    /// installments (numbered after the last). Returns the new numbers.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] as [`split`] reports it, or on `terms` when
    /// nothing is left to reschedule.
    pub fn reschedule(&mut self, terms: &Terms, base: Option<NaiveDate>) -> Result<Vec<u32>> {
        let open = self.outstanding()?;
        if open.amount().is_zero() {
            return Err(Error::invalid("terms", "nothing is left to reschedule"));
        }
        let mut new = split(&open, terms, base)?;
        // A milestone already reached dates its new lines at once.
        for installment in &mut new {
            if let (Some(event), None) = (&installment.milestone, installment.due_date) {
                if let Some(on) = self.milestones.get(event) {
                    installment.due_date = Some(installment.due.date_from(*on)?);
                }
            }
        }
        let currency = self.currency;
        for line in self.installments.iter_mut() {
            if !line.replaced && line.written_off.is_none() && line.open() > Decimal::ZERO {
                // What was paid stays on the line; it now asks only that.
                line.replaced = true;
                line.amount = Money::new(line.paid.amount(), currency)?;
            }
        }
        let mut number = self
            .installments
            .iter()
            .map(|l| l.number)
            .max()
            .unwrap_or(0);
        let mut numbers = Vec::new();
        for installment in new {
            number += 1;
            numbers.push(number);
            self.installments.push(PlanLine {
                number,
                label: installment.label,
                amount: installment.amount,
                due_date: installment.due_date,
                milestone: installment.milestone,
                due: installment.due,
                paid: Money::zero(currency),
                written_off: None,
                replaced: false,
            });
        }
        self.terms = terms.name.clone();
        Ok(numbers)
    }

    /// The open installments due within `days` days of `today` (not yet
    /// past due), and the overdue ones.
    pub fn due_soon(&self, today: NaiveDate, days: u32) -> (Vec<&PlanLine>, Vec<&PlanLine>) {
        let horizon = today + chrono::Days::new(u64::from(days));
        let open = || {
            self.installments
                .iter()
                .filter(|l| l.open() > Decimal::ZERO)
        };
        let soon = open()
            .filter(|l| l.due_date.is_some_and(|d| d >= today && d <= horizon))
            .collect();
        let overdue = open()
            .filter(|l| l.due_date.is_some_and(|d| d < today))
            .collect();
        (soon, overdue)
    }

    /// What is owed by age past due on `today`.
    ///
    /// # Errors
    ///
    /// Only if an amount overflows.
    pub fn aging(&self, today: NaiveDate) -> Result<Aging> {
        let mut buckets = [Decimal::ZERO; 5];
        for line in &self.installments {
            let open = line.open();
            if open <= Decimal::ZERO {
                continue;
            }
            let late = line.due_date.map_or(0, |d| (today - d).num_days().max(0));
            let bucket = match late {
                0 => 0,
                1..=30 => 1,
                31..=60 => 2,
                61..=90 => 3,
                _ => 4,
            };
            buckets[bucket] += open;
        }
        Ok(Aging {
            current: self.money(buckets[0])?,
            days_1_30: self.money(buckets[1])?,
            days_31_60: self.money(buckets[2])?,
            days_61_90: self.money(buckets[3])?,
            days_90_plus: self.money(buckets[4])?,
        })
    }
}
