//! Loyalty in the engine: the points ledger (purchases, refunds, redemptions,
//! adjustments, bonuses, expiry), member levels, care items and retention
//! campaigns.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::access::{Actor, Permission};
use crate::assign::Condition;
use crate::engine::{Crm, DueItem, DueKind, Note, Tx};
use crate::error::{Error, Result};
use crate::loyalty::{
    CampaignMeasure, CareDue, Earning, LevelChange, Lot, MemberOutcome, Membership, PurchaseLine,
    WindowItem, care_due, draw_holdout, measure_campaign,
};
use crate::model::{
    Activity, ActivityKind, AnyRecord, Campaign, CampaignId, CampaignMember, Customer, CustomerId,
    EntityKind, Money, NewActivity, PointsEntry, PointsEntryId, PointsKind, Record, RecordKey,
    UserId,
};
use crate::store::{Query, Store};

/// How many customers one commit of [`Crm::review_loyalty`] changes.
const BATCH: usize = 500;

/// A purchase to record for points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseInput {
    /// The customer.
    pub customer: CustomerId,
    /// The host's reference of the purchase (order number): a purchase is
    /// recorded once per reference.
    pub reference: String,
    /// What it cost.
    pub amount: Money,
    /// When it was made (default now; not in the future).
    pub at: Option<DateTime<Utc>>,
    /// Its lines, for product and category rates; they must add up to the
    /// amount. Without lines the amount earns as one line.
    pub lines: Vec<PurchaseLine>,
    /// The campaign it was made in (for campaign multipliers).
    pub campaign: Option<String>,
}

/// What a points command did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointsPosting {
    /// The customer, with their account as it now stands.
    pub customer: Customer,
    /// The ledger entries written, in order (expiries that fell due first).
    pub entries: Vec<PointsEntry>,
    /// What the purchase earned and why (purchases only).
    pub earning: Option<Earning>,
    /// The member's level change, if any.
    pub level_change: Option<LevelChange>,
}

/// One member whose level changed in a review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberLevelChange {
    /// The customer.
    pub customer: CustomerId,
    /// The change.
    pub change: LevelChange,
}

/// What [`Crm::review_loyalty`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoyaltyReview {
    /// Members whose account was due a check.
    pub checked: usize,
    /// Points expired.
    pub expired_points: i64,
    /// Ledger entries written.
    pub entries: usize,
    /// Level changes.
    pub level_changes: Vec<MemberLevelChange>,
    /// Commits made.
    pub batches: usize,
}

/// A campaign to launch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignInput {
    /// Its name.
    pub name: String,
    /// What the treated customers are offered or told.
    pub action: Option<String>,
    /// Which customers it targets (on the customer's JSON: `stage`, `tier`,
    /// `segment`, `loyalty.level`, `tags`, `custom.NAME`, ...).
    pub segment: Condition,
    /// The share held out, in percent (0 to 100).
    pub holdout_percent: Decimal,
    /// The seed of the holdout draw.
    pub seed: u64,
    /// How many days after contact purchases count (above 0).
    pub window_days: u32,
}

/// A purchase that passed its checks.
pub(super) struct CheckedPurchase {
    reference: String,
    lines: Vec<PurchaseLine>,
    customer: Customer,
    at: DateTime<Utc>,
}

/// A points movement being prepared in one command.
struct Post {
    before: Customer,
    account: Membership,
    entries: Vec<PointsEntry>,
}

impl<S: Store> Crm<S> {
    // ----- the ledger ----------------------------------------------------------

