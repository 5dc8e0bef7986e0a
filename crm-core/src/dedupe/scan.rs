//! The batch scan: prepare, block, compare, train, score, cluster.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::compare::{self, Comparison, Prepared, SWAPPED, Scorer, TermFrequencies, unpack};
use super::normalize::{self, EmailRules};
use super::{BlockKey, DedupeConfig, Explanation, Field, FieldWeights, Level, MatchRecord, Model};
use crate::error::{Error, Result};

/// How far a long scan has got, passed to the progress callback (always on
/// the caller's thread).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// `normalise`, `block`, `compare`, `train`, `score` or `cluster`.
    pub stage: &'static str,
    /// Units done in this stage (records or pairs).
    pub done: u64,
    /// Units in this stage.
    pub total: u64,
}

/// How to run a scan.
pub struct ScanOptions<'a> {
    /// Threads to use (default 1: the core starts none unless asked).
    pub threads: usize,
    /// Called as the scan progresses.
    pub progress: Option<&'a mut dyn FnMut(Progress)>,
}

impl Default for ScanOptions<'_> {
    fn default() -> Self {
        ScanOptions {
            threads: 1,
            progress: None,
        }
    }
}

impl std::fmt::Debug for ScanOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanOptions")
            .field("threads", &self.threads)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl ScanOptions<'_> {
    fn report(&mut self, stage: &'static str, done: u64, total: u64) {
        if let Some(progress) = self.progress.as_mut() {
            progress(Progress { stage, done, total });
        }
    }
}

/// What one blocking key contributed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockReport {
    /// The key.
    pub key: BlockKey,
    /// Blocks of two or more records compared.
    pub blocks: u64,
    /// Pairs those blocks hold (before removing pairs other keys found too).
    pub pairs: u64,
    /// Blocks larger than `max_block`, skipped.
    pub skipped_blocks: u64,
    /// Records in the skipped blocks.
    pub skipped_records: u64,
}

/// A pair of rows that matched.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScoredPair {
    /// The smaller row index.
    pub left: u32,
    /// The larger row index.
    pub right: u32,
    /// The match probability.
    pub probability: f64,
    /// The match weight (log2 odds).
    pub weight: f64,
    /// The first rule that holds (an index into the configured rules).
    pub rule: Option<u16>,
}

/// A group of duplicates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    /// The cluster's id: its smallest row.
    pub id: u32,
    /// Its rows, ascending.
    pub rows: Vec<u32>,
    /// The matched pairs inside it.
    pub pairs: usize,
    /// The weakest matched pair's probability.
    pub min_probability: f64,
}

/// The result of [`scan`].
#[derive(Debug)]
pub struct Scan {
    rows: Vec<Prepared>,
    tf: TermFrequencies,
    scorer: Scorer,
    pairs: Vec<ScoredPair>,
    cluster_ids: Vec<u32>,
    candidate_pairs: u64,
    blocking: Vec<BlockReport>,
    em_iterations: usize,
}

impl Scan {
    /// The matched pairs, by (left, right).
    pub fn pairs(&self) -> &[ScoredPair] {
        &self.pairs
    }

    /// The cluster id of each row: the smallest row of its group (a row with
    /// no duplicate is its own group).
    pub fn cluster_ids(&self) -> &[u32] {
        &self.cluster_ids
    }

    /// The groups of two or more rows, by id.
    pub fn clusters(&self) -> Vec<Cluster> {
        let mut groups: HashMap<u32, Vec<u32>> = HashMap::new();
        for (row, id) in self.cluster_ids.iter().enumerate() {
            groups.entry(*id).or_default().push(row as u32);
        }
        let mut inside: HashMap<u32, (usize, f64)> = HashMap::new();
        for pair in &self.pairs {
            let (l, r) = (pair.left as usize, pair.right as usize);
            if self.cluster_ids[l] == self.cluster_ids[r] {
                let entry = inside.entry(self.cluster_ids[l]).or_insert((0, 1.0));
                entry.0 += 1;
                entry.1 = entry.1.min(pair.probability);
            }
        }
        let mut clusters: Vec<Cluster> = groups
            .into_iter()
            .filter(|(_, rows)| rows.len() > 1)
            .map(|(id, rows)| {
                let (pairs, min_probability) = inside.get(&id).copied().unwrap_or((0, 0.0));
                Cluster {
                    id,
                    rows,
                    pairs,
                    min_probability,
                }
            })
            .collect();
        clusters.sort_by_key(|c| c.id);
        clusters
    }

