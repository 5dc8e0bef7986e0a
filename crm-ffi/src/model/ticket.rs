//! Tickets: service requests after the sale.

use std::time::SystemTime;

use crm::Error as CoreError;
use crm::FeedbackKind;
use crm::NewTicket as CoreNewTicket;
use crm::Survey as CoreSurvey;
use crm::SurveyAnswer as CoreSurveyAnswer;
use crm::Ticket as CoreTicket;

use crate::clock::{date_text, parse_date, to_system_time, to_system_time_opt};
use crate::model::ids::opt_text;
use crate::model::{
    RecordKey, Share, custom_json, opt_team, parse_custom, parse_name_or_default, shares,
};
use crate::sla::TicketSla;

/// A service ticket.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Ticket {
    /// The ticket's id.
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
    /// What it is about, in a line.
    pub subject: String,
    /// The lifecycle state: `new`, `assigned`, `in_progress`,
    /// `awaiting_customer`, `resolved`, `closed`, `reopened`.
    pub status: String,
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: String,
    /// The category (complaint, repair, question, ...).
    pub category: Option<String>,
    /// The channel it came in by.
    pub channel: Option<String>,
    /// The customer.
    pub customer: Option<String>,
    /// The contact who raised it.
    pub contact: Option<String>,
    /// The service group handling it.
    pub group: Option<String>,
    /// The agent handling it.
    pub assignee: Option<String>,
    /// How it was resolved.
    pub resolution: Option<String>,
    /// How many times it was reopened.
    pub reopen_count: u32,
    /// When it was last resolved.
    pub resolved_at: Option<SystemTime>,
    /// When it was closed.
    pub closed_at: Option<SystemTime>,
    /// Custom values as JSON text.
    pub custom_json: String,
    /// The id of the contract it is about.
    pub contract: Option<String>,
    /// The order it is about (the host's reference).
    pub order: Option<String>,
    /// The last day of the warranty of what it is about, `YYYY-MM-DD`.
    pub warranty_until: Option<String>,
    /// Why the request is outside warranty or contract scope, when it is
    /// (set when the ticket is opened: `"the warranty ended on 2026-02-28"`).
    pub out_of_scope: Option<String>,
    /// Its SLA clocks (set by the engine from the configured policies;
    /// `null` when none applies).
    pub sla: Option<TicketSla>,
    /// Its satisfaction survey (scheduled when it is closed, when surveys
    /// are configured).
    pub survey: Option<Survey>,
}

impl From<CoreTicket> for Ticket {
    fn from(ticket: CoreTicket) -> Self {
        Ticket {
            id: ticket.id.to_string(),
            version: ticket.meta.version,
            created_at: to_system_time(ticket.meta.created_at),
            updated_at: to_system_time(ticket.meta.updated_at),
            created_by: ticket.meta.created_by.to_string(),
            shares: shares(&ticket.meta),
            merged_into: ticket.meta.merged_into.map(RecordKey::from),
            subject: ticket.subject,
            status: ticket.status,
            priority: ticket.priority.to_string(),
            category: ticket.category,
            channel: ticket.channel,
            customer: opt_text(ticket.customer),
            contact: opt_text(ticket.contact),
            group: opt_text(ticket.group),
            assignee: opt_text(ticket.assignee),
            resolution: ticket.resolution,
            reopen_count: ticket.reopen_count,
            resolved_at: to_system_time_opt(ticket.resolved_at),
            closed_at: to_system_time_opt(ticket.closed_at),
            custom_json: custom_json(&ticket.custom),
            contract: opt_text(ticket.contract),
            order: ticket.order,
            warranty_until: ticket.warranty_until.map(date_text),
            out_of_scope: ticket.out_of_scope,
            sla: ticket.sla.map(TicketSla::from),
            survey: ticket.survey.map(Survey::from),
        }
    }
}

/// What a new ticket is made of.
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct NewTicket {
    /// What it is about, in a line.
    pub subject: String,
    /// `low`, `normal` (the default), `high` or `urgent`.
    #[uniffi(default)]
    pub priority: Option<String>,
    /// The category.
    #[uniffi(default)]
    pub category: Option<String>,
    /// The channel it came in by.
    #[uniffi(default)]
    pub channel: Option<String>,
    /// The customer's id.
    #[uniffi(default)]
    pub customer: Option<String>,
    /// The id of the contact who raised it.
    #[uniffi(default)]
    pub contact: Option<String>,
    /// The service group to handle it (default: the opener's team).
    #[uniffi(default)]
    pub group: Option<String>,
    /// The id of the contract it is about (one not in force is flagged in
    /// `outOfScope`).
    #[uniffi(default)]
    pub contract: Option<String>,
    /// The order it is about (the host's reference).
    #[uniffi(default)]
    pub order: Option<String>,
    /// The last day of the warranty of what it is about, `YYYY-MM-DD` (an
    /// ended one is flagged in `outOfScope`).
    #[uniffi(default)]
    pub warranty_until: Option<String>,
    /// Custom values as JSON text (`null`: none).
    #[uniffi(default)]
    pub custom_json: Option<String>,
}

