//! Loyalty in the engine: the points ledger (purchases, refunds, redemptions,
//! adjustments, bonuses), member levels and expiry (`reviewLoyalty`), care
//! items (`actOnCare`), and retention campaigns measured against a seeded
//! holdout group (the `loyalty` key of the config sets the program up; the
//! pure functions are in `loyalty.rs`).
//!
//! Points are whole JS numbers; money is `{ amount, currency }` with a decimal
//! string, other decimals (a holdout percent, a revenue) are decimal strings;
//! times are RFC 3339 strings (or `Date`s, in) in UTC.

use napi::Env;
use napi_derive::napi;
use serde_json::Value;

use crm::assign::Condition;
use crm::loyalty::{CampaignMeasure, GroupMeasure, MemberOutcome};
use crm::{
    ActivityKind, CampaignInput, CustomerId, LoyaltyReview, MemberLevelChange, PointsPosting,
    PurchaseInput,
};

use crate::access::JsActor;
use crate::clock::{TimeInput, opt_time, rfc3339};
use crate::convert::{count, count_u32, counted, decimal_value, integer, number};
use crate::engine::{Command, JsCrm, Pending};
use crate::loyalty::purchase_lines;
use crate::model::{
    JsActivity, JsCampaign, JsCustomer, JsEarning, JsLevelChange, JsMoney, JsPointsEntry,
};

/// A purchase to record for points, for `recordPurchase`.
#[napi(object, js_name = "PurchaseInput", object_to_js = false)]
pub struct JsPurchaseInput {
    /// The customer's id.
    pub customer: String,
    /// The host's reference of the purchase (an order number): a purchase is
    /// recorded once per reference and customer.
    pub reference: String,
    /// What it cost, in the program's currency: `{ amount: '120.50',
    /// currency: 'EUR' }`.
    pub amount: JsMoney,
    /// When it was made (an RFC 3339 string or a `Date`; default: now, never
    /// in the future).
    #[napi(ts_type = "string | Date")]
    pub at: Option<TimeInput>,
    /// Its lines, for product and category rates (`{ product?, category?,
    /// amount }`, amounts as decimal strings); they must add up to the amount.
    /// Without lines the amount earns as one line.
    #[napi(ts_type = "Array<PurchaseLine>")]
    pub lines: Option<Value>,
    /// The campaign it was made in (for campaign multipliers).
    pub campaign: Option<String>,
}

impl JsPurchaseInput {
    /// The core input.
    fn into_core(self) -> crm::Result<PurchaseInput> {
        Ok(PurchaseInput {
            customer: self.customer.parse()?,
            reference: self.reference,
            amount: self.amount.to_core()?,
            at: opt_time("at", self.at)?,
            lines: match self.lines {
                None | Some(Value::Null) => Vec::new(),
                Some(lines) => purchase_lines(lines)?,
            },
            campaign: self.campaign,
        })
    }
}

/// A campaign to launch, for `launchCampaign`.
#[napi(object, js_name = "CampaignInput", object_to_js = false)]
pub struct JsCampaignInput {
    /// Its name; purchases name it (`campaign`) to earn its multiplier.
    pub name: String,
    /// What the treated customers are offered or told.
    pub action: Option<String>,
    /// Which customers it targets: a condition on the customer's JSON (its
    /// snake_case fields: `stage`, `tier`, `segment`, `tags`,
    /// `loyalty.level`, `custom.NAME`, ...), such as `{ field: 'tags', eq:
    /// 'lapsed' }`, `{ field: 'stage', in: ['at_risk', 'dormant'] }`, or `{
    /// all: [...] }`, `{ any: [...] }`, `{ not: {...} }`.
    #[napi(ts_type = "Record<string, any>")]
    pub segment: Value,
    /// The share held out, in percent, 0 to 100: a decimal string (`'50'`).
    #[napi(ts_type = "string")]
    pub holdout_percent: Value,
    /// The seed of the holdout draw: a whole number from 0 to 2^53 - 1 (the
    /// same segment and seed give the same groups).
    pub seed: f64,
    /// How many days after contact purchases count (above 0).
    pub window_days: f64,
}

