//! Customer value in the engine: RFM over the stored purchases (signed
//! contracts), written back as tiers and lifecycle stages (the pure RFM
//! functions, over purchases the host passes, are in `rfm.rs`).

use napi::Env;
use napi_derive::napi;

use crm::ValueRefresh;

use crate::access::JsActor;
use crate::clock::{TimeInput, opt_time};
use crate::convert::counted;
use crate::engine::{Command, JsCrm, Pending};
use crate::rfm::JsRfmSkipped;

/// What `refreshCustomerValue` did.
#[napi(object, js_name = "ValueRefresh", object_from_js = false)]
pub struct JsValueRefresh {
    /// Customers scored (those with at least one purchase).
    pub scored: i64,
    /// Customers whose tier changed.
    pub tiers_changed: i64,
    /// Customers whose lifecycle stage changed.
    pub stages_changed: i64,
    /// Commits made (500 customers changed per commit; 0 when nothing
    /// changed).
    pub batches: i64,
    /// What the scoring left out: contracts signed after `asOf`, customers
    /// with refunds only.
    pub skipped: JsRfmSkipped,
}

impl From<ValueRefresh> for JsValueRefresh {
    fn from(refresh: ValueRefresh) -> Self {
        JsValueRefresh {
            scored: counted(refresh.scored),
            tiers_changed: counted(refresh.tiers_changed),
            stages_changed: counted(refresh.stages_changed),
            batches: counted(refresh.batches),
            skipped: refresh.skipped.into(),
        }
    }
}

#[napi]
impl JsCrm {
    /// Scores every customer by RFM from the stored purchases (signed
    /// contracts: their amount, at their signing time) as of `asOf` (an RFC
    /// 3339 string or a `Date`; default: the engine's clock), with the
    /// configured `rfm` settings, and writes back what changed, 500 customers
    /// per commit: the tier (`A`, `B`, `C`), and the lifecycle stage the
    /// activity signal calls for (`active`, `at_risk`, `dormant`, `churned`),
    /// reached along the lifecycle's transitions, with a `value` event from the
    /// old stage to the new (entering `at_risk` notifies the owner; customers
    /// at risk or dormant come due to their owner as `win_back` in `dueWork`).
    /// Customers without purchases are left as they are.
    ///
    /// All contracts must be in one currency, or the configuration must set
    /// `value_currency` (contracts in other currencies are then left out).
    ///
    /// @example
    /// ```js
    /// const refresh = crm.refreshCustomerValue(admin)
    /// refresh.stagesChanged // 2
    /// crm.get(ana, 'customer', id).customer.stage // 'dormant'
    /// ```
    ///
    /// @throws {Error} `validation` on `as_of` when it is malformed;
    /// `forbidden` (edit) unless the actor may edit every customer it would
    /// change (checked before anything is written); `config` on
    /// `value_currency` when contracts are in several currencies and none is
    /// set; `conflict` when another command changed a customer at the same
    /// time (batches before it stay written; run it again).
    #[napi]
    pub fn refresh_customer_value(
        &self,
        env: Env,
        actor: JsActor,
        #[napi(ts_arg_type = "string | Date")] as_of: Option<TimeInput>,
    ) -> napi::Result<JsValueRefresh> {
        self.run(&env, refresh_customer_value(actor, as_of))
    }

    /// `refreshCustomerValue` off the main thread: a Promise of what the
    /// refresh did, rejected with the `Error` that `refreshCustomerValue`
    /// throws.
    #[napi(ts_return_type = "Promise<ValueRefresh>")]
    pub fn refresh_customer_value_async(
        &self,
        actor: JsActor,
        #[napi(ts_arg_type = "string | Date")] as_of: Option<TimeInput>,
    ) -> Pending<JsValueRefresh> {
        self.spawn(refresh_customer_value(actor, as_of))
    }
}

// The command of the methods above, run by the synchronous method and its
// `...Async` twin.

fn refresh_customer_value(actor: JsActor, as_of: Option<TimeInput>) -> Command<JsValueRefresh> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let as_of = opt_time("as_of", as_of)?.unwrap_or_else(|| crm.now());
        Ok(crm.refresh_customer_value(&actor, as_of)?.into())
    })
}
