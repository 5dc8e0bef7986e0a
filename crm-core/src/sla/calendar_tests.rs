//! Working calendars against hand-computed cases (lunch breaks, weekends,
//! holidays, daylight-saving changes, year ends) and a minute-by-minute
//! reference.

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

use super::Calendar;
use crate::ErrorKind;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

/// Berlin office hours with a lunch break; Christmas and New Year off.
fn berlin() -> Calendar {
    Calendar::from_json(
        r#"{"time_zone": "Europe/Berlin",
            "hours": {"mon-fri": [["09:00", "12:00"], ["13:00", "17:00"]]},
            "holidays": ["2026-12-24", "2026-12-25", "2027-01-01"]}"#,
    )
    .unwrap()
}

fn round_the_clock(zone: &str) -> Calendar {
    Calendar::from_json(&format!(
        r#"{{"time_zone": "{zone}", "hours": {{"mon-sun": [["00:00", "24:00"]]}}}}"#
    ))
    .unwrap()
}

#[test]
fn a_lunch_break_and_the_time_before_work_are_not_working_time() {
    let cal = berlin();
    // Monday 2 March 2026, CET (UTC+1). 11:30 + 60 min: 30 before lunch, 30 after.
    assert_eq!(
        cal.add(utc(2026, 3, 2, 10, 30), 60).unwrap(),
        utc(2026, 3, 2, 12, 30)
    );
    // Created at 07:00 (before work) + 30: 09:30.
    assert_eq!(
        cal.add(utc(2026, 3, 2, 6, 0), 30).unwrap(),
        utc(2026, 3, 2, 8, 30)
    );
    // Created during lunch + 30: 13:30.
    assert_eq!(
        cal.add(utc(2026, 3, 2, 11, 15), 30).unwrap(),
        utc(2026, 3, 2, 12, 30)
    );
    // A day holds 7 hours; from 11:00 to 14:00 local there are 2.
    assert_eq!(
        cal.between_minutes(utc(2026, 3, 2, 0, 0), utc(2026, 3, 3, 0, 0)),
        420
    );
    assert_eq!(
        cal.between_minutes(utc(2026, 3, 2, 10, 0), utc(2026, 3, 2, 13, 0)),
        120
    );
    assert!(!cal.is_working(utc(2026, 3, 2, 11, 30)));
    assert!(cal.is_working(utc(2026, 3, 2, 12, 0)));
    // Zero minutes is the start itself, even outside hours.
    assert_eq!(
        cal.add(utc(2026, 3, 1, 3, 0), 0).unwrap(),
        utc(2026, 3, 1, 3, 0)
    );
}

#[test]
fn a_weekend_across_the_spring_change_counts_no_time() {
    let cal = berlin();
    // Friday 27 March 16:00 CET (15:00 UTC) + 120: 60 on Friday, then Monday
    // 30 March from 09:00 CEST (07:00 UTC, clocks went forward on Sunday).
    let friday = utc(2026, 3, 27, 15, 0);
    let due = cal.add(friday, 120).unwrap();
    assert_eq!(due, utc(2026, 3, 30, 8, 0));
    assert_eq!(cal.between_minutes(friday, due), 120);
    // The weekend in between is 71 wall-clock hours but no working time.
    assert_eq!(
        cal.between_minutes(utc(2026, 3, 27, 16, 0), utc(2026, 3, 30, 7, 0)),
        0
    );
}

#[test]
fn created_on_a_holiday_the_clock_starts_on_the_next_working_day() {
    let cal = berlin();
    // Thursday 24 December 10:00 (a holiday), 480 min: Christmas Day is off,
    // then the weekend; Monday 28 gives 7 hours, Tuesday 29 the last one.
    let due = cal.add(utc(2026, 12, 24, 9, 0), 480).unwrap();
    assert_eq!(due, utc(2026, 12, 29, 9, 0));
    assert!(cal.is_holiday(chrono::NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()));
}

