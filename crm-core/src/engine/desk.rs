//! The service desk on top of the ticket lifecycle: SLA clocks that follow
//! the ticket's status, escalation, satisfaction surveys, and the desk's
//! items in `due_work`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Crm, DueItem, DueKind, Note};
use crate::access::{Actor, Permission};
use crate::error::{Error, Result};
use crate::model::Record;
use crate::model::{
    AnyRecord, Customer, EntityKind, FeedbackKind, LONG_TEXT, RecordKey, Survey, Task, TaskId,
    TaskPriority, TeamId, Ticket, TicketId, UserId, check_opt_text,
};
use crate::sla::{EscalationAction, EscalationRule, Target, TargetState};
use crate::store::{Query, Store};

/// A customer's answer to a ticket's satisfaction survey.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SurveyAnswer {
    /// Satisfaction with the ticket, 1 to 5.
    pub csat: Option<u8>,
    /// How likely they are to recommend us, 0 to 10.
    pub nps: Option<u8>,
    /// What kind of feedback it is.
    pub feedback: Option<FeedbackKind>,
    /// In their words.
    pub comment: Option<String>,
}

/// An escalation step applied to a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketEscalation {
    /// The ticket.
    pub ticket: TicketId,
    /// The target that is late.
    pub target: Target,
    /// The step's threshold, in percent of the target.
    pub at_percent: u32,
    /// What was done.
    pub action: EscalationAction,
    /// Who was notified or given the ticket (`None`: nobody to tell, e.g. a
    /// group without a supervisor).
    pub to: Option<UserId>,
}

impl<S: Store> Crm<S> {
    /// A ticket entered `state`: its SLA clocks follow, and closing
    /// schedules its survey (when surveys are configured).
    pub(super) fn ticket_entered(
        &self,
        ticket: &mut Ticket,
        state: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if let Some(sla) = &mut ticket.sla {
            sla.enter(&self.config.sla, state, now)?;
        }
        if state == "closed" {
            if let Some(delay) = crate::sla::survey_delay(&self.config.sla) {
                match &mut ticket.survey {
                    // Closed again after a reopening: the survey waits again.
                    Some(survey) if survey.answered_at.is_none() => survey.due_at = now + delay,
                    Some(_) => {}
                    None => ticket.survey = Some(blank_survey(now + delay)),
                }
            }
        }
        Ok(())
    }

    /// A ticket's SLA targets at `now`: status, working minutes used and
    /// left, due time (empty when no policy applies).
    ///
    /// # Errors
    ///
    /// As [`Crm::get`]; [`Error::Config`] when the ticket's calendar is no
    /// longer configured.
    pub fn ticket_sla(
        &self,
        actor: &Actor,
        id: TicketId,
        now: DateTime<Utc>,
    ) -> Result<Vec<TargetState>> {
        let ticket: Ticket = self.get(actor, id)?;
        match &ticket.sla {
            Some(sla) => sla.state(&self.config.sla, now),
            None => Ok(Vec::new()),
        }
    }