    /// Records a purchase and credits the points it earns (see
    /// [`LoyaltyConfig::points_for`](crate::loyalty::LoyaltyConfig::points_for)),
    /// expiring after `expire_after_days`; the customer's first purchase also
    /// earns the `first_purchase` bonus when one is set. The purchase counts
    /// toward the member's level at once (an upgrade applies in the same
    /// commit). Points that expired by now are posted first.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `reference` (blank, or already recorded for
    /// this customer), `amount` (not above zero, or another currency than the
    /// program's), `lines` (not adding up to the amount), `at` (in the
    /// future); [`Error::NotFound`], [`Error::Forbidden`] (edit the customer).
    pub fn record_purchase(
        &mut self,
        actor: &Actor,
        input: PurchaseInput,
    ) -> Result<PointsPosting> {
        let mut tx = self.begin(actor);
        let now = tx.now;
        let CheckedPurchase {
            reference,
            lines,
            customer,
            at,
        } = self.check_purchase(actor, &input, now)?;
        let mut post = self.start_post(&mut tx, customer, now);
        let earning = self.config.loyalty.points_for(
            &lines,
            post.account.level.as_deref(),
            input.campaign.as_deref(),
        );
        let first = post.account.purchases == 0;
        post.account.purchases += 1;
        post.account.first_purchase_at = Some(
            post.account
                .first_purchase_at
                .map_or(at, |first| first.min(at)),
        );
        post.account.last_purchase_at = Some(
            post.account
                .last_purchase_at
                .map_or(at, |last| last.max(at)),
        );
        let mut qualifying = 0;
        if earning.points > 0 {
            self.credit(
                &mut tx,
                &mut post,
                PointsKind::Earn,
                earning.points,
                at,
                |e| {
                    e.reference = Some(reference.clone());
                    e.amount = Some(input.amount);
                    e.rule = Some(earning.rules.join(", "));
                },
            )?;
            qualifying += earning.points;
        } else {
            // Nothing earned, but the purchase is on the ledger all the same.
            let entry = self.entry(&tx, &post, PointsKind::Earn, 0, at, |e| {
                e.reference = Some(reference.clone());
                e.amount = Some(input.amount);
            });
            post.entries.push(entry);
        }
        if first {
            if let Some(&points) = self.config.loyalty.bonuses.get("first_purchase") {
                self.credit(&mut tx, &mut post, PointsKind::Bonus, points, at, |e| {
                    e.rule = Some("first_purchase".into());
                    e.reference = Some(reference.clone());
                })?;
                qualifying += points;
            }
        }
        post.account.window.push(WindowItem {
            at,
            points: qualifying,
            spend: input.amount.amount(),
        });
        // Expired already (a purchase recorded late): posted at once.
        self.expire_lots(&mut tx, &mut post, now);
        let payload = json!({ "reference": reference, "earning": earning });
        let posting = self.finish_post(&mut tx, post, "purchase", None, payload)?;
        self.finish(tx)?;
        Ok(PointsPosting {
            earning: Some(earning),
            ..posting
        })
    }

    /// Records a refund of (part of) a purchase and takes back its points in
    /// proportion (all of what is left once the whole amount is refunded),
    /// from that purchase's own credit first, then oldest first. Points spent
    /// meanwhile cannot be taken back below a zero balance: the shortfall is
    /// said in the entry's reason.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `reference` (no such purchase), `amount` (not
    /// above zero, or more than is left to refund); [`Error::NotFound`],
    /// [`Error::Forbidden`].
    pub fn refund_purchase(
        &mut self,
        actor: &Actor,
        customer: CustomerId,
        reference: &str,
        amount: Money,
    ) -> Result<PointsPosting> {
        let reference = clean("reference", reference)?;
        let record = self.member(actor, customer)?;
        let earned = self
            .entries_of(customer, PointsKind::Earn)?
            .into_iter()
            .find(|e| e.reference.as_deref() == Some(reference.as_str()))
            .ok_or_else(|| {
                Error::invalid("reference", "names no purchase of this customer")
                    .with_value(&reference)
            })?;
        let paid = earned.amount.ok_or_else(|| {
            Error::invalid("reference", "names no purchase of this customer").with_value(&reference)
        })?;
        if amount.currency() != paid.currency() {
            return Err(Error::invalid(
                "amount",
                format!("must be in {}, the purchase's currency", paid.currency()),
            )
            .with_value(amount.currency()));
        }
        let earlier: Vec<PointsEntry> = self
            .entries_of(customer, PointsKind::Reverse)?
            .into_iter()
            .filter(|e| e.reference.as_deref() == Some(reference.as_str()))
            .collect();
        let refunded: Decimal = earlier
            .iter()
            .filter_map(|e| e.amount.map(|a| -a.amount()))
            .sum();
        let taken: i64 = earlier.iter().map(|e| -e.points).sum();
        let left = paid.amount() - refunded;
        if amount.amount() <= Decimal::ZERO || amount.amount() > left {
            return Err(Error::invalid(
                "amount",
                format!("must be above zero and at most the {left} not yet refunded"),
            )
            .with_value(amount.amount()));
        }
        let due = if amount.amount() == left {
            earned.points - taken
        } else {
            let share = Decimal::from(earned.points) * amount.amount() / paid.amount();
            i64::try_from(share.floor().mantissa())
                .unwrap_or(0)
                .min(earned.points - taken)
        };
        let mut tx = self.begin(actor);
        let now = tx.now;
        let mut post = self.start_post(&mut tx, record, now);
        let available = post.account.balance;
        let take = due.min(available).max(0);
        let uses = if take > 0 {
            post.account.debit(take, now, Some(earned.id))?
        } else {
            Vec::new()
        };
        let reason = (take < due).then(|| {
            format!(
                "{} of the {due} points were spent already; {take} taken back",
                due - take
            )
        });
        let refund = Money::new(-amount.amount(), amount.currency())?;
        let entry = self.entry(&tx, &post, PointsKind::Reverse, -take, now, |e| {
            e.reference = Some(reference.clone());
            e.amount = Some(refund);
            e.lots = uses;
            e.reason = reason.clone();
        });
        post.entries.push(entry);
        post.account.window.push(WindowItem {
            at: now,
            points: -take,
            spend: -amount.amount(),
        });
        let payload = json!({ "reference": reference, "refunded": amount.amount(), "points": take, "due": due });
        let posting = self.finish_post(&mut tx, post, "refund", reason, payload)?;
        self.finish(tx)?;
        Ok(posting)
    }

