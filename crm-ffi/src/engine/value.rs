//! Customer value in the engine: RFM over the stored signed contracts,
//! written back as tiers and lifecycle stages.

use std::time::SystemTime;

use crate::access::Actor;
use crate::clock::from_system_time_opt;
use crate::engine::{FfiCrm, actor};
use crate::error::CrmError;
use crate::rfm::ValueRefresh;

#[uniffi::export(name = "Crm")]
impl FfiCrm {
    /// Scores every customer by RFM from the stored purchases (signed
    /// contracts: their amount, at their signing time) as of `asOf`
    /// (default: the engine's clock), with the configuration's `rfm`, and
    /// writes back what changed, 500 customers per commit: the tier (`A`,
    /// `B`, `C`) and the lifecycle stage the activity signal calls for
    /// (`active`, `at_risk`, `dormant`, `churned`), reached along the
    /// lifecycle's transitions, with a `value` event (entering `at_risk`
    /// notifies the owner). Customers without purchases are left as they
    /// are. A customer moved to `at_risk` or `dormant` comes due to its owner
    /// as a win-back in `dueWork`.
    ///
    /// All contracts must be in one currency, or the configuration must set
    /// `value_currency` (contracts in other currencies are then left out).
    ///
    /// # Errors
    ///
    /// `Validation` on `as_of` when the time is out of range; `Forbidden`
    /// unless the actor may edit every customer it would change (checked
    /// before anything is written); `Config` on `value_currency` when
    /// contracts are in several currencies and none is set; `Conflict` when
    /// another command changed a customer at the same time (batches before it
    /// stay written: run it again).
    #[uniffi::method(default(as_of = None))]
    pub fn refresh_customer_value(
        &self,
        actor: Actor,
        as_of: Option<SystemTime>,
    ) -> Result<ValueRefresh, CrmError> {
        let actor = self::actor(actor)?;
        let as_of = from_system_time_opt("as_of", as_of)?;
        let mut engine = self.engine()?;
        let as_of = as_of.unwrap_or_else(|| engine.now());
        Ok(engine.refresh_customer_value(&actor, as_of)?.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn admin() -> Actor {
        Actor {
            user: "root".into(),
            roles: vec!["admin".into()],
            team: None,
            region: None,
        }
    }

    #[test]
    fn defaults_to_the_clock_and_names_a_bad_as_of() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_603_600);
        let crm = FfiCrm::new(Some(start), Some(1), None).unwrap();
        let refresh = crm.refresh_customer_value(admin(), None).unwrap();
        assert_eq!((refresh.scored, refresh.batches), (0, 0));
        let far = SystemTime::UNIX_EPOCH + Duration::from_secs(i64::MAX as u64 / 2);
        match crm.refresh_customer_value(admin(), Some(far)).unwrap_err() {
            CrmError::Validation { fields, .. } => assert_eq!(fields, ["as_of"]),
            other => panic!("wrong case: {other:?}"),
        }
    }
}