    /// Applies the escalation steps due at `now` on the tickets the actor
    /// may assign, in one commit: notifications go to the outbox
    /// (`sla_escalation`, to the assignee or the group's supervisor), and
    /// `assign_supervisor` gives the ticket to the supervisor. Each ticket
    /// gets an `escalate` event listing its steps; each step is done once.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when a ticket's calendar is no longer configured.
    pub fn escalate(&mut self, actor: &Actor, now: DateTime<Utc>) -> Result<Vec<TicketEscalation>> {
        let query = Query::new(EntityKind::Ticket).due_before(now + Duration::seconds(1));
        let mut plans = Vec::new();
        for record in self.list(actor, &query)? {
            let AnyRecord::Ticket(ticket) = record else {
                continue;
            };
            let Some(sla) = &ticket.sla else { continue };
            let due: Vec<(Target, EscalationRule)> = sla
                .due_escalations(&self.config.sla, now)?
                .into_iter()
                .map(|(target, rule)| (target, rule.clone()))
                .collect();
            if due.is_empty() || self.authorize(actor, Permission::Assign, &ticket).is_err() {
                continue;
            }
            plans.push((ticket, due));
        }
        let mut done = Vec::new();
        let mut tx = self.begin(actor);
        for (before, due) in plans {
            let supervisor = self.supervisor_of(before.group.as_ref())?;
            let mut after = before.clone();
            let mut steps = Vec::new();
            for (target, rule) in &due {
                let to = match rule.action {
                    EscalationAction::NotifyAssignee => {
                        after.assignee.clone().or_else(|| supervisor.clone())
                    }
                    EscalationAction::NotifySupervisor | EscalationAction::AssignSupervisor => {
                        supervisor.clone()
                    }
                };
                if rule.action == EscalationAction::AssignSupervisor {
                    if let Some(boss) = &supervisor {
                        after.assignee = Some(boss.clone());
                    }
                }
                let step = TicketEscalation {
                    ticket: before.id,
                    target: *target,
                    at_percent: rule.at_percent,
                    action: rule.action,
                    to,
                };
                steps.push(step.clone());
                done.push(step);
            }
            if let Some(sla) = &mut after.sla {
                sla.escalated(&self.config.sla, &due, tx.now)?;
            }
            let note = Note {
                action: "escalate",
                reason: None,
                payload: json!({ "steps": steps }),
            };
            let written = self.put(&mut tx, Some(&before), after, note)?;
            let event = tx
                .changes
                .events
                .last()
                .map(|e| e.id)
                .ok_or_else(|| Error::invalid("ticket", "was not written"))?;
            for step in &steps {
                self.emit(
                    &mut tx,
                    written.key(),
                    event,
                    "sla_escalation",
                    step.to.clone(),
                    json!({
                        "target": step.target,
                        "at_percent": step.at_percent,
                        "action": step.action,
                    }),
                );
            }
        }
        self.finish(tx)?;
        Ok(done)
    }