impl JsCampaignInput {
    /// The core input.
    fn into_core(self) -> crm::Result<CampaignInput> {
        Ok(CampaignInput {
            name: self.name,
            action: self.action,
            segment: Condition::from_value(&self.segment, "segment")?,
            holdout_percent: decimal_value("holdout_percent", self.holdout_percent)?,
            seed: count("seed", self.seed)?,
            window_days: count_u32("window_days", self.window_days)?,
        })
    }
}

/// What a points command did.
#[napi(
    object,
    js_name = "PointsPosting",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsPointsPosting {
    /// The customer, with their account (`loyalty`) as it now stands.
    pub customer: JsCustomer,
    /// The ledger entries written, in order (expiries that fell due first).
    pub entries: Vec<JsPointsEntry>,
    /// What the purchase earned and why (`recordPurchase` only; `null`
    /// otherwise).
    pub earning: Option<JsEarning>,
    /// The member's level change, if any.
    pub level_change: Option<JsLevelChange>,
}

impl From<PointsPosting> for JsPointsPosting {
    fn from(posting: PointsPosting) -> Self {
        JsPointsPosting {
            customer: posting.customer.into(),
            entries: posting
                .entries
                .into_iter()
                .map(JsPointsEntry::from)
                .collect(),
            earning: posting.earning.map(JsEarning::from),
            level_change: posting.level_change.map(JsLevelChange::from),
        }
    }
}

/// One member whose level changed in a review.
#[napi(object, js_name = "MemberLevelChange", object_from_js = false)]
pub struct JsMemberLevelChange {
    /// The customer's id.
    pub customer: String,
    /// The change.
    pub change: JsLevelChange,
}

impl From<MemberLevelChange> for JsMemberLevelChange {
    fn from(change: MemberLevelChange) -> Self {
        JsMemberLevelChange {
            customer: change.customer.to_string(),
            change: change.change.into(),
        }
    }
}

/// What `reviewLoyalty` did.
#[napi(object, js_name = "LoyaltyReview", object_from_js = false)]
pub struct JsLoyaltyReview {
    /// Members whose account was due a check.
    pub checked: i64,
    /// Points expired.
    pub expired_points: i64,
    /// Ledger entries written.
    pub entries: i64,
    /// Level changes.
    pub level_changes: Vec<JsMemberLevelChange>,
    /// Commits made (500 customers per commit).
    pub batches: i64,
}

impl From<LoyaltyReview> for JsLoyaltyReview {
    fn from(review: LoyaltyReview) -> Self {
        JsLoyaltyReview {
            checked: counted(review.checked),
            expired_points: review.expired_points,
            entries: counted(review.entries),
            level_changes: review
                .level_changes
                .into_iter()
                .map(JsMemberLevelChange::from)
                .collect(),
            batches: counted(review.batches),
        }
    }
}

/// One group of a campaign's measure: the treated members or the holdout.
#[napi(object, js_name = "GroupMeasure", object_from_js = false)]
pub struct JsGroupMeasure {
    /// Members.
    pub members: i64,
    /// Members contacted.
    pub contacted: i64,
    /// Members with at least one purchase in their window.
    pub repurchased: i64,
    /// `repurchased / members` (0 when empty), a JS number.
    pub repurchase_rate: f64,
    /// Money spent in the windows, refunds taken off: a decimal string in the
    /// purchases' currency.
    pub revenue: String,
    /// `revenue / members`, rounded half up to the currency's minor unit: a
    /// decimal string.
    pub revenue_per_customer: String,
}

impl From<GroupMeasure> for JsGroupMeasure {
    fn from(group: GroupMeasure) -> Self {
        JsGroupMeasure {
            members: counted(group.members),
            contacted: counted(group.contacted),
            repurchased: counted(group.repurchased),
            repurchase_rate: group.repurchase_rate,
            revenue: group.revenue.to_string(),
            revenue_per_customer: group.revenue_per_customer.to_string(),
        }
    }
}

/// One member of a campaign, as the measure sees them.
#[napi(object, js_name = "MemberOutcome", object_from_js = false)]
pub struct JsMemberOutcome {
    /// The customer's id.
    pub customer: String,
    /// In the holdout group.
    pub holdout: bool,
    /// Contacted (treated members only).
    pub contacted: bool,
    /// Where the member's window starts: the contact, or (holdout, or not
    /// contacted) the launch (RFC 3339, UTC).
    pub start: String,
    /// Purchases in the window.
    pub purchases: i64,
    /// Money spent in the window, refunds taken off: a decimal string.
    pub revenue: String,
}

