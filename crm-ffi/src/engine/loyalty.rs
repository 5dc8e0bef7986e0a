//! Loyalty and customer care in the engine: the points ledger (purchases,
//! refunds, redemptions, adjustments, bonuses), the periodic review (expiry,
//! level downgrades), care items acted on, and campaigns measured against a
//! seeded holdout. The program is the configuration's `"loyalty"` section;
//! every rule lives in `crm-core` (`crm::loyalty`).

use std::time::SystemTime;

use crm::CustomerId;
use crm::Error as CoreError;

use crate::access::Actor;
use crate::clock::from_system_time_opt;
use crate::engine::{FfiCrm, actor};
use crate::error::CrmError;
use crate::loyalty::{CampaignInput, CampaignMeasure, LoyaltyReview, PointsPosting, PurchaseInput};
use crate::model::{Activity, Campaign, Money, PointsEntry, money_at};

#[uniffi::export(name = "Crm")]
impl FfiCrm {
    /// Records a purchase on the customer's loyalty account, in one commit:
    /// an `EARN` entry with what its lines earn (`PointsPosting.earning`),
    /// the `first_purchase` bonus on the first one, and the member level it
    /// reaches (an upgrade applies at once: `PointsPosting.levelChange`).
    ///
    /// # Errors
    ///
    /// `Validation` on `reference` (blank, or already recorded for this
    /// customer), `amount` (not above zero, or another currency than the
    /// program's), `amount.amount` / `amount.currency` (malformed), `lines`
    /// (not adding up to the amount), `lines[i].amount`, `at` (in the
    /// future), `customer_id`; `NotFound`, `Forbidden` (edit the customer).
    pub fn record_purchase(
        &self,
        actor: Actor,
        purchase: PurchaseInput,
    ) -> Result<PointsPosting, CrmError> {
        let actor = self::actor(actor)?;
        let purchase = purchase.try_into()?;
        Ok(self.engine()?.record_purchase(&actor, purchase)?.into())
    }

    /// Refunds `amount` of the purchase `reference`: its points are taken
    /// back in proportion (a `REVERSE` entry, never below a zero balance),
    /// and the refund counts against the qualifying spend.
    ///
    /// # Errors
    ///
    /// `Validation` on `reference` (no such purchase), `amount` (not above
    /// zero, or more than is left to refund), `amount.amount` /
    /// `amount.currency`; `NotFound`, `Forbidden`.
    pub fn refund_purchase(
        &self,
        actor: Actor,
        customer: String,
        reference: String,
        amount: Money,
    ) -> Result<PointsPosting, CrmError> {
        let actor = self::actor(actor)?;
        let customer = customer.parse()?;
        let amount = money_at("amount.", &amount)?;
        Ok(self
            .engine()?
            .refund_purchase(&actor, customer, &reference, amount)?
            .into())
    }

    /// Exchanges `points` for `reward`: a `REDEEM` entry taking the points
    /// from the oldest credits first (its `lots` say which).
    ///
    /// # Errors
    ///
    /// `Validation` on `points` (not above zero, or more than the points
    /// available: the reason says the balance), `reward` (blank),
    /// `reference`; `NotFound`, `Forbidden`.
    #[uniffi::method(default(reference = None))]
    pub fn redeem_points(
        &self,
        actor: Actor,
        customer: String,
        points: i64,
        reward: String,
        reference: Option<String>,
    ) -> Result<PointsPosting, CrmError> {
        let actor = self::actor(actor)?;
        let customer = customer.parse()?;
        Ok(self
            .engine()?
            .redeem_points(&actor, customer, points, &reward, reference.as_deref())?
            .into())
    }

    /// Corrects a balance by hand (`points` above zero credits, below zero
    /// debits), with a reason: an `ADJUST` entry. Only the program's
    /// `adjust_roles` may (default `admin` and `supervisor`).
    ///
    /// # Errors
    ///
    /// `Forbidden` for another role; `Validation` on `points` (zero, or a
    /// debit beyond the balance), `reason` (blank); `NotFound`.
    pub fn adjust_points(
        &self,
        actor: Actor,
        customer: String,
        points: i64,
        reason: String,
    ) -> Result<PointsPosting, CrmError> {
        let actor = self::actor(actor)?;
        let customer = customer.parse()?;
        Ok(self
            .engine()?
            .adjust_points(&actor, customer, points, &reason)?
            .into())
    }

    /// Gives the bonus the program sets for `event` (`"review"`, ...): a
    /// `BONUS` entry; with `reference`, at most once per reference.
    ///
    /// # Errors
    ///
    /// `Validation` on `event` (no bonus set for it), `reference` (given for
    /// this event already); `NotFound`, `Forbidden`.
    #[uniffi::method(default(reference = None))]
    pub fn award_bonus(
        &self,
        actor: Actor,
        customer: String,
        event: String,
        reference: Option<String>,
    ) -> Result<PointsPosting, CrmError> {
        let actor = self::actor(actor)?;
        let customer = customer.parse()?;
        Ok(self
            .engine()?
            .award_bonus(&actor, customer, &event, reference.as_deref())?
            .into())
    }