    /// The name of a pair's rule.
    pub fn rule_name(&self, pair: &ScoredPair) -> Option<&str> {
        pair.rule
            .and_then(|r| self.scorer.rules.get(usize::from(r)))
            .map(|r| r.name.as_str())
    }

    /// Why rows `left` and `right` do or do not match (any two rows, compared
    /// or not).
    ///
    /// # Panics
    ///
    /// When a row is out of range; [`Scan::try_explain`] returns an error
    /// instead.
    pub fn explain(&self, left: usize, right: usize) -> Explanation {
        self.scorer
            .explain(&self.rows[left], &self.rows[right], Some(&self.tf))
    }

    /// [`Scan::explain`], with an error for a row out of range.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `left` or `right`.
    pub fn try_explain(&self, left: usize, right: usize) -> Result<Explanation> {
        for (field, row) in [("left", left), ("right", right)] {
            if row >= self.rows.len() {
                return Err(Error::invalid(
                    field,
                    format!("is not a row: the scan has {} rows", self.rows.len()),
                )
                .with_value(row));
            }
        }
        Ok(self.explain(left, right))
    }

    /// The model the scan scored with (trained, unless training was off).
    pub fn model(&self) -> &Model {
        &self.scorer.model
    }

    /// Pairs compared, after blocking.
    pub fn candidate_pairs(&self) -> u64 {
        self.candidate_pairs
    }

    /// What each blocking key contributed.
    pub fn blocking(&self) -> &[BlockReport] {
        &self.blocking
    }

    /// Expectation-maximisation iterations run (0 when not training).
    pub fn em_iterations(&self) -> usize {
        self.em_iterations
    }

    /// Rows scanned.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no rows were scanned.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// Runs `work` over `items` in chunks, on up to `threads` threads, results in
/// order; reports progress between rounds on the caller's thread.
fn par_map<T: Sync, R: Send>(
    items: &[T],
    options: &mut ScanOptions<'_>,
    stage: &'static str,
    work: impl Fn(&[T]) -> Vec<R> + Sync,
) -> Vec<R> {
    const CHUNK: usize = 32 * 1024;
    let total = items.len() as u64;
    let mut out = Vec::with_capacity(items.len());
    let threads = options.threads.max(1);
    for round in items.chunks(CHUNK * threads) {
        if threads == 1 {
            out.extend(work(round));
        } else {
            let per = round.len().div_ceil(threads).max(1);
            let parts: Vec<Vec<R>> = std::thread::scope(|s| {
                let handles: Vec<_> = round
                    .chunks(per)
                    .skip(1)
                    .map(|part| s.spawn(|| work(part)))
                    .collect();
                let mut parts = vec![work(&round[..per.min(round.len())])];
                parts.extend(
                    handles
                        .into_iter()
                        .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))),
                );
                parts
            });
            for part in parts {
                out.extend(part);
            }
        }
        options.report(stage, out.len() as u64, total);
    }
    out
}

