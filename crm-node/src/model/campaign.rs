//! Campaigns: a segment of customers contacted for retention or win-back,
//! with a holdout group drawn at random to measure the effect.

use napi_derive::napi;
use serde_json::Value;

use crm::{Campaign, CampaignMember};

use crate::clock::{opt_rfc3339, rfc3339};
use crate::convert::{custom_json, number};
use crate::model::{JsRecordKey, JsShare, MetaFields, opt_string};

/// One targeted customer of a campaign.
#[napi(
    object,
    js_name = "CampaignMember",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsCampaignMember {
    /// The customer's id.
    pub customer: String,
    /// Held out: not to be contacted, the baseline of the measure.
    pub holdout: bool,
    /// When they were contacted (RFC 3339, UTC), or `null`.
    pub contacted_at: Option<String>,
    /// Who contacted them, or `null`.
    pub contacted_by: Option<String>,
}

impl From<CampaignMember> for JsCampaignMember {
    fn from(member: CampaignMember) -> Self {
        JsCampaignMember {
            customer: member.customer.to_string(),
            holdout: member.holdout,
            contacted_at: opt_rfc3339(member.contacted_at),
            contacted_by: opt_string(member.contacted_by),
        }
    }
}

/// A retention or win-back campaign (`launchCampaign`).
#[napi(
    object,
    js_name = "Campaign",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsCampaign {
    /// The campaign's id (a UUID).
    pub id: String,
    /// Bumped by one on every write; pass it back as `expectedVersion`.
    pub version: i64,
    /// When it was launched (RFC 3339, UTC).
    pub created_at: String,
    /// When it last changed (RFC 3339, UTC).
    pub updated_at: String,
    /// Who launched it.
    pub created_by: String,
    /// Whom it is shared with.
    pub shares: Vec<JsShare>,
    /// The record this one was merged into, or `null`.
    pub merged_into: Option<JsRecordKey>,
    /// Its name; also what purchases name (`campaign`) to earn its
    /// multiplier.
    pub name: String,
    /// What the treated customers are offered or told.
    pub action: Option<String>,
    /// Who runs it.
    pub owner: Option<String>,
    /// Their team.
    pub team: Option<String>,
    /// Which customers it targets: the condition, as `launchCampaign` took
    /// it (`{ field: 'tags', eq: 'lapsed' }`).
    #[napi(ts_type = "Record<string, any>")]
    pub segment: Value,
    /// When the members were drawn (RFC 3339, UTC).
    pub launched_at: String,
    /// The share held out, in percent, a decimal string (`'50'`).
    pub holdout_percent: String,
    /// The seed of the holdout draw (exact up to 2^53 - 1, as every seed
    /// given from JS is).
    pub seed: i64,
    /// How many days after contact purchases count.
    pub window_days: u32,
    /// The targeted customers, sorted by id.
    pub members: Vec<JsCampaignMember>,
    /// Custom values, `{ key: { text: '...' } }`.
    #[napi(ts_type = "Record<string, any>")]
    pub custom: Value,
}

impl From<Campaign> for JsCampaign {
    fn from(campaign: Campaign) -> Self {
        let meta = MetaFields::from(campaign.meta);
        JsCampaign {
            id: campaign.id.to_string(),
            version: meta.version,
            created_at: meta.created_at,
            updated_at: meta.updated_at,
            created_by: meta.created_by,
            shares: meta.shares,
            merged_into: meta.merged_into,
            name: campaign.name,
            action: campaign.action,
            owner: opt_string(campaign.owner),
            team: opt_string(campaign.team),
            segment: campaign.segment.to_value(),
            launched_at: rfc3339(campaign.launched_at),
            holdout_percent: campaign.holdout_percent.to_string(),
            seed: number(campaign.seed),
            window_days: campaign.window_days,
            members: campaign
                .members
                .into_iter()
                .map(JsCampaignMember::from)
                .collect(),
            custom: custom_json(&campaign.custom),
        }
    }
}
