//! The store's PostgreSQL schema: versions, concurrent first connections,
//! schema names, hostile input, and error messages without personal data.
//! Skipped (saying so) without `CRM_PG_URL`.

mod support;

use crm_core::store::conformance::sample_lead;
use crm_core::store::{ChangeSet, Query, StateWrite, Store};
use crm_core::{EntityKind, ErrorKind, Record};
use crm_postgres::{PostgresStore, SCHEMA_VERSION};
use support::{SchemaStore, drop_schema, fresh_schema, pg_url};

fn client(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).unwrap()
}

#[test]
fn newer_tables_are_refused_and_left_alone() {
    let Some(url) = pg_url() else { return };
    let store = SchemaStore::new(&url, "newer");
    let schema = store.store.schema().to_string();
    let mut raw = client(&url);
    raw.batch_execute(&format!(
        "UPDATE \"{schema}\".schema_version SET version = {}",
        SCHEMA_VERSION + 1
    ))
    .unwrap();
    let err = PostgresStore::connect_in_schema(&url, &schema).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    assert!(err.to_string().contains("newer crm-postgres"), "{err}");
    let version: i32 = raw
        .query_one(
            &format!("SELECT version FROM \"{schema}\".schema_version"),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(
        version as u32,
        SCHEMA_VERSION + 1,
        "the tables were downgraded"
    );
}

#[test]
fn older_tables_are_migrated_forward() {
    let Some(url) = pg_url() else { return };
    let schema = fresh_schema("older");
    let mut raw = client(&url);
    raw.batch_execute(&format!(
        "CREATE SCHEMA \"{schema}\";
         CREATE TABLE \"{schema}\".schema_version (version integer NOT NULL);
         INSERT INTO \"{schema}\".schema_version VALUES (0);"
    ))
    .unwrap();
    let result = std::panic::catch_unwind(|| {
        let mut store = PostgresStore::connect_in_schema(&url, &schema).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let mut changes = ChangeSet::default();
        changes.write(sample_lead(1, None).into_any(), 0);
        store.commit(changes).unwrap();
        assert_eq!(store.query(&Query::new(EntityKind::Lead)).unwrap().len(), 1);
    });
    drop_schema(&url, &schema);
    result.unwrap();
}

#[test]
fn version_1_tables_are_migrated_and_keep_their_rows() {
    let Some(url) = pg_url() else { return };
    let mut store = SchemaStore::new(&url, "v1");
    let schema = store.store.schema().to_string();
    let mut changes = ChangeSet::default();
    changes.write(sample_lead(1, Some("ana")).into_any(), 0);
    store.commit(changes).unwrap();
    assert_eq!(store.next_number("contract").unwrap(), 1);
    // The tables as version 1 left them: today's without `states`.
    client(&url)
        .batch_execute(&format!(
            "DROP TABLE \"{schema}\".states; UPDATE \"{schema}\".schema_version SET version = 1;"
        ))
        .unwrap();
    let mut again = PostgresStore::connect_in_schema(&url, &schema).unwrap();
    assert_eq!(again.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(again.query(&Query::new(EntityKind::Lead)).unwrap().len(), 1);
    assert_eq!(again.sequences().unwrap(), [("contract".to_string(), 1)]);
    assert!(again.states().unwrap().is_empty());
    let mut changes = ChangeSet::default();
    changes.states.push(StateWrite {
        name: "assignment".into(),
        value: serde_json::json!({"next": 1}),
        expected_version: 0,
        entity: EntityKind::Lead,
    });
    again.commit(changes).unwrap();
    assert_eq!(
        again.state("assignment").unwrap().map(|s| s.version),
        Some(1)
    );
}

#[test]
fn version_2_tables_get_the_match_keys_of_their_records() {
    let Some(url) = pg_url() else { return };
    let mut store = SchemaStore::new(&url, "v2");
    let schema = store.store.schema().to_string();
    let lead = sample_lead(1, Some("ana"));
    let keys = lead.index().match_keys;
    assert!(!keys.is_empty(), "the sample lead has match keys");
    let mut changes = ChangeSet::default();
    changes.write(lead.into_any(), 0);
    store.commit(changes).unwrap();
    // The tables as version 2 left them: no match keys, the narrower check.
    client(&url)
        .batch_execute(&format!(
            "DELETE FROM \"{schema}\".contact_points WHERE channel = 'key';
             ALTER TABLE \"{schema}\".contact_points DROP CONSTRAINT contact_points_channel_check;
             ALTER TABLE \"{schema}\".contact_points ADD CONSTRAINT contact_points_channel_check
                 CHECK (channel IN ('phone', 'email'));
             UPDATE \"{schema}\".schema_version SET version = 2;"
        ))
        .unwrap();
    let again = PostgresStore::connect_in_schema(&url, &schema).unwrap();
    assert_eq!(again.schema_version().unwrap(), SCHEMA_VERSION);
    for key in keys {
        let found = again
            .query(&Query::new(EntityKind::Lead).match_key(key.clone()))
            .unwrap();
        assert_eq!(found.len(), 1, "{key}");
    }
}

#[test]
fn hostile_state_names_and_values_are_only_ever_parameters() {
    let Some(url) = pg_url() else { return };
    let mut store = SchemaStore::new(&url, "hostile_states");
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
fn servers_starting_together_migrate_once() {
    let Some(url) = pg_url() else { return };
    let schema = fresh_schema("together");
    let results: Vec<_> = std::thread::scope(|scope| {
        (0..8)
            .map(|_| scope.spawn(|| PostgresStore::connect_in_schema(&url, &schema).map(drop)))
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect()
    });
    drop_schema(&url, &schema);
    for result in results {
        result.unwrap();
    }
}

#[test]
fn schema_names_are_validated_not_pasted() {
    let Some(url) = pg_url() else { return };
    for bad in [
        "crm\"; DROP SCHEMA public CASCADE; --",
        "Crm",
        "pg_catalog",
        "",
    ] {
        let err = PostgresStore::connect_in_schema(&url, bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Validation, "{bad}: {err}");
    }
}

#[test]
fn hostile_strings_are_only_ever_parameters() {
    let Some(url) = pg_url() else { return };
    let mut store = SchemaStore::new(&url, "hostile");
    let mut lead = sample_lead(1, None);
    lead.status = "'; DROP TABLE records; --".into();
    let mut changes = ChangeSet::default();
    changes.write(lead.into_any(), 0);
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
    let Some(url) = pg_url() else { return };
    let store = SchemaStore::new(&url, "unreadable");
    let schema = store.store.schema().to_string();
    let lead = sample_lead(1, None);
    client(&url)
        .execute(
            &format!("INSERT INTO \"{schema}\".records (kind, id, version, body) VALUES ('lead', $1, 1, $2)"),
            &[&lead.key().id, &r#"{"entity":"lead","company":"Jana Secret","status":17}"#],
        )
        .unwrap();
    let err = store.get(&lead.key()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("Jana"), "{shown}");
    assert!(shown.contains(&lead.key().id), "{shown}");
}

#[test]
fn updates_move_phones_and_emails_with_the_record() {
    let Some(url) = pg_url() else { return };
    let mut store = SchemaStore::new(&url, "points");
    let lead = sample_lead(1, None);
    let mut changes = ChangeSet::default();
    changes.write(lead.clone().into_any(), 0);
    store.commit(changes).unwrap();
    let by_phone = |store: &SchemaStore, phone: &str| {
        store
            .query(&Query::new(EntityKind::Lead).phone(phone))
            .unwrap()
            .len()
    };
    // An update that keeps them (the store leaves them alone): still found.
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