    /// Records a customer's answer to a ticket's survey (or a rating given
    /// when it was resolved or closed). A CSAT or NPS answer at or below the
    /// configured thresholds, or a complaint, creates a follow-up task for
    /// the group's supervisor (the assignee when there is none), in the same
    /// commit.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `csat` (not 1-5), `nps` (not 0-10), `survey`
    /// (nothing answered, or answered already), `ticket` (not resolved or
    /// closed), `comment` (too long); [`Error::NotFound`],
    /// [`Error::Forbidden`].
    pub fn answer_survey(
        &mut self,
        actor: &Actor,
        id: TicketId,
        answer: SurveyAnswer,
    ) -> Result<Ticket> {
        if let Some(csat) = answer.csat.filter(|c| !(1..=5).contains(c)) {
            return Err(Error::invalid("csat", "is a score from 1 to 5").with_value(csat));
        }
        if let Some(nps) = answer.nps.filter(|n| *n > 10) {
            return Err(Error::invalid("nps", "is a score from 0 to 10").with_value(nps));
        }
        let comment = answer
            .comment
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty());
        check_opt_text("comment", &comment, LONG_TEXT)?;
        if answer.csat.is_none()
            && answer.nps.is_none()
            && answer.feedback.is_none()
            && comment.is_none()
        {
            return Err(Error::invalid(
                "survey",
                "an answer needs a score, feedback or a comment",
            ));
        }
        let before: Ticket = self.load(&RecordKey::from(id))?;
        self.authorize(actor, Permission::Edit, &before)?;
        if !matches!(before.status.as_str(), "resolved" | "closed") {
            return Err(
                Error::invalid("ticket", "is surveyed once it is resolved or closed")
                    .with_value(&before.status),
            );
        }
        if before
            .survey
            .as_ref()
            .is_some_and(|s| s.answered_at.is_some())
        {
            return Err(Error::invalid("survey", "was answered already").with_value(id));
        }
        let mut tx = self.begin(actor);
        let thresholds = self.config.sla.surveys();
        let low = answer.csat.is_some_and(|c| c <= thresholds.low_csat)
            || answer.nps.is_some_and(|n| n <= thresholds.low_nps)
            || answer.feedback == Some(FeedbackKind::Complaint);
        let mut survey = before
            .survey
            .clone()
            .unwrap_or_else(|| blank_survey(tx.now));
        survey.answered_at = Some(tx.now);
        survey.csat = answer.csat;
        survey.nps = answer.nps;
        survey.feedback = answer.feedback;
        survey.comment = comment;
        if low {
            let supervisor = self.supervisor_of(before.group.as_ref())?;
            let assignee = supervisor.or_else(|| before.assignee.clone());
            let task = Task {
                id: TaskId::from_uuid(self.next_id(tx.now)),
                meta: self.new_meta(&tx),
                title: format!("Follow up an unhappy customer: {}", before.subject),
                description: survey.comment.clone(),
                status: self.initial_state(EntityKind::Task)?,
                priority: TaskPriority::Important,
                assignee,
                team: before.group.clone(),
                due_at: Some(tx.now + Duration::hours(24)),
                related: Some(before.key()),
                log: Vec::new(),
                custom: Default::default(),
            };
            survey.follow_up = Some(task.id);
            self.put(&mut tx, None, task, Note::action("create"))?;
        }
        let mut after = before.clone();
        after.survey = Some(survey);
        let note = Note {
            action: "survey",
            reason: None,
            payload: json!({ "low": low }),
        };
        let after = self.put(&mut tx, Some(&before), after, note)?;
        // The loyalty program's bonus for answering, once per ticket.
        if let Some(customer) = after.customer {
            if self.config.loyalty.bonuses.contains_key("survey_answered") {
                let record: Customer = self.load(&RecordKey::from(customer))?;
                self.bonus_in(&mut tx, record, "survey_answered", Some(&id.to_string()))?;
            }
        }
        self.finish(tx)?;
        Ok(after)
    }

    /// The desk's items for `due_work`: SLA targets due before `until` or
    /// breached, escalation steps due, and surveys to send; for the assignee,
    /// or the group's supervisor when there is none.
    pub(super) fn desk_work(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<(UserId, DueItem)>> {
        let mut out = Vec::new();
        let mut supervisors: HashMap<Option<TeamId>, Option<UserId>> = HashMap::new();
        let query = Query::new(EntityKind::Ticket).due_before(until);
        for record in self.list(actor, &query)? {
            let AnyRecord::Ticket(ticket) = &record else {
                continue;
            };
            let supervisor = match supervisors.get(&ticket.group) {
                Some(known) => known.clone(),
                None => {
                    let found = self.supervisor_of(ticket.group.as_ref())?;
                    supervisors.insert(ticket.group.clone(), found.clone());
                    found
                }
            };
            let handler = ticket.assignee.clone().or_else(|| supervisor.clone());
            if let Some(sla) = &ticket.sla {
                for clock in &sla.clocks {
                    let (Some(due), Some(user)) = (clock.due_at, &handler) else {
                        continue;
                    };
                    if due < until {
                        out.push((
                            user.clone(),
                            DueItem {
                                subject: record.key(),
                                kind: DueKind::Sla,
                                title: format!("{}: {}", ticket.subject, clock.target.as_str()),
                                due_at: due,
                                overdue: due < now,
                                care: None,
                            },
                        ));
                    }
                }
                for (target, rule) in sla.due_escalations(&self.config.sla, now)? {
                    let to = match rule.action {
                        EscalationAction::NotifyAssignee => handler.clone(),
                        _ => supervisor.clone(),
                    };
                    if let Some(user) = to {
                        out.push((
                            user,
                            DueItem {
                                subject: record.key(),
                                kind: DueKind::Escalation,
                                title: format!(
                                    "{}: {} at {} %",
                                    ticket.subject,
                                    target.as_str(),
                                    rule.at_percent
                                ),
                                due_at: sla.next_check_at.unwrap_or(now).min(now),
                                overdue: true,
                                care: None,
                            },
                        ));
                    }
                }
            }
            if let (Some(survey), Some(user)) = (&ticket.survey, &handler) {
                if survey.answered_at.is_none() && survey.due_at < until {
                    out.push((
                        user.clone(),
                        DueItem {
                            subject: record.key(),
                            kind: DueKind::Survey,
                            title: format!("Survey: {}", ticket.subject),
                            due_at: survey.due_at,
                            overdue: survey.due_at < now,
                            care: None,
                        },
                    ));
                }
            }
        }
        Ok(out)
    }
}

fn blank_survey(due_at: DateTime<Utc>) -> Survey {
    Survey {
        due_at,
        answered_at: None,
        csat: None,
        nps: None,
        feedback: None,
        comment: None,
        follow_up: None,
    }
}
