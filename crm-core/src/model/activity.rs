//! Activities: the record of every call, email, visit, meeting and note.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::{
    Access, ActivityId, CustomFields, IndexKeys, LONG_TEXT, Meta, Record, RecordKey, TeamId,
    UserId, check_text,
};

/// What kind of contact an activity records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// A phone call.
    #[default]
    Call,
    /// An email.
    Email,
    /// A visit.
    Visit,
    /// A meeting.
    Meeting,
    /// A note.
    Note,
}

/// One communication with a lead, customer, contact, opportunity or ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// The activity's id.
    pub id: ActivityId,
    /// Version, times, creator, shares.
    #[serde(flatten)]
    pub meta: Meta,
    /// Call, email, visit, meeting or note.
    pub kind: ActivityKind,
    /// The record it is about.
    pub subject: RecordKey,
    /// What was said or done.
    pub summary: String,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// Who did it.
    pub by: UserId,
    /// Their team.
    pub team: Option<TeamId>,
    /// When to follow up next.
    pub next_follow_up_at: Option<DateTime<Utc>>,
    /// Custom values.
    #[serde(default)]
    pub custom: CustomFields,
}

/// What a new activity is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct NewActivity {
    /// Call, email, visit, meeting or note.
    pub kind: ActivityKind,
    /// The record it is about.
    pub subject: RecordKey,
    /// What was said or done.
    pub summary: String,
    /// When it happened (defaults to now).
    pub occurred_at: Option<DateTime<Utc>>,
    /// When to follow up next (for a lead, defaults to now + the configured
    /// follow-up interval).
    pub next_follow_up_at: Option<DateTime<Utc>>,
    /// Custom values.
    pub custom: CustomFields,
}

impl NewActivity {
    /// An activity of `kind` about `subject`, with a summary.
    pub fn new(
        kind: ActivityKind,
        subject: impl Into<RecordKey>,
        summary: impl Into<String>,
    ) -> Self {
        NewActivity {
            kind,
            subject: subject.into(),
            summary: summary.into(),
            occurred_at: None,
            next_follow_up_at: None,
            custom: CustomFields::new(),
        }
    }
}

impl Record for Activity {
    const KIND: crate::model::EntityKind = crate::model::EntityKind::Activity;
    const PROTECTED: &'static [&'static str] = &["subject", "by"];

    record_basics!(Activity);

    fn access(&self) -> Access {
        Access {
            owners: vec![self.by.clone()],
            team: self.team.clone(),
            region: None,
        }
    }

    fn index(&self) -> IndexKeys {
        IndexKeys {
            owner: Some(self.by.clone()),
            team: self.team.clone(),
            due_at: self.next_follow_up_at,
            parent: Some(self.subject.clone()),
            ..IndexKeys::default()
        }
    }

    fn validate(&self) -> Result<()> {
        check_text("summary", &self.summary, LONG_TEXT)
    }
}