    /// Exchanges points for a reward (a gift, a discount), oldest points first.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `points` (not above zero, or more than the
    /// points available: the message says the balance), `reward` (blank);
    /// [`Error::NotFound`], [`Error::Forbidden`].
    pub fn redeem_points(
        &mut self,
        actor: &Actor,
        customer: CustomerId,
        points: i64,
        reward: &str,
        reference: Option<&str>,
    ) -> Result<PointsPosting> {
        let reward = clean("reward", reward)?;
        let reference = reference.map(|r| clean("reference", r)).transpose()?;
        if points <= 0 {
            return Err(Error::invalid("points", "must be above zero").with_value(points));
        }
        let record = self.member(actor, customer)?;
        let mut tx = self.begin(actor);
        let now = tx.now;
        let mut post = self.start_post(&mut tx, record, now);
        let uses = post.account.debit(points, now, None)?;
        post.account.redeemed += points;
        let entry = self.entry(&tx, &post, PointsKind::Redeem, -points, now, |e| {
            e.rule = Some(reward.clone());
            e.reference = reference.clone();
            e.lots = uses;
        });
        post.entries.push(entry);
        let payload = json!({ "reward": reward, "points": points });
        let posting = self.finish_post(&mut tx, post, "redeem", None, payload)?;
        self.finish(tx)?;
        Ok(posting)
    }

    /// Corrects a balance by hand (above zero: a credit that expires like
    /// earned points; below: a debit, oldest first). Only the roles in the
    /// program's `adjust_roles` may, and only with a reason.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`] for another role; [`Error::Validation`] on
    /// `points` (zero, or a debit beyond the balance), `reason` (blank).
    pub fn adjust_points(
        &mut self,
        actor: &Actor,
        customer: CustomerId,
        points: i64,
        reason: &str,
    ) -> Result<PointsPosting> {
        if !actor
            .roles
            .iter()
            .any(|r| self.config.loyalty.adjust_roles.contains(r))
        {
            return Err(Error::Forbidden {
                actor: actor.user.to_string(),
                action: "adjust points of".into(),
                entity: EntityKind::Customer,
                id: Some(customer.to_string()),
            });
        }
        let reason = clean("reason", reason)?;
        if points == 0 {
            return Err(Error::invalid("points", "must not be zero").with_value(0));
        }
        let record = self.member(actor, customer)?;
        let mut tx = self.begin(actor);
        let now = tx.now;
        let mut post = self.start_post(&mut tx, record, now);
        if points > 0 {
            self.credit(&mut tx, &mut post, PointsKind::Adjust, points, now, |e| {
                e.reason = Some(reason.clone());
            })?;
        } else {
            let uses = post.account.debit(-points, now, None)?;
            let entry = self.entry(&tx, &post, PointsKind::Adjust, points, now, |e| {
                e.reason = Some(reason.clone());
                e.lots = uses;
            });
            post.entries.push(entry);
        }
        let payload = json!({ "points": points });
        let posting = self.finish_post(&mut tx, post, "adjust", Some(reason), payload)?;
        self.finish(tx)?;
        Ok(posting)
    }

    /// Gives the bonus set for `event` in the program's `bonuses` (once per
    /// event and reference).
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `event` (no bonus set for it) or `reference`
    /// (given for this event already); [`Error::NotFound`],
    /// [`Error::Forbidden`].
    pub fn award_bonus(
        &mut self,
        actor: &Actor,
        customer: CustomerId,
        event: &str,
        reference: Option<&str>,
    ) -> Result<PointsPosting> {
        let event = clean("event", event)?;
        let reference = reference.map(|r| clean("reference", r)).transpose()?;
        if !self.config.loyalty.bonuses.contains_key(&event) {
            return Err(
                Error::invalid("event", "has no bonus in the loyalty program").with_value(event),
            );
        }
        let record = self.member(actor, customer)?;
        let mut tx = self.begin(actor);
        let posting = self
            .bonus_in(&mut tx, record, &event, reference.as_deref())?
            .ok_or_else(|| {
                Error::invalid("reference", format!("was given the {event} bonus already"))
                    .with_value(reference.clone().unwrap_or_default())
            })?;
        self.finish(tx)?;
        Ok(posting)
    }