impl From<MemberOutcome> for JsMemberOutcome {
    fn from(member: MemberOutcome) -> Self {
        JsMemberOutcome {
            customer: member.customer,
            holdout: member.holdout,
            contacted: member.contacted,
            start: rfc3339(member.start),
            purchases: number(member.purchases),
            revenue: member.revenue.to_string(),
        }
    }
}

/// A campaign's effect at a time: treated against holdout.
#[napi(
    object,
    js_name = "CampaignMeasure",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsCampaignMeasure {
    /// The time measured at (RFC 3339, UTC).
    pub as_of: String,
    /// The window after contact, in days.
    pub window_days: u32,
    /// Whether every member's window has ended by `asOf`.
    pub complete: bool,
    /// The treated group (every member not held out, contacted or not:
    /// intent to treat).
    pub treated: JsGroupMeasure,
    /// The holdout group.
    pub holdout: JsGroupMeasure,
    /// Treated less holdout repurchase rate (0.05: five percentage points), a
    /// JS number.
    pub rate_lift: f64,
    /// A 95 % confidence interval of `rateLift` (normal approximation),
    /// `[low, high]`, when both groups have members; else `null`.
    #[napi(ts_type = "[number, number]")]
    pub rate_lift_ci95: Option<Vec<f64>>,
    /// Treated less holdout revenue per customer, a decimal string.
    pub revenue_lift: String,
    /// Every member with their window's purchases and revenue.
    pub members: Vec<JsMemberOutcome>,
}

impl From<CampaignMeasure> for JsCampaignMeasure {
    fn from(measure: CampaignMeasure) -> Self {
        JsCampaignMeasure {
            as_of: rfc3339(measure.as_of),
            window_days: measure.window_days,
            complete: measure.complete,
            treated: measure.treated.into(),
            holdout: measure.holdout.into(),
            rate_lift: measure.rate_lift,
            rate_lift_ci95: measure.rate_lift_ci95.map(Vec::from),
            revenue_lift: measure.revenue_lift.to_string(),
            members: measure
                .members
                .into_iter()
                .map(JsMemberOutcome::from)
                .collect(),
        }
    }
}

#[napi]
impl JsCrm {
    /// Records a purchase and credits the points it earns (as
    /// `loyaltyPoints` counts them, at the member's level), expiring after the
    /// program's `expire_after_days`; the customer's first purchase also earns
    /// the `first_purchase` bonus when one is set. The purchase counts toward
    /// the member's level at once (an upgrade applies in the same commit).
    /// Points that expired by now are posted first.
    ///
    /// @example
    /// ```js
    /// const posting = crm.recordPurchase(ana, {
    ///   customer: mia.id,
    ///   reference: 'A-1',
    ///   amount: { amount: '120.50', currency: 'EUR' },
    ///   lines: [{ category: 'coffee', amount: '20.50' }, { category: 'mugs', amount: '100.00' }],
    /// })
    /// posting.earning.points           // 161
    /// posting.customer.loyalty.balance // 211, with the first-purchase bonus
    /// ```
    ///
    /// @throws {Error} `validation` on `reference` (blank, or already recorded
    /// for this customer), on `amount` (not above zero, malformed, or in
    /// another currency than the program's), on `lines` (not adding up to the
    /// amount) or `lines[i].<field>` (as `loyaltyPoints` reads them), on `at`
    /// (malformed, or in the future), on `customer_id` for a malformed id;
    /// `not_found`; `forbidden` (edit the customer).
    #[napi]
    pub fn record_purchase(
        &self,
        env: Env,
        actor: JsActor,
        input: JsPurchaseInput,
    ) -> napi::Result<JsPointsPosting> {
        self.run(&env, record_purchase(actor, input))
    }

    /// `recordPurchase` off the main thread: a Promise of the posting,
    /// rejected with the `Error` that `recordPurchase` throws.
    #[napi(ts_return_type = "Promise<PointsPosting>")]
    pub fn record_purchase_async(
        &self,
        actor: JsActor,
        input: JsPurchaseInput,
    ) -> Pending<JsPointsPosting> {
        self.spawn(record_purchase(actor, input))
    }

