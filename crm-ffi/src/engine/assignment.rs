//! Assignment: routing by the configured rules (with a trace of every rule
//! tried), the pool (claim, release), due work, reclaiming what was not
//! followed up, transferring a leaving user's work, and lead scores.

use std::time::SystemTime;

use crm::Error as CoreError;
use crm::RecordKey as CoreRecordKey;
use crm::{EntityKind, TeamId, UserId};

use crate::access::Actor;
use crate::assign::{DueWork, Routing, Score};
use crate::clock::from_system_time_opt;
use crate::engine::{FfiCrm, actor};
use crate::error::CrmError;
use crate::model::AnyRecord;

/// A kind of record, by its lowercase name.
///
/// # Errors
///
/// A validation error on `entity` for an unknown kind.
fn kind(kind: &str) -> Result<EntityKind, CoreError> {
    kind.parse()
}

/// An optional team id given as the argument `team`.
///
/// # Errors
///
/// A validation error on `team` for a malformed id.
fn team_arg(team: Option<String>) -> Result<Option<TeamId>, CoreError> {
    team.map(|team| TeamId::new(team).map_err(|err| err.in_field("team")))
        .transpose()
}

/// A user id given as the argument `field`.
///
/// # Errors
///
/// A validation error on `field` for a malformed id.
fn user_arg(field: &str, user: String) -> Result<UserId, CoreError> {
    UserId::new(user).map_err(|err| err.in_field(field))
}

fn routings(routings: Vec<crm::assign::Routing>) -> Vec<Routing> {
    routings.into_iter().map(Routing::from).collect()
}

#[uniffi::export(name = "Crm")]
impl FfiCrm {
    /// Routes records of `kind` by the assignment rules, in one commit: each
    /// goes to the user the first matching rule chooses, or to the pool with
    /// the reason. Returns one routing per id, in the order of `ids`, each
    /// with its trace (also kept in the record's `route` event). Leads are
    /// decided best score first.
    ///
    /// # Errors
    ///
    /// `Validation` on `entity` for an unknown kind, on `<kind>_id` for a
    /// malformed id, on `ids` for an id listed twice, on `kind` for a kind
    /// nobody owns; `NotFound`; `Forbidden` (assign);
    /// `InvalidTransition` for a closed record; `Conflict` when another
    /// command routed at the same time (retry).
    pub fn route(
        &self,
        actor: Actor,
        kind: String,
        ids: Vec<String>,
    ) -> Result<Vec<Routing>, CrmError> {
        let actor = self::actor(actor)?;
        let keys = ids
            .iter()
            .map(|id| CoreRecordKey::parse(&kind, id))
            .collect::<Result<Vec<_>, CoreError>>()?;
        Ok(routings(self.engine()?.route(&actor, &keys)?))
    }