    /// Gives a bonus inside a command; `None` when it was given for this
    /// event and reference already.
    pub(super) fn bonus_in(
        &mut self,
        tx: &mut Tx,
        customer: Customer,
        event: &str,
        reference: Option<&str>,
    ) -> Result<Option<PointsPosting>> {
        let Some(&points) = self.config.loyalty.bonuses.get(event) else {
            return Ok(None);
        };
        let given = self
            .entries_of(customer.id, PointsKind::Bonus)?
            .iter()
            .any(|e| e.rule.as_deref() == Some(event) && e.reference.as_deref() == reference);
        if given {
            return Ok(None);
        }
        let now = tx.now;
        let mut post = self.start_post(tx, customer, now);
        self.credit(tx, &mut post, PointsKind::Bonus, points, now, |e| {
            e.rule = Some(event.to_string());
            e.reference = reference.map(str::to_string);
        })?;
        post.account.window.push(WindowItem {
            at: now,
            points,
            spend: Decimal::ZERO,
        });
        let payload = json!({ "event": event, "points": points });
        let posting = self.finish_post(tx, post, "bonus", None, payload)?;
        Ok(Some(posting))
    }

    /// A customer's ledger, oldest first.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`], [`Error::Forbidden`] (read the customer).
    pub fn points_entries(&self, actor: &Actor, customer: CustomerId) -> Result<Vec<PointsEntry>> {
        let record: Customer = self.load(&RecordKey::from(customer))?;
        self.authorize(actor, Permission::Read, &record)?;
        let mut entries = self.entries_of(customer, None)?;
        entries.sort_by_key(|e| (e.meta.created_at, e.id));
        Ok(entries)
    }

    /// Brings every account due a check up to date at `now`, 500 customers
    /// per commit: posts expired points, applies downgrades whose grace
    /// period ended, and drops purchases that left the level window. Reads
    /// only the customers whose next check time has come.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`] unless the actor may edit every customer it would
    /// change (checked before anything is written); [`Error::Conflict`] when
    /// another command changed one meanwhile (batches before stay written).
    pub fn review_loyalty(&mut self, actor: &Actor, now: DateTime<Utc>) -> Result<LoyaltyReview> {
        let query = Query::new(EntityKind::Customer).due_before(now + Duration::microseconds(1));
        let mut due = Vec::new();
        for record in self.store.query(&query)? {
            if let AnyRecord::Customer(customer) = record {
                if customer.loyalty.is_some() {
                    self.authorize(actor, Permission::Edit, &customer)?;
                    due.push(customer.id);
                }
            }
        }
        let mut review = LoyaltyReview {
            checked: due.len(),
            ..LoyaltyReview::default()
        };
        for batch in due.chunks(BATCH) {
            let mut tx = self.begin(actor);
            for id in batch {
                let customer: Customer = self.load(&RecordKey::from(*id))?;
                let expired_before = customer.loyalty.as_ref().map_or(0, |m| m.expired);
                let post = self.start_post(&mut tx, customer, now);
                review.entries += post.entries.len();
                review.expired_points += post.account.expired - expired_before;
                let payload = json!({ "as_of": now });
                let (_, _, change) =
                    self.finish_post_at(&mut tx, post, "review", None, payload, now)?;
                if let Some(change) = change {
                    review.level_changes.push(MemberLevelChange {
                        customer: *id,
                        change,
                    });
                }
            }
            self.finish(tx)?;
            review.batches += 1;
        }
        Ok(review)
    }

    // ----- care ----------------------------------------------------------------

