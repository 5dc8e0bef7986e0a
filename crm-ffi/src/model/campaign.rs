//! Campaigns: a segment of customers contacted for retention or win-back,
//! with a holdout group drawn at random to measure the effect
//! (`launchCampaign`, `recordCampaignContacts`, `campaignResults`; `get`,
//! `list` and `history` with kind `"campaign"`).

use std::time::SystemTime;

use crm::Campaign as CoreCampaign;
use crm::CampaignMember as CoreCampaignMember;

use crate::clock::{to_system_time, to_system_time_opt};
use crate::model::ids::opt_text;
use crate::model::{RecordKey, Share, custom_json, json_text, shares};

/// One targeted customer of a campaign.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CampaignMember {
    /// The customer's id.
    pub customer: String,
    /// Held out: not to be contacted, the baseline of the measure.
    pub holdout: bool,
    /// When they were contacted.
    pub contacted_at: Option<SystemTime>,
    /// Who contacted them.
    pub contacted_by: Option<String>,
}

impl From<CoreCampaignMember> for CampaignMember {
    fn from(member: CoreCampaignMember) -> Self {
        CampaignMember {
            customer: member.customer.to_string(),
            holdout: member.holdout,
            contacted_at: to_system_time_opt(member.contacted_at),
            contacted_by: opt_text(member.contacted_by),
        }
    }
}

/// A retention or win-back campaign.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Campaign {
    /// The campaign's id.
    pub id: String,
    /// Bumped by one on every write.
    pub version: u64,
    /// When it was created.
    pub created_at: SystemTime,
    /// When it last changed.
    pub updated_at: SystemTime,
    /// Who created it.
    pub created_by: String,
    /// Whom it is shared with.
    pub shares: Vec<Share>,
    /// The record this one was merged into, if it was.
    pub merged_into: Option<RecordKey>,
    /// The campaign's name; also what purchases name to earn its multiplier.
    pub name: String,
    /// What the treated customers are offered or told.
    pub action: Option<String>,
    /// Who runs it.
    pub owner: Option<String>,
    /// Their team.
    pub team: Option<String>,
    /// Which customers it targets: the condition as JSON text
    /// (`{"field":"tags","eq":"lapsed"}`).
    pub segment_json: String,
    /// When the members were drawn.
    pub launched_at: SystemTime,
    /// The share held out, in percent, a decimal string (`"50"`).
    pub holdout_percent: String,
    /// The seed of the holdout draw.
    pub seed: u64,
    /// How many days after contact purchases count.
    pub window_days: u32,
    /// The targeted customers, by id.
    pub members: Vec<CampaignMember>,
    /// Custom values as JSON text.
    pub custom_json: String,
}

impl From<CoreCampaign> for Campaign {
    fn from(campaign: CoreCampaign) -> Self {
        Campaign {
            id: campaign.id.to_string(),
            version: campaign.meta.version,
            created_at: to_system_time(campaign.meta.created_at),
            updated_at: to_system_time(campaign.meta.updated_at),
            created_by: campaign.meta.created_by.to_string(),
            shares: shares(&campaign.meta),
            merged_into: campaign.meta.merged_into.map(RecordKey::from),
            name: campaign.name,
            action: campaign.action,
            owner: opt_text(campaign.owner),
            team: opt_text(campaign.team),
            // A condition always has a JSON form (`null` never: it is an object).
            segment_json: json_text(&campaign.segment.to_value()).unwrap_or_else(|| "{}".into()),
            launched_at: to_system_time(campaign.launched_at),
            holdout_percent: campaign.holdout_percent.to_string(),
            seed: campaign.seed,
            window_days: campaign.window_days,
            members: campaign
                .members
                .into_iter()
                .map(CampaignMember::from)
                .collect(),
            custom_json: custom_json(&campaign.custom),
        }
    }
}