impl TryFrom<NewTicket> for CoreNewTicket {
    type Error = CoreError;

    fn try_from(new: NewTicket) -> Result<Self, CoreError> {
        Ok(CoreNewTicket {
            subject: new.subject,
            priority: parse_name_or_default(new.priority)?,
            category: new.category,
            channel: new.channel,
            customer: new.customer.map(|id| id.parse()).transpose()?,
            contact: new.contact.map(|id| id.parse()).transpose()?,
            group: opt_team(new.group)?,
            contract: new.contract.map(|id| id.parse()).transpose()?,
            order: new.order,
            warranty_until: new
                .warranty_until
                .map(|d| parse_date("warranty_until", &d))
                .transpose()?,
            custom: parse_custom(new.custom_json)?,
        })
    }
}

/// What a customer said about the service: `"inquiry"`, `"suggestion"`,
/// `"complaint"` or `"praise"` (the canonical names).
fn feedback_name(kind: FeedbackKind) -> String {
    match kind {
        FeedbackKind::Inquiry => "inquiry",
        FeedbackKind::Suggestion => "suggestion",
        FeedbackKind::Complaint => "complaint",
        FeedbackKind::Praise => "praise",
    }
    .to_owned()
}

/// The feedback kind named `name`.
///
/// # Errors
///
/// A validation error on `feedback` listing the names.
fn parse_feedback(name: &str) -> Result<FeedbackKind, CoreError> {
    Ok(match name {
        "inquiry" => FeedbackKind::Inquiry,
        "suggestion" => FeedbackKind::Suggestion,
        "complaint" => FeedbackKind::Complaint,
        "praise" => FeedbackKind::Praise,
        _ => {
            let shown: String = name.chars().take(40).collect();
            return Err(CoreError::invalid(
                "feedback",
                "is not one of inquiry, suggestion, complaint, praise",
            )
            .with_value(shown));
        }
    })
}

/// A ticket's satisfaction survey: due some time after closing, answered
/// with a CSAT (1-5), an NPS answer (0-10) and typed feedback.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Survey {
    /// When it is to be sent.
    pub due_at: SystemTime,
    /// When it was answered.
    pub answered_at: Option<SystemTime>,
    /// Satisfaction with the ticket, 1 (very unhappy) to 5.
    pub csat: Option<u8>,
    /// How likely they are to recommend us, 0 to 10.
    pub nps: Option<u8>,
    /// What kind of feedback they gave: `"inquiry"`, `"suggestion"`,
    /// `"complaint"` or `"praise"`.
    pub feedback: Option<String>,
    /// In their words.
    pub comment: Option<String>,
    /// The id of the follow-up task a low score or a complaint created.
    pub follow_up: Option<String>,
}

impl From<CoreSurvey> for Survey {
    fn from(survey: CoreSurvey) -> Self {
        Survey {
            due_at: to_system_time(survey.due_at),
            answered_at: to_system_time_opt(survey.answered_at),
            csat: survey.csat,
            nps: survey.nps,
            feedback: survey.feedback.map(feedback_name),
            comment: survey.comment,
            follow_up: opt_text(survey.follow_up),
        }
    }
}

/// A customer's answer to a ticket's satisfaction survey (`answerSurvey`);
/// at least one field is given.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct SurveyAnswer {
    /// Satisfaction with the ticket, 1 to 5.
    #[uniffi(default)]
    pub csat: Option<u8>,
    /// How likely they are to recommend us, 0 to 10.
    #[uniffi(default)]
    pub nps: Option<u8>,
    /// What kind of feedback it is: `"inquiry"`, `"suggestion"`,
    /// `"complaint"` or `"praise"`.
    #[uniffi(default)]
    pub feedback: Option<String>,
    /// In their words.
    #[uniffi(default)]
    pub comment: Option<String>,
}

impl TryFrom<SurveyAnswer> for CoreSurveyAnswer {
    type Error = CoreError;

    fn try_from(answer: SurveyAnswer) -> Result<Self, CoreError> {
        Ok(CoreSurveyAnswer {
            csat: answer.csat,
            nps: answer.nps,
            feedback: answer.feedback.as_deref().map(parse_feedback).transpose()?,
            comment: answer.comment,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feedback_names_are_canonical() {
        for kind in [
            FeedbackKind::Inquiry,
            FeedbackKind::Suggestion,
            FeedbackKind::Complaint,
            FeedbackKind::Praise,
        ] {
            let name = feedback_name(kind);
            assert_eq!(serde_json::to_value(kind).unwrap(), name.as_str());
            assert_eq!(parse_feedback(&name).unwrap(), kind);
        }
        let err = parse_feedback("rant").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid feedback: is not one of inquiry, suggestion, complaint, praise (got `rant`)"
        );
    }
}
