//! Care triggers: rules as data that say when a customer is due some care
//! (a birthday greeting, a call after a month without contact, a thank-you
//! after the first purchase, a word on a new level, a win-back offer).
//!
//! [`care_due`] is a pure function of one customer and `now`; the engine lists
//! what it returns in `due_work` and marks an item handled when someone acts on
//! it (which records an activity).

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::assign::Condition;
use crate::error::{Error, Result};
use crate::model::{Customer, FieldValue};
use crate::sla::local_midnight;

/// What starts a care item. In JSON, one key of the rule:
/// `"yearly": "custom.birthday"`, `"no_contact_days": 30`,
/// `"first_purchase_days": 3`, `"level_change": true`, `"stage": "at_risk"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CareTrigger {
    /// Every year on a date's anniversary, in the customer's time zone:
    /// `custom.NAME` (a date custom field), `member_since`, `first_purchase`
    /// or `customer_since`. 29 February falls on 28 February in other years.
    Yearly(String),
    /// This many days after the last logged contact (or, never contacted,
    /// after the customer was created).
    NoContact(u32),
    /// This many days after the first purchase recorded.
    FirstPurchase(u32),
    /// When the member's level changes.
    LevelChange,
    /// When the customer enters this lifecycle stage (e.g. `at_risk`, set by
    /// the RFM refresh).
    Stage(String),
}

/// One care rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CareRule {
    /// The rule's name, shown on its items.
    pub name: String,
    /// Yearly on this date field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yearly: Option<String>,
    /// For yearly items: how many days before the date they fall due (default 0).
    #[serde(default)]
    pub days_before: u32,
    /// Days without contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_contact_days: Option<u32>,
    /// Days after the first purchase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_purchase_days: Option<u32>,
    /// On a level change.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub level_change: bool,
    /// On entering this stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// The suggested action, shown on the item.
    pub action: String,
    /// Only customers matching this condition (on the customer's JSON, as in
    /// assignment rules: `{"field": "tags", "eq": "vip"}`).
    #[serde(default, skip_serializing_if = "is_always")]
    pub when: Condition,
    /// How many days an item stays listed after it falls due (default: a
    /// yearly item 7, any other until someone acts on it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within_days: Option<u32>,
}

fn is_always(condition: &Condition) -> bool {
    *condition == Condition::Always
}

const DATE_FIELDS: [&str; 3] = ["member_since", "first_purchase", "customer_since"];

impl CareRule {
    /// The rule's trigger.
    pub fn trigger(&self) -> Option<CareTrigger> {
        match (
            &self.yearly,
            self.no_contact_days,
            self.first_purchase_days,
            self.level_change,
            &self.stage,
        ) {
            (Some(field), None, None, false, None) => Some(CareTrigger::Yearly(field.clone())),
            (None, Some(days), None, false, None) => Some(CareTrigger::NoContact(days)),
            (None, None, Some(days), false, None) => Some(CareTrigger::FirstPurchase(days)),
            (None, None, None, true, None) => Some(CareTrigger::LevelChange),
            (None, None, None, false, Some(stage)) => Some(CareTrigger::Stage(stage.clone())),
            _ => None,
        }
    }

    pub(crate) fn validate(&self, at: &str) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(Error::config(format!("{at}.name"), "must not be blank"));
        }
        if self.action.trim().is_empty() {
            return Err(Error::config(format!("{at}.action"), "must not be blank"));
        }
        match self.trigger() {
            None => Err(Error::config(
                at,
                "needs exactly one of yearly, no_contact_days, first_purchase_days, level_change, stage",
            )),
            Some(CareTrigger::Yearly(field))
                if !DATE_FIELDS.contains(&field.as_str())
                    && field.strip_prefix("custom.").is_none_or(|k| k.is_empty()) =>
            {
                Err(Error::config(
                    format!("{at}.yearly"),
                    format!(
                        "`{field}` is not a date: use custom.NAME, member_since, first_purchase or customer_since"
                    ),
                ))
            }
            Some(CareTrigger::NoContact(0)) => Err(Error::config(
                format!("{at}.no_contact_days"),
                "must be above 0",
            )),
            _ => Ok(()),
        }
    }
}

/// One care item due for a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareDue {
    /// The rule.
    pub rule: String,
    /// When it falls (or fell) due.
    pub due_at: DateTime<Utc>,
    /// Why, in words: "birthday on 1990-03-14", "no contact for 30 days".
    pub reason: String,
    /// The suggested action.
    pub action: String,
    /// Which occurrence this is (the date of a yearly item, the last contact
    /// time, ...): acting on it marks this occurrence handled.
    pub occurrence: String,
}

/// The care items of one customer at `now`, with those falling due before
/// `until`; rules already handled for their current occurrence are left out.
/// `zone`: the program's time zone for customers without one.
pub fn care_due(
    rules: &[CareRule],
    customer: &Customer,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    zone: Option<Tz>,
) -> Vec<CareDue> {
    let mut out = Vec::new();
    let mut json = None;
    for rule in rules {
        let Some(trigger) = rule.trigger() else {
            continue;
        };
        let within = rule.within_days.or(match trigger {
            CareTrigger::Yearly(_) => Some(7),
            _ => None,
        });
        let Some(item) = occurrence(rule, trigger, customer, now, until, zone) else {
            continue;
        };
        if customer.care_done.get(&rule.name) == Some(&item.occurrence) {
            continue;
        }
        if within.is_some_and(|days| item.due_at + Duration::days(i64::from(days)) <= now) {
            continue;
        }
        // The rule's condition last: it reads the customer as JSON.
        if rule.when != Condition::Always {
            let record = json.get_or_insert_with(|| {
                serde_json::to_value(customer).unwrap_or(serde_json::Value::Null)
            });
            if !rule.when.matches(record) {
                continue;
            }
        }
        out.push(item);
    }
    out
}

