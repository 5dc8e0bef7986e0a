//! The file itself: schema versions, foreign files, hostile input, and error
//! messages that carry no personal data.

mod support;

use crm_core::store::conformance::sample_lead;
use crm_core::store::{ChangeSet, Query, StateWrite, Store};
use crm_core::{EntityKind, ErrorKind, Record};
use crm_sqlite::{SCHEMA_VERSION, SqliteStore};
use support::TempDir;

fn raw(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

#[test]
fn a_newer_file_is_refused_and_left_alone() {
    let dir = TempDir::new("newer");
    let path = dir.path().join("crm.db");
    drop(SqliteStore::open(&path).unwrap());
    raw(&path)
        .execute(
            "UPDATE schema_version SET version = ?1",
            [SCHEMA_VERSION + 1],
        )
        .unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    assert!(
        err.to_string().contains("newer crm-sqlite"),
        "the message should say why: {err}"
    );
    let version: u32 = raw(&path)
        .query_row("SELECT version FROM schema_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION + 1, "the file was downgraded");
}

#[test]
fn an_older_file_is_migrated_forward() {
    let dir = TempDir::new("older");
    let path = dir.path().join("crm.db");
    // A file at schema version 0: the version table and nothing else.
    raw(&path)
        .execute_batch(
            "CREATE TABLE schema_version (version INTEGER NOT NULL);
             INSERT INTO schema_version VALUES (0);",
        )
        .unwrap();
    let mut store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let mut changes = ChangeSet::default();
    changes.write(sample_lead(1, Some("ana")).into_any(), 0);
    store.commit(changes).unwrap();
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.query(&Query::new(EntityKind::Lead)).unwrap().len(), 1);
}

#[test]
fn a_version_1_file_is_migrated_and_keeps_its_data() {
    let dir = TempDir::new("v1");
    let path = dir.path().join("crm.db");
    // A file as version 1 left it: today's tables without `states`.
    let mut store = SqliteStore::open(&path).unwrap();
    let mut changes = ChangeSet::default();
    changes.write(sample_lead(1, Some("ana")).into_any(), 0);
    store.commit(changes).unwrap();
    assert_eq!(store.next_number("contract").unwrap(), 1);
    drop(store);
    raw(&path)
        .execute_batch("DROP TABLE states; UPDATE schema_version SET version = 1;")
        .unwrap();

    let mut store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.query(&Query::new(EntityKind::Lead)).unwrap().len(), 1);
    assert_eq!(store.sequences().unwrap(), [("contract".to_string(), 1)]);
    assert!(store.states().unwrap().is_empty());
    let mut changes = ChangeSet::default();
    changes.states.push(StateWrite {
        name: "assignment".into(),
        value: serde_json::json!({"next": 1}),
        expected_version: 0,
        entity: EntityKind::Lead,
    });
    store.commit(changes).unwrap();
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store.state("assignment").unwrap().map(|s| s.version),
        Some(1)
    );
}

#[test]
fn hostile_state_names_and_values_are_only_ever_parameters() {
    let mut store = SqliteStore::in_memory().unwrap();
    let name = "x'); DROP TABLE states; --";
    let value = serde_json::json!({"sql": "'; DELETE FROM states; --"});
    let mut changes = ChangeSet::default();
    changes.states.push(StateWrite {
        name: name.into(),
        value: value.clone(),
        expected_version: 0,
        entity: EntityKind::Lead,
    });
    store.commit(changes).unwrap();
    let states = store.states().unwrap();
    assert_eq!(states.len(), 1);
    assert_eq!((states[0].name.as_str(), &states[0].value), (name, &value));
}

#[test]
fn a_file_that_is_not_a_database_is_a_storage_error() {
    let dir = TempDir::new("foreign");
    let path = dir.path().join("notes.txt");
    std::fs::write(
        &path,
        "Jana Müller, +49 30 1234567, jana@example.de\n".repeat(200),
    )
    .unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    assert!(!err.to_string().contains("Jana"), "{err}");
}

#[test]
fn files_use_wal_and_foreign_keys() {
    let dir = TempDir::new("pragmas");
    let path = dir.path().join("crm.db");
    let store = SqliteStore::open(&path).unwrap();
    let conn = raw(&path);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // A contact point must belong to a record (foreign keys are on in the
    // store's connection; this one turns them on itself).
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let err = conn
        .execute(
            "INSERT INTO contact_points (channel, value, kind, id) VALUES ('phone', '+1', 'lead', 'x')",
            [],
        )
        .unwrap_err();
    assert!(err.to_string().contains("FOREIGN KEY"), "{err}");
    drop(store);
}

#[test]
fn hostile_strings_are_only_ever_parameters() {
    let mut store = SqliteStore::in_memory().unwrap();
    let mut lead = sample_lead(1, None);
    lead.status = "'; DROP TABLE records; --".into();
    let mut changes = ChangeSet::default();
    changes.write(lead.clone().into_any(), 0);
    store.commit(changes).unwrap();
    let found = store
        .query(&Query::new(EntityKind::Lead).status("'; DROP TABLE records; --"))
        .unwrap();
    assert_eq!(found.len(), 1);
    assert!(
        store
            .query(&Query::new(EntityKind::Lead).status("new' OR '1'='1"))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.next_number("x'); DROP TABLE sequences; --").unwrap(),
        1
    );
    assert_eq!(store.sequences().unwrap().len(), 1);
}

#[test]
fn unreadable_rows_are_reported_without_their_content() {
    let dir = TempDir::new("unreadable");
    let path = dir.path().join("crm.db");
    let store = SqliteStore::open(&path).unwrap();
    let lead = sample_lead(1, None);
    raw(&path)
        .execute(
            "INSERT INTO records (kind, id, version, body) VALUES ('lead', ?1, 1, ?2)",
            [
                lead.key().id,
                r#"{"entity":"lead","company":"Jana Secret","status":17}"#.to_string(),
            ],
        )
        .unwrap();
    let err = store.get(&lead.key()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("Jana"), "{shown}");
    assert!(
        shown.contains(&lead.key().id),
        "the record should be named by id: {shown}"
    );
}

#[test]
fn updates_move_phones_and_emails_with_the_record() {
    let mut store = SqliteStore::in_memory().unwrap();
    let lead = sample_lead(1, None);
    let mut changes = ChangeSet::default();
    changes.write(lead.clone().into_any(), 0);
    store.commit(changes).unwrap();
    let by_phone = |store: &SqliteStore, phone: &str| {
        store
            .query(&Query::new(EntityKind::Lead).phone(phone))
            .unwrap()
            .len()
    };
    // An update that keeps them: still found.
    let mut v2 = lead.clone();
    v2.title = Some("CEO".into());
    let mut changes = ChangeSet::default();
    changes.write(v2.clone().into_any(), 1);
    store.commit(changes).unwrap();
    assert_eq!(by_phone(&store, "+44 20 7946 0001"), 1);
    // An update that changes them: found by the new number only.
    let mut v3 = v2.clone();
    v3.phone = Some("+44 20 7946 9999".into());
    let mut changes = ChangeSet::default();
    changes.write(v3.into_any(), 2);
    store.commit(changes).unwrap();
    assert_eq!(by_phone(&store, "+44 20 7946 0001"), 0);
    assert_eq!(by_phone(&store, "+44 20 7946 9999"), 1);
}