    /// Records a refund of (part of) the purchase `reference` and takes back
    /// its points in proportion (all of what is left once the whole amount is
    /// refunded), from that purchase's own credit first, then oldest first.
    /// Points spent meanwhile are not taken back below a zero balance: the
    /// entry's reason says the shortfall.
    ///
    /// @throws {Error} `validation` on `reference` (no such purchase), on
    /// `amount` (not above zero, or more than is left to refund); `not_found`;
    /// `forbidden` (edit the customer).
    #[napi]
    pub fn refund_purchase(
        &self,
        env: Env,
        actor: JsActor,
        customer: String,
        reference: String,
        amount: JsMoney,
    ) -> napi::Result<JsPointsPosting> {
        self.run(&env, refund_purchase(actor, customer, reference, amount))
    }

    /// `refundPurchase` off the main thread: a Promise of the posting,
    /// rejected with the `Error` that `refundPurchase` throws.
    #[napi(ts_return_type = "Promise<PointsPosting>")]
    pub fn refund_purchase_async(
        &self,
        actor: JsActor,
        customer: String,
        reference: String,
        amount: JsMoney,
    ) -> Pending<JsPointsPosting> {
        self.spawn(refund_purchase(actor, customer, reference, amount))
    }

    /// Exchanges `points` (a whole number) for a reward (a gift, a discount),
    /// oldest points first; `reference` is the host's (a voucher number).
    ///
    /// @throws {Error} `validation` on `points` (not a whole number, not above
    /// zero, or more than the points available: the message says the
    /// balance), on `reward` (blank); `not_found`; `forbidden` (edit the
    /// customer).
    #[napi]
    pub fn redeem_points(
        &self,
        env: Env,
        actor: JsActor,
        customer: String,
        points: f64,
        reward: String,
        reference: Option<String>,
    ) -> napi::Result<JsPointsPosting> {
        self.run(
            &env,
            redeem_points(actor, customer, points, reward, reference),
        )
    }

    /// `redeemPoints` off the main thread: a Promise of the posting, rejected
    /// with the `Error` that `redeemPoints` throws.
    #[napi(ts_return_type = "Promise<PointsPosting>")]
    pub fn redeem_points_async(
        &self,
        actor: JsActor,
        customer: String,
        points: f64,
        reward: String,
        reference: Option<String>,
    ) -> Pending<JsPointsPosting> {
        self.spawn(redeem_points(actor, customer, points, reward, reference))
    }

    /// Corrects a balance by hand, for a reason: `points` above zero credits
    /// points that expire like earned ones, below zero debits them, oldest
    /// first. Only the roles of the program's `adjust_roles` (default admins
    /// and supervisors) may.
    ///
    /// @throws {Error} `forbidden` for another role; `validation` on `points`
    /// (not a whole number, zero, or a debit beyond the balance), on `reason`
    /// (blank); `not_found`.
    #[napi]
    pub fn adjust_points(
        &self,
        env: Env,
        actor: JsActor,
        customer: String,
        points: f64,
        reason: String,
    ) -> napi::Result<JsPointsPosting> {
        self.run(&env, adjust_points(actor, customer, points, reason))
    }

    /// `adjustPoints` off the main thread: a Promise of the posting, rejected
    /// with the `Error` that `adjustPoints` throws.
    #[napi(ts_return_type = "Promise<PointsPosting>")]
    pub fn adjust_points_async(
        &self,
        actor: JsActor,
        customer: String,
        points: f64,
        reason: String,
    ) -> Pending<JsPointsPosting> {
        self.spawn(adjust_points(actor, customer, points, reason))
    }

    /// Gives the bonus the program's `bonuses` set for `event` (a review
    /// written, a referral, ...), once per event and `reference`.
    ///
    /// @throws {Error} `validation` on `event` (no bonus set for it), on
    /// `reference` (given for this event already); `not_found`; `forbidden`
    /// (edit the customer).
    #[napi]
    pub fn award_bonus(
        &self,
        env: Env,
        actor: JsActor,
        customer: String,
        event: String,
        reference: Option<String>,
    ) -> napi::Result<JsPointsPosting> {
        self.run(&env, award_bonus(actor, customer, event, reference))
    }

