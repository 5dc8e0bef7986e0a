//! The stores under the engine, measured in one run.
//!
//! - `command_mix`: engine commands per second on each store, for a realistic
//!   mix: create a lead, log an activity on it, and move a deal on (advance,
//!   advance, win with its contract, open the next deal), three commands per
//!   iteration, each one commit. On memory, SQLite (a file in a temporary
//!   directory; `synchronous = FULL`, the default, and `NORMAL`) and
//!   PostgreSQL (when `CRM_PG_URL` is set).
//! - `bulk_contacts_N`: `CRM_BENCH_CONTACTS` contacts (default 100,000) added
//!   through the engine (validation, access checks, events, JSON, index keys)
//!   and written in one transaction, on memory and SQLite; against plain
//!   `rusqlite` inserts of the same rows (prepared statement, one transaction,
//!   a table with the primary key and a phone and an email index): the
//!   overhead the engine and the store add. On PostgreSQL (when `CRM_PG_URL`
//!   is set) as `bulk_contacts_postgres_N`, with `CRM_BENCH_PG_CONTACTS` of them
//!   (default 10,000).
//!
//! ```text
//! cargo bench --bench stores                                  # memory and SQLite
//! CRM_PG_URL=postgres://postgres@127.0.0.1:55432/postgres \
//!     cargo bench --bench stores                              # and PostgreSQL
//! CRM_BENCH_CONTACTS=10000 cargo bench --bench stores         # a quicker run
//! ```
//!
//! Criterion's `thrpt` line is commands (or contacts) per second.

mod support;

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use crm::access::Actor;
use crm::event::{Event, OutboxMessage};
use crm::store::{ChangeSet, MemoryStore, Query, Restore, State};
use crm::{
    ActivityKind, AnyRecord, Config, Crm, CustomerId, CustomerKind, EventId, Money, NewActivity,
    NewContact, NewCustomer, NewLead, NewOpportunity, OpportunityId, RecordKey, Store, UserId,
};
use crm_postgres::PostgresStore;
use crm_sqlite::{SqliteOptions, SqliteStore, Synchronous};
use support::TempDir;

// ----- helpers ------------------------------------------------------------------

fn pg_url() -> Option<String> {
    let url = std::env::var("CRM_PG_URL")
        .ok()
        .filter(|url| !url.is_empty());
    if url.is_none() {
        eprintln!("CRM_PG_URL is not set: the PostgreSQL benchmarks are skipped");
    }
    url
}

/// A PostgreSQL schema of its own for one store, dropped afterwards.
struct PgSchema {
    url: String,
    name: String,
}

impl PgSchema {
    fn new(url: &str, label: &str) -> PgSchema {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        PgSchema {
            url: url.to_string(),
            name: format!("crm_bench_{label}_{}_{nanos}", std::process::id()),
        }
    }

    fn store(&self) -> PostgresStore {
        PostgresStore::connect_in_schema(&self.url, &self.name).expect("connect")
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        use crm_postgres::postgres::{Client, NoTls};
        if let Ok(mut client) = Client::connect(&self.url, NoTls) {
            let _ =
                client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name));
        }
    }
}

fn ana() -> Actor {
    Actor::new(UserId::new("ana").expect("user id")).with_role("sales")
}

fn engine<S: Store>(store: S) -> Crm<S> {
    Crm::new(
        store,
        Config::default(),
        crm::SystemClock,
        crm::ids_from_entropy(),
    )
    .expect("engine")
}

// ----- command mix ----------------------------------------------------------------

/// One engine and the deal it is moving on.
struct Mix<S: Store> {
    crm: Crm<S>,
    actor: Actor,
    customer: CustomerId,
    deal: OpportunityId,
    step: u64,
    n: u64,
}

impl<S: Store> Mix<S> {
    fn new(store: S) -> Mix<S> {
        let mut crm = engine(store);
        let actor = ana();
        let customer = crm
            .create_customer(
                &actor,
                NewCustomer {
                    kind: CustomerKind::Company,
                    name: "Nordwind Logistics".into(),
                    owner: Some(actor.user.clone()),
                    ..NewCustomer::default()
                },
            )
            .expect("customer")
            .id;
        let deal = Self::open_deal(&mut crm, &actor, customer, 0);
        Mix {
            crm,
            actor,
            customer,
            deal,
            step: 0,
            n: 0,
        }
    }

    fn open_deal(crm: &mut Crm<S>, actor: &Actor, customer: CustomerId, n: u64) -> OpportunityId {
        crm.create_opportunity(
            actor,
            NewOpportunity {
                name: format!("Fleet {n}"),
                customer: Some(customer),
                expected_amount: Some(Money::parse("48000.00", "EUR").expect("money")),
                ..NewOpportunity::default()
            },
        )
        .expect("deal")
        .id
    }

