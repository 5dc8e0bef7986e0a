//! What the duplicate check sees of the records the engine keeps.

use super::{MatchRecord, match_keys};
use crate::model::{Contact, Customer, CustomerKind, Lead};

/// One [`MatchRecord`] per contact point beyond the first, so that every
/// phone and email of a record is indexed and compared.
fn spread(base: MatchRecord, phones: &[String], emails: &[String]) -> Vec<MatchRecord> {
    let n = phones.len().max(emails.len()).max(1);
    (0..n)
        .map(|i| MatchRecord {
            phone: phones.get(i).cloned(),
            email: emails.get(i).cloned(),
            ..base.clone()
        })
        .collect()
}

impl Customer {
    /// The customer as duplicate matching sees it: a company by its name, a
    /// person by theirs.
    pub fn match_records(&self) -> Vec<MatchRecord> {
        let base = match self.kind {
            CustomerKind::Company => MatchRecord {
                company: Some(self.name.clone()),
                ..MatchRecord::default()
            },
            CustomerKind::Person => MatchRecord {
                name: Some(self.name.clone()),
                ..MatchRecord::default()
            },
        };
        let phones: Vec<String> = self.phone.iter().cloned().collect();
        let emails: Vec<String> = self.email.iter().cloned().collect();
        spread(base, &phones, &emails)
    }
}

impl Contact {
    /// The contact as duplicate matching sees it (its name, title, phones
    /// and emails).
    pub fn match_records(&self) -> Vec<MatchRecord> {
        let base = MatchRecord {
            name: Some(self.name.clone()),
            title: self.title.clone(),
            ..MatchRecord::default()
        };
        spread(base, &self.phones, &self.emails)
    }
}

impl Lead {
    /// The lead as duplicate matching sees it (contact name, company,
    /// title, phone, email).
    pub fn match_records(&self) -> Vec<MatchRecord> {
        vec![MatchRecord {
            name: self.contact_name.clone(),
            company: self.company.clone(),
            title: self.title.clone(),
            phone: self.phone.clone(),
            email: self.email.clone(),
            ..MatchRecord::default()
        }]
    }
}

/// The match keys of several views of one record, sorted, without repeats.
pub fn match_keys_of(records: &[MatchRecord]) -> Vec<String> {
    let mut keys: Vec<String> = records.iter().flat_map(match_keys).collect();
    keys.sort();
    keys.dedup();
    keys
}
