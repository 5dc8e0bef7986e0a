//! Customer value in the engine: RFM over the stored purchases (signed
//! contracts), written back as tiers and lifecycle stages, with events.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::access::{Actor, Permission};
use crate::engine::{Crm, Note};
use crate::error::{Error, Result};
use crate::model::{AnyRecord, Customer, EntityKind, Record, Tier};
use crate::rfm::{self, CustomerValue, Skipped};
use crate::store::Store;

/// How many customers one commit of [`Crm::refresh_customer_value`] changes.
const BATCH: usize = 500;

/// What a refresh did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueRefresh {
    /// Customers scored (with at least one purchase).
    pub scored: usize,
    /// Customers whose tier changed.
    pub tiers_changed: usize,
    /// Customers whose lifecycle stage changed.
    pub stages_changed: usize,
    /// Commits made.
    pub batches: usize,
    /// What the scoring left out.
    pub skipped: Skipped,
}

impl<S: Store> Crm<S> {
    /// Scores every customer by RFM from the stored purchases (signed
    /// contracts: their amount, at their signing time; and purchases recorded
    /// for loyalty points, less refunds) as of `as_of`, with
    /// the configured [`RfmConfig`](crate::rfm::RfmConfig), and writes back what
    /// changed, 500 customers per commit: the tier (A, B, C), the segment, and the
    /// lifecycle stage the activity signal calls for (`active`, `at_risk`,
    /// `dormant`, `churned`), reached along the lifecycle's transitions (a
    /// `value` event from the old stage to the new, naming the path, with the
    /// customer's scores, segment and signal; entering `at_risk` notifies the
    /// owner). Customers without purchases are left as they are.
    ///
    /// All contracts must be in one currency, or `value_currency` must be set
    /// (contracts in other currencies are then left out).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`] unless the actor may edit every customer it would
    /// change (checked before anything is written); [`Error::Config`] on
    /// `value_currency` when contracts are in several currencies and none is
    /// set; [`Error::Conflict`] when another command changed a customer at the
    /// same time (batches before it stay written; run it again).
    pub fn refresh_customer_value(
        &mut self,
        actor: &Actor,
        as_of: DateTime<Utc>,
    ) -> Result<ValueRefresh> {
        let (purchases, currency) = self.purchases()?;
        let mut config = self.config.customer_value.clone();
        if let Some(currency) = currency {
            config.minor_units = currency.minor_units();
        }
        let table = rfm::score(&purchases, as_of, &config)?;
        let values = table.rows();

        // Plan every change first, so a missing permission writes nothing.
        let mut plans = Vec::new();
        for value in &values {
            let key = crate::model::RecordKey::parse("customer", &value.customer)?;
            let Some(AnyRecord::Customer(customer)) = self.store.get(&key)? else {
                continue;
            };
            let tier: Tier = value.tier.parse()?;
            let path = self.stage_path(&customer.stage, stage_for(&value.signal));
            if customer.tier != Some(tier)
                || customer.segment.as_deref() != Some(value.segment.as_str())
                || !path.is_empty()
            {
                self.authorize(actor, Permission::Edit, &customer)?;
                plans.push((customer.key(), tier, path, value.clone()));
            }
        }
        let mut refresh = ValueRefresh {
            scored: values.len(),
            skipped: table.skipped,
            ..ValueRefresh::default()
        };
        for batch in plans.chunks(BATCH) {
            let mut tx = self.begin(actor);
            for (key, tier, path, value) in batch {
                let before: Customer = self.load(key)?;
                let mut after = before.clone();
                after.tier = Some(*tier);
                after.segment = Some(value.segment.clone());
                let mut reason =
                    format!("RFM {}{}{}: {}", value.r, value.f, value.m, value.segment);
                if let Some(target) = path.last().map(|(_, to)| to.clone()) {
                    // The stage moves along the lifecycle's own transitions
                    // (the path), recorded in one event from the old stage to
                    // the new; entering it runs its on-entry actions.
                    let machine = self.machine(EntityKind::Customer)?;
                    let state = machine.state(&target).cloned().ok_or_else(|| {
                        Error::config("customer.states", format!("unknown state `{target}`"))
                    })?;
                    reason = signal_reason(value);
                    after.set_state(&state.name);
                    after.entered(&state, tx.now, Some(&reason));
                    refresh.stages_changed += 1;
                }
                if before.tier != after.tier {
                    refresh.tiers_changed += 1;
                }
                let actions: Vec<&str> = path.iter().map(|(action, _)| action.as_str()).collect();
                let note = Note {
                    action: "value",
                    reason: Some(reason),
                    payload: json!({ "value": value, "as_of": as_of, "path": actions }),
                };
                // A new RFM tier may reach (or lose) a member level: the
                // account is reviewed under it and written with the refresh.
                let mut change = None;
                if before.tier != after.tier {
                    if let Some(account) = after.loyalty.as_mut() {
                        change = self.config.loyalty.review(account, after.tier, tx.now);
                    }
                }
                self.put_reviewed(&mut tx, &before, after, change.as_ref(), note, "value")?;
            }
            self.finish(tx)?;
            refresh.batches += 1;
        }
        Ok(refresh)
    }

    /// The shortest run of transitions (action, state reached) from `from` to
    /// `to` (none when equal or unreachable).
    fn stage_path(&self, from: &str, to: &str) -> Vec<(String, String)> {
        if from == to {
            return Vec::new();
        }
        let Ok(machine) = self.machine(EntityKind::Customer) else {
            return Vec::new();
        };
        let mut seen: HashMap<String, Vec<(String, String)>> = HashMap::new();
        seen.insert(from.to_string(), Vec::new());
        let mut queue = VecDeque::from([from.to_string()]);
        while let Some(state) = queue.pop_front() {
            let path = seen[&state].clone();
            for t in &machine.transitions {
                if t.from.contains(&state) && !seen.contains_key(&t.to) {
                    let mut next = path.clone();
                    next.push((t.action.clone(), t.to.clone()));
                    if t.to == to {
                        return next;
                    }
                    seen.insert(t.to.clone(), next);
                    queue.push_back(t.to.clone());
                }
            }
        }
        Vec::new()
    }
}

fn stage_for(signal: &str) -> &'static str {
    match signal {
        "at_risk" => "at_risk",
        "dormant" => "dormant",
        "churned" => "churned",
        _ => "active",
    }
}

fn signal_reason(value: &CustomerValue) -> String {
    format!(
        "{}: no purchase for {} days ({} purchases since {})",
        value.signal.replace('_', " "),
        value.recency_days,
        value.frequency,
        value.first_purchase.date_naive()
    )
}