    /// `awardBonus` off the main thread: a Promise of the posting, rejected
    /// with the `Error` that `awardBonus` throws.
    #[napi(ts_return_type = "Promise<PointsPosting>")]
    pub fn award_bonus_async(
        &self,
        actor: JsActor,
        customer: String,
        event: String,
        reference: Option<String>,
    ) -> Pending<JsPointsPosting> {
        self.spawn(award_bonus(actor, customer, event, reference))
    }

    /// A customer's points ledger, oldest first.
    ///
    /// @throws {Error} `validation` on `customer_id` for a malformed id;
    /// `not_found`; `forbidden` (read the customer).
    #[napi]
    pub fn points_entries(
        &self,
        env: Env,
        actor: JsActor,
        customer: String,
    ) -> napi::Result<Vec<JsPointsEntry>> {
        self.run(&env, points_entries(actor, customer))
    }

    /// `pointsEntries` off the main thread: a Promise of the entries, rejected
    /// with the `Error` that `pointsEntries` throws.
    #[napi(ts_return_type = "Promise<Array<PointsEntry>>")]
    pub fn points_entries_async(
        &self,
        actor: JsActor,
        customer: String,
    ) -> Pending<Vec<JsPointsEntry>> {
        self.spawn(points_entries(actor, customer))
    }

    /// Brings every loyalty account due a check up to date at `now` (an RFC
    /// 3339 string or a `Date`; default: the engine's clock), 500 customers
    /// per commit: posts expired points, applies downgrades whose grace
    /// period ended, and drops purchases that left the level window. Reads
    /// only the customers whose next check (`loyalty.nextCheckAt`) has come.
    ///
    /// @throws {Error} `validation` on `now` when it is malformed; `forbidden`
    /// (edit) unless the actor may edit every customer it would change
    /// (checked before anything is written); `conflict` when another command
    /// changed one meanwhile (batches before stay written; run it again).
    #[napi]
    pub fn review_loyalty(
        &self,
        env: Env,
        actor: JsActor,
        #[napi(ts_arg_type = "string | Date")] now: Option<TimeInput>,
    ) -> napi::Result<JsLoyaltyReview> {
        self.run(&env, review_loyalty(actor, now))
    }

    /// `reviewLoyalty` off the main thread: a Promise of what the review did,
    /// rejected with the `Error` that `reviewLoyalty` throws.
    #[napi(ts_return_type = "Promise<LoyaltyReview>")]
    pub fn review_loyalty_async(
        &self,
        actor: JsActor,
        #[napi(ts_arg_type = "string | Date")] now: Option<TimeInput>,
    ) -> Pending<JsLoyaltyReview> {
        self.spawn(review_loyalty(actor, now))
    }

    /// Acts on a care item (a `care` item of `dueWork`): logs the activity
    /// (`kind`: `call`, `email`, `visit`, `meeting` or `note`) on the customer
    /// and marks the rule's current occurrence handled (`careDone`), in one
    /// commit, so the item leaves `dueWork`.
    ///
    /// @throws {Error} `validation` on `rule` (no item of that rule is due for
    /// the customer), on `kind` for another value, on `summary` (blank);
    /// `not_found`; `forbidden` (edit the customer).
    #[napi]
    pub fn act_on_care(
        &self,
        env: Env,
        actor: JsActor,
        customer: String,
        rule: String,
        #[napi(ts_arg_type = "'call' | 'email' | 'visit' | 'meeting' | 'note'")] kind: String,
        summary: String,
    ) -> napi::Result<JsActivity> {
        self.run(&env, act_on_care(actor, customer, rule, kind, summary))
    }

    /// `actOnCare` off the main thread: a Promise of the activity, rejected
    /// with the `Error` that `actOnCare` throws.
    #[napi(ts_return_type = "Promise<Activity>")]
    pub fn act_on_care_async(
        &self,
        actor: JsActor,
        customer: String,
        rule: String,
        #[napi(ts_arg_type = "'call' | 'email' | 'visit' | 'meeting' | 'note'")] kind: String,
        summary: String,
    ) -> Pending<JsActivity> {
        self.spawn(act_on_care(actor, customer, rule, kind, summary))
    }