    /// The care items for `due_work`: each customer's due items by the
    /// program's care rules, for the customer's owner.
    pub(super) fn care_work(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<(UserId, DueItem)>> {
        let rules = &self.config.loyalty.care;
        if rules.is_empty() {
            return Ok(Vec::new());
        }
        let zone = self.loyalty_zone();
        let mut out = Vec::new();
        for record in self.list(actor, &Query::new(EntityKind::Customer))? {
            let AnyRecord::Customer(customer) = record else {
                continue;
            };
            let Some(owner) = &customer.owner else {
                continue;
            };
            if customer.meta.merged_into.is_some() {
                continue;
            }
            for care in care_due(rules, &customer, now, until, zone) {
                out.push((
                    owner.clone(),
                    DueItem {
                        subject: customer.key(),
                        kind: DueKind::Care,
                        title: customer.name.clone(),
                        due_at: care.due_at,
                        overdue: care.due_at < now,
                        care: Some(care),
                    },
                ));
            }
        }
        Ok(out)
    }

    /// Acts on a care item: logs the activity (a call, an email, ...) on the
    /// customer and marks the rule's current occurrence handled, in one
    /// commit, so it leaves `due_work`.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `rule` (no item of that rule is due for the
    /// customer) or `summary`; [`Error::NotFound`], [`Error::Forbidden`].
    pub fn act_on_care(
        &mut self,
        actor: &Actor,
        customer: CustomerId,
        rule: &str,
        kind: ActivityKind,
        summary: &str,
    ) -> Result<Activity> {
        let before: Customer = self.load(&RecordKey::from(customer))?;
        self.authorize(actor, Permission::Edit, &before)?;
        let now = self.now();
        let rules: Vec<_> = self
            .config
            .loyalty
            .care
            .iter()
            .filter(|r| r.name == rule)
            .cloned()
            .collect();
        let due: CareDue = care_due(
            &rules,
            &before,
            now,
            now + self.config.due_ahead,
            self.loyalty_zone(),
        )
        .into_iter()
        .next()
        .ok_or_else(|| {
            Error::invalid("rule", "has no care item due for this customer").with_value(rule)
        })?;
        let mut tx = self.begin(actor);
        let new = NewActivity::new(kind, customer, summary);
        let activity = self.log_activity_in(&mut tx, actor, new)?;
        let current: Customer = match tx
            .changes
            .writes
            .iter()
            .find(|w| w.record.key() == before.key())
        {
            Some(write) => Customer::from_any(write.record.clone()).unwrap_or(before.clone()),
            None => before.clone(),
        };
        let mut after = current.clone();
        after
            .care_done
            .insert(due.rule.clone(), due.occurrence.clone());
        let note = Note {
            action: "care",
            reason: Some(format!("{}: {}", due.rule, due.reason)),
            payload: json!({ "rule": due.rule, "occurrence": due.occurrence, "activity": activity.id }),
        };
        self.put(&mut tx, Some(&current), after, note)?;
        self.finish(tx)?;
        Ok(activity)
    }

    fn loyalty_zone(&self) -> Option<chrono_tz::Tz> {
        self.config
            .loyalty
            .time_zone
            .as_deref()
            .and_then(|z| z.parse().ok())
    }

    // ----- campaigns -----------------------------------------------------------

    /// Launches a campaign: every customer the actor may read that matches
    /// the segment now becomes a member, sorted by id; `holdout_percent` of
    /// them (rounded half up) are held out by a draw seeded with `seed`
    /// ([`draw_holdout`]), so the same segment and seed give the same groups.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `segment` (matches no customer), `name`,
    /// `holdout_percent`, `window_days`; [`Error::Forbidden`] (create
    /// campaigns).
    pub fn launch_campaign(&mut self, actor: &Actor, input: CampaignInput) -> Result<Campaign> {
        let segment = input.segment.compile();
        let mut targets = Vec::new();
        for record in self.list(actor, &Query::new(EntityKind::Customer))? {
            if let AnyRecord::Customer(customer) = record {
                if customer.meta.merged_into.is_some() {
                    continue;
                }
                let json = serde_json::to_value(&customer).map_err(|e| Error::Storage {
                    message: format!("cannot read customer {}: {e}", customer.id),
                    source: None,
                })?;
                if segment.matches(&json) {
                    targets.push(customer.id);
                }
            }
        }
        if targets.is_empty() {
            return Err(Error::invalid("segment", "matches no customer")
                .with_value(input.segment.to_value()));
        }
        let holdout = draw_holdout(targets.len(), input.holdout_percent, input.seed)?;
        let mut tx = self.begin(actor);
        let campaign = Campaign {
            id: CampaignId::from_uuid(self.next_id(tx.now)),
            meta: self.new_meta(&tx),
            name: input.name.trim().to_string(),
            action: input
                .action
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty()),
            owner: Some(actor.user.clone()),
            team: actor.team.clone(),
            segment: input.segment,
            launched_at: tx.now,
            holdout_percent: input.holdout_percent,
            seed: input.seed,
            window_days: input.window_days,
            members: targets
                .into_iter()
                .zip(holdout)
                .map(|(customer, holdout)| CampaignMember {
                    customer,
                    holdout,
                    contacted_at: None,
                    contacted_by: None,
                })
                .collect(),
            custom: Default::default(),
        };
        self.authorize_create(actor, &campaign)?;
        let held = campaign.members.iter().filter(|m| m.holdout).count();
        let note = Note {
            action: "launch",
            reason: None,
            payload: json!({ "members": campaign.members.len(), "holdout": held, "seed": campaign.seed }),
        };
        let campaign = self.put(&mut tx, None, campaign, note)?;
        self.finish(tx)?;
        Ok(campaign)
    }

