//! Payment plans on contracts: set, pay, reverse, write off, milestones,
//! reschedule; receivables and collections.
//!
//! Terms templates are taken as `splitPayments` takes them (the core's JSON,
//! a string or an object), money as decimal strings, dates as `YYYY-MM-DD`.

use chrono::NaiveDate;
use napi::Env;
use napi_derive::napi;

use crm::schedule::Aging;
use crm::{Collected, PaymentInput, Receivable};

use crate::access::JsActor;
use crate::config::{ConfigInput, terms};
use crate::convert::{count_u32, counted, date};
use crate::engine::{Command, Engine, JsCrm, Pending};
use crate::model::{JsContract, JsMoney, opt_string};

/// A payment to record on a contract, for `recordPayment`.
#[napi(object, js_name = "PaymentInput", object_to_js = false)]
pub struct JsPaymentInput {
    /// The caller's reference (a bank transaction id), unique per contract.
    pub id: String,
    /// How much, in the plan's currency: `{ amount: '100.00', currency: 'EUR' }`.
    pub amount: JsMoney,
    /// When it was received, `YYYY-MM-DD` (default: today by the engine's
    /// clock).
    pub on: Option<String>,
    /// The numbers of the installments to pay, in order (default: the open
    /// ones, oldest due first); what is left over becomes a credit.
    pub to: Option<Vec<f64>>,
}

impl JsPaymentInput {
    /// The core input.
    fn into_core(self) -> crm::Result<PaymentInput> {
        Ok(PaymentInput {
            id: self.id,
            amount: self.amount.to_core()?,
            on: opt_date("on", self.on)?,
            to: self
                .to
                .map(|numbers| {
                    numbers
                        .into_iter()
                        .map(|n| count_u32("to", n))
                        .collect::<crm::Result<Vec<_>>>()
                })
                .transpose()?,
        })
    }
}

/// Options of `receivables`.
#[napi(object, js_name = "ReceivablesOptions", object_to_js = false)]
pub struct JsReceivablesOptions {
    /// Only this customer's contracts (its id).
    pub customer: Option<String>,
    /// The day the amounts are aged on, `YYYY-MM-DD` (default: today by the
    /// engine's clock).
    pub today: Option<String>,
}

/// What is owed, by age past its due date.
#[napi(object, js_name = "Aging", object_from_js = false)]
pub struct JsAging {
    /// Not yet past due (undated installments included).
    pub current: JsMoney,
    /// 1 to 30 days past due.
    #[napi(js_name = "days1To30")]
    pub days_1_30: JsMoney,
    /// 31 to 60 days past due.
    #[napi(js_name = "days31To60")]
    pub days_31_60: JsMoney,
    /// 61 to 90 days past due.
    #[napi(js_name = "days61To90")]
    pub days_61_90: JsMoney,
    /// More than 90 days past due.
    #[napi(js_name = "days90Plus")]
    pub days_90_plus: JsMoney,
}

impl From<Aging> for JsAging {
    fn from(aging: Aging) -> Self {
        JsAging {
            current: aging.current.into(),
            days_1_30: aging.days_1_30.into(),
            days_31_60: aging.days_31_60.into(),
            days_61_90: aging.days_61_90.into(),
            days_90_plus: aging.days_90_plus.into(),
        }
    }
}

/// What one contract with a payment plan is owed.
#[napi(
    object,
    js_name = "Receivable",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsReceivable {
    /// The contract's id.
    pub contract: String,
    /// Its number, such as `C-000001`.
    pub number: String,
    /// Its customer's id.
    pub customer: String,
    /// Its owner, or `null`.
    pub owner: Option<String>,
    /// What the plan asks in total.
    pub total: JsMoney,
    /// Paid to date.
    pub paid: JsMoney,
    /// Still owed.
    pub outstanding: JsMoney,
    /// Received beyond what was owed.
    pub credit: JsMoney,
    /// What is owed, by age past due.
    pub aging: JsAging,
}

impl From<Receivable> for JsReceivable {
    fn from(receivable: Receivable) -> Self {
        JsReceivable {
            contract: receivable.contract.to_string(),
            number: receivable.number,
            customer: receivable.customer.to_string(),
            owner: opt_string(receivable.owner),
            total: receivable.total.into(),
            paid: receivable.paid.into(),
            outstanding: receivable.outstanding.into(),
            credit: receivable.credit.into(),
            aging: receivable.aging.into(),
        }
    }
}

/// Money collected by one owner in one currency over a period.
#[napi(
    object,
    js_name = "Collected",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsCollected {
    /// The contracts' owner, or `null` for contracts without one.
    pub owner: Option<String>,
    /// The amount received (reversed payments left out).
    pub amount: JsMoney,
    /// How many payments.
    pub payments: i64,
}

