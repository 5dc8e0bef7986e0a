//! Campaigns: a segment of customers contacted for retention or win-back,
//! with a holdout group drawn at random to measure the effect.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::assign::Condition;
use crate::error::{Error, Result};
use crate::model::{
    Access, CampaignId, CustomFields, CustomerId, IndexKeys, LONG_TEXT, Meta, Record, SHORT_TEXT,
    TeamId, UserId, check_opt_text, check_text,
};

/// One targeted customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignMember {
    /// The customer.
    pub customer: CustomerId,
    /// Held out: not to be contacted, the baseline of the measure.
    pub holdout: bool,
    /// When they were contacted.
    pub contacted_at: Option<DateTime<Utc>>,
    /// Who contacted them.
    pub contacted_by: Option<UserId>,
}

/// A retention or win-back campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    /// The campaign's id.
    pub id: CampaignId,
    /// Version, times, creator, shares.
    #[serde(flatten)]
    pub meta: Meta,
    /// The campaign's name; also what purchases name to earn its multiplier.
    pub name: String,
    /// What the treated customers are offered or told.
    pub action: Option<String>,
    /// Who runs it.
    pub owner: Option<UserId>,
    /// Their team.
    pub team: Option<TeamId>,
    /// Which customers it targets (a condition on the customer's JSON:
    /// `stage`, `tier`, `segment`, `loyalty.level`, `custom.NAME`, ...).
    pub segment: Condition,
    /// When the members were drawn.
    pub launched_at: DateTime<Utc>,
    /// The share held out, in percent.
    pub holdout_percent: Decimal,
    /// The seed of the holdout draw.
    pub seed: u64,
    /// How many days after contact purchases count.
    pub window_days: u32,
    /// The targeted customers, by id.
    pub members: Vec<CampaignMember>,
    /// Custom values.
    #[serde(default)]
    pub custom: CustomFields,
}

impl Record for Campaign {
    const KIND: crate::model::EntityKind = crate::model::EntityKind::Campaign;
    const PROTECTED: &'static [&'static str] = &[
        "owner",
        "segment",
        "launched_at",
        "holdout_percent",
        "seed",
        "window_days",
        "members",
    ];

    record_basics!(Campaign);

    fn access(&self) -> Access {
        Access {
            owners: self.owner.iter().cloned().collect(),
            team: self.team.clone(),
            region: None,
        }
    }

    fn index(&self) -> IndexKeys {
        IndexKeys {
            owner: self.owner.clone(),
            team: self.team.clone(),
            ..IndexKeys::default()
        }
    }

    fn validate(&self) -> Result<()> {
        check_text("name", &self.name, SHORT_TEXT)?;
        check_opt_text("action", &self.action, LONG_TEXT)?;
        if self.window_days == 0 {
            return Err(Error::invalid("window_days", "must be above 0").with_value(0));
        }
        if self.holdout_percent < Decimal::ZERO || self.holdout_percent > Decimal::ONE_HUNDRED {
            return Err(Error::invalid("holdout_percent", "must be from 0 to 100")
                .with_value(self.holdout_percent.normalize()));
        }
        Ok(())
    }
}