#[test]
fn the_year_end_and_new_years_day_are_crossed_exactly() {
    let cal = berlin();
    // Wednesday 30 December 16:30 + 600 min: 30 min on Wednesday, 7 h on
    // Thursday 31, New Year's Day off, the weekend, 2.5 h on Monday 4 January.
    let due = cal.add(utc(2026, 12, 30, 15, 30), 600).unwrap();
    assert_eq!(due, utc(2027, 1, 4, 10, 30));
    assert_eq!(cal.between_minutes(utc(2026, 12, 30, 15, 30), due), 600);
    // Sydney is in summer time (UTC+11) over its year end.
    let sydney = Calendar::from_json(
        r#"{"time_zone": "Australia/Sydney", "hours": {"mon-fri": [["09:00", "17:00"]]},
            "holidays": ["2027-01-01"]}"#,
    )
    .unwrap();
    // Thursday 31 December 16:00 AEDT = 05:00 UTC; + 120: 60 on Thursday,
    // Monday 4 January 09:00-10:00 AEDT = Sunday 3 January 23:00 UTC.
    assert_eq!(
        sydney.add(utc(2026, 12, 31, 5, 0), 120).unwrap(),
        utc(2027, 1, 3, 23, 0)
    );
}

#[test]
fn days_with_a_daylight_saving_change_are_as_long_as_they_really_are() {
    let london = round_the_clock("Europe/London");
    // Sunday 29 March 2026 lasts 23 hours in London, Sunday 25 October 25.
    assert_eq!(
        london.between_minutes(utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 23, 0)),
        23 * 60
    );
    assert_eq!(
        london.between_minutes(utc(2026, 10, 24, 23, 0), utc(2026, 10, 26, 0, 0)),
        25 * 60
    );
    // An interval that contains the change: 00:00-06:00 holds 5 hours in
    // spring and 7 in autumn.
    let night = Calendar::from_json(
        r#"{"time_zone": "Europe/London", "hours": {"sun": [["00:00", "06:00"]]}}"#,
    )
    .unwrap();
    let week = |d| (utc(2026, 3, d, 0, 0), utc(2026, 3, d + 7, 0, 0));
    let (from, to) = week(23);
    assert_eq!(night.between_minutes(from, to), 5 * 60);
    assert_eq!(
        night.between_minutes(utc(2026, 10, 19, 0, 0), utc(2026, 10, 26, 0, 0)),
        7 * 60
    );
    // New York springs forward on 8 March: Friday 12:00 EST to Monday 12:00
    // EDT holds 5 + 4 hours of an 08:00-17:00 week.
    let new_york = Calendar::from_json(
        r#"{"time_zone": "America/New_York", "hours": {"mon-fri": [["08:00", "17:00"]]}}"#,
    )
    .unwrap();
    assert_eq!(
        new_york.between_minutes(utc(2026, 3, 6, 17, 0), utc(2026, 3, 9, 16, 0)),
        540
    );
    // A bound inside the gap (02:30 on 8 March does not exist) is the gap's end.
    let gap = Calendar::from_json(
        r#"{"time_zone": "America/New_York", "hours": {"sun": [["02:30", "04:00"]]}}"#,
    )
    .unwrap();
    assert_eq!(
        gap.add(utc(2026, 3, 8, 0, 0), 1).unwrap(),
        utc(2026, 3, 8, 7, 1)
    );
}

#[test]
fn long_spans_skip_whole_weeks_and_agree_with_short_steps() {
    let cal = berlin();
    let start = utc(2026, 1, 5, 8, 0); // Monday 09:00 CET
    // 20 weeks of 35 hours, across the spring change: time runs out on the
    // 20th Friday at 17:00 CEST.
    let due = cal.add(start, 20 * 35 * 60).unwrap();
    assert_eq!(due, utc(2026, 5, 22, 15, 0));
    assert_eq!(cal.between_minutes(start, due), 20 * 35 * 60);
    // The same in steps of a day's work.
    let mut at = start;
    for _ in 0..100 {
        at = cal.add(at, 7 * 60).unwrap();
    }
    assert_eq!(at, due);
}