    /// Records that treated members were contacted (at `at`, default now).
    /// A member contacted already keeps their first contact time.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `customers` (not a member, or held out: the
    /// holdout is not to be contacted), `at` (in the future);
    /// [`Error::NotFound`], [`Error::Forbidden`] (edit the campaign).
    pub fn record_campaign_contacts(
        &mut self,
        actor: &Actor,
        campaign: CampaignId,
        customers: &[CustomerId],
        at: Option<DateTime<Utc>>,
    ) -> Result<Campaign> {
        let before: Campaign = self.load(&RecordKey::from(campaign))?;
        self.authorize(actor, Permission::Edit, &before)?;
        let mut tx = self.begin(actor);
        let at = self.past_or_now("at", at, tx.now)?;
        let mut after = before.clone();
        let mut contacted = Vec::new();
        for customer in customers {
            let member = after
                .members
                .iter_mut()
                .find(|m| m.customer == *customer)
                .ok_or_else(|| {
                    Error::invalid("customers", "is not a member of the campaign")
                        .with_value(customer)
                })?;
            if member.holdout {
                return Err(Error::invalid(
                    "customers",
                    "is in the holdout group, which is not to be contacted",
                )
                .with_value(customer));
            }
            if member.contacted_at.is_none() {
                member.contacted_at = Some(at);
                member.contacted_by = Some(actor.user.clone());
                contacted.push(*customer);
            }
        }
        if contacted.is_empty() {
            return Ok(before);
        }
        let note = Note {
            action: "contact",
            reason: None,
            payload: json!({ "customers": contacted, "at": at }),
        };
        let after = self.put(&mut tx, Some(&before), after, note)?;
        self.finish(tx)?;
        Ok(after)
    }

    /// Measures a campaign at `as_of`: repurchase rate and revenue per
    /// customer in each member's window (from their contact, or from the
    /// launch for the holdout and members not contacted), treated against
    /// holdout, with the difference ([`measure_campaign`]). Purchases are the
    /// engine's: signed contracts and purchases recorded for points, less
    /// refunds.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`], [`Error::Forbidden`] (read the campaign);
    /// [`Error::Config`] on `value_currency` when purchases are in several
    /// currencies and none is set.
    pub fn campaign_results(
        &self,
        actor: &Actor,
        campaign: CampaignId,
        as_of: DateTime<Utc>,
    ) -> Result<CampaignMeasure> {
        let record: Campaign = self.load(&RecordKey::from(campaign))?;
        self.authorize(actor, Permission::Read, &record)?;
        let (purchases, currency) = self.purchases()?;
        let members: Vec<MemberOutcome> = record
            .members
            .iter()
            .map(|m| MemberOutcome {
                customer: m.customer.to_string(),
                holdout: m.holdout,
                contacted: m.contacted_at.is_some(),
                start: m.contacted_at.unwrap_or(record.launched_at),
                purchases: 0,
                revenue: Decimal::ZERO,
            })
            .collect();
        let minor = currency.map_or(2, |c| c.minor_units());
        Ok(measure_campaign(
            &members,
            &purchases,
            record.window_days,
            as_of,
            minor,
        ))
    }

    // ----- machinery -----------------------------------------------------------

    /// A benefit of the customer's member level, with the level's name.
    pub(super) fn member_benefit<T>(
        &self,
        customer: CustomerId,
        pick: impl Fn(&crate::loyalty::Benefits) -> Option<T>,
    ) -> Result<Option<(String, T)>> {
        if self.config.loyalty.levels.is_empty() {
            return Ok(None);
        }
        let Some(AnyRecord::Customer(record)) = self.store.get(&RecordKey::from(customer))? else {
            return Ok(None);
        };
        let Some(level) = record.loyalty.and_then(|m| m.level) else {
            return Ok(None);
        };
        Ok(self
            .config
            .loyalty
            .benefits(Some(&level))
            .and_then(pick)
            .map(|benefit| (level, benefit)))
    }

    /// Loads a customer for a points command (edit permission).
    fn member(&self, actor: &Actor, customer: CustomerId) -> Result<Customer> {
        let record: Customer = self.load(&RecordKey::from(customer))?;
        self.authorize(actor, Permission::Edit, &record)?;
        Ok(record)
    }

    /// A customer's ledger entries (of one kind).
    fn entries_of(
        &self,
        customer: CustomerId,
        kind: impl Into<Option<PointsKind>>,
    ) -> Result<Vec<PointsEntry>> {
        let mut query = Query::new(EntityKind::PointsEntry).parent(RecordKey::from(customer));
        if let Some(kind) = kind.into() {
            query = query.status(kind.as_str());
        }
        Ok(self
            .store
            .query(&query)?
            .into_iter()
            .filter_map(PointsEntry::from_any)
            .collect())
    }

    pub(super) fn check_currency(&self, amount: &Money) -> Result<()> {
        if let Some(currency) = &self.config.loyalty.currency {
            if amount.currency() != *currency {
                return Err(Error::invalid(
                    "amount",
                    format!("must be in {currency}, the loyalty program's currency"),
                )
                .with_value(amount.currency()));
            }
        }
        Ok(())
    }

