//! Activities: the record of every call, email, visit, meeting and note.

use std::time::SystemTime;

use crm::Activity as CoreActivity;
use crm::Error as CoreError;
use crm::NewActivity as CoreNewActivity;

use crate::clock::{from_system_time_opt, to_system_time, to_system_time_opt};
use crate::model::ids::opt_text;
use crate::model::{RecordKey, Share, custom_json, parse_custom, shares};

/// One communication with a lead, customer, contact, opportunity or ticket.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Activity {
    /// The activity's id.
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
    /// The record this one was merged into, if it was (`merge`; `unmerge`
    /// clears it).
    pub merged_into: Option<RecordKey>,
    /// `call`, `email`, `visit`, `meeting` or `note`.
    pub kind: String,
    /// The record it is about.
    pub subject: RecordKey,
    /// What was said or done.
    pub summary: String,
    /// When it happened.
    pub occurred_at: SystemTime,
    /// Who did it.
    pub by: String,
    /// Their team.
    pub team: Option<String>,
    /// When to follow up next.
    pub next_follow_up_at: Option<SystemTime>,
    /// Custom values as JSON text.
    pub custom_json: String,
}

impl From<CoreActivity> for Activity {
    fn from(activity: CoreActivity) -> Self {
        Activity {
            id: activity.id.to_string(),
            version: activity.meta.version,
            created_at: to_system_time(activity.meta.created_at),
            updated_at: to_system_time(activity.meta.updated_at),
            created_by: activity.meta.created_by.to_string(),
            shares: shares(&activity.meta),
            merged_into: activity.meta.merged_into.map(RecordKey::from),
            kind: activity.kind.to_string(),
            subject: activity.subject.into(),
            summary: activity.summary,
            occurred_at: to_system_time(activity.occurred_at),
            by: activity.by.to_string(),
            team: opt_text(activity.team),
            next_follow_up_at: to_system_time_opt(activity.next_follow_up_at),
            custom_json: custom_json(&activity.custom),
        }
    }
}

/// What a new activity is made of.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NewActivity {
    /// The record it is about (`RecordKey(kind = "lead", id = ...)`).
    pub subject: RecordKey,
    /// `call`, `email`, `visit`, `meeting` or `note`.
    pub kind: String,
    /// What was said or done.
    pub summary: String,
    /// When it happened (default: now).
    #[uniffi(default)]
    pub occurred_at: Option<SystemTime>,
    /// When to follow up next (for a lead, default: now plus the configured
    /// follow-up interval).
    #[uniffi(default)]
    pub next_follow_up_at: Option<SystemTime>,
    /// Custom values as JSON text (`null`: none).
    #[uniffi(default)]
    pub custom_json: Option<String>,
}

impl TryFrom<NewActivity> for CoreNewActivity {
    type Error = CoreError;

    fn try_from(new: NewActivity) -> Result<Self, CoreError> {
        let kind: crm::ActivityKind = new.kind.parse()?;
        let subject = crm::RecordKey::try_from(new.subject)?;
        let mut activity = CoreNewActivity::new(kind, subject, new.summary);
        activity.occurred_at = from_system_time_opt("occurred_at", new.occurred_at)?;
        activity.next_follow_up_at =
            from_system_time_opt("next_follow_up_at", new.next_follow_up_at)?;
        activity.custom = parse_custom(new.custom_json)?;
        Ok(activity)
    }
}