fn occurrence(
    rule: &CareRule,
    trigger: CareTrigger,
    customer: &Customer,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    zone: Option<Tz>,
) -> Option<CareDue> {
    let membership = customer.loyalty.as_ref();
    // The texts are made only for items that are due: most customers have none.
    let item = |due_at: DateTime<Utc>, text: &dyn Fn() -> (String, String)| {
        (due_at < until).then(|| {
            let (reason, occurrence) = text();
            CareDue {
                rule: rule.name.clone(),
                due_at,
                reason,
                action: rule.action.clone(),
                occurrence,
            }
        })
    };
    match trigger {
        CareTrigger::Yearly(field) => {
            // Most customers have no such date: look before parsing the zone.
            let has_date = match field.strip_prefix("custom.") {
                Some(key) => customer.custom.contains_key(key),
                None if field == "customer_since" => true,
                None => membership.is_some(),
            };
            if !has_date {
                return None;
            }
            let zone = customer
                .time_zone
                .as_deref()
                .and_then(|z| z.parse::<Tz>().ok())
                .or(zone)
                .unwrap_or(Tz::UTC);
            let date = date_of(customer, &field, zone)?;
            let today = now.with_timezone(&zone).date_naive();
            let within = i64::from(rule.within_days.unwrap_or(7));
            // The occurrence whose listing covers today, or the next one.
            let mut found = None;
            for year in [today.year() - 1, today.year(), today.year() + 1] {
                if year <= date.year() {
                    continue;
                }
                let Some(day) = anniversary(date, year) else {
                    continue;
                };
                let due_day = day - Duration::days(i64::from(rule.days_before));
                if due_day + Duration::days(within) > today {
                    found = Some((day, due_day));
                    break;
                }
            }
            let (day, due_day) = found?;
            let due_at = local_midnight(zone, due_day);
            let what = match field.as_str() {
                "member_since" => "membership anniversary".to_string(),
                "first_purchase" => "first purchase anniversary".to_string(),
                "customer_since" => "customer anniversary".to_string(),
                custom => custom.trim_start_matches("custom.").replace('_', " "),
            };
            if due_at >= until {
                return None;
            }
            item(due_at, &|| {
                (
                    format!("{what} on {day} ({} years)", day.year() - date.year()),
                    day.to_string(),
                )
            })
        }
        CareTrigger::NoContact(days) => {
            let last = customer.last_contact_at.unwrap_or(customer.meta.created_at);
            let due_at = last + Duration::days(i64::from(days));
            item(due_at, &|| {
                let reason = match customer.last_contact_at {
                    Some(at) => {
                        format!("no contact for {days} days (last on {})", at.date_naive())
                    }
                    None => format!("no contact in the {days} days since the customer was added"),
                };
                (reason, last.to_rfc3339())
            })
        }
        CareTrigger::FirstPurchase(days) => {
            let first = membership?.first_purchase_at?;
            item(first + Duration::days(i64::from(days)), &|| {
                (
                    format!("first purchase on {}", first.date_naive()),
                    "first".to_string(),
                )
            })
        }
        CareTrigger::LevelChange => {
            let m = membership?;
            let since = m.level_since?;
            if m.previous_level == m.level {
                return None;
            }
            let show = |l: &Option<String>| l.clone().unwrap_or_else(|| "no level".to_string());
            item(since, &|| {
                (
                    format!(
                        "moved from {} to {}",
                        show(&m.previous_level),
                        show(&m.level)
                    ),
                    since.to_rfc3339(),
                )
            })
        }
        CareTrigger::Stage(stage) => {
            if customer.stage != stage {
                return None;
            }
            let since = customer.stage_since.unwrap_or(customer.meta.updated_at);
            item(since, &|| {
                (
                    format!("{} since {}", stage.replace('_', " "), since.date_naive()),
                    since.to_rfc3339(),
                )
            })
        }
    }
}

/// The local date a date field holds.
fn date_of(customer: &Customer, field: &str, zone: Tz) -> Option<NaiveDate> {
    let local = |at: DateTime<Utc>| at.with_timezone(&zone).date_naive();
    match field {
        "member_since" => customer.loyalty.as_ref().map(|m| local(m.joined_at)),
        "first_purchase" => customer
            .loyalty
            .as_ref()
            .and_then(|m| m.first_purchase_at)
            .map(local),
        "customer_since" => Some(local(customer.meta.created_at)),
        custom => match customer.custom.get(custom.strip_prefix("custom.")?)? {
            FieldValue::Date(date) => Some(*date),
            FieldValue::Text(text) => text.parse().ok(),
            _ => None,
        },
    }
}

/// The date's anniversary in `year` (29 February: the 28th in other years).
fn anniversary(date: NaiveDate, year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, date.month(), date.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, date.month(), date.day() - 1))
}
