//! Finds duplicate contacts in a CSV file and explains one match.
//!
//! ```text
//! cargo run --release --example dedupe_csv -- contacts.csv [--threads 2] [--truth cluster_id]
//! ```
//!
//! The file needs a header; the columns read (any may be missing) are
//! `first_name`, `last_name`, `name`, `email`, `phone`, `company`, `title` and
//! `city`. With `--truth COLUMN` (a column holding the true group of each
//! row, as in generated test data) it also prints pairwise precision, recall
//! and F1.

use std::collections::HashMap;
use std::error::Error;
use std::time::Instant;

use crm_core::dedupe::{self, DedupeConfig, MatchRecord, ScanOptions};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .first()
        .ok_or("usage: dedupe_csv FILE.csv [--threads N] [--truth COLUMN]")?;
    let option = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let threads: usize = option("--threads").map_or(Ok(1), |t| t.parse())?;
    let truth_column = option("--truth");
    let config = match option("--config") {
        Some(json) => DedupeConfig::from_json(&json)?,
        None => DedupeConfig::default(),
    };

    let mut reader = csv::Reader::from_path(path)?;
    let headers = reader.headers()?.clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let columns = [
        "first_name",
        "last_name",
        "name",
        "email",
        "phone",
        "company",
        "title",
        "city",
    ]
    .map(column);
    let truth_at = truth_column.as_deref().and_then(column);
    let mut records = Vec::new();
    let mut truth = Vec::new();
    for row in reader.records() {
        let row = row?;
        let get = |i: Option<usize>| {
            i.and_then(|i| row.get(i))
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        records.push(MatchRecord {
            first_name: get(columns[0]),
            last_name: get(columns[1]),
            name: get(columns[2]),
            email: get(columns[3]),
            phone: get(columns[4]),
            company: get(columns[5]),
            title: get(columns[6]),
            city: get(columns[7]),
        });
        if let Some(t) = truth_at {
            truth.push(row.get(t).unwrap_or_default().to_string());
        }
    }

    let started = Instant::now();
    let mut progress = |p: dedupe::Progress| {
        if p.done == p.total {
            eprintln!(
                "{:>9} {:>10} done at {:.3} s",
                p.stage,
                p.total,
                started.elapsed().as_secs_f64()
            );
        }
    };
    let scan = dedupe::scan(
        &records,
        &config,
        &mut ScanOptions {
            threads,
            progress: Some(&mut progress),
        },
    )?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} records, {} candidate pairs, {} matched pairs, {} groups, {:.3} s on {threads} thread(s)",
        scan.len(),
        scan.candidate_pairs(),
        scan.pairs().len(),
        scan.clusters().len(),
        seconds
    );
    if args.iter().any(|a| a == "--model") {
        println!("{}", serde_json::to_string_pretty(scan.model())?);
    }
    if let Some(pair) = scan.pairs().first() {
        println!(
            "rows {} and {}:\n{}",
            pair.left,
            pair.right,
            scan.explain(pair.left as usize, pair.right as usize)
        );
    }
    if !truth.is_empty() {
        let mut groups: HashMap<&str, u64> = HashMap::new();
        for t in &truth {
            *groups.entry(t).or_default() += 1;
        }
        let true_pairs: u64 = groups.values().map(|n| n * (n - 1) / 2).sum();
        let same = |l: usize, r: usize| truth[l] == truth[r];
        let tp = scan
            .pairs()
            .iter()
            .filter(|p| same(p.left as usize, p.right as usize))
            .count() as f64;
        let report = |name: &str, tp: f64, predicted: f64| {
            let precision = tp / predicted.max(1.0);
            let recall = tp / true_pairs as f64;
            println!(
                "{name}: precision {precision:.4} recall {recall:.4} F1 {:.4}",
                2.0 * precision * recall / (precision + recall).max(f64::MIN_POSITIVE)
            );
        };
        report("pairs", tp, scan.pairs().len() as f64);
        // Pairs implied by the groups.
        let mut by_cluster: HashMap<u32, Vec<usize>> = HashMap::new();
        for (row, id) in scan.cluster_ids().iter().enumerate() {
            by_cluster.entry(*id).or_default().push(row);
        }
        let (mut ctp, mut cpred) = (0.0, 0.0);
        for rows in by_cluster.values() {
            for (i, l) in rows.iter().enumerate() {
                for r in &rows[i + 1..] {
                    cpred += 1.0;
                    if same(*l, *r) {
                        ctp += 1.0;
                    }
                }
            }
        }
        report("groups", ctp, cpred);
        // False positives, to see what the model gets wrong.
        let show: usize = option("--show-errors").map_or(Ok(0), |n| n.parse())?;
        for pair in scan
            .pairs()
            .iter()
            .filter(|p| !same(p.left as usize, p.right as usize))
            .take(show)
        {
            println!(
                "false match, rows {} and {}:\n{}",
                pair.left,
                pair.right,
                scan.explain(pair.left as usize, pair.right as usize)
            );
        }
        let mut missed = 0;
        let mut rows_of: HashMap<&str, Vec<usize>> = HashMap::new();
        for (row, t) in truth.iter().enumerate() {
            rows_of.entry(t).or_default().push(row);
        }
        let matched: std::collections::HashSet<(u32, u32)> =
            scan.pairs().iter().map(|p| (p.left, p.right)).collect();
        'outer: for rows in rows_of.values() {
            for (i, l) in rows.iter().enumerate() {
                for r in &rows[i + 1..] {
                    let (a, b) = ((*l).min(*r), (*l).max(*r));
                    if missed < show && !matched.contains(&(a as u32, b as u32)) {
                        println!("missed, rows {a} and {b}:\n{}", scan.explain(a, b));
                        missed += 1;
                    }
                    if missed >= show {
                        break 'outer;
                    }
                }
            }
        }
    }
    Ok(())
}