    /// Launches a campaign: every customer the actor may read that matches
    /// `segment` now becomes a member, sorted by id; `holdoutPercent` of them
    /// (rounded half up) are held out by a draw seeded with `seed` (as
    /// `drawHoldout` draws it), so the same segment and seed give the same
    /// groups. The holdout is not to be contacted: it is the baseline of
    /// `campaignResults`.
    ///
    /// @example
    /// ```js
    /// const campaign = crm.launchCampaign(ana, {
    ///   name: 'Win back', action: '10 % voucher',
    ///   segment: { field: 'tags', eq: 'lapsed' },
    ///   holdoutPercent: '50', seed: 7, windowDays: 30,
    /// })
    /// campaign.members.filter((m) => m.holdout).length // half of them
    /// ```
    ///
    /// @throws {Error} `validation` on `segment` (matches no customer), on
    /// `name` (blank), on `holdout_percent` (not a decimal string, or outside
    /// 0 to 100), on `seed` (not a whole number from 0 to 2^53 - 1), on
    /// `window_days` (not a whole number above 0); `config` naming the path
    /// inside `segment` (`segment.field`, ...) when it is not a condition;
    /// `forbidden` (create campaigns).
    #[napi]
    pub fn launch_campaign(
        &self,
        env: Env,
        actor: JsActor,
        input: JsCampaignInput,
    ) -> napi::Result<JsCampaign> {
        self.run(&env, launch_campaign(actor, input))
    }

    /// `launchCampaign` off the main thread: a Promise of the campaign,
    /// rejected with the `Error` that `launchCampaign` throws.
    #[napi(ts_return_type = "Promise<Campaign>")]
    pub fn launch_campaign_async(
        &self,
        actor: JsActor,
        input: JsCampaignInput,
    ) -> Pending<JsCampaign> {
        self.spawn(launch_campaign(actor, input))
    }

    /// Records that treated members (`customers`, their ids) were contacted,
    /// at `at` (an RFC 3339 string or a `Date`; default now). A member
    /// contacted already keeps their first contact time.
    ///
    /// @throws {Error} `validation` on `customers` (not a member, or held out:
    /// the holdout is not to be contacted), on `customer_id` for a malformed
    /// id, on `at` (malformed, or in the future); `not_found`; `forbidden`
    /// (edit the campaign).
    #[napi]
    pub fn record_campaign_contacts(
        &self,
        env: Env,
        actor: JsActor,
        campaign: String,
        customers: Vec<String>,
        #[napi(ts_arg_type = "string | Date")] at: Option<TimeInput>,
    ) -> napi::Result<JsCampaign> {
        self.run(
            &env,
            record_campaign_contacts(actor, campaign, customers, at),
        )
    }

    /// `recordCampaignContacts` off the main thread: a Promise of the
    /// campaign, rejected with the `Error` that `recordCampaignContacts`
    /// throws.
    #[napi(ts_return_type = "Promise<Campaign>")]
    pub fn record_campaign_contacts_async(
        &self,
        actor: JsActor,
        campaign: String,
        customers: Vec<String>,
        #[napi(ts_arg_type = "string | Date")] at: Option<TimeInput>,
    ) -> Pending<JsCampaign> {
        self.spawn(record_campaign_contacts(actor, campaign, customers, at))
    }

    /// Measures a campaign at `asOf` (an RFC 3339 string or a `Date`;
    /// default: the engine's clock): repurchase rate and revenue per customer
    /// in each member's window (from their contact, or from the launch for
    /// the holdout and members not contacted), treated against holdout, with
    /// the difference. Purchases are the engine's: signed contracts and
    /// purchases recorded for points, less refunds. Rates are JS numbers,
    /// money decimal strings.
    ///
    /// @example
    /// ```js
    /// const measure = crm.campaignResults(ana, campaign.id, '2026-03-01T00:00:00Z')
    /// measure.rateLift                   // 0.5
    /// measure.treated.revenuePerCustomer // '20.00'
    /// ```
    ///
    /// @throws {Error} `validation` on `as_of` when it is malformed, on
    /// `campaign_id` for a malformed id; `not_found`; `forbidden` (read the
    /// campaign); `config` on `value_currency` when purchases are in several
    /// currencies and none is set.
    #[napi]
    pub fn campaign_results(
        &self,
        env: Env,
        actor: JsActor,
        campaign: String,
        #[napi(ts_arg_type = "string | Date")] as_of: Option<TimeInput>,
    ) -> napi::Result<JsCampaignMeasure> {
        self.run(&env, campaign_results(actor, campaign, as_of))
    }

