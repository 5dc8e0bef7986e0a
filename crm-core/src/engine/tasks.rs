//! Collaboration tasks.

use crate::access::{Actor, Permission};
use crate::engine::deals::with_reason;
use crate::engine::{Crm, Note, TransitionInput};
use crate::error::Result;
use crate::model::{
    EntityKind, LONG_TEXT, NewTask, RecordKey, Task, TaskId, TaskLogEntry, check_text,
};
use crate::store::Store;

impl<S: Store> Crm<S> {
    /// Creates a task, assigned to `assignee` (or the actor).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`](crate::Error::Forbidden) unless the actor may create the task (giving it to
    /// someone else needs assign); [`Error::Validation`](crate::Error::Validation) for a blank title;
    /// [`Error::NotFound`](crate::Error::NotFound) when `related` names a record that does not exist.
    pub fn create_task(&mut self, actor: &Actor, new: NewTask) -> Result<Task> {
        if let Some(related) = &new.related {
            self.load_any(related)?;
        }
        let mut tx = self.begin(actor);
        // A task for a department has no assignee until its supervisor picks one.
        let assignee = match (&new.assignee, &new.team) {
            (Some(user), _) => Some(user.clone()),
            (None, Some(_)) => None,
            (None, None) => Some(actor.user.clone()),
        };
        let team = match &new.team {
            Some(team) => {
                self.load::<crate::model::Team>(&RecordKey::from(team.clone()))?;
                Some(team.clone())
            }
            None => self.team_of(assignee.as_ref(), actor)?,
        };
        let task = Task {
            id: TaskId::from_uuid(self.next_id(tx.now)),
            meta: self.new_meta(&tx),
            title: new.title,
            description: new.description,
            status: self.initial_state(EntityKind::Task)?,
            priority: new.priority,
            assignee: assignee.clone(),
            team,
            due_at: new.due_at.map(crate::clock::to_micros),
            related: new.related,
            log: Vec::new(),
            custom: new.custom,
        };
        self.authorize_create(actor, &task)?;
        if assignee.as_ref() != Some(&actor.user) {
            self.authorize(actor, Permission::Assign, &task)?;
        }
        let task = self.put(&mut tx, None, task, Note::action("create"))?;
        self.finish(tx)?;
        Ok(task)
    }

    /// Starts a task.
    ///
    /// # Errors
    ///
    /// As [`Crm::transition`].
    pub fn start_task(&mut self, actor: &Actor, id: TaskId) -> Result<Task> {
        self.transition_typed(actor, id.into(), "start", TransitionInput::default())
    }

    /// Hands a task in for review.
    ///
    /// # Errors
    ///
    /// As [`Crm::transition`].
    pub fn submit_task(&mut self, actor: &Actor, id: TaskId) -> Result<Task> {
        self.transition_typed(actor, id.into(), "submit", TransitionInput::default())
    }

    /// Accepts a reviewed task as done.
    ///
    /// # Errors
    ///
    /// As [`Crm::transition`].
    pub fn approve_task(&mut self, actor: &Actor, id: TaskId) -> Result<Task> {
        self.transition_typed(actor, id.into(), "approve", TransitionInput::default())
    }

    /// Sends a reviewed task back, with a reason.
    ///
    /// # Errors
    ///
    /// As [`Crm::transition`]; [`Error::Validation`](crate::Error::Validation) on `reason` when blank.
    pub fn reject_task(&mut self, actor: &Actor, id: TaskId, reason: &str) -> Result<Task> {
        self.transition_typed(actor, id.into(), "reject", with_reason(reason))
    }

    /// Cancels a task, with a reason.
    ///
    /// # Errors
    ///
    /// As [`Crm::transition`]; [`Error::Validation`](crate::Error::Validation) on `reason` when blank.
    pub fn cancel_task(&mut self, actor: &Actor, id: TaskId, reason: &str) -> Result<Task> {
        self.transition_typed(actor, id.into(), "cancel", with_reason(reason))
    }

    /// Adds a line to a task's log.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::Error::NotFound), [`Error::Forbidden`](crate::Error::Forbidden) (edit), [`Error::Validation`](crate::Error::Validation)
    /// on `note` when blank or too long.
    pub fn add_task_note(&mut self, actor: &Actor, id: TaskId, note: &str) -> Result<Task> {
        check_text("note", note, LONG_TEXT)?;
        let before: Task = self.load(&RecordKey::from(id))?;
        self.authorize(actor, Permission::Edit, &before)?;
        let mut tx = self.begin(actor);
        let mut after = before.clone();
        after.log.push(TaskLogEntry {
            at: tx.now,
            by: actor.user.clone(),
            note: note.to_string(),
        });
        let after = self.put(&mut tx, Some(&before), after, Note::action("note"))?;
        self.finish(tx)?;
        Ok(after)
    }
}