    /// Three commands.
    fn round(&mut self) {
        self.n += 1;
        let n = self.n;
        let lead = self
            .crm
            .create_lead(
                &self.actor,
                NewLead {
                    company: Some(format!("Company {n}")),
                    contact_name: Some(format!("Person {n}")),
                    email: Some(format!("person{n}@example.com")),
                    phone: Some(format!("+44 20 7946 {:04}", n % 10_000)),
                    owner: Some(self.actor.user.clone()),
                    ..NewLead::default()
                },
            )
            .expect("create lead");
        black_box(
            self.crm
                .log_activity(
                    &self.actor,
                    NewActivity::new(ActivityKind::Call, lead.id, "Needs 40 trackers"),
                )
                .expect("log activity"),
        );
        match self.step % 4 {
            0 | 1 => {
                black_box(
                    self.crm
                        .advance_opportunity(&self.actor, self.deal, None)
                        .expect("advance deal"),
                );
            }
            2 => {
                black_box(
                    self.crm
                        .win_opportunity(&self.actor, self.deal)
                        .expect("win deal"),
                );
            }
            _ => self.deal = Self::open_deal(&mut self.crm, &self.actor, self.customer, n),
        }
        self.step += 1;
    }
}

fn command_mix(c: &mut Criterion) {
    let mut group = c.benchmark_group("command_mix");
    group.throughput(Throughput::Elements(3));
    group.measurement_time(StdDuration::from_secs(5));

    let mut memory = Mix::new(MemoryStore::new());
    group.bench_function("memory", |b| b.iter(|| memory.round()));
    drop(memory);

    let dir = TempDir::new("mix");
    let mut sqlite = Mix::new(SqliteStore::open(dir.path().join("full.db")).expect("open"));
    group.bench_function("sqlite", |b| b.iter(|| sqlite.round()));
    drop(sqlite);
    let normal = SqliteOptions::default().synchronous(Synchronous::Normal);
    let mut sqlite =
        Mix::new(SqliteStore::open_with(dir.path().join("normal.db"), &normal).expect("open"));
    group.bench_function("sqlite_sync_normal", |b| b.iter(|| sqlite.round()));
    drop(sqlite);

    if let Some(url) = pg_url() {
        let schema = PgSchema::new(&url, "mix");
        let mut postgres = Mix::new(schema.store());
        group.bench_function("postgres", |b| b.iter(|| postgres.round()));
        drop(postgres);
    }
    group.finish();
}

// ----- bulk contacts --------------------------------------------------------------

/// A store that buffers every commit of the engine and writes them all in one
/// transaction on [`Batch::flush`]: the engine's whole path, one transaction.
/// Reads go to the store beneath (the bulk load reads only the customer and
/// users written before it).
struct Batch<S: Store> {
    inner: S,
    pending: ChangeSet,
}

impl<S: Store> Batch<S> {
    fn new(inner: S) -> Batch<S> {
        Batch {
            inner,
            pending: ChangeSet::default(),
        }
    }

    fn flush(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        self.inner.commit(pending).expect("flush");
    }
}

impl<S: Store> Store for Batch<S> {
    fn get(&self, key: &RecordKey) -> crm::Result<Option<AnyRecord>> {
        self.inner.get(key)
    }
    fn query(&self, query: &Query) -> crm::Result<Vec<AnyRecord>> {
        self.inner.query(query)
    }
    fn commit(&mut self, changes: ChangeSet) -> crm::Result<()> {
        self.pending.writes.extend(changes.writes);
        self.pending.events.extend(changes.events);
        self.pending.outbox.extend(changes.outbox);
        // A state written again in the batch keeps the version it was first
        // read at (`state` below answers that one), which the flush checks.
        for write in changes.states {
            match self
                .pending
                .states
                .iter_mut()
                .find(|w| w.name == write.name)
            {
                Some(pending) => pending.value = write.value,
                None => self.pending.states.push(write),
            }
        }
        Ok(())
    }
    fn history(&self, key: &RecordKey) -> crm::Result<Vec<Event>> {
        self.inner.history(key)
    }
    fn events_after(&self, after: u64, limit: usize) -> crm::Result<Vec<Event>> {
        self.inner.events_after(after, limit)
    }
    fn take_outbox(
        &mut self,
        now: DateTime<Utc>,
        limit: usize,
        lease: Duration,
    ) -> crm::Result<Vec<OutboxMessage>> {
        self.inner.take_outbox(now, limit, lease)
    }
    fn ack_outbox(&mut self, ids: &[EventId], now: DateTime<Utc>) -> crm::Result<usize> {
        self.inner.ack_outbox(ids, now)
    }
    fn next_number(&mut self, sequence: &str) -> crm::Result<u64> {
        self.inner.next_number(sequence)
    }
    fn outbox_page(&self, offset: usize, limit: usize) -> crm::Result<Vec<OutboxMessage>> {
        self.inner.outbox_page(offset, limit)
    }
    fn sequences(&self) -> crm::Result<Vec<(String, u64)>> {
        self.inner.sequences()
    }
    fn restore(&mut self, part: Restore) -> crm::Result<()> {
        self.inner.restore(part)
    }
    fn state(&self, name: &str) -> crm::Result<Option<State>> {
        match self.pending.states.iter().find(|w| w.name == name) {
            // Pending: at the version the flush will check (0 while new).
            Some(pending) => Ok(Some(State {
                name: pending.name.clone(),
                version: pending.expected_version,
                value: pending.value.clone(),
            })),
            _ => self.inner.state(name),
        }
    }
    fn states(&self) -> crm::Result<Vec<State>> {
        self.inner.states()
    }
}