    /// The customer's ledger entries, oldest first.
    ///
    /// # Errors
    ///
    /// `Validation` on `customer_id`; `NotFound`, `Forbidden` (read).
    pub fn points_entries(
        &self,
        actor: Actor,
        customer: String,
    ) -> Result<Vec<PointsEntry>, CrmError> {
        let actor = self::actor(actor)?;
        let customer = customer.parse()?;
        let entries = self.engine()?.points_entries(&actor, customer)?;
        Ok(entries.into_iter().map(PointsEntry::from).collect())
    }

    /// Reviews the members with something due at `now` (default: the
    /// engine's clock): expires points (`EXPIRE` entries), applies
    /// downgrades whose grace period ended, in batches of commits.
    ///
    /// # Errors
    ///
    /// `Validation` on `now` when the time is out of range; `Forbidden`
    /// unless the actor may edit the members it would change.
    #[uniffi::method(default(now = None))]
    pub fn review_loyalty(
        &self,
        actor: Actor,
        now: Option<SystemTime>,
    ) -> Result<LoyaltyReview, CrmError> {
        let actor = self::actor(actor)?;
        let now = from_system_time_opt("now", now)?;
        let mut engine = self.engine()?;
        let now = now.unwrap_or_else(|| engine.now());
        Ok(engine.review_loyalty(&actor, now)?.into())
    }

    /// Acts on the customer's due care item of `rule` (a `CARE` item of
    /// `dueWork`): logs an activity of `kind` (`"call"`, `"email"`, ...) with
    /// `summary` on the customer and marks the occurrence handled.
    ///
    /// # Errors
    ///
    /// `Validation` on `rule` (no item of that rule is due for the
    /// customer), `kind`, `summary`; `NotFound`, `Forbidden`.
    pub fn act_on_care(
        &self,
        actor: Actor,
        customer: String,
        rule: String,
        kind: String,
        summary: String,
    ) -> Result<Activity, CrmError> {
        let actor = self::actor(actor)?;
        let customer = customer.parse()?;
        let kind: crm::ActivityKind = kind.parse()?;
        Ok(self
            .engine()?
            .act_on_care(&actor, customer, &rule, kind, &summary)?
            .into())
    }

    /// Launches a campaign: the customers matching its segment become its
    /// members, and `holdoutPercent` of them, drawn by `seed`, are held out
    /// (never to be contacted: the baseline of `campaignResults`).
    ///
    /// # Errors
    ///
    /// `Validation` on `segment` (JSON that does not parse), `holdout_percent`
    /// (not a decimal, not from 0 to 100), `name`, `window_days` (0);
    /// `Config` naming the path of a bad condition (`segment...`);
    /// `Forbidden`.
    pub fn launch_campaign(
        &self,
        actor: Actor,
        campaign: CampaignInput,
    ) -> Result<Campaign, CrmError> {
        let actor = self::actor(actor)?;
        let campaign = campaign.try_into()?;
        Ok(self.engine()?.launch_campaign(&actor, campaign)?.into())
    }

    /// Records that the treated `customers` were contacted at `at` (default:
    /// now), by the actor.
    ///
    /// # Errors
    ///
    /// `Validation` on `customers` (not a member, or held out: the holdout is
    /// not to be contacted), `at` (in the future), `customer_id`;
    /// `NotFound`, `Forbidden` (edit the campaign).
    #[uniffi::method(default(at = None))]
    pub fn record_campaign_contacts(
        &self,
        actor: Actor,
        campaign: String,
        customers: Vec<String>,
        at: Option<SystemTime>,
    ) -> Result<Campaign, CrmError> {
        let actor = self::actor(actor)?;
        let campaign = campaign.parse()?;
        let customers = customers
            .iter()
            .map(|id| id.parse())
            .collect::<Result<Vec<CustomerId>, CoreError>>()?;
        let at = from_system_time_opt("at", at)?;
        Ok(self
            .engine()?
            .record_campaign_contacts(&actor, campaign, &customers, at)?
            .into())
    }

    /// The campaign measured at `asOf` (default: the engine's clock): each
    /// group's repurchase rate and revenue inside the window, the lift of
    /// the treated over the holdout, and every member's outcome.
    ///
    /// # Errors
    ///
    /// `Validation` on `as_of`, `campaign_id`; `NotFound`, `Forbidden`
    /// (read); `Config` on `value_currency` when purchases are in several
    /// currencies and none is set.
    #[uniffi::method(default(as_of = None))]
    pub fn campaign_results(
        &self,
        actor: Actor,
        campaign: String,
        as_of: Option<SystemTime>,
    ) -> Result<CampaignMeasure, CrmError> {
        let actor = self::actor(actor)?;
        let campaign = campaign.parse()?;
        let as_of = from_system_time_opt("as_of", as_of)?;
        let engine = self.engine()?;
        let as_of = as_of.unwrap_or_else(|| engine.now());
        Ok(engine.campaign_results(&actor, campaign, as_of)?.into())
    }
}
