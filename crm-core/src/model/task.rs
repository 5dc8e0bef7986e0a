//! Tasks: collaboration work with a priority, a due time and a log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::{
    Access, CustomFields, IndexKeys, LONG_TEXT, Meta, Record, RecordKey, SHORT_TEXT, TaskId,
    TeamId, UserId, check_opt_text, check_text,
};

/// How pressing a task is.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum TaskPriority {
    /// The default.
    #[default]
    Normal,
    /// Important.
    Important,
    /// Urgent.
    Urgent,
}

/// One line of a task's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskLogEntry {
    /// When it was written.
    pub at: DateTime<Utc>,
    /// Who wrote it.
    pub by: UserId,
    /// What was written.
    pub note: String,
}

/// A collaboration task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// The task's id.
    pub id: TaskId,
    /// Version, times, creator, shares.
    #[serde(flatten)]
    pub meta: Meta,
    /// What is to be done, in a line.
    pub title: String,
    /// Details.
    pub description: Option<String>,
    /// The lifecycle state (`open`, `in_progress`, `pending_review`, `done`, `cancelled`).
    pub status: String,
    /// Urgent, important or normal.
    pub priority: TaskPriority,
    /// Who does it.
    pub assignee: Option<UserId>,
    /// The team it belongs to.
    pub team: Option<TeamId>,
    /// When it is due.
    pub due_at: Option<DateTime<Utc>>,
    /// The record it is about.
    pub related: Option<RecordKey>,
    /// The log, oldest first.
    #[serde(default)]
    pub log: Vec<TaskLogEntry>,
    /// Custom values.
    #[serde(default)]
    pub custom: CustomFields,
}

/// What a new task is made of.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewTask {
    /// What is to be done, in a line.
    pub title: String,
    /// Details.
    pub description: Option<String>,
    /// Urgent, important or normal.
    pub priority: TaskPriority,
    /// Who does it (defaults to the creator, unless a team is given).
    pub assignee: Option<UserId>,
    /// The department it is for: with no assignee, the team's task, for its
    /// supervisor to hand out (defaults to the assignee's team).
    pub team: Option<TeamId>,
    /// When it is due.
    pub due_at: Option<DateTime<Utc>>,
    /// The record it is about.
    pub related: Option<RecordKey>,
    /// Custom values.
    pub custom: CustomFields,
}

impl Record for Task {
    const KIND: crate::model::EntityKind = crate::model::EntityKind::Task;
    const PROTECTED: &'static [&'static str] = &["status", "assignee", "log"];

    record_basics!(Task, status);

    fn access(&self) -> Access {
        let mut owners: Vec<UserId> = self.assignee.iter().cloned().collect();
        if self.assignee.as_ref() != Some(&self.meta.created_by) {
            owners.push(self.meta.created_by.clone());
        }
        Access {
            owners,
            team: self.team.clone(),
            region: None,
        }
    }

    fn index(&self) -> IndexKeys {
        IndexKeys {
            owner: self.assignee.clone(),
            team: self.team.clone(),
            status: Some(self.status.clone()),
            due_at: self.due_at,
            parent: self.related.clone(),
            ..IndexKeys::default()
        }
    }

    fn validate(&self) -> Result<()> {
        check_text("title", &self.title, SHORT_TEXT)?;
        check_opt_text("description", &self.description, LONG_TEXT)?;
        self.log
            .iter()
            .try_for_each(|entry| check_text("note", &entry.note, LONG_TEXT))
    }
}