    /// Everything [`record_purchase`](Self::record_purchase) checks before it
    /// writes; an import's check pass runs the same.
    pub(super) fn check_purchase(
        &self,
        actor: &Actor,
        input: &PurchaseInput,
        now: DateTime<Utc>,
    ) -> Result<CheckedPurchase> {
        let reference = clean("reference", &input.reference)?;
        if input.amount.amount() <= Decimal::ZERO {
            return Err(
                Error::invalid("amount", "must be above zero").with_value(input.amount.amount())
            );
        }
        self.check_currency(&input.amount)?;
        let lines = if input.lines.is_empty() {
            vec![PurchaseLine {
                product: None,
                category: None,
                amount: input.amount.amount(),
            }]
        } else {
            let sum: Decimal = input.lines.iter().map(|l| l.amount).sum();
            if sum != input.amount.amount() {
                return Err(Error::invalid(
                    "lines",
                    format!("add up to {sum}, not the amount {}", input.amount.amount()),
                ));
            }
            input.lines.clone()
        };
        let customer = self.member(actor, input.customer)?;
        if self
            .entries_of(input.customer, PointsKind::Earn)?
            .iter()
            .any(|e| e.reference.as_deref() == Some(reference.as_str()))
        {
            return Err(
                Error::invalid("reference", "was recorded already for this customer")
                    .with_value(reference),
            );
        }
        let at = self.past_or_now("at", input.at, now)?;
        Ok(CheckedPurchase {
            reference,
            lines,
            customer,
            at,
        })
    }