impl From<Collected> for JsCollected {
    fn from(collected: Collected) -> Self {
        JsCollected {
            owner: opt_string(collected.owner),
            amount: collected.amount.into(),
            payments: counted(collected.payments),
        }
    }
}

#[napi]
impl JsCrm {
    /// Gives a contract a payment plan: its amount split by the terms template
    /// `terms` (as `splitPayments` takes it), date rules counted from `base`
    /// (`YYYY-MM-DD`; default: the day it was signed, or today). Milestones
    /// the contract has passed (`contract_signed` once signed) date their
    /// lines at once; signing it later does the same. Replaces a plan without
    /// payments.
    ///
    /// @example
    /// ```js
    /// const contract = crm.setPaymentPlan(sue, contractId, {
    ///   name: '30/70',
    ///   lines: [
    ///     { label: 'on signing', percent: '30', due: { milestone: { event: 'contract_signed', plus_days: 0 } } },
    ///     { label: 'on acceptance', percent: '70', due: { milestone: { event: 'delivery_accepted', plus_days: 30 } } },
    ///   ],
    /// })
    /// contract.paymentPlan.installments[0].amount // { amount: '300.00', currency: 'EUR' }
    /// ```
    ///
    /// @throws {Error} `validation` on the template's path (`terms.lines`,
    /// `terms.lines[1].percent`, ...) as `splitPayments` reports it, on `base`
    /// for a malformed date, on `contract` when its plan has payments
    /// (reschedule it instead); `not_found`; `forbidden` (edit: by default
    /// only supervisors and admins change contracts).
    #[napi]
    pub fn set_payment_plan(
        &self,
        env: Env,
        actor: JsActor,
        contract: String,
        #[napi(ts_arg_type = "string | Record<string, any>")] terms: ConfigInput,
        base: Option<String>,
    ) -> napi::Result<JsContract> {
        self.run(&env, set_payment_plan(actor, contract, terms, base))
    }

    /// `setPaymentPlan` off the main thread: a Promise of the contract,
    /// rejected with the `Error` that `setPaymentPlan` throws.
    #[napi(ts_return_type = "Promise<Contract>")]
    pub fn set_payment_plan_async(
        &self,
        actor: JsActor,
        contract: String,
        #[napi(ts_arg_type = "string | Record<string, any>")] terms: ConfigInput,
        base: Option<String>,
    ) -> Pending<JsContract> {
        self.spawn(set_payment_plan(actor, contract, terms, base))
    }

    /// Records a payment on a contract's plan: `{ id, amount, on?, to? }`. It
    /// pays the installments `to` names, in order, or else the open ones,
    /// oldest due first; what is left over becomes a credit. A contract whose
    /// plan it settles, once delivered (the `contract_delivery` milestone), is
    /// completed in the same commit.
    ///
    /// @throws {Error} `validation` on `id` (empty, or a payment of the plan
    /// already), on `amount` (not above 0, malformed, or in another currency
    /// than the plan's), on `currency`, on `on` for a malformed date, on `to`
    /// for a number that is not a whole number, on `installment` for one not in
    /// the plan, on `contract` without a plan; `not_found`; `forbidden` (edit).
    #[napi]
    pub fn record_payment(
        &self,
        env: Env,
        actor: JsActor,
        contract: String,
        payment: JsPaymentInput,
    ) -> napi::Result<JsContract> {
        self.run(&env, record_payment(actor, contract, payment))
    }

    /// `recordPayment` off the main thread: a Promise of the contract,
    /// rejected with the `Error` that `recordPayment` throws.
    #[napi(ts_return_type = "Promise<Contract>")]
    pub fn record_payment_async(
        &self,
        actor: JsActor,
        contract: String,
        payment: JsPaymentInput,
    ) -> Pending<JsContract> {
        self.spawn(record_payment(actor, contract, payment))
    }

    /// Reverses a payment (it bounced), for a reason: what it paid is owed
    /// again and its credit is taken back; the payment stays, `reversed`.
    ///
    /// @throws {Error} `validation` on `id` (not a payment of the plan, or
    /// reversed already), on `reason` when it is blank, on `credit` when the
    /// credit it left was used since, on `contract` without a plan;
    /// `not_found`; `forbidden` (edit).
    #[napi]
    pub fn reverse_payment(
        &self,
        env: Env,
        actor: JsActor,
        contract: String,
        id: String,
        reason: String,
    ) -> napi::Result<JsContract> {
        self.run(&env, reverse_payment(actor, contract, id, reason))
    }

    /// `reversePayment` off the main thread: a Promise of the contract,
    /// rejected with the `Error` that `reversePayment` throws.
    #[napi(ts_return_type = "Promise<Contract>")]
    pub fn reverse_payment_async(
        &self,
        actor: JsActor,
        contract: String,
        id: String,
        reason: String,
    ) -> Pending<JsContract> {
        self.spawn(reverse_payment(actor, contract, id, reason))
    }