#[test]
fn bad_calendars_name_the_field() {
    let field = |json: &str| match Calendar::from_json(json).unwrap_err() {
        crate::Error::Validation { fields, .. } => fields[0].clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field(r#"{"time_zone": "Mars/Olympus", "hours": {}}"#),
        "time_zone"
    );
    assert_eq!(
        field(r#"{"time_zone": "UTC", "hours": {"mon": [["09:00", "25:00"]]}}"#),
        "hours.mon[0]"
    );
    assert_eq!(
        field(r#"{"time_zone": "UTC", "hours": {"mon": [["12:00", "09:00"]]}}"#),
        "hours.mon[0]"
    );
    assert_eq!(
        field(
            r#"{"time_zone": "UTC", "hours": {"mon-fri": [["09:00", "13:00"]], "fri": [["12:00", "14:00"]]}}"#
        ),
        "hours.fri[1]"
    );
    assert_eq!(
        field(r#"{"time_zone": "UTC", "hours": {"fri-mon": []}}"#),
        "hours.fri-mon"
    );
    assert_eq!(
        field(r#"{"time_zone": "UTC", "hours": {"holiday": []}}"#),
        "hours.holiday"
    );
    assert_eq!(field(r#"{"time_zone": "UTC", "hours": {}}"#), "hours");
    assert_eq!(
        field(r#"{"time_zone": "UTC", "hours": {}, "extra": 1}"#),
        "calendar"
    );
    let cal = berlin();
    assert_eq!(
        cal.add(utc(2026, 1, 1, 0, 0), -1).unwrap_err().kind(),
        ErrorKind::Validation
    );
    // A calendar reads back from its JSON form.
    let again: Calendar = serde_json::from_value(cal.to_json()).unwrap();
    assert_eq!(again, cal);
}

/// The first instant at which the local clock reads `local` or later, found
/// by brute force (minute by minute), independent of the calendar's own way.
fn first_at_or_after(cal: &Calendar, local: chrono::NaiveDateTime) -> DateTime<Utc> {
    let mut at = (local - Duration::hours(15)).and_utc();
    while at.with_timezone(&cal.zone()).naive_local() < local {
        at += Duration::minutes(1);
    }
    at
}

/// The working intervals of local days `first..=last`, as instants, read
/// from the calendar's JSON form.
fn reference_intervals(
    cal: &Calendar,
    first: chrono::NaiveDate,
    last: chrono::NaiveDate,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    use chrono::Datelike;
    let json = cal.to_json();
    let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let time = |text: &str| {
        let (h, m) = text.split_once(':').unwrap();
        let (h, m): (i64, i64) = (h.parse().unwrap(), m.parse().unwrap());
        Duration::minutes(h * 60 + m)
    };
    let mut out = Vec::new();
    let mut day = first;
    while day <= last {
        let holiday = json["holidays"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h.as_str() == Some(day.to_string().as_str()));
        let name = names[day.weekday().num_days_from_monday() as usize];
        if let (false, Some(pairs)) = (holiday, json["hours"][name].as_array()) {
            let midnight = day.and_time(chrono::NaiveTime::MIN);
            for pair in pairs {
                let s = first_at_or_after(cal, midnight + time(pair[0].as_str().unwrap()));
                let e = first_at_or_after(cal, midnight + time(pair[1].as_str().unwrap()));
                if s < e {
                    out.push((s, e));
                }
            }
        }
        day = day.succ_opt().unwrap();
    }
    out
}

fn local_days(
    cal: &Calendar,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> (chrono::NaiveDate, chrono::NaiveDate) {
    let day = |at: DateTime<Utc>| at.with_timezone(&cal.zone()).date_naive();
    (day(from).pred_opt().unwrap(), day(to).succ_opt().unwrap())
}

/// Working minutes between two instants on whole minutes, by the reference
/// intervals.
fn reference_between(cal: &Calendar, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    let (first, last) = local_days(cal, from, to);
    reference_intervals(cal, first, last)
        .into_iter()
        .map(|(s, e)| (e.min(to) - s.max(from)).num_minutes().max(0))
        .sum()
}

fn reference_is_working(cal: &Calendar, at: DateTime<Utc>) -> bool {
    let (first, last) = local_days(cal, at, at);
    reference_intervals(cal, first, last)
        .into_iter()
        .any(|(s, e)| s <= at && at < e)
}

#[test]
fn a_day_whose_midnight_does_not_exist_starts_when_clocks_say_so() {
    // Santiago jumps from 00:00 to 01:00 on Sunday 6 September 2026: of
    // 00:00-02:00 only one hour happens.
    let cal = Calendar::from_json(
        r#"{"time_zone": "America/Santiago", "hours": {"sun": [["00:00", "02:00"]]}}"#,
    )
    .unwrap();
    let (from, to) = (utc(2026, 9, 5, 12, 0), utc(2026, 9, 7, 12, 0));
    assert_eq!(cal.between_minutes(from, to), 60);
    assert_eq!(reference_between(&cal, from, to), 60);
    assert_eq!(cal.add(from, 60).unwrap(), utc(2026, 9, 6, 5, 0));
    // Starting on that day itself: 01:00 (-03) is 04:00 UTC, 02:00 is 05:00.
    assert!(cal.is_working(utc(2026, 9, 6, 4, 30)));
    assert!(!cal.is_working(utc(2026, 9, 6, 5, 30)));
    assert_eq!(
        cal.between_minutes(utc(2026, 9, 6, 4, 30), utc(2026, 9, 6, 12, 0)),
        30
    );
    assert_eq!(
        cal.add(utc(2026, 9, 6, 4, 30), 30).unwrap(),
        utc(2026, 9, 6, 5, 0)
    );
    // A week that starts on that day is not a plain week: 60 + 120 minutes.
    let (from, to) = (utc(2026, 9, 6, 3, 0), utc(2026, 9, 14, 12, 0));
    assert_eq!(cal.between_minutes(from, to), 180);
    assert_eq!(reference_between(&cal, from, to), 180);
    assert_eq!(cal.add(from, 180).unwrap(), utc(2026, 9, 13, 5, 0));
}

fn calendars() -> Vec<Calendar> {
    vec![
        // Santiago's clocks change at midnight: some days start at 01:00.
        Calendar::from_json(
            r#"{"time_zone": "America/Santiago", "hours": {"mon-sun": [["00:00", "02:00"], ["08:00", "18:00"]]}}"#,
        )
        .unwrap(),
        berlin(),
        round_the_clock("Europe/London"),
        Calendar::from_json(
            r#"{"time_zone": "America/New_York",
                "hours": {"mon-fri": [["08:30", "12:00"], ["13:00", "17:30"]], "sat": [["00:00", "03:00"]],
                          "sun": [["01:30", "02:45"]]},
                "holidays": ["2026-11-26"]}"#,
        )
        .unwrap(),
        Calendar::from_json(
            r#"{"time_zone": "Australia/Sydney", "hours": {"mon-fri": [["09:00", "17:00"]]}}"#,
        )
        .unwrap(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Over spans around the daylight-saving changes of 2026, both functions
    /// agree with the minute-by-minute walk and with each other.
    #[test]
    fn add_and_between_agree_with_a_minute_walk(
        which in 0usize..5,
        day in prop::sample::select(vec![
            (2026, 3, 5), (2026, 3, 25), (2026, 4, 1), (2026, 10, 1), (2026, 10, 22),
            (2026, 10, 29), (2026, 11, 20), (2026, 12, 28), (2026, 4, 2), (2026, 9, 3),
        ]),
        start_minute in 0i64..(3 * 24 * 60),
        span in 0i64..(9 * 24 * 60),
        add in 0i64..(4 * 60 * 10),
    ) {
        let cal = &calendars()[which];
        let from = utc(day.0, day.1, day.2, 0, 0) + Duration::minutes(start_minute);
        let to = from + Duration::minutes(span);
        prop_assert_eq!(cal.between_minutes(from, to), reference_between(cal, from, to));
        prop_assert_eq!(cal.between_minutes(to, from), -reference_between(cal, from, to));
        let due = cal.add(from, add).unwrap();
        prop_assert_eq!(cal.between_minutes(from, due), add);
        // Nothing sooner would do: the minute before `due` is working time.
        if add > 0 {
            prop_assert!(reference_is_working(cal, due - Duration::minutes(1)));
            prop_assert!(cal.is_working(due - Duration::minutes(1)));
        }
    }
}

#[test]
fn a_day_whose_midnight_is_skipped_starts_when_the_clocks_read_one() {
    use chrono::{NaiveDate, TimeZone};
    let zone: chrono_tz::Tz = "America/Santiago".parse().unwrap();
    // Chile moves its clocks forward at midnight: find that day in 2026.
    let day = NaiveDate::from_ymd_opt(2026, 1, 1)
        .unwrap()
        .iter_days()
        .take(366)
        .find(|d| {
            zone.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
                .earliest()
                .is_none()
        })
        .expect("a day without a midnight");
    let start = super::calendar::local_midnight(zone, day);
    let local = start.with_timezone(&zone);
    assert_eq!(
        (local.date_naive(), local.time()),
        (day, chrono::NaiveTime::from_hms_opt(1, 0, 0).unwrap())
    );
    // An ordinary day starts at its midnight.
    let plain = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
    let start = super::calendar::local_midnight(zone, plain).with_timezone(&zone);
    assert_eq!(start.time(), chrono::NaiveTime::MIN);
}