    fn past_or_now(
        &self,
        field: &str,
        at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>> {
        let at = at.map(crate::clock::to_micros).unwrap_or(now);
        if at > now {
            return Err(Error::invalid(field, "is in the future").with_value(at.to_rfc3339()));
        }
        Ok(at)
    }

    /// Opens a posting on a customer's account, posting what expired by `now`.
    fn start_post(&mut self, tx: &mut Tx, customer: Customer, now: DateTime<Utc>) -> Post {
        let account = customer
            .loyalty
            .clone()
            .unwrap_or_else(|| Membership::new(tx.now));
        let mut post = Post {
            before: customer,
            account,
            entries: Vec::new(),
        };
        self.expire_lots(tx, &mut post, now);
        post
    }

    /// Posts the expiry of every lot due by `now`, one entry per lot, dated
    /// when it expired.
    fn expire_lots(&mut self, tx: &mut Tx, post: &mut Post, now: DateTime<Utc>) {
        let lots: Vec<Lot> = post
            .account
            .lots
            .iter()
            .filter(|l| l.expires_at.is_some_and(|at| at <= now))
            .cloned()
            .collect();
        if lots.is_empty() {
            return;
        }
        let mut balance = post.account.balance;
        post.account.expire(now);
        for lot in lots {
            balance -= lot.remaining;
            let at = lot.expires_at.unwrap_or(now);
            let mut entry = self.entry(tx, post, PointsKind::Expire, -lot.remaining, at, |e| {
                e.lots = vec![crate::loyalty::LotUse {
                    entry: lot.entry,
                    points: lot.remaining,
                }];
            });
            entry.balance = balance;
            post.entries.push(entry);
        }
    }

    /// Credits points as a new lot with its entry, expiring as the program
    /// says.
    fn credit(
        &mut self,
        tx: &mut Tx,
        post: &mut Post,
        kind: PointsKind,
        points: i64,
        at: DateTime<Utc>,
        fill: impl FnOnce(&mut PointsEntry),
    ) -> Result<()> {
        let expires_at = self.config.loyalty.expiry(at);
        let mut entry = self.entry(tx, post, kind, points, at, |e| {
            e.expires_at = expires_at;
            fill(e);
        });
        post.account
            .credit(entry.id, points, at, entry.expires_at)?;
        entry.balance = post.account.balance;
        post.entries.push(entry);
        Ok(())
    }

    /// A new ledger entry whose balance is the account's as it stands.
    fn entry(
        &mut self,
        tx: &Tx,
        post: &Post,
        kind: PointsKind,
        points: i64,
        at: DateTime<Utc>,
        fill: impl FnOnce(&mut PointsEntry),
    ) -> PointsEntry {
        let mut entry = PointsEntry {
            id: PointsEntryId::from_uuid(self.next_id(tx.now)),
            meta: self.new_meta(tx),
            customer: post.before.id,
            owner: post.before.owner.clone(),
            team: post.before.team.clone(),
            kind,
            points,
            balance: post.account.balance,
            at,
            expires_at: None,
            reference: None,
            amount: None,
            rule: None,
            reason: None,
            lots: Vec::new(),
            custom: Default::default(),
        };
        fill(&mut entry);
        entry
    }

    /// Reviews the level, writes the entries and the customer (one `points`
    /// event, and a `level` event when the level changed).
    fn finish_post(
        &mut self,
        tx: &mut Tx,
        post: Post,
        action: &str,
        reason: Option<String>,
        payload: serde_json::Value,
    ) -> Result<PointsPosting> {
        let now = tx.now;
        let (customer, entries, level_change) =
            self.finish_post_at(tx, post, action, reason, payload, now)?;
        Ok(PointsPosting {
            customer,
            entries,
            earning: None,
            level_change,
        })
    }

    fn finish_post_at(
        &mut self,
        tx: &mut Tx,
        post: Post,
        action: &str,
        reason: Option<String>,
        payload: serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<(Customer, Vec<PointsEntry>, Option<LevelChange>)> {
        let Post {
            before,
            mut account,
            entries,
        } = post;
        let change = self.config.loyalty.review(&mut account, before.tier, now);
        let mut written = Vec::new();
        for entry in entries {
            written.push(self.put(tx, None, entry, Note::action("create"))?);
        }
        if change.is_none() && written.is_empty() && before.loyalty.as_ref() == Some(&account) {
            return Ok((before, written, None));
        }
        let mut payload = payload;
        payload["entries"] = json!(written.iter().map(|e| e.id).collect::<Vec<_>>());
        payload["via"] = json!(action);
        let mut after = before.clone();
        after.loyalty = Some(account);
        let note = Note {
            action: "points",
            reason,
            payload,
        };
        let after = self.put_reviewed(tx, &before, after, change.as_ref(), note, action)?;
        Ok((after, written, change))
    }

    /// Writes `after` (whose account was just reviewed, giving `change`) with
    /// `note`; when the level moved, the level is written after it with a
    /// `level` event of its own, so that the history shows the cause first.
    pub(super) fn put_reviewed(
        &mut self,
        tx: &mut Tx,
        before: &Customer,
        mut after: Customer,
        change: Option<&LevelChange>,
        note: Note,
        via: &str,
    ) -> Result<Customer> {
        let Some(change) = change else {
            return self.put(tx, Some(before), after, note);
        };
        let reviewed = after.loyalty.clone();
        if let Some(m) = after.loyalty.as_mut() {
            let old = before.loyalty.as_ref();
            m.level = old.and_then(|m| m.level.clone());
            m.level_since = old.and_then(|m| m.level_since);
            m.previous_level = old.and_then(|m| m.previous_level.clone());
        }
        let mid = self.put(tx, Some(before), after, note)?;
        let mut last = mid.clone();
        last.loyalty = reviewed;
        let note = Note {
            action: "level",
            reason: Some(change.reason.clone()),
            payload: json!({ "from": change.from, "to": change.to, "via": via }),
        };
        self.put(tx, Some(&mid), last, note)
    }

    /// The purchases the engine knows: signed contracts (their amount, at
    /// signing) and purchases recorded for points (less refunds; one whose
    /// reference is a contract's id or number is that contract, counted once),
    /// in one currency: `value_currency`, or the only one there is.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] on `value_currency` when there are several
    /// currencies and none is set.
    pub(super) fn purchases(
        &self,
    ) -> Result<(Vec<crate::rfm::Purchase>, Option<crate::model::Currency>)> {
        use crate::rfm::Purchase;
        let mut rows: Vec<(String, DateTime<Utc>, Money)> = Vec::new();
        let mut contracts = std::collections::HashSet::new();
        for record in self.store.query(&Query::new(EntityKind::Contract))? {
            let AnyRecord::Contract(contract) = record else {
                continue;
            };
            contracts.insert(contract.id.to_string());
            contracts.insert(contract.number.clone());
            if let Some(signed_at) = contract.signed_at {
                rows.push((contract.customer.to_string(), signed_at, contract.amount));
            }
        }
        let postings = Query::new(EntityKind::PointsEntry)
            .status(PointsKind::Earn.as_str())
            .status(PointsKind::Reverse.as_str());
        for record in self.store.query(&postings)? {
            let AnyRecord::PointsEntry(entry) = record else {
                continue;
            };
            let (Some(amount), Some(reference)) = (entry.amount, &entry.reference) else {
                continue;
            };
            if !contracts.contains(reference) {
                rows.push((entry.customer.to_string(), entry.at, amount));
            }
        }
        let mut currencies: Vec<crate::model::Currency> = Vec::new();
        for (_, _, money) in &rows {
            if !currencies.contains(&money.currency()) {
                currencies.push(money.currency());
            }
        }
        let currency = match (&self.config.value_currency, currencies.len()) {
            (Some(currency), _) => Some(*currency),
            (None, 0) => None,
            (None, 1) => Some(currencies[0]),
            (None, _) => {
                let names: Vec<String> = currencies.iter().map(|c| c.to_string()).collect();
                return Err(Error::config(
                    "value_currency",
                    format!(
                        "purchases are in {}; set value_currency to score one of them",
                        names.join(", ")
                    ),
                ));
            }
        };
        let purchases = rows
            .into_iter()
            .filter(|(_, _, money)| Some(money.currency()) == currency)
            .map(|(customer, at, money)| Purchase::new(customer, at, money.amount()))
            .collect();
        Ok((purchases, currency))
    }
}

/// A required text, trimmed.
fn clean(field: &str, text: &str) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid(field, "must not be blank"));
    }
    crate::model::check_text(field, text, crate::model::SHORT_TEXT)?;
    Ok(text.to_string())
}
