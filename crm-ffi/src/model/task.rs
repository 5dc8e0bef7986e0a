//! Tasks: collaboration work with a priority, a due time and a log.

use std::time::SystemTime;

use crm::Error as CoreError;
use crm::NewTask as CoreNewTask;
use crm::Task as CoreTask;
use crm::TaskLogEntry as CoreTaskLogEntry;

use crate::clock::{from_system_time_opt, to_system_time, to_system_time_opt};
use crate::model::ids::opt_text;
use crate::model::{
    RecordKey, Share, custom_json, opt_team, opt_user, parse_custom, parse_name_or_default, shares,
};

/// A collaboration task.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Task {
    /// The task's id.
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
    /// What is to be done, in a line.
    pub title: String,
    /// Details.
    pub description: Option<String>,
    /// The lifecycle state: `open`, `in_progress`, `pending_review`, `done`, `cancelled`.
    pub status: String,
    /// `normal`, `important` or `urgent`.
    pub priority: String,
    /// Who does it (`null`: a department's task, for its team's supervisor
    /// to hand out).
    pub assignee: Option<String>,
    /// The team it belongs to.
    pub team: Option<String>,
    /// When it is due.
    pub due_at: Option<SystemTime>,
    /// The record it is about.
    pub related: Option<RecordKey>,
    /// The log, oldest first.
    pub log: Vec<TaskLogEntry>,
    /// Custom values as JSON text.
    pub custom_json: String,
}

impl From<CoreTask> for Task {
    fn from(task: CoreTask) -> Self {
        Task {
            id: task.id.to_string(),
            version: task.meta.version,
            created_at: to_system_time(task.meta.created_at),
            updated_at: to_system_time(task.meta.updated_at),
            created_by: task.meta.created_by.to_string(),
            shares: shares(&task.meta),
            merged_into: task.meta.merged_into.map(RecordKey::from),
            title: task.title,
            description: task.description,
            status: task.status,
            priority: task.priority.to_string(),
            assignee: opt_text(task.assignee),
            team: opt_text(task.team),
            due_at: to_system_time_opt(task.due_at),
            related: task.related.map(RecordKey::from),
            log: task.log.into_iter().map(TaskLogEntry::from).collect(),
            custom_json: custom_json(&task.custom),
        }
    }
}

/// One line of a task's log.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TaskLogEntry {
    /// When it was written.
    pub at: SystemTime,
    /// Who wrote it.
    pub by: String,
    /// What was written.
    pub note: String,
}

impl From<CoreTaskLogEntry> for TaskLogEntry {
    fn from(entry: CoreTaskLogEntry) -> Self {
        TaskLogEntry {
            at: to_system_time(entry.at),
            by: entry.by.to_string(),
            note: entry.note,
        }
    }
}

/// What a new task is made of.
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct NewTask {
    /// What is to be done, in a line.
    pub title: String,
    /// Details.
    #[uniffi(default)]
    pub description: Option<String>,
    /// `normal` (the default), `important` or `urgent`.
    #[uniffi(default)]
    pub priority: Option<String>,
    /// Who does it (default: the creator, unless `team` is given).
    #[uniffi(default)]
    pub assignee: Option<String>,
    /// The department it is for: with no `assignee`, the team's task,
    /// unassigned, for its supervisor to hand out (default: the assignee's
    /// team).
    #[uniffi(default)]
    pub team: Option<String>,
    /// When it is due.
    #[uniffi(default)]
    pub due_at: Option<SystemTime>,
    /// The record it is about.
    #[uniffi(default)]
    pub related: Option<RecordKey>,
    /// Custom values as JSON text (`null`: none).
    #[uniffi(default)]
    pub custom_json: Option<String>,
}

impl TryFrom<NewTask> for CoreNewTask {
    type Error = CoreError;

    fn try_from(new: NewTask) -> Result<Self, CoreError> {
        Ok(CoreNewTask {
            title: new.title,
            description: new.description,
            priority: parse_name_or_default(new.priority)?,
            assignee: opt_user(new.assignee)?,
            team: opt_team(new.team)?,
            due_at: from_system_time_opt("due_at", new.due_at)?,
            related: new.related.map(TryInto::try_into).transpose()?,
            custom: parse_custom(new.custom_json)?,
        })
    }
}
