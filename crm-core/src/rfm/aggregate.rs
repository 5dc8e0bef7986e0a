//! Per-customer aggregation of purchase columns: one pass, no allocation per
//! row, on one or more threads the caller asks for.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::error::{Error, Result};

/// One customer's purchases, summed up. Aggregates of any split of the
/// purchases [`merge`](Aggregate::merge) into exactly the aggregate of all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Aggregate {
    /// The customer.
    pub customer: i64,
    /// The first purchase (microseconds since 1970, UTC); `i64::MAX` when none.
    pub first: i64,
    /// The last purchase; `i64::MIN` when none.
    pub last: i64,
    /// How many purchases (rows with an amount of zero or more).
    pub purchases: u64,
    /// How many refunds (rows with a negative amount).
    pub refunds: u64,
    /// Purchases minus refunds, in minor units (cents).
    pub monetary: i64,
}

impl Aggregate {
    fn empty(customer: i64) -> Self {
        Aggregate {
            customer,
            first: i64::MAX,
            last: i64::MIN,
            purchases: 0,
            refunds: 0,
            monetary: 0,
        }
    }

    /// Adds one row; false when the sum no longer fits in 64 bits.
    #[inline]
    fn add(&mut self, at: i64, amount: i64) -> bool {
        let (sum, overflow) = self.monetary.overflowing_add(amount);
        self.monetary = sum;
        if amount < 0 {
            self.refunds += 1;
        } else {
            self.purchases += 1;
            self.first = self.first.min(at);
            self.last = self.last.max(at);
        }
        !overflow
    }

    /// Combines two aggregates of the same customer.
    pub fn merge(&mut self, other: &Aggregate) {
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        self.purchases += other.purchases;
        self.refunds += other.refunds;
        self.monetary = self.monetary.saturating_add(other.monetary);
    }
}

/// What was left out, and why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Skipped {
    /// Rows dated after `as_of` (not yet happened, as of then).
    pub future: u64,
    /// Customers with refunds only: nothing to score.
    pub refund_only: u64,
}

/// A fast hasher for integer keys (the multiply-rotate of rustc's FxHash).
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.write_u64(u64::from(*byte));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
}

pub(crate) type IdMap<V> = HashMap<i64, V, BuildHasherDefault<IdHasher>>;

/// Aggregates purchase columns (all the same length) per customer, leaving out
/// rows after `as_of` (counted in `future`). Results come ordered by customer
/// id, customers with refunds only included.
///
/// # Errors
///
/// [`Error::Validation`] on `columns` when the lengths differ, on `threads`
/// when it is zero.
pub fn aggregate(
    customers: &[i64],
    at: &[i64],
    amounts: &[i64],
    as_of: i64,
    threads: usize,
) -> Result<(Vec<Aggregate>, Skipped)> {
    if customers.len() != at.len() || at.len() != amounts.len() {
        return Err(Error::invalid(
            "columns",
            format!(
                "must have the same length (customers {}, times {}, amounts {})",
                customers.len(),
                at.len(),
                amounts.len()
            ),
        ));
    }
    if threads == 0 {
        return Err(Error::invalid("threads", "must be at least 1"));
    }
    let n = customers.len();
    let threads = threads.min(n.div_ceil(1 << 16).max(1));
    let (lo, hi) = match (customers.iter().min(), customers.iter().max()) {
        (Some(lo), Some(hi)) => (*lo, *hi),
        _ => return Ok((Vec::new(), Skipped::default())),
    };
    let span = (i128::from(hi) - i128::from(lo) + 1) as u128;
    // Ids within a few times the row count of each other: index a table
    // directly by id. Otherwise hash them.
    let dense = span <= (4 * n as u128 + 1024).min(1 << 27);
    if dense {
        return aggregate_dense(customers, at, amounts, as_of, threads, lo, span as usize);
    }
    let chunk = n.div_ceil(threads);
    let parts: Vec<(IdMap<Aggregate>, Option<u64>)> = if threads == 1 {
        vec![aggregate_part(customers, at, amounts, as_of)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let range = t * chunk..((t + 1) * chunk).min(n);
                    let (c, a, m) = (
                        &customers[range.clone()],
                        &at[range.clone()],
                        &amounts[range],
                    );
                    scope.spawn(move || aggregate_part(c, a, m, as_of))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("an aggregation thread panicked"))
                .collect()
        })
    };
    if parts.iter().any(|(_, f)| f.is_none()) {
        return Err(Error::invalid(
            "amounts",
            "a customer's total does not fit in 64-bit minor units",
        ));
    }
    let future = parts.iter().map(|(_, f)| f.unwrap_or(0)).sum();
    let mut parts = parts.into_iter().map(|(p, _)| p);
    let mut merged = parts.next().unwrap_or_default();
    for part in parts {
        for (id, agg) in part {
            merged
                .entry(id)
                .or_insert_with(|| Aggregate::empty(id))
                .merge(&agg);
        }
    }
    let mut out: Vec<Aggregate> = merged.into_values().collect();
    out.sort_unstable_by_key(|a| a.customer);
    // Customers with refunds only stay in: another partition may hold their
    // purchases. Scoring leaves them out (and counts them).
    Ok((
        out,
        Skipped {
            future,
            refund_only: 0,
        },
    ))
}

