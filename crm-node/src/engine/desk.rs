//! The service desk on top of tickets: SLA targets, escalation and
//! satisfaction surveys (the `sla` key of the config sets them up).

use napi::Env;
use napi_derive::napi;

use crm::SurveyAnswer;

use crate::access::JsActor;
use crate::clock::{TimeInput, opt_time};
use crate::convert::small;
use crate::engine::{Command, JsCrm, Pending};
use crate::model::{JsTargetState, JsTicket, JsTicketEscalation, feedback};

/// A customer's answer to a ticket's survey, for `answerSurvey`: a score, a
/// kind of feedback or a comment, at least one of them.
#[napi(object, js_name = "SurveyAnswer", object_to_js = false)]
pub struct JsSurveyAnswer {
    /// Satisfaction with the ticket, a whole number 1 (very unhappy) to 5.
    pub csat: Option<f64>,
    /// How likely they are to recommend us, a whole number 0 to 10.
    pub nps: Option<f64>,
    /// What kind of feedback it is.
    #[napi(ts_type = "'inquiry' | 'suggestion' | 'complaint' | 'praise'")]
    pub feedback: Option<String>,
    /// In their words.
    pub comment: Option<String>,
}

impl JsSurveyAnswer {
    /// The core input.
    fn into_core(self) -> crm::Result<SurveyAnswer> {
        Ok(SurveyAnswer {
            csat: self.csat.map(|value| small("csat", value)).transpose()?,
            nps: self.nps.map(|value| small("nps", value)).transpose()?,
            feedback: self.feedback.as_deref().map(feedback).transpose()?,
            comment: self.comment,
        })
    }
}

#[napi]
impl JsCrm {
    /// Applies the escalation steps due at `now` (an RFC 3339 string or a
    /// `Date`; default: the engine's clock) on the tickets the actor may
    /// assign, in one commit, each step once: `notify_assignee` and
    /// `notify_supervisor` put an `sla_escalation` message in the outbox (to
    /// the assignee, else the group's supervisor; to the supervisor), and
    /// `assign_supervisor` gives the ticket to the group's supervisor and
    /// notifies them. Each ticket escalated gets an `escalate` event listing
    /// its steps. Returns the steps applied (none when nothing is due).
    ///
    /// @example
    /// ```js
    /// const steps = crm.escalate(sue, '2026-03-02T08:25:00Z')
    /// steps[0] // { ticket, target: 'first_response', atPercent: 80, action: 'notify_assignee', to: 'tom' }
    /// ```
    ///
    /// @throws {Error} `validation` on `now` when it is not a time; `config`
    /// on `sla.calendars` when a ticket's calendar is no longer configured.
    #[napi]
    pub fn escalate(
        &self,
        env: Env,
        actor: JsActor,
        #[napi(ts_arg_type = "string | Date")] now: Option<TimeInput>,
    ) -> napi::Result<Vec<JsTicketEscalation>> {
        self.run(&env, escalate(actor, now))
    }

    /// `escalate` off the main thread: a Promise of the steps applied,
    /// rejected with the `Error` that `escalate` throws.
    #[napi(ts_return_type = "Promise<Array<TicketEscalation>>")]
    pub fn escalate_async(
        &self,
        actor: JsActor,
        #[napi(ts_arg_type = "string | Date")] now: Option<TimeInput>,
    ) -> Pending<Vec<JsTicketEscalation>> {
        self.spawn(escalate(actor, now))
    }

    /// A ticket's SLA targets at `now` (an RFC 3339 string or a `Date`;
    /// default: the engine's clock): for each, its status (`running`,
    /// `paused`, `met`, `breached`), the working minutes used and left, and
    /// when it falls due. Empty when no policy applies to the ticket. Reads
    /// only.
    ///
    /// @throws {Error} `validation` on `ticket_id` or `now`; `not_found`;
    /// `forbidden` (read); `config` on `sla.calendars` when the ticket's
    /// calendar is no longer configured.
    #[napi]
    pub fn ticket_sla(
        &self,
        env: Env,
        actor: JsActor,
        id: String,
        #[napi(ts_arg_type = "string | Date")] now: Option<TimeInput>,
    ) -> napi::Result<Vec<JsTargetState>> {
        self.run(&env, ticket_sla(actor, id, now))
    }

    /// `ticketSla` off the main thread: a Promise of the targets, rejected
    /// with the `Error` that `ticketSla` throws.
    #[napi(ts_return_type = "Promise<Array<TargetState>>")]
    pub fn ticket_sla_async(
        &self,
        actor: JsActor,
        id: String,
        #[napi(ts_arg_type = "string | Date")] now: Option<TimeInput>,
    ) -> Pending<Vec<JsTargetState>> {
        self.spawn(ticket_sla(actor, id, now))
    }

    /// Records a customer's answer to a resolved or closed ticket's survey:
    /// `{ csat?, nps?, feedback?, comment? }`. A CSAT or NPS at or below the
    /// configured thresholds (`sla.survey.low_csat`, default 2;
    /// `sla.survey.low_nps`, default 6), or a `complaint`, creates a follow-up
    /// task (priority `important`, due in 24 hours) for the group's supervisor
    /// (the assignee when there is none), in the same commit; its id is the
    /// survey's `followUp`. Returns the ticket, its `survey` answered.
    ///
    /// @example
    /// ```js
    /// const ticket = crm.answerSurvey(sue, ticketId, { csat: 2, feedback: 'complaint', comment: 'Too slow.' })
    /// ticket.survey.followUp // the follow-up task's id
    /// ```
    ///
    /// @throws {Error} `validation` on `csat` (not 1 to 5), `nps` (not 0 to
    /// 10), `feedback` (not a kind of feedback), `comment` (too long),
    /// `survey` (nothing answered, or answered already), `ticket` (not
    /// resolved or closed), `ticket_id`; `not_found`; `forbidden` (edit).
    #[napi]
    pub fn answer_survey(
        &self,
        env: Env,
        actor: JsActor,
        id: String,
        answer: JsSurveyAnswer,
    ) -> napi::Result<JsTicket> {
        self.run(&env, answer_survey(actor, id, answer))
    }

    /// `answerSurvey` off the main thread: a Promise of the ticket, rejected
    /// with the `Error` that `answerSurvey` throws.
    #[napi(ts_return_type = "Promise<Ticket>")]
    pub fn answer_survey_async(
        &self,
        actor: JsActor,
        id: String,
        answer: JsSurveyAnswer,
    ) -> Pending<JsTicket> {
        self.spawn(answer_survey(actor, id, answer))
    }
}

// The commands of the methods above, each run by its synchronous method and
// its `...Async` twin.

fn escalate(actor: JsActor, now: Option<TimeInput>) -> Command<Vec<JsTicketEscalation>> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let now = opt_time("now", now)?.unwrap_or_else(|| crm.now());
        let steps = crm.escalate(&actor, now)?;
        Ok(steps.into_iter().map(JsTicketEscalation::from).collect())
    })
}

fn ticket_sla(actor: JsActor, id: String, now: Option<TimeInput>) -> Command<Vec<JsTargetState>> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let id = id.parse()?;
        let now = opt_time("now", now)?.unwrap_or_else(|| crm.now());
        let targets = crm.ticket_sla(&actor, id, now)?;
        Ok(targets.into_iter().map(JsTargetState::from).collect())
    })
}

fn answer_survey(actor: JsActor, id: String, answer: JsSurveyAnswer) -> Command<JsTicket> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let id = id.parse()?;
        let ticket = crm.answer_survey(&actor, id, answer.into_core()?)?;
        Ok(ticket.into())
    })
}