/// 64-bit FNV-1a over parts (separated), finished with a mixer.
fn key_hash(salt: u64, parts: &[&[u8]]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ salt;
    for part in parts {
        for b in *part {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

fn block_key(key: BlockKey, row: &Prepared) -> Option<u64> {
    let salt = key as u64;
    fn b(s: &Option<Box<str>>) -> Option<&[u8]> {
        s.as_deref().map(str::as_bytes)
    }
    match key {
        BlockKey::Email => Some(key_hash(salt, &[b(&row.email)?])),
        BlockKey::Phone => row
            .phone_suffix
            .map(|s| key_hash(salt, &[&s.to_le_bytes()])),
        BlockKey::Name => {
            let (f, l) = (b(&row.first)?, b(&row.last)?);
            let (x, y) = if f <= l { (f, l) } else { (l, f) };
            Some(key_hash(salt, &[x, y]))
        }
        BlockKey::LastCompany => Some(key_hash(salt, &[b(&row.last)?, b(&row.company)?])),
        BlockKey::FirstCompany => Some(key_hash(salt, &[b(&row.first)?, b(&row.company)?])),
        BlockKey::LastDomain => {
            let domain = row.email_domain()?;
            (!normalize::is_free_mail(domain))
                .then(|| b(&row.last).map(|l| key_hash(salt, &[l, domain.as_bytes()])))
                .flatten()
        }
    }
}

/// The candidate pairs of one key, packed `left << 32 | right`.
fn block(hashes: &[RowKeys], key: BlockKey, max_block: usize) -> (Vec<u64>, BlockReport) {
    let k = key as usize;
    let mut keyed: Vec<(u64, u32)> = hashes
        .iter()
        .enumerate()
        .filter(|(_, h)| h[k] != 0)
        .map(|(i, h)| (h[k], i as u32))
        .collect();
    keyed.sort_unstable();
    let mut report = BlockReport {
        key,
        blocks: 0,
        pairs: 0,
        skipped_blocks: 0,
        skipped_records: 0,
    };
    let mut pairs = Vec::new();
    for run in keyed.chunk_by(|a, b| a.0 == b.0) {
        if run.len() < 2 {
            continue;
        }
        if run.len() > max_block {
            report.skipped_blocks += 1;
            report.skipped_records += run.len() as u64;
            continue;
        }
        report.blocks += 1;
        for (i, a) in run.iter().enumerate() {
            for b in &run[i + 1..] {
                pairs.push(u64::from(a.1) << 32 | u64::from(b.1));
            }
        }
    }
    report.pairs = pairs.len() as u64;
    (pairs, report)
}

/// Where a pattern keeps the blocking keys the pair shares (bits by
/// [`BlockKey`]).
const KEYS_SHIFT: u32 = 25;

/// The blocking keys `a` and `b` share, as bits by [`BlockKey`].
fn shared_keys(a: &RowKeys, b: &RowKeys, keys: &[BlockKey]) -> u32 {
    keys.iter()
        .filter(|key| {
            let k = **key as usize;
            a[k] != 0 && a[k] == b[k]
        })
        .fold(0, |bits, key| bits | 1 << (*key as u32))
}

/// A row's blocking key hashes, by [`BlockKey`] (0: no key).
type RowKeys = [u64; BlockKey::ALL.len()];

fn row_keys(row: &Prepared) -> RowKeys {
    BlockKey::ALL.map(|key| block_key(key, row).map_or(0, |h| h | 1))
}

/// The fields a key forces to agree, as bits by [`Field`].
fn forced_fields(key: BlockKey) -> u32 {
    let bit = |f: Field| 1u32 << (f as u32);
    match key {
        BlockKey::Email => bit(Field::Email),
        BlockKey::Phone => bit(Field::Phone),
        BlockKey::Name => bit(Field::FirstName) | bit(Field::LastName),
        BlockKey::LastCompany => bit(Field::LastName) | bit(Field::Company),
        BlockKey::LastDomain => bit(Field::LastName) | bit(Field::Email),
        BlockKey::FirstCompany => bit(Field::FirstName) | bit(Field::Company),
    }
}

/// A small, seeded generator for the random pairs (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// `u` per field: the sampled share of each level among random pairs where
/// both sides have the field, with the exact level taken from the value
/// frequencies where known.
fn estimate_u(
    rows: &[Prepared],
    tf: &TermFrequencies,
    scorer: &Scorer,
    config: &DedupeConfig,
    options: &mut ScanOptions<'_>,
) -> HashMap<Field, [f64; 4]> {
    let n = rows.len() as u64;
    let mut rng = Rng(config.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let samples: Vec<(u32, u32)> = (0..config.u_samples)
        .filter_map(|_| {
            let (i, j) = (rng.next() % n, rng.next() % n);
            (i != j).then_some((i as u32, j as u32))
        })
        .collect();
    let region = scorer.region;
    let patterns = par_map(&samples, options, "train", |part| {
        part.iter()
            .map(|&(i, j)| compare::compare(&rows[i as usize], &rows[j as usize], region).pattern())
            .collect()
    });
    let mut counts = [[0u64; 4]; 7];
    for pattern in patterns {
        for (f, level) in unpack(pattern).iter().enumerate() {
            if let Some(i) = level.index() {
                counts[f][i] += 1;
            }
        }
    }
    let mut out = HashMap::new();
    for field in Field::ALL {
        let c = counts[field as usize];
        let seen: u64 = c.iter().sum();
        let mut u = [0.0; 4];
        for l in 1..4 {
            u[l] = (c[l] as f64 + 0.5) / (seen as f64 + 1.0);
        }
        if let Some(collision) = tf.collision(field) {
            u[3] = collision.max(1e-9);
        }
        u[0] = (1.0 - u[1] - u[2] - u[3]).max(1e-6);
        out.insert(field, u);
    }
    out
}

/// Expectation-maximisation over pattern counts with `u` fixed: updates the
/// prior and the `m` of the fields in `learn`. Returns the iterations run.
fn em(counts: &[([Level; 7], f64)], model: &mut Model, learn: [bool; 7]) -> usize {
    let total: f64 = counts.iter().map(|c| c.1).sum();
    if total <= 0.0 {
        return 0;
    }
    let mut iterations = 0;
    for _ in 0..200 {
        iterations += 1;
        let mut m_num = [[0.0f64; 4]; 7];
        let mut matched = 0.0;
        for (levels, count) in counts {
            let (mut lm, mut lu) = (1.0f64, 1.0f64);
            for (f, level) in levels.iter().enumerate() {
                if let Some(i) = level.index() {
                    let w = &model.fields[&Field::ALL[f]];
                    lm *= w.m[i].max(1e-12);
                    lu *= w.u[i].max(1e-12);
                }
            }
            let a = model.prior * lm;
            let b = (1.0 - model.prior) * lu;
            let p = if a + b > 0.0 { a / (a + b) } else { 0.0 };
            matched += p * count;
            for (f, level) in levels.iter().enumerate() {
                if let Some(i) = level.index() {
                    m_num[f][i] += p * count;
                }
            }
        }
        let mut change: f64 = 0.0;
        for (f, field) in Field::ALL.iter().enumerate() {
            let den: f64 = m_num[f].iter().sum();
            if !learn[f] || den <= 0.0 {
                continue;
            }
            let w = model
                .fields
                .get_mut(field)
                .expect("every field has weights");
            for (old, num) in w.m.iter_mut().zip(m_num[f]) {
                let m = (num / den).max(1e-6);
                change = change.max((m - *old).abs());
                *old = m;
            }
        }
        let prior = (matched / total).clamp(1e-9, 1.0 - 1e-9);
        change = change.max((prior - model.prior).abs());
        model.prior = prior;
        if change < 1e-6 {
            break;
        }
    }
    iterations
}

/// Pattern counts of the pairs that share `key` (any pair when `None`),
/// with the fields forced by the key (or by the first key a pair shares)
/// blanked. Ordered, so that sums come out the same in every run.
fn session(patterns: &[u32], key: Option<BlockKey>) -> Vec<([Level; 7], f64)> {
    let mut counts: std::collections::BTreeMap<u32, u64> = std::collections::BTreeMap::new();
    for p in patterns {
        let shared = p >> KEYS_SHIFT;
        let forced = match key {
            Some(key) if shared & (1 << key as u32) != 0 => forced_fields(key),
            Some(_) => continue,
            None => BlockKey::ALL
                .iter()
                .find(|k| shared & (1 << (**k as u32)) != 0)
                .map_or(0, |k| forced_fields(*k)),
        };
        *counts
            .entry(p & ((1 << 21) - 1) | forced << 21)
            .or_insert(0) += 1;
    }
    counts
        .into_iter()
        .map(|(p, c)| {
            let mut levels = unpack(p);
            for (f, level) in levels.iter_mut().enumerate() {
                if (p >> 21) & (1 << f) != 0 {
                    *level = Level::Missing;
                }
            }
            (levels, c as f64)
        })
        .collect()
}

/// Trains `m` and the prior with `u` fixed, as a linker does: `m` of the
/// contact points and companies from the pairs that share a name (the names
/// left out), `m` of the names from the pairs that share an email (or a
/// phone), then the share of matches among all candidate pairs, each pair
/// without the fields its blocking key forced. Returns the model and the
/// iterations run.
fn train(patterns: &[u32], u: &HashMap<Field, [f64; 4]>, start: &Model) -> (Model, usize) {
    let mut model = start.clone();
    for field in Field::ALL {
        let w = model.fields.entry(field).or_insert(FieldWeights {
            m: [0.25; 4],
            u: [0.25; 4],
        });
        if let Some(u) = u.get(&field) {
            w.u = *u;
        }
    }
    // Names, title and city come from the pairs sharing an email (nearly all
    // matches); the contact points and company from the pairs sharing a
    // name, where the city is left out too: people with one name often live
    // in one country, and so in one of its few big cities.
    let names = [true, true, false, false, false, true, true];
    let others = [false, false, true, true, true, false, false];
    let mut iterations = 0;
    model.prior = 0.5;
    let mut by_name = session(patterns, Some(BlockKey::Name));
    for (levels, _) in &mut by_name {
        levels[Field::City as usize] = Level::Missing;
        levels[Field::Title as usize] = Level::Missing;
    }
    iterations += em(&by_name, &mut model, others);
    model.prior = 0.5;
    let by_email = session(patterns, Some(BlockKey::Email));
    if by_email.is_empty() {
        iterations += em(&session(patterns, Some(BlockKey::Phone)), &mut model, names);
    } else {
        iterations += em(&by_email, &mut model, names);
    }
    model.prior = 0.1;
    iterations += em(&session(patterns, None), &mut model, [false; 7]);
    (model, iterations)
}

/// Matched pairs into groups; see the module docs.
fn cluster(n: usize, pairs: &[ScoredPair], min_link: f64) -> Vec<u32> {
    let mut order: Vec<usize> = (0..pairs.len()).collect();
    order.sort_by(|&a, &b| {
        pairs[b]
            .probability
            .total_cmp(&pairs[a].probability)
            .then((pairs[a].left, pairs[a].right).cmp(&(pairs[b].left, pairs[b].right)))
    });
    // Adjacency of matched pairs.
    let mut neighbours: HashMap<u32, Vec<u32>> = HashMap::new();
    for p in pairs {
        neighbours.entry(p.left).or_default().push(p.right);
        neighbours.entry(p.right).or_default().push(p.left);
    }
    let mut root: Vec<u32> = (0..n as u32).collect();
    let mut members: HashMap<u32, Vec<u32>> = HashMap::new();
    let group = |members: &HashMap<u32, Vec<u32>>, r: u32| -> Vec<u32> {
        members.get(&r).cloned().unwrap_or_else(|| vec![r])
    };
    for i in order {
        let (a, b) = (root[pairs[i].left as usize], root[pairs[i].right as usize]);
        if a == b {
            continue;
        }
        let ga = group(&members, a);
        let gb = group(&members, b);
        let (small, other) = if ga.len() <= gb.len() {
            (&ga, b)
        } else {
            (&gb, a)
        };
        let links: usize = small
            .iter()
            .map(|x| {
                neighbours.get(x).map_or(0, |ns| {
                    ns.iter().filter(|y| root[**y as usize] == other).count()
                })
            })
            .sum();
        let needed = (min_link * (ga.len() * gb.len()) as f64).ceil().max(1.0) as usize;
        if links < needed {
            continue;
        }
        let (keep, gone) = if a < b { (a, b) } else { (b, a) };
        let mut joined = ga;
        joined.extend(gb);
        for x in &joined {
            root[*x as usize] = keep;
        }
        members.remove(&gone);
        members.insert(keep, joined);
    }
    // The id is the smallest row (roots are the smaller of two roots, and
    // every group's first root is its own smallest row).
    root
}

/// Fewer records than this are scored with the configured model (or the
/// default one) rather than one trained on them: too few to estimate from.
pub const MIN_TRAIN_ROWS: usize = 1_000;

/// Finds the duplicates among `records` (see the module docs).
///
/// # Errors
///
/// [`Error::Validation`] on `threads` when it is zero, on a `dedupe.*` field
/// when the configuration is invalid, on `records` when there are more than
/// 4,294,967,295.
pub fn scan(
    records: &[MatchRecord],
    config: &DedupeConfig,
    options: &mut ScanOptions<'_>,
) -> Result<Scan> {
    config.check()?;
    if options.threads == 0 {
        return Err(Error::invalid("threads", "must be at least 1"));
    }
    if u32::try_from(records.len()).is_err() {
        return Err(Error::invalid(
            "records",
            "a scan takes at most 4,294,967,295 records",
        ));
    }
    let email_rules = EmailRules {
        provider_rules: config.email_provider_rules,
    };
    let rows = par_map(records, options, "normalise", |part| {
        part.iter().map(|r| Prepared::new(r, email_rules)).collect()
    });
    let tf = TermFrequencies::new(&rows);

    // Blocking, one key per thread.
    let keys: Vec<BlockKey> = {
        let mut k = config.blocking.clone();
        k.sort();
        k.dedup();
        k
    };
    let hashes: Vec<RowKeys> = par_map(&rows, options, "block", |part| {
        part.iter().map(row_keys).collect()
    });
    let blocked = par_map(
        &keys,
        &mut ScanOptions {
            threads: options.threads,
            progress: None,
        },
        "block",
        |part| {
            part.iter()
                .map(|k| block(&hashes, *k, config.max_block))
                .collect()
        },
    );
    let mut candidates: Vec<u64> = Vec::new();
    let mut blocking = Vec::new();
    for (pairs, report) in blocked {
        candidates.extend(pairs);
        blocking.push(report);
    }
    candidates.sort_unstable();
    candidates.dedup();
    options.report("block", candidates.len() as u64, candidates.len() as u64);

    let mut scorer = Scorer::new(config, config.model.clone().unwrap_or_default())?;
    let region = scorer.region;
    let keys_ref = &keys;
    let comparisons: Vec<u32> = par_map(&candidates, options, "compare", |part| {
        part.iter()
            .map(|p| {
                let (l, r) = ((p >> 32) as usize, (p & 0xffff_ffff) as usize);
                let pattern = compare::compare(&rows[l], &rows[r], region).pattern();
                pattern | shared_keys(&hashes[l], &hashes[r], keys_ref) << KEYS_SHIFT
            })
            .collect()
    });

    let mut em_iterations = 0;
    if config.train && !comparisons.is_empty() && rows.len() >= MIN_TRAIN_ROWS {
        let u = estimate_u(&rows, &tf, &scorer, config, options);
        let (mut model, iterations) = train(&comparisons, &u, &scorer.model);
        // Training estimates the share of matches among the candidate pairs;
        // scoring weighs every field (the blocked ones too) against random
        // pairs, so its prior is the share of matches among all pairs.
        let n = rows.len() as f64;
        let matches = model.prior * comparisons.len() as f64;
        model.prior = (matches / (n * (n - 1.0) / 2.0)).clamp(1e-12, 0.5);
        scorer.set_model(model);
        em_iterations = iterations;
    }

    // The share of each row's values in the term-frequency fields, looked
    // up once per row rather than once per pair.
    let shares: Vec<[f64; 7]> = par_map(&rows, options, "score", |part| {
        part.iter()
            .map(|row| {
                std::array::from_fn(|i| {
                    let field = Field::ALL[i];
                    row.value(field)
                        .and_then(|v| tf.share(field, v))
                        .unwrap_or(f64::NAN)
                })
            })
            .collect()
    });
    let indexed: Vec<(u64, u32)> = candidates.iter().copied().zip(comparisons).collect();
    let tf_ref = &tf;
    let scorer_ref = &scorer;
    let shares_ref = &shares;
    let scored: Vec<Option<ScoredPair>> = par_map(&indexed, options, "score", |part| {
        part.iter()
            .map(|&(p, pattern)| {
                let (l, r) = ((p >> 32) as u32, (p & 0xffff_ffff) as u32);
                let levels = unpack(pattern);
                let a = &rows[l as usize];
                let c = Comparison {
                    levels,
                    similarity: [None; 7],
                    swapped: pattern & SWAPPED != 0,
                };
                let weight = scorer_ref.weight(&c, |field| {
                    if c.swapped && matches!(field, Field::FirstName | Field::LastName) {
                        Scorer::share_in(tf_ref, a, &c, field)
                    } else {
                        Some(shares_ref[l as usize][field as usize]).filter(|s| !s.is_nan())
                    }
                });
                let probability = compare::probability(weight);
                let rule = scorer_ref.rule(&levels);
                scorer_ref.decide(probability, rule).then(|| ScoredPair {
                    left: l,
                    right: r,
                    probability,
                    weight,
                    rule: rule.map(|r| r as u16),
                })
            })
            .collect()
    });
    let pairs: Vec<ScoredPair> = scored.into_iter().flatten().collect();
    options.report("cluster", 0, pairs.len() as u64);
    let cluster_ids = cluster(rows.len(), &pairs, config.cluster_min_link);
    options.report("cluster", pairs.len() as u64, pairs.len() as u64);
    Ok(Scan {
        rows,
        tf,
        scorer,
        pairs,
        cluster_ids,
        candidate_pairs: candidates.len() as u64,
        blocking,
        em_iterations,
    })
}