    /// Routes one lead by the rules. See `route`.
    ///
    /// # Errors
    ///
    /// As `route`.
    pub fn route_lead(&self, actor: Actor, id: String) -> Result<Routing, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        Ok(self.engine()?.route_lead(&actor, id)?.into())
    }

    /// Routes everything in a pool of `kind` (`team`'s, or every pool), best
    /// lead first, in one commit. See `route`.
    ///
    /// # Errors
    ///
    /// `Validation` on `entity` for an unknown kind, on `team` for a
    /// malformed id; as `route`.
    #[uniffi::method(default(team = None))]
    pub fn route_pool(
        &self,
        actor: Actor,
        kind: String,
        team: Option<String>,
    ) -> Result<Vec<Routing>, CrmError> {
        let actor = self::actor(actor)?;
        let kind = self::kind(&kind)?;
        let team = team_arg(team)?;
        Ok(routings(self.engine()?.route_pool(
            &actor,
            kind,
            team.as_ref(),
        )?))
    }

    /// The open records of `kind` nobody owns (in `team`'s pool, or every
    /// pool) that the actor may see or claim: leads best score first, then
    /// oldest first.
    ///
    /// # Errors
    ///
    /// `Validation` on `entity` for an unknown kind, on `team` for a
    /// malformed id, on `kind` for a kind nobody owns (`"activity"`).
    #[uniffi::method(default(team = None))]
    pub fn pool(
        &self,
        actor: Actor,
        kind: String,
        team: Option<String>,
    ) -> Result<Vec<AnyRecord>, CrmError> {
        let actor = self::actor(actor)?;
        let kind = self::kind(&kind)?;
        let team = team_arg(team)?;
        let records = self.engine()?.pool(&actor, kind, team.as_ref())?;
        Ok(records.into_iter().map(AnyRecord::from).collect())
    }

    /// Takes a record from the pool: it becomes the actor's. Anyone who may
    /// create records of the kind may claim from their own team's pool (or
    /// from records in no team's pool); another team's pool needs the assign
    /// permission.
    ///
    /// # Errors
    ///
    /// `Validation` on `entity` or `<kind>_id`, on `owner` when someone owns
    /// it already, on `claim_limit` when the actor holds as many open records
    /// of the kind as the configured limit; `NotFound`; `Forbidden` (assign);
    /// `InvalidTransition` when it is closed.
    pub fn claim(&self, actor: Actor, kind: String, id: String) -> Result<AnyRecord, CrmError> {
        let actor = self::actor(actor)?;
        let key = CoreRecordKey::parse(&kind, &id)?;
        Ok(self.engine()?.claim(&actor, key)?.into())
    }

    /// Gives a record back to its team's pool, for a reason. Its owner may
    /// release it; anyone else needs the assign permission.
    ///
    /// # Errors
    ///
    /// `Validation` on `reason` when it is blank, on `entity` or
    /// `<kind>_id`, on `owner` when it is in the pool already; `NotFound`;
    /// `Forbidden`; `InvalidTransition` when it is closed.
    pub fn release(
        &self,
        actor: Actor,
        kind: String,
        id: String,
        reason: String,
    ) -> Result<AnyRecord, CrmError> {
        let actor = self::actor(actor)?;
        let key = CoreRecordKey::parse(&kind, &id)?;
        Ok(self.engine()?.release(&actor, key, &reason)?.into())
    }

    /// What is due per user by `now` (default: the engine's clock) plus the
    /// configured look-ahead (`due_ahead_hours`): first contacts and
    /// follow-ups of open leads, open tasks, win-backs of customers at risk
    /// or dormant (due the follow-up time after they entered that stage,
    /// `Customer.stageSince`), installments, and the service desk's tickets:
    /// SLA targets due soon or breached (`DueKind.SLA`), escalation steps not
    /// yet applied (`ESCALATION`) and surveys to send (`SURVEY`); each
    /// flagged overdue when its time is past. A department's task (a team,
    /// no assignee) is its team supervisor's. Users in id order; only records
    /// the actor may read count.
    ///
    /// # Errors
    ///
    /// `Validation` on `now` when the time is out of range; `Forbidden`
    /// unless the actor may read leads and tasks.
    #[uniffi::method(default(now = None))]
    pub fn due_work(
        &self,
        actor: Actor,
        now: Option<SystemTime>,
    ) -> Result<Vec<DueWork>, CrmError> {
        let actor = self::actor(actor)?;
        let now = from_system_time_opt("now", now)?;
        let engine = self.engine()?;
        let now = now.unwrap_or_else(|| engine.now());
        let work = engine.due_work(&actor, now)?;
        Ok(work.into_iter().map(DueWork::from).collect())
    }

    /// Takes back the leads not contacted in time by `now` (default: the
    /// engine's clock), in one commit: to the pool or to the next user by the
    /// rules, as the configuration's `reclaim` policy says. Each gets a
    /// `reclaim` event naming the owner it was taken from and why; leads the
    /// actor may not assign are left alone.
    ///
    /// # Errors
    ///
    /// `Validation` on `now` when the time is out of range; `Conflict` when
    /// another command changed one at the same time (retry).
    #[uniffi::method(default(now = None))]
    pub fn reclaim_overdue(
        &self,
        actor: Actor,
        now: Option<SystemTime>,
    ) -> Result<Vec<Routing>, CrmError> {
        let actor = self::actor(actor)?;
        let now = from_system_time_opt("now", now)?;
        let mut engine = self.engine()?;
        let now = now.unwrap_or_else(|| engine.now());
        Ok(routings(engine.reclaim_overdue(&actor, now)?))
    }

    /// Moves every open item of `fromUser` (leads, customers, contacts,
    /// deals, contracts, tickets, tasks) to others in one commit, for a
    /// reason, with a `transfer` event each: to `to` when given; otherwise by
    /// the rules for the kinds they route (never back to `fromUser`), and to
    /// the pool for the rest.
    ///
    /// # Errors
    ///
    /// `Validation` on `reason` when it is blank, on `from` or `to` for a
    /// malformed user id, on `to` when it is `fromUser`; `Forbidden` unless
    /// the actor may assign every item.
    #[uniffi::method(default(to = None))]
    pub fn transfer_work(
        &self,
        actor: Actor,
        from_user: String,
        reason: String,
        to: Option<String>,
    ) -> Result<Vec<Routing>, CrmError> {
        let actor = self::actor(actor)?;
        let from = user_arg("from", from_user)?;
        let to = to.map(|to| user_arg("to", to)).transpose()?;
        let moved = self
            .engine()?
            .transfer_work(&actor, &from, to.as_ref(), &reason)?;
        Ok(routings(moved))
    }

    /// Scores a lead by the configured points rules (`lead_scoring`), stores
    /// the score as its `qualityScore`, and says which rules gave what (also
    /// in the `score` event).
    ///
    /// # Errors
    ///
    /// `Validation` on `lead_id`; `NotFound`; `Forbidden` (edit).
    pub fn score_lead(&self, actor: Actor, id: String) -> Result<Score, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        Ok(self.engine()?.score_lead(&actor, id)?.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assign::{SkipReason, StepResult};
    use crate::model::{Absence, NewLead, UserInput};

    const CONFIG: &str = r#"{
        "assignment": { "rules": [
            { "name": "east", "when": { "field": "region", "eq": "east" }, "users": ["ana", "bo"] }
        ] },
        "lead_scoring": { "base": 10, "rules": [
            { "name": "referral", "when": { "field": "source", "eq": "referral" }, "points": 50 },
            { "name": "cold", "when": { "field": "source", "eq": "cold_call" }, "points": -5 }
        ] }
    }"#;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs)
    }

    const START: u64 = 1_767_603_600; // 2026-01-05T09:00:00Z

    fn admin() -> Actor {
        Actor {
            user: "root".into(),
            roles: vec!["admin".into()],
            team: None,
            region: None,
        }
    }

    fn user(crm: &FfiCrm, id: &str, away: Vec<Absence>) {
        crm.save_user(
            admin(),
            UserInput {
                id: id.into(),
                name: id.into(),
                email: None,
                team: None,
                region: None,
                product_lines: vec![],
                roles: vec!["sales".into()],
                active: true,
                away,
            },
        )
        .unwrap();
    }

    fn validation_fields(err: CrmError) -> Vec<String> {
        match err {
            CrmError::Validation { fields, .. } => fields,
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn a_bad_configuration_names_its_path() {
        for (json, path) in [
            ("{", "config"),
            (r#"{ "claim_limt": 2 }"#, "config"),
            (r#"{ "claim_limit": "two" }"#, "claim_limit"),
        ] {
            match FfiCrm::new(None, None, Some(json.into())).unwrap_err() {
                CrmError::Config { path: got, .. } => assert_eq!(got, path, "{json}"),
                other => panic!("not a config error: {other:?}"),
            }
        }
    }

    #[test]
    fn routing_is_typed_and_explained() {
        let crm = FfiCrm::new(Some(at(START)), Some(3), Some(CONFIG.into())).unwrap();
        user(
            &crm,
            "ana",
            vec![Absence {
                from: at(START - 3600),
                until: at(START + 86_400),
                reason: Some("holiday".into()),
            }],
        );
        user(&crm, "bo", vec![]);
        let saved = crm
            .get(admin(), "user".into(), "ana".into())
            .map(|record| match record {
                AnyRecord::User { record } => record,
                other => panic!("not a user: {other:?}"),
            })
            .unwrap();
        assert_eq!(saved.away[0].reason.as_deref(), Some("holiday"));
        assert_eq!(saved.away[0].until, at(START + 86_400));

        let lead = crm
            .create_lead(
                admin(),
                NewLead {
                    company: Some("Acme".into()),
                    region: Some("east".into()),
                    source: Some("cold_call".into()),
                    ..NewLead::default()
                },
            )
            .unwrap();
        assert_eq!(lead.owner.as_deref(), Some("bo"));
        let score = crm.score_lead(admin(), lead.id.clone()).unwrap();
        assert_eq!((score.score, score.base), (5, 10));
        assert_eq!(score.parts[0].points, -5);

        crm.release(admin(), "lead".into(), lead.id.clone(), "re-route".into())
            .unwrap();
        let routing = crm.route_lead(admin(), lead.id.clone()).unwrap();
        assert_eq!(routing.owner.as_deref(), Some("bo"));
        assert_eq!(routing.rule.as_deref(), Some("east"));
        let step = &routing.trace[0];
        assert_eq!(step.result, StepResult::Chosen);
        assert_eq!(step.skipped[0].user, "ana");
        assert_eq!(step.skipped[0].reason, SkipReason::OnLeave);
        assert_eq!(routing.subject.unwrap().id, lead.id);
    }

    #[test]
    fn bad_arguments_name_their_field() {
        let crm = FfiCrm::new(Some(at(START)), Some(3), Some(CONFIG.into())).unwrap();
        let lead = crm
            .create_lead(
                admin(),
                NewLead {
                    company: Some("Acme".into()),
                    owner: Some("root".into()),
                    ..NewLead::default()
                },
            )
            .unwrap();
        let fields =
            |result: Result<Vec<Routing>, CrmError>| validation_fields(result.unwrap_err());
        assert_eq!(
            fields(crm.route(admin(), "spaceship".into(), vec![lead.id.clone()])),
            ["entity"]
        );
        assert_eq!(
            fields(crm.route(admin(), "lead".into(), vec!["nope".into()])),
            ["lead_id"]
        );
        assert_eq!(
            fields(crm.route_pool(admin(), "lead".into(), Some(" ".into()))),
            ["team"]
        );
        assert_eq!(
            fields(crm.transfer_work(admin(), String::new(), "leaving".into(), None)),
            ["from"]
        );
        assert_eq!(
            fields(crm.transfer_work(admin(), "root".into(), " ".into(), None)),
            ["reason"]
        );
        assert_eq!(
            fields(crm.transfer_work(admin(), "root".into(), "x".into(), Some("root".into()))),
            ["to"]
        );
        let err = crm
            .release(admin(), "lead".into(), lead.id.clone(), "  ".into())
            .unwrap_err();
        assert_eq!(validation_fields(err), ["reason"]);
        let err = crm.pool(admin(), "activity".into(), None).unwrap_err();
        assert_eq!(validation_fields(err), ["kind"]);
        let err = crm
            .claim(admin(), "lead".into(), String::new())
            .unwrap_err();
        assert_eq!(validation_fields(err), ["lead_id"]);
        let far = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(i64::MAX as u64 / 2);
        let err = crm.due_work(admin(), Some(far)).unwrap_err();
        assert_eq!(validation_fields(err), ["now"]);
    }
}
