//! Duplicates in the store: the one-record check (`findDuplicates`,
//! `findDuplicatesOf`), merge and unmerge.

use crm::RecordKey as CoreRecordKey;

use crate::access::Actor;
use crate::dedupe::{DuplicateMatch, MatchRecord, MergeInput, MergeOutcome};
use crate::engine::{FfiCrm, actor};
use crate::error::CrmError;
use crate::model::AnyRecord;

fn matches(found: Vec<crm::DuplicateMatch>) -> Vec<DuplicateMatch> {
    found.into_iter().map(DuplicateMatch::from).collect()
}

#[uniffi::export(name = "Crm")]
impl FfiCrm {
    /// The stored customers, contacts and leads that may be duplicates of
    /// `record` (the `MatchRecord` a `DedupeScan` takes), most likely first:
    /// records sharing one of its match keys (email, phone digits, name,
    /// last name and company, company; looked up in the store's index, no
    /// scan) that the configuration's `dedupe` method calls a match. Only
    /// records the actor may read are considered; records merged into
    /// another are left out.
    ///
    /// # Errors
    ///
    /// `Config` on `dedupe...` when the configuration's dedupe section is
    /// invalid; `Storage` when the store fails.
    pub fn find_duplicates(
        &self,
        actor: Actor,
        record: MatchRecord,
    ) -> Result<Vec<DuplicateMatch>, CrmError> {
        let actor = self::actor(actor)?;
        let record = record.into();
        Ok(matches(self.engine()?.find_duplicates(&actor, &record)?))
    }

    /// `findDuplicates` for a stored customer, contact or lead of `kind`
    /// with this id (itself left out).
    ///
    /// # Errors
    ///
    /// `Validation` on `entity` for an unknown kind or one that is not
    /// checked for duplicates, on `<kind>_id` for a malformed id;
    /// `NotFound`; `Forbidden` (read).
    pub fn find_duplicates_of(
        &self,
        actor: Actor,
        kind: String,
        id: String,
    ) -> Result<Vec<DuplicateMatch>, CrmError> {
        let actor = self::actor(actor)?;
        let key = CoreRecordKey::parse(&kind, &id)?;
        Ok(matches(self.engine()?.find_duplicates_of(&actor, key)?))
    }

    /// Merges two or more duplicate customers, contacts or leads (of one
    /// kind) into one survivor, in one commit: the survivor keeps its values
    /// and takes each empty field from the others (lists united, the better
    /// tier and the higher lead score); their contacts, deals, contracts,
    /// tickets, activities and tasks move to it; the merged records are kept,
    /// marked `mergedInto`. The survivor's `merge` event (`MergeOutcome.event`)
    /// holds everything `unmerge` needs to undo it.
    ///
    /// # Errors
    ///
    /// `Validation` on `reason` when blank, on `records` (fewer than two,
    /// repeated, of different or unmergeable kinds, already merged), on
    /// `survivor` when it is not one of them, on `rule` for an unknown rule,
    /// on `entity` or `<kind>_id` for a malformed key; `NotFound`;
    /// `Forbidden` without the edit permission on every record.
    pub fn merge(&self, actor: Actor, input: MergeInput) -> Result<MergeOutcome, CrmError> {
        let actor = self::actor(actor)?;
        let input = input.try_into()?;
        Ok(self.engine()?.merge(&actor, input)?.into())
    }

