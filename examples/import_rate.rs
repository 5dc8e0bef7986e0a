//! One import of N people (default 1,000,000) from a CSV file into an SQLite
//! file, best effort, with duplicate checking in the file and in the store,
//! printing the rate and the process's peak memory. About one row in ten
//! repeats an earlier row's email in upper case.
//!
//! ```text
//! cargo run --release --example import_rate            # 1,000,000 rows
//! cargo run --release --example import_rate -- 100000
//! ```
//!
//! (`cargo bench --bench analytics -- import` measures the same import of
//! 50,000 rows, or `CRM_BENCH_IMPORT_ROWS`, with criterion.)

#[path = "../benches/support/mod.rs"]
mod support;

use std::io::Write;

use chrono::{TimeZone, Utc};
use crm::access::Actor;
use crm::import::ImportSpec;
use crm::{Config, Crm, FixedClock, SeededIds, UserId};
use crm_sqlite::SqliteStore;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: usize = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 1_000_000,
    };
    let dir = std::env::temp_dir().join(format!("crm-import-rate-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let csv = dir.join("people.csv");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&csv)?);
        support::write_people(&mut out, rows)?;
        out.flush()?;
    }
    let store = SqliteStore::open(dir.join("crm.db"))?;
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap());
    let mut crm = Crm::new(store, Config::default(), clock, SeededIds::new(1))?;
    let root = Actor::new(UserId::new("root")?).with_role("admin");
    let spec = ImportSpec::from_json(
        r#"{"kind": "customer", "format": "csv", "mode": "best_effort", "batch_size": 1000}"#,
    )?;
    let began = std::time::Instant::now();
    let report = crm.import_rows(&root, &spec, &csv, &mut |_| true)?;
    let seconds = began.elapsed().as_secs_f64();
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_string)
        })
        .unwrap_or_default();
    println!(
        "{} rows: {} imported, {} duplicates refused, in {seconds:.1} s ({:.0} rows/s); {peak}",
        report.rows,
        report.imported,
        report.duplicates,
        report.rows as f64 / seconds
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