    /// Writes off what is left of an installment (by its number), for a
    /// reason. Only the roles of the configuration's `write_off_roles`
    /// (default: admins and supervisors) may.
    ///
    /// @throws {Error} `forbidden` (`write_off`) for another role, or (edit)
    /// for a contract the actor may not change; `validation` on `installment`
    /// (not a whole number, not in the plan, or nothing left), on `reason` when
    /// it is blank, on `contract` without a plan; `not_found`.
    #[napi]
    pub fn write_off_installment(
        &self,
        env: Env,
        actor: JsActor,
        contract: String,
        installment: f64,
        reason: String,
    ) -> napi::Result<JsContract> {
        self.run(
            &env,
            write_off_installment(actor, contract, installment, reason),
        )
    }

    /// `writeOffInstallment` off the main thread: a Promise of the contract,
    /// rejected with the `Error` that `writeOffInstallment` throws.
    #[napi(ts_return_type = "Promise<Contract>")]
    pub fn write_off_installment_async(
        &self,
        actor: JsActor,
        contract: String,
        installment: f64,
        reason: String,
    ) -> Pending<JsContract> {
        self.spawn(write_off_installment(actor, contract, installment, reason))
    }

    /// A milestone happened (`'delivery_accepted'`, ...) on `on`
    /// (`YYYY-MM-DD`, default today): it is recorded on the plan, and the
    /// installments waiting for it get their due dates, counted from that
    /// day. Reaching the delivery milestone of a paid contract completes it.
    /// States that emit a milestone fire it on their own (`contract_signed`
    /// on signing).
    ///
    /// @throws {Error} `validation` on `event` when it is blank or already
    /// reached, on `on` for a malformed date, on `contract` without a plan;
    /// `not_found`; `forbidden` (edit).
    #[napi]
    pub fn reach_milestone(
        &self,
        env: Env,
        actor: JsActor,
        contract: String,
        event: String,
        on: Option<String>,
    ) -> napi::Result<JsContract> {
        self.run(&env, reach_milestone(actor, contract, event, on))
    }

    /// `reachMilestone` off the main thread: a Promise of the contract,
    /// rejected with the `Error` that `reachMilestone` throws.
    #[napi(ts_return_type = "Promise<Contract>")]
    pub fn reach_milestone_async(
        &self,
        actor: JsActor,
        contract: String,
        event: String,
        on: Option<String>,
    ) -> Pending<JsContract> {
        self.spawn(reach_milestone(actor, contract, event, on))
    }

    /// Re-splits what is still owed by new terms (as `splitPayments` takes
    /// them), for a reason, date rules counted from `base` (`YYYY-MM-DD`,
    /// default today). What was paid is kept: the open installments are
    /// `replaced` (for what was paid on them) and new ones added with new
    /// numbers; the event keeps the old plan.
    ///
    /// @throws {Error} `validation` on `reason` when it is blank, on the
    /// template's path as `splitPayments` reports it, on `base` for a malformed
    /// date, on `contract` without a plan; `not_found`; `forbidden` (edit).
    #[napi]
    pub fn reschedule_payments(
        &self,
        env: Env,
        actor: JsActor,
        contract: String,
        #[napi(ts_arg_type = "string | Record<string, any>")] terms: ConfigInput,
        reason: String,
        base: Option<String>,
    ) -> napi::Result<JsContract> {
        self.run(
            &env,
            reschedule_payments(actor, contract, terms, reason, base),
        )
    }

    /// `reschedulePayments` off the main thread: a Promise of the contract,
    /// rejected with the `Error` that `reschedulePayments` throws.
    #[napi(ts_return_type = "Promise<Contract>")]
    pub fn reschedule_payments_async(
        &self,
        actor: JsActor,
        contract: String,
        #[napi(ts_arg_type = "string | Record<string, any>")] terms: ConfigInput,
        reason: String,
        base: Option<String>,
    ) -> Pending<JsContract> {
        self.spawn(reschedule_payments(actor, contract, terms, reason, base))
    }

    /// What each contract with a payment plan that the actor may read is
    /// owed, `{ customer?, today? }`: only one customer's contracts, aged on
    /// `today` (`YYYY-MM-DD`, default: today by the engine's clock) into
    /// `current`, `days1To30`, `days31To60`, `days61To90` and `days90Plus`.
    ///
    /// @throws {Error} `validation` on `customer_id` for a malformed id, on
    /// `today` for a malformed date; `forbidden` (read) when the actor may read
    /// no contract.
    #[napi]
    pub fn receivables(
        &self,
        env: Env,
        actor: JsActor,
        options: Option<JsReceivablesOptions>,
    ) -> napi::Result<Vec<JsReceivable>> {
        self.run(&env, receivables(actor, options))
    }