/// The contacts to load: the same rows for every store and for raw rusqlite.
struct Row {
    name: String,
    phone: String,
    email: String,
}

fn rows(count: usize) -> Vec<Row> {
    (0..count)
        .map(|n| Row {
            name: format!("Contact {n}"),
            phone: format!("+49 30 {:04} {:04}", n / 10_000, n % 10_000),
            email: format!("contact{n}@example.com"),
        })
        .collect()
}

/// Adds every row as a contact through the engine, in one transaction;
/// returns the time it took (the store's setup excluded).
fn engine_load<S: Store>(store: S, rows: &[Row]) -> StdDuration {
    let mut crm = engine(Batch::new(store));
    let actor = ana();
    let customer = crm
        .create_customer(
            &actor,
            NewCustomer {
                kind: CustomerKind::Company,
                name: "Bulk GmbH".into(),
                owner: Some(actor.user.clone()),
                ..NewCustomer::default()
            },
        )
        .expect("customer")
        .id;
    crm.store_mut().flush();
    let started = Instant::now();
    for row in rows {
        black_box(
            crm.add_contact(
                &actor,
                NewContact {
                    customer: Some(customer),
                    name: row.name.clone(),
                    phones: vec![row.phone.clone()],
                    emails: vec![row.email.clone()],
                    ..NewContact::default()
                },
            )
            .expect("add contact"),
        );
    }
    crm.store_mut().flush();
    started.elapsed()
}

/// The same rows with plain rusqlite: a prepared insert, one transaction.
fn raw_load(path: &Path, rows: &[Row]) -> StdDuration {
    let mut conn = rusqlite::Connection::open(path).expect("open");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("synchronous");
    conn.execute_batch(
        "CREATE TABLE contacts (id TEXT PRIMARY KEY, customer TEXT NOT NULL, name TEXT NOT NULL,
                                phone TEXT, email TEXT);
         CREATE INDEX contacts_by_phone ON contacts (phone);
         CREATE INDEX contacts_by_email ON contacts (email);",
    )
    .expect("schema");
    let mut ids = crm::ids_from_entropy();
    let now = || crm::Clock::now(&crm::SystemClock);
    let customer = crm::IdGenerator::next_uuid(&mut ids, now()).to_string();
    let started = Instant::now();
    let tx = conn.transaction().expect("begin");
    {
        let mut insert = tx
            .prepare("INSERT INTO contacts (id, customer, name, phone, email) VALUES (?1, ?2, ?3, ?4, ?5)")
            .expect("prepare");
        for row in rows {
            let id = crm::IdGenerator::next_uuid(&mut ids, now()).to_string();
            insert
                .execute((&id, &customer, &row.name, &row.phone, &row.email))
                .expect("insert");
        }
    }
    tx.commit().expect("commit");
    started.elapsed()
}

fn bulk_contacts(c: &mut Criterion) {
    let count: usize = std::env::var("CRM_BENCH_CONTACTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let rows = rows(count);
    let mut group = c.benchmark_group(format!("bulk_contacts_{count}"));
    group.throughput(Throughput::Elements(count as u64));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(StdDuration::from_millis(1));
    group.measurement_time(StdDuration::from_secs(1));

    group.bench_function("raw_rusqlite", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    let dir = TempDir::new("raw");
                    raw_load(&dir.path().join("raw.db"), &rows)
                })
                .sum()
        })
    });
    group.bench_function("engine_memory", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| engine_load(MemoryStore::new(), &rows))
                .sum()
        })
    });
    group.bench_function("engine_sqlite", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    let dir = TempDir::new("bulk");
                    let store = SqliteStore::open(dir.path().join("bulk.db")).expect("open");
                    engine_load(store, &rows)
                })
                .sum()
        })
    });
    group.finish();

    // PostgreSQL pays a network round trip per statement; its own (smaller)
    // count keeps the run short. Contacts per second compare all the same.
    if let Some(url) = pg_url() {
        let count: usize = std::env::var("CRM_BENCH_PG_CONTACTS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(10_000);
        let rows = &rows[..count.min(rows.len())];
        let mut group = c.benchmark_group(format!("bulk_contacts_postgres_{}", rows.len()));
        group.throughput(Throughput::Elements(rows.len() as u64));
        group.sampling_mode(SamplingMode::Flat);
        group.sample_size(10);
        group.warm_up_time(StdDuration::from_millis(1));
        group.measurement_time(StdDuration::from_secs(1));
        group.bench_function("engine_postgres", |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let schema = PgSchema::new(&url, "bulk");
                        engine_load(schema.store(), rows)
                    })
                    .sum()
            })
        });
        group.finish();
    }
}

criterion_group!(stores, command_mix, bulk_contacts);
criterion_main!(stores);