    /// Undoes a merge into the survivor of `kind` with this id, for a
    /// reason: from the merge event `event` (an id from
    /// `MergeOutcome.event`), or the survivor's latest merge when null. The
    /// survivor's fields go back to what they were, the merged records are
    /// unmarked and every moved record moves back, in one commit. Returns
    /// the survivor as restored.
    ///
    /// # Errors
    ///
    /// `Validation` on `reason` when blank, on `event` when it is malformed
    /// or not a merge into the survivor, on `entity` or `<kind>_id`;
    /// `Conflict` when a record of the merge changed since (an unmerge done
    /// already included); `NotFound`; `Forbidden` (edit).
    #[uniffi::method(default(event = None))]
    pub fn unmerge(
        &self,
        actor: Actor,
        kind: String,
        id: String,
        reason: String,
        event: Option<String>,
    ) -> Result<AnyRecord, CrmError> {
        let actor = self::actor(actor)?;
        let key = CoreRecordKey::parse(&kind, &id)?;
        let event = event
            .map(|event| {
                event
                    .parse::<crm::EventId>()
                    .map_err(|err| err.in_field("event"))
            })
            .transpose()?;
        let restored = self.engine()?.unmerge(&actor, key, event, &reason)?;
        Ok(restored.into())
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::model::{NewContact, NewCustomer, NewLead, RecordKey};

    const START: u64 = 1_772_442_000; // 2026-03-02T09:00:00Z

    fn admin() -> Actor {
        Actor {
            user: "root".into(),
            roles: vec!["admin".into()],
            team: None,
            region: None,
        }
    }

    fn validation_fields(err: CrmError) -> Vec<String> {
        match err {
            CrmError::Validation { fields, .. } => fields,
            other => panic!("not a validation error: {other:?}"),
        }
    }

    fn key(kind: &str, id: &str) -> RecordKey {
        RecordKey {
            kind: kind.into(),
            id: id.into(),
        }
    }

    #[test]
    fn finds_merges_and_unmerges() {
        let start = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(START);
        let crm = FfiCrm::new(Some(start), Some(3), None).unwrap();
        let acme = crm
            .create_customer(
                admin(),
                NewCustomer {
                    name: "Acme Widgets Ltd".into(),
                    phone: Some("+1 415 555 0134".into()),
                    ..NewCustomer::default()
                },
            )
            .unwrap();
        crm.advance_clock(0, 1, 0).unwrap();
        let acme2 = crm
            .create_customer(
                admin(),
                NewCustomer {
                    name: "ACME WIDGETS LIMITED".into(),
                    email: Some("info@acme.example".into()),
                    ..NewCustomer::default()
                },
            )
            .unwrap();
        let maria = crm
            .add_contact(
                admin(),
                NewContact {
                    customer: acme2.id.clone(),
                    name: "Maria Garcia".into(),
                    ..NewContact::default()
                },
            )
            .unwrap();

        let found = crm
            .find_duplicates(
                admin(),
                MatchRecord {
                    company: Some("Acme Widgets Inc.".into()),
                    phone: Some("(415) 555-0134".into()),
                    ..MatchRecord::default()
                },
            )
            .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].record, key("customer", &acme.id));
        assert!(found[0].explanation.matched);
        assert_eq!(found[0].explanation.fields[3].level, "exact");
        // A stored lead with the phone in yet another format finds the customer.
        let lead = crm
            .create_lead(
                admin(),
                NewLead {
                    company: Some("Acme Widgets".into()),
                    phone: Some("+1 (415) 555-0134".into()),
                    ..NewLead::default()
                },
            )
            .unwrap();
        let of = crm
            .find_duplicates_of(admin(), "lead".into(), lead.id.clone())
            .unwrap();
        let keys: Vec<RecordKey> = of.into_iter().map(|m| m.record).collect();
        assert_eq!(keys, [key("customer", &acme.id)]);

        let outcome = crm
            .merge(
                admin(),
                MergeInput {
                    records: vec![key("customer", &acme.id), key("customer", &acme2.id)],
                    reason: "the same company".into(),
                    ..MergeInput::default()
                },
            )
            .unwrap();
        match &outcome.survivor {
            AnyRecord::Customer { record } => {
                assert_eq!(record.id, acme.id);
                assert_eq!(record.email.as_deref(), Some("info@acme.example"));
            }
            other => panic!("not a customer: {other:?}"),
        }
        assert_eq!(outcome.merged, [key("customer", &acme2.id)]);
        assert_eq!(outcome.moved, [key("contact", &maria.id)]);
        match crm
            .get(admin(), "customer".into(), acme2.id.clone())
            .unwrap()
        {
            AnyRecord::Customer { record } => {
                assert_eq!(record.merged_into, Some(key("customer", &acme.id)));
            }
            other => panic!("not a customer: {other:?}"),
        }

        let err = crm
            .unmerge(
                admin(),
                "customer".into(),
                acme.id.clone(),
                "undo".into(),
                Some("nope".into()),
            )
            .unwrap_err();
        assert_eq!(validation_fields(err), ["event"]);
        let restored = crm
            .unmerge(
                admin(),
                "customer".into(),
                acme.id.clone(),
                "two companies".into(),
                Some(outcome.event.clone()),
            )
            .unwrap();
        match restored {
            AnyRecord::Customer { record } => assert_eq!(record.email, None),
            other => panic!("not a customer: {other:?}"),
        }
        match crm.get(admin(), "contact".into(), maria.id).unwrap() {
            AnyRecord::Contact { record } => assert_eq!(record.customer, acme2.id),
            other => panic!("not a contact: {other:?}"),
        }
        let again = crm
            .unmerge(admin(), "customer".into(), acme.id, "twice".into(), None)
            .unwrap_err();
        assert!(matches!(again, CrmError::Conflict { .. }), "{again:?}");
    }

    #[test]
    fn bad_input_names_its_field() {
        let crm = FfiCrm::new(None, Some(1), None).unwrap();
        let acme = crm
            .create_customer(
                admin(),
                NewCustomer {
                    name: "Acme".into(),
                    ..NewCustomer::default()
                },
            )
            .unwrap();
        let merge = |records: Vec<RecordKey>, rule: Option<&str>, reason: &str| {
            crm.merge(
                admin(),
                MergeInput {
                    records,
                    survivor: None,
                    rule: rule.map(str::to_owned),
                    reason: reason.into(),
                },
            )
            .unwrap_err()
        };
        let one = vec![key("customer", &acme.id)];
        assert_eq!(validation_fields(merge(one.clone(), None, " ")), ["reason"]);
        assert_eq!(
            validation_fields(merge(one.clone(), None, "x")),
            ["records"]
        );
        assert_eq!(
            validation_fields(merge(one.clone(), Some("biggest"), "x")),
            ["rule"]
        );
        assert_eq!(
            validation_fields(merge(vec![key("customer", "nope")], None, "x")),
            ["customer_id"]
        );
        let err = crm
            .find_duplicates_of(admin(), "spaceship".into(), acme.id.clone())
            .unwrap_err();
        assert_eq!(validation_fields(err), ["entity"]);
    }
}
