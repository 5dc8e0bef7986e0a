//! The service desk on top of the ticket lifecycle: SLA states, escalation,
//! satisfaction surveys. (Tickets are opened, routed and moved in
//! `service.rs`; their SLA clocks and survey come back on `Ticket.sla` and
//! `Ticket.survey`.)

use std::time::SystemTime;

use crate::access::Actor;
use crate::clock::from_system_time_opt;
use crate::engine::{FfiCrm, actor};
use crate::error::CrmError;
use crate::model::{SurveyAnswer, Ticket};
use crate::sla::{TargetState, TicketEscalation};

#[uniffi::export(name = "Crm")]
impl FfiCrm {
    /// Applies the escalation steps due at `now` (default: the engine's
    /// clock) on the tickets the actor may assign, in one commit:
    /// notifications go to the outbox (`sla_escalation`, to the assignee or
    /// the group's supervisor), and `ASSIGN_SUPERVISOR` gives the ticket to
    /// the supervisor. Each ticket gets an `escalate` event listing its
    /// steps; each step is done once, so a second call at the same time
    /// returns nothing.
    ///
    /// # Errors
    ///
    /// `Validation` on `now` when the time is out of range; `Config` when a
    /// ticket's calendar is no longer configured.
    #[uniffi::method(default(now = None))]
    pub fn escalate(
        &self,
        actor: Actor,
        now: Option<SystemTime>,
    ) -> Result<Vec<TicketEscalation>, CrmError> {
        let actor = self::actor(actor)?;
        let now = from_system_time_opt("now", now)?;
        let mut engine = self.engine()?;
        let now = now.unwrap_or_else(|| engine.now());
        let done = engine.escalate(&actor, now)?;
        Ok(done.into_iter().map(TicketEscalation::from).collect())
    }

    /// A ticket's SLA targets at `now` (default: the engine's clock): status,
    /// working minutes used and left, due time; empty when no policy
    /// applies.
    ///
    /// # Errors
    ///
    /// `Validation` on `ticket_id` for a malformed id, on `now` when the
    /// time is out of range; `NotFound`, `Forbidden` (read); `Config` when
    /// the ticket's calendar is no longer configured.
    #[uniffi::method(default(now = None))]
    pub fn ticket_sla(
        &self,
        actor: Actor,
        id: String,
        now: Option<SystemTime>,
    ) -> Result<Vec<TargetState>, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        let now = from_system_time_opt("now", now)?;
        let engine = self.engine()?;
        let now = now.unwrap_or_else(|| engine.now());
        let states = engine.ticket_sla(&actor, id, now)?;
        Ok(states.into_iter().map(TargetState::from).collect())
    }

    /// Records a customer's answer to a ticket's survey (or a rating given
    /// when it was resolved or closed). A CSAT or NPS answer at or below the
    /// configured thresholds (`sla.survey.low_csat`, `low_nps`), or a
    /// complaint, creates a follow-up task for the group's supervisor (the
    /// assignee when there is none), in the same commit: its id is
    /// `survey.followUp`.
    ///
    /// # Errors
    ///
    /// `Validation` on `csat` (not 1-5), `nps` (not 0-10), `feedback` (not
    /// one of the names), `survey` (nothing answered, or answered already),
    /// `ticket` (not resolved or closed), `comment` (too long); `NotFound`,
    /// `Forbidden`.
    pub fn answer_survey(
        &self,
        actor: Actor,
        id: String,
        answer: SurveyAnswer,
    ) -> Result<Ticket, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        let answer = answer.try_into()?;
        Ok(self.engine()?.answer_survey(&actor, id, answer)?.into())
    }
}