    /// `campaignResults` off the main thread: a Promise of the measure,
    /// rejected with the `Error` that `campaignResults` throws.
    #[napi(ts_return_type = "Promise<CampaignMeasure>")]
    pub fn campaign_results_async(
        &self,
        actor: JsActor,
        campaign: String,
        #[napi(ts_arg_type = "string | Date")] as_of: Option<TimeInput>,
    ) -> Pending<JsCampaignMeasure> {
        self.spawn(campaign_results(actor, campaign, as_of))
    }
}

// The commands of the methods above, each run by its synchronous method and
// its `...Async` twin.

fn record_purchase(actor: JsActor, input: JsPurchaseInput) -> Command<JsPointsPosting> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        Ok(crm.record_purchase(&actor, input.into_core()?)?.into())
    })
}

fn refund_purchase(
    actor: JsActor,
    customer: String,
    reference: String,
    amount: JsMoney,
) -> Command<JsPointsPosting> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let customer = customer.parse()?;
        let amount = amount.to_core()?;
        Ok(crm
            .refund_purchase(&actor, customer, &reference, amount)?
            .into())
    })
}

fn redeem_points(
    actor: JsActor,
    customer: String,
    points: f64,
    reward: String,
    reference: Option<String>,
) -> Command<JsPointsPosting> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let customer = customer.parse()?;
        let points = integer("points", points)?;
        Ok(crm
            .redeem_points(&actor, customer, points, &reward, reference.as_deref())?
            .into())
    })
}

fn adjust_points(
    actor: JsActor,
    customer: String,
    points: f64,
    reason: String,
) -> Command<JsPointsPosting> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let customer = customer.parse()?;
        let points = integer("points", points)?;
        Ok(crm.adjust_points(&actor, customer, points, &reason)?.into())
    })
}

fn award_bonus(
    actor: JsActor,
    customer: String,
    event: String,
    reference: Option<String>,
) -> Command<JsPointsPosting> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let customer = customer.parse()?;
        Ok(crm
            .award_bonus(&actor, customer, &event, reference.as_deref())?
            .into())
    })
}

fn points_entries(actor: JsActor, customer: String) -> Command<Vec<JsPointsEntry>> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let entries = crm.points_entries(&actor, customer.parse()?)?;
        Ok(entries.into_iter().map(JsPointsEntry::from).collect())
    })
}

fn review_loyalty(actor: JsActor, now: Option<TimeInput>) -> Command<JsLoyaltyReview> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let now = opt_time("now", now)?.unwrap_or_else(|| crm.now());
        Ok(crm.review_loyalty(&actor, now)?.into())
    })
}

fn act_on_care(
    actor: JsActor,
    customer: String,
    rule: String,
    kind: String,
    summary: String,
) -> Command<JsActivity> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let customer = customer.parse()?;
        let kind = kind.parse::<ActivityKind>()?;
        Ok(crm
            .act_on_care(&actor, customer, &rule, kind, &summary)?
            .into())
    })
}

fn launch_campaign(actor: JsActor, input: JsCampaignInput) -> Command<JsCampaign> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        Ok(crm.launch_campaign(&actor, input.into_core()?)?.into())
    })
}

fn record_campaign_contacts(
    actor: JsActor,
    campaign: String,
    customers: Vec<String>,
    at: Option<TimeInput>,
) -> Command<JsCampaign> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let campaign = campaign.parse()?;
        let customers = customers
            .iter()
            .map(|id| id.parse())
            .collect::<crm::Result<Vec<CustomerId>>>()?;
        let at = opt_time("at", at)?;
        Ok(crm
            .record_campaign_contacts(&actor, campaign, &customers, at)?
            .into())
    })
}

fn campaign_results(
    actor: JsActor,
    campaign: String,
    as_of: Option<TimeInput>,
) -> Command<JsCampaignMeasure> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let campaign = campaign.parse()?;
        let as_of = opt_time("as_of", as_of)?.unwrap_or_else(|| crm.now());
        Ok(crm.campaign_results(&actor, campaign, as_of)?.into())
    })
}