    /// `receivables` off the main thread: a Promise of the receivables,
    /// rejected with the `Error` that `receivables` throws.
    #[napi(ts_return_type = "Promise<Array<Receivable>>")]
    pub fn receivables_async(
        &self,
        actor: JsActor,
        options: Option<JsReceivablesOptions>,
    ) -> Pending<Vec<JsReceivable>> {
        self.spawn(receivables(actor, options))
    }

    /// The money received from `from` (included) to `until` (excluded), both
    /// `YYYY-MM-DD`, per contract owner and currency, reversed payments left
    /// out; only contracts the actor may read count.
    ///
    /// @throws {Error} `validation` on `from` or `until` for a malformed date;
    /// `forbidden` (read) when the actor may read no contract.
    #[napi]
    pub fn collected(
        &self,
        env: Env,
        actor: JsActor,
        from: String,
        until: String,
    ) -> napi::Result<Vec<JsCollected>> {
        self.run(&env, collected(actor, from, until))
    }

    /// `collected` off the main thread: a Promise of the sums, rejected with
    /// the `Error` that `collected` throws.
    #[napi(ts_return_type = "Promise<Array<Collected>>")]
    pub fn collected_async(
        &self,
        actor: JsActor,
        from: String,
        until: String,
    ) -> Pending<Vec<JsCollected>> {
        self.spawn(collected(actor, from, until))
    }
}

/// An optional date, `YYYY-MM-DD`.
fn opt_date(field: &str, text: Option<String>) -> crm::Result<Option<NaiveDate>> {
    text.map(|text| date(field, &text)).transpose()
}

/// Today by the engine's clock.
fn today(crm: &Engine) -> NaiveDate {
    crm.now().date_naive()
}

// The commands of the methods above, each run by its synchronous method and
// its `...Async` twin.

fn set_payment_plan(
    actor: JsActor,
    contract: String,
    terms_input: ConfigInput,
    base: Option<String>,
) -> Command<JsContract> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let id = contract.parse()?;
        let terms = terms(terms_input)?;
        let base = opt_date("base", base)?;
        Ok(crm.set_payment_plan(&actor, id, &terms, base)?.into())
    })
}

fn record_payment(
    actor: JsActor,
    contract: String,
    payment: JsPaymentInput,
) -> Command<JsContract> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let id = contract.parse()?;
        Ok(crm.record_payment(&actor, id, payment.into_core()?)?.into())
    })
}

fn reverse_payment(
    actor: JsActor,
    contract: String,
    id: String,
    reason: String,
) -> Command<JsContract> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let contract = contract.parse()?;
        Ok(crm.reverse_payment(&actor, contract, &id, &reason)?.into())
    })
}

fn write_off_installment(
    actor: JsActor,
    contract: String,
    installment: f64,
    reason: String,
) -> Command<JsContract> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let contract = contract.parse()?;
        let installment = count_u32("installment", installment)?;
        Ok(crm
            .write_off_installment(&actor, contract, installment, &reason)?
            .into())
    })
}

fn reach_milestone(
    actor: JsActor,
    contract: String,
    event: String,
    on: Option<String>,
) -> Command<JsContract> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let contract = contract.parse()?;
        let on = opt_date("on", on)?;
        Ok(crm.reach_milestone(&actor, contract, &event, on)?.into())
    })
}

fn reschedule_payments(
    actor: JsActor,
    contract: String,
    terms_input: ConfigInput,
    reason: String,
    base: Option<String>,
) -> Command<JsContract> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let contract = contract.parse()?;
        let terms = terms(terms_input)?;
        let base = opt_date("base", base)?;
        Ok(crm
            .reschedule_payments(&actor, contract, &terms, base, &reason)?
            .into())
    })
}

fn receivables(
    actor: JsActor,
    options: Option<JsReceivablesOptions>,
) -> Command<Vec<JsReceivable>> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let (customer, day) = match options {
            Some(options) => (options.customer, options.today),
            None => (None, None),
        };
        let customer = customer.map(|id| id.parse()).transpose()?;
        let day = opt_date("today", day)?.unwrap_or_else(|| today(crm));
        let receivables = crm.receivables(&actor, customer, day)?;
        Ok(receivables.into_iter().map(JsReceivable::from).collect())
    })
}

fn collected(actor: JsActor, from: String, until: String) -> Command<Vec<JsCollected>> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let from = date("from", &from)?;
        let until = date("until", &until)?;
        let sums = crm.collected(&actor, from, until)?;
        Ok(sums.into_iter().map(JsCollected::from).collect())
    })
}
