//! Crash safety: a child process runs engine commands against a file in a
//! loop and reports each one that returned `Ok`; the parent kills it with
//! SIGKILL at random (seeded) moments, many times, and after each kill checks
//! that the file opens, passes SQLite's integrity check, holds every
//! acknowledged command with its events, and holds no half-applied command.
//!
//! The child is this test binary run again with `CRM_SQLITE_CRASH_CHILD` set
//! to the file's path (see [`crash_child`]).

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use crm_core::access::Actor;
use crm_core::store::{Query, Store};
use crm_core::{
    ActivityKind, AnyRecord, Clock, Config, ConvertLead, Crm, EntityKind, NewActivity, NewLead,
    RecordKey, SeededIds, UserId,
};
use crm_sqlite::SqliteStore;
use support::{TempDir, report};

const CHILD_ENV: &str = "CRM_SQLITE_CRASH_CHILD";
const SEED_ENV: &str = "CRM_SQLITE_CRASH_SEED";
const KILLS: usize = 30;

/// The operating system's clock (the `crm` crate has one; this crate does not
/// depend on it).
struct WallClock;

impl Clock for WallClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::<Utc>::from(std::time::SystemTime::now())
    }
}

/// A small deterministic generator (xorshift64*), for the kill times.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// The child's side: does nothing in a normal test run. Run by
/// [`killed_writers_leave_whole_commands`], it loops over commands (create a
/// lead, log an activity on it, qualify it, convert it into a customer, a
/// contact and a deal) and prints `ack ...` on stderr after each one that
/// returned `Ok`, until it is killed (or after 20 s, should its parent be gone).
#[test]
fn crash_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let seed: u64 = std::env::var(SEED_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let store = SqliteStore::open(&path).unwrap_or_else(|e| panic!("child open: {e}"));
    let mut crm = Crm::new(store, Config::default(), WallClock, SeededIds::new(seed))
        .unwrap_or_else(|e| panic!("{e}"));
    let ana = Actor::new(UserId::new("ana").unwrap_or_else(|e| panic!("{e}"))).with_role("sales");
    let started = Instant::now();
    let ack = |line: String| {
        use std::io::Write;
        // Unbuffered: the line is in the pipe before the next command starts.
        let _ = writeln!(std::io::stderr().lock(), "ack {line}");
    };
    for n in 0u64.. {
        if started.elapsed() > Duration::from_secs(20) {
            break;
        }
        let lead = crm
            .create_lead(
                &ana,
                NewLead {
                    company: Some(format!("Crash {seed}-{n}")),
                    contact_name: Some(format!("Person {seed}-{n}")),
                    email: Some(format!("p{seed}x{n}@example.com")),
                    phone: Some(format!("+44 20 {:04} {:04}", seed % 10_000, n % 10_000)),
                    owner: Some(ana.user.clone()),
                    ..NewLead::default()
                },
            )
            .unwrap_or_else(|e| panic!("create: {e}"));
        ack(format!("lead {}", lead.id));
        let activity = crm
            .log_activity(
                &ana,
                NewActivity {
                    kind: ActivityKind::Call,
                    subject: RecordKey::from(lead.id),
                    summary: "Called.".into(),
                    occurred_at: None,
                    next_follow_up_at: None,
                    custom: Default::default(),
                },
            )
            .unwrap_or_else(|e| panic!("activity: {e}"));
        ack(format!("activity {} {}", activity.id, lead.id));
        if n % 2 == 0 {
            crm.qualify_lead(&ana, lead.id)
                .unwrap_or_else(|e| panic!("qualify: {e}"));
            ack(format!("qualify {}", lead.id));
            let made = crm
                .convert_lead(&ana, lead.id, ConvertLead::default())
                .unwrap_or_else(|e| panic!("convert: {e}"));
            let opportunity = made
                .opportunity
                .map(|id| id.to_string())
                .unwrap_or_default();
            ack(format!(
                "convert {} {} {} {opportunity}",
                lead.id, made.customer, made.contact
            ));
        }
    }
}

/// A command the child acknowledged.
#[derive(Debug)]
enum Acked {
    Lead(String),
    Activity(String, String),
    Qualify(String),
    Convert(String, String, String, String),
}

fn parse_ack(line: &str) -> Option<Acked> {
    let words: Vec<&str> = line.strip_prefix("ack ")?.split(' ').collect();
    let owned = |i: usize| words.get(i).map(|w| w.to_string()).unwrap_or_default();
    Some(match *words.first()? {
        "lead" => Acked::Lead(owned(1)),
        "activity" => Acked::Activity(owned(1), owned(2)),
        "qualify" => Acked::Qualify(owned(1)),
        "convert" => Acked::Convert(owned(1), owned(2), owned(3), owned(4)),
        _ => return None,
    })
}

