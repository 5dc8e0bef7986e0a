//! Tasks: created, worked, reviewed.

use crate::access::Actor;
use crate::engine::{FfiCrm, actor};
use crate::error::CrmError;
use crate::model::{NewTask, Task};

#[uniffi::export(name = "Crm")]
impl FfiCrm {
    /// Creates a task, assigned to `assignee` (default: the creator).
    ///
    /// # Errors
    ///
    /// `Validation` on a blank title or an unknown `priority`; `Forbidden`.
    pub fn create_task(&self, actor: Actor, task: NewTask) -> Result<Task, CrmError> {
        let actor = self::actor(actor)?;
        let task = task.try_into()?;
        Ok(self.engine()?.create_task(&actor, task)?.into())
    }

    /// Starts a task.
    ///
    /// # Errors
    ///
    /// `InvalidTransition`, `NotFound`, `Forbidden`.
    pub fn start_task(&self, actor: Actor, id: String) -> Result<Task, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        Ok(self.engine()?.start_task(&actor, id)?.into())
    }

    /// Submits a task for review.
    ///
    /// # Errors
    ///
    /// As `startTask`.
    pub fn submit_task(&self, actor: Actor, id: String) -> Result<Task, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        Ok(self.engine()?.submit_task(&actor, id)?.into())
    }

    /// Approves a submitted task: it is done.
    ///
    /// # Errors
    ///
    /// As `startTask`.
    pub fn approve_task(&self, actor: Actor, id: String) -> Result<Task, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        Ok(self.engine()?.approve_task(&actor, id)?.into())
    }

    /// Sends a submitted task back, for a reason.
    ///
    /// # Errors
    ///
    /// `Validation` on `reason`; as `startTask`.
    pub fn reject_task(&self, actor: Actor, id: String, reason: String) -> Result<Task, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        Ok(self.engine()?.reject_task(&actor, id, &reason)?.into())
    }

    /// Cancels a task, for a reason.
    ///
    /// # Errors
    ///
    /// `Validation` on `reason`; as `startTask`.
    pub fn cancel_task(&self, actor: Actor, id: String, reason: String) -> Result<Task, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        Ok(self.engine()?.cancel_task(&actor, id, &reason)?.into())
    }

    /// Adds a line to a task's log.
    ///
    /// # Errors
    ///
    /// `Validation` on a blank or too long `note`; `NotFound`, `Forbidden`.
    pub fn add_task_note(&self, actor: Actor, id: String, note: String) -> Result<Task, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        Ok(self.engine()?.add_task_note(&actor, id, &note)?.into())
    }
}