/// Dense ids: one table indexed by id. With several threads, each owns a
/// range of ids (a slice of the table) and reads every row, keeping only its
/// own: no table per thread and nothing to merge.
fn aggregate_dense(
    customers: &[i64],
    at: &[i64],
    amounts: &[i64],
    as_of: i64,
    threads: usize,
    lo: i64,
    span: usize,
) -> Result<(Vec<Aggregate>, Skipped)> {
    let mut table = vec![Aggregate::empty(0); span];
    let per = span.div_ceil(threads);
    let results: Vec<(u64, bool)> = if threads == 1 {
        vec![fill(&mut table, customers, at, amounts, as_of, lo)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = table
                .chunks_mut(per)
                .enumerate()
                .map(|(t, slice)| {
                    let start = lo + (t * per) as i64;
                    scope.spawn(move || fill(slice, customers, at, amounts, as_of, start))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("an aggregation thread panicked"))
                .collect()
        })
    };
    if results.iter().any(|(_, fits)| !fits) {
        return Err(Error::invalid(
            "amounts",
            "a customer's total does not fit in 64-bit minor units",
        ));
    }
    // Every thread saw every row: count future rows once (the first thread's
    // range is not special; count them directly).
    let future = if threads == 1 {
        results[0].0
    } else {
        at.iter().filter(|t| **t > as_of).count() as u64
    };
    let out = table
        .into_iter()
        .enumerate()
        .filter(|(_, agg)| agg.purchases + agg.refunds > 0)
        .map(|(i, mut agg)| {
            agg.customer = lo + i as i64;
            agg
        })
        .collect();
    Ok((
        out,
        Skipped {
            future,
            refund_only: 0,
        },
    ))
}

/// Adds the rows whose customer falls in `table` (ids from `start`).
///
/// A large table does not fit in the caches, and rows in time order hit it at
/// random. So rows are taken a million at a time and first sorted into
/// partitions of 4,096 customers by a counting pass (sequential writes), then
/// each partition is added to its slice of the table while that slice sits in
/// the cache.
fn fill(
    table: &mut [Aggregate],
    customers: &[i64],
    at: &[i64],
    amounts: &[i64],
    as_of: i64,
    start: i64,
) -> (u64, bool) {
    const PART_BITS: u32 = 12;
    const CHUNK: usize = 1 << 20;
    let mut future = 0;
    let mut fits = true;
    let len = table.len() as u64;
    if table.len() <= 1 << 16 {
        for ((c, t), m) in customers.iter().zip(at).zip(amounts) {
            let slot = c.wrapping_sub(start) as u64;
            if slot >= len {
                continue;
            }
            if *t > as_of {
                future += 1;
                continue;
            }
            fits &= table[slot as usize].add(*t, *m);
        }
        return (future, fits);
    }
    #[derive(Clone, Copy, Default)]
    struct Row {
        at: i64,
        amount: i64,
        slot: u32,
    }
    let parts = table.len().div_ceil(1 << PART_BITS);
    let mut counts = vec![0usize; parts + 1];
    let mut rows = vec![Row::default(); CHUNK.min(customers.len())];
    for ((cs, ts), ms) in customers
        .chunks(CHUNK)
        .zip(at.chunks(CHUNK))
        .zip(amounts.chunks(CHUNK))
    {
        counts.iter_mut().for_each(|c| *c = 0);
        for (c, t) in cs.iter().zip(ts) {
            let slot = c.wrapping_sub(start) as u64;
            if slot < len && *t <= as_of {
                counts[(slot >> PART_BITS) as usize + 1] += 1;
            }
        }
        for p in 1..counts.len() {
            counts[p] += counts[p - 1];
        }
        let mut next = counts.clone();
        for ((c, t), m) in cs.iter().zip(ts).zip(ms) {
            let slot = c.wrapping_sub(start) as u64;
            if slot >= len {
                continue;
            }
            if *t > as_of {
                future += 1;
                continue;
            }
            let at = &mut next[(slot >> PART_BITS) as usize];
            rows[*at] = Row {
                at: *t,
                amount: *m,
                slot: slot as u32,
            };
            *at += 1;
        }
        for p in 0..parts {
            for row in &rows[counts[p]..counts[p + 1]] {
                fits &= table[row.slot as usize].add(row.at, row.amount);
            }
        }
    }
    (future, fits)
}

/// Hashed ids: a map per thread's share of the rows, merged at the end.
fn aggregate_part(
    customers: &[i64],
    at: &[i64],
    amounts: &[i64],
    as_of: i64,
) -> (IdMap<Aggregate>, Option<u64>) {
    let mut future = 0;
    let mut fits = true;
    let mut map = IdMap::default();
    for ((c, t), m) in customers.iter().zip(at).zip(amounts) {
        if *t > as_of {
            future += 1;
            continue;
        }
        fits &= map
            .entry(*c)
            .or_insert_with(|| Aggregate::empty(*c))
            .add(*t, *m);
    }
    (map, fits.then_some(future))
}

/// Merges aggregates of the same customers from several partitions (e.g. the
/// partitions of a distributed job) into one per customer, ordered by id.
pub fn merge(parts: impl IntoIterator<Item = Aggregate>) -> Vec<Aggregate> {
    let mut map: IdMap<Aggregate> = IdMap::default();
    for part in parts {
        map.entry(part.customer)
            .or_insert_with(|| Aggregate::empty(part.customer))
            .merge(&part);
    }
    let mut out: Vec<Aggregate> = map.into_values().collect();
    out.sort_unstable_by_key(|a| a.customer);
    out
}