#[test]
fn killed_writers_leave_whole_commands() {
    let dir = TempDir::new("crash");
    let path = dir.path().join("crm.db");
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    let mut rng = XorShift(0x5EED_CAFE_F00D_0001);
    let mut acked: Vec<Acked> = Vec::new();
    let started = Instant::now();
    let mut killed_mid_run = 0;
    for run in 0..KILLS {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_child",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD_ENV, &path)
            .env(SEED_ENV, (run + 1).to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn: {e}"));
        let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
        let reader = std::thread::spawn(move || {
            BufReader::new(stderr)
                .lines()
                .map_while(|line| line.ok())
                .collect::<Vec<String>>()
        });
        // Somewhere from the child's start-up (opening, even creating, the
        // file) to well into its loop.
        std::thread::sleep(Duration::from_millis(5 + rng.below(120)));
        if child.try_wait().ok().flatten().is_none() {
            killed_mid_run += 1;
        }
        child.kill().unwrap_or_else(|e| panic!("kill: {e}"));
        child.wait().unwrap_or_else(|e| panic!("wait: {e}"));
        let lines = reader.join().unwrap_or_else(|_| panic!("reader"));
        let before = acked.len();
        acked.extend(lines.iter().filter_map(|line| parse_ack(line)));
        check_file(&path, &acked).unwrap_or_else(|e| {
            panic!(
                "after kill {} ({} new acks): {e}",
                run + 1,
                acked.len() - before
            )
        });
    }
    assert!(
        killed_mid_run >= 20,
        "only {killed_mid_run} children were still running when killed"
    );
    assert!(!acked.is_empty(), "the children acknowledged nothing");
    report(&format!(
        "crash test: {killed_mid_run} SIGKILLs of {KILLS} runs, {} acknowledged commands checked after each, in {:.1} s",
        acked.len(),
        started.elapsed().as_secs_f64()
    ));
}

/// Opens the file after a kill and checks it; an `Err` says what is wrong.
fn check_file(path: &std::path::Path, acked: &[Acked]) -> Result<(), String> {
    {
        let raw = rusqlite::Connection::open(path).map_err(|e| format!("raw open: {e}"))?;
        let integrity: String = raw
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .map_err(|e| format!("integrity_check: {e}"))?;
        if integrity != "ok" {
            return Err(format!("integrity_check says {integrity}"));
        }
        let dangling: i64 = raw
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
                row.get(0)
            })
            .unwrap_or(0);
        if dangling != 0 {
            return Err(format!("{dangling} rows break a foreign key"));
        }
    }
    let store = SqliteStore::open(path).map_err(|e| format!("open: {e}"))?;
    let get = |kind: EntityKind, id: &str| -> Result<AnyRecord, String> {
        store
            .get(&RecordKey::new(kind, id))
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("acknowledged {kind} {id} is missing"))
    };
    let actions = |kind: EntityKind, id: &str| -> Result<Vec<String>, String> {
        Ok(store
            .history(&RecordKey::new(kind, id))
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|event| event.action)
            .collect())
    };
    for ack in acked {
        match ack {
            Acked::Lead(id) => {
                get(EntityKind::Lead, id)?;
                if actions(EntityKind::Lead, id)?.first().map(String::as_str) != Some("create") {
                    return Err(format!("lead {id} lacks its create event"));
                }
            }
            Acked::Activity(id, lead) => {
                get(EntityKind::Activity, id)?;
                if !actions(EntityKind::Activity, id)?.contains(&"create".to_string()) {
                    return Err(format!("activity {id} lacks its event"));
                }
                if !actions(EntityKind::Lead, lead)?.contains(&"contact".to_string()) {
                    return Err(format!("lead {lead} lacks the contact its activity made"));
                }
            }
            Acked::Qualify(lead) => {
                if !actions(EntityKind::Lead, lead)?.contains(&"qualify".to_string()) {
                    return Err(format!("lead {lead} lacks its qualify event"));
                }
            }
            Acked::Convert(lead, customer, contact, opportunity) => {
                match get(EntityKind::Lead, lead)? {
                    AnyRecord::Lead(stored) if stored.status == "converted" => {}
                    _ => return Err(format!("lead {lead} is not converted")),
                }
                get(EntityKind::Customer, customer)?;
                get(EntityKind::Contact, contact)?;
                get(EntityKind::Opportunity, opportunity)?;
            }
        }
    }
    // No half-applied command: every record has exactly one event per write
    // (its version), every event names a record that exists, and the log
    // counts from 1 without a gap.
    let mut keys = BTreeSet::new();
    for kind in EntityKind::ALL {
        for record in store.query(&Query::new(kind)).map_err(|e| e.to_string())? {
            let key = record.key();
            let events = store.history(&key).map_err(|e| e.to_string())?.len() as u64;
            if events != record.version() {
                return Err(format!(
                    "{key} is at version {} with {events} events",
                    record.version()
                ));
            }
            keys.insert(key);
        }
    }
    let events = store
        .events_after(0, usize::MAX)
        .map_err(|e| e.to_string())?;
    for (at, event) in events.iter().enumerate() {
        if event.seq != at as u64 + 1 {
            return Err(format!("event {} has seq {}", at + 1, event.seq));
        }
        if !keys.contains(&event.entity) {
            return Err(format!(
                "event {} names {}, which does not exist",
                event.seq, event.entity
            ));
        }
    }
    let event_ids: BTreeSet<_> = events.iter().map(|event| event.id).collect();
    for message in store
        .outbox_page(0, usize::MAX)
        .map_err(|e| e.to_string())?
    {
        if !event_ids.contains(&message.event) {
            return Err(format!("outbox message {} has no event", message.id));
        }
    }
    Ok(())
}
