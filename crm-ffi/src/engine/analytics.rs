//! Analytics in the engine: the metrics over the records the actor may read,
//! in a scope and a period, as tables; and customer lifetime value. Every
//! rule lives in `crm-core` (`crm::analytics`, `Crm::metric`).

use std::time::SystemTime;

use crm::MetricQuery;
use crm::analytics::ClvOptions;

use crate::access::Actor;
use crate::analytics::{ClvReport, MetricScope, MetricTable};
use crate::clock::from_system_time_opt;
use crate::engine::{FfiCrm, actor};
use crate::error::CrmError;

#[uniffi::export(name = "Crm")]
impl FfiCrm {
    /// Computes a metric over the records the actor may read, as a table.
    /// `queryJson` is the query object: `metric` (`lead_conversion`,
    /// `stage_conversion`, `time_in_stage`, `win_rate`, `lost_reasons`,
    /// `cycle_time`, `forecast`, `churn`, `service`, `channel_roi`,
    /// `targets`, `clv`), and optionally `from` and `until` (RFC 3339; the
    /// period, `until` excluded, by default all time up to now), `scope`
    /// (`"all"`, `{"user": id}`, `{"team": id}`, `{"region": name}`),
    /// `group_by` (`service`: `priority`, `category` or `all`), `costs`
    /// (`channel_roi`: `[{"channel", "campaign", "amount": {"amount":
    /// "250.00", "currency": "EUR"}}]`), `targets` (`targets`) and `clv`
    /// (`{"months", "monthly_discount"}`).
    ///
    /// # Errors
    ///
    /// `Validation` on `query` for JSON that does not parse, an unknown
    /// metric or key; on `until` when it is not after `from`; on
    /// `group_by`; `Forbidden` when the actor may not read what the metric
    /// reads; `Config` on `value_currency` (`clv`) when purchases are in
    /// several currencies and none is set.
    pub fn metric(&self, actor: Actor, query_json: String) -> Result<MetricTable, CrmError> {
        let actor = self::actor(actor)?;
        let query = MetricQuery::from_json(&query_json)?;
        Ok(self.engine()?.metric(&actor, &query)?.into())
    }

    /// The lifetime value of each customer the actor may read in `scope`
    /// (default: all): the money received so far (signed contracts and
    /// recorded purchases, less refunds) and, when there is enough history,
    /// the BG/NBD and Gamma-Gamma predictions fitted on those customers'
    /// purchases up to `asOf` (default: the engine's clock), over `months`
    /// of 30 days discounted by `monthlyDiscount` a month.
    ///
    /// # Errors
    ///
    /// `Validation` on `as_of` for a time out of range, on `months` (0 or
    /// above 1200), `monthly_discount` (negative or not finite), `user_id` /
    /// `team_id` (a malformed scope); `Config` on `value_currency` when
    /// purchases are in several currencies and none is set; `Forbidden`.
    #[uniffi::method(default(as_of = None, months = 12, monthly_discount = 0.01, scope = None))]
    pub fn customer_lifetime_value(
        &self,
        actor: Actor,
        as_of: Option<SystemTime>,
        months: u32,
        monthly_discount: f64,
        scope: Option<MetricScope>,
    ) -> Result<ClvReport, CrmError> {
        let actor = self::actor(actor)?;
        let as_of = from_system_time_opt("as_of", as_of)?;
        let scope = scope
            .map(crm::Scope::try_from)
            .transpose()?
            .unwrap_or_default();
        // The engine rounds to the purchases' currency; 2 until it knows it.
        let options = ClvOptions {
            months,
            monthly_discount,
            minor_units: 2,
        };
        let engine = self.engine()?;
        let as_of = as_of.unwrap_or_else(|| engine.now());
        Ok(engine
            .customer_lifetime_value(&actor, as_of, &options, &scope)?
            .into())
    }
}
