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
    let chunk = n.div_ceil(threads);
    let parts: Vec<(Part, Option<u64>)> = if threads == 1 {
        vec![aggregate_part(
            customers,
            at,
            amounts,
            as_of,
            dense,
            lo,
            span as usize,
        )]
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
                    scope.spawn(move || aggregate_part(c, a, m, as_of, dense, lo, span as usize))
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
    let mut merged = parts.next().unwrap_or(Part::Hashed(IdMap::default()));
    for part in parts {
        merged.absorb(part);
    }
    let out = match merged {
        Part::Dense(table) => table
            .into_iter()
            .enumerate()
            .filter(|(_, agg)| agg.purchases + agg.refunds > 0)
            .map(|(i, mut agg)| {
                agg.customer = lo + i as i64;
                agg
            })
            .collect::<Vec<_>>(),
        Part::Hashed(map) => {
            let mut out: Vec<Aggregate> = map.into_values().collect();
            out.sort_unstable_by_key(|a| a.customer);
            out
        }
    };
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

enum Part {
    Dense(Vec<Aggregate>),
    Hashed(IdMap<Aggregate>),
}

impl Part {
    fn absorb(&mut self, other: Part) {
        match (self, other) {
            (Part::Dense(mine), Part::Dense(theirs)) => {
                for (a, b) in mine.iter_mut().zip(&theirs) {
                    if b.purchases + b.refunds > 0 {
                        a.merge(b);
                    }
                }
            }
            (Part::Hashed(mine), Part::Hashed(theirs)) => {
                for (id, agg) in theirs {
                    mine.entry(id)
                        .or_insert_with(|| Aggregate::empty(id))
                        .merge(&agg);
                }
            }
            _ => unreachable!("every part of one run is dense or every part is hashed"),
        }
    }
}

fn aggregate_part(
    customers: &[i64],
    at: &[i64],
    amounts: &[i64],
    as_of: i64,
    dense: bool,
    lo: i64,
    span: usize,
) -> (Part, Option<u64>) {
    let mut future = 0;
    let mut fits = true;
    if dense {
        let mut table = vec![Aggregate::empty(0); span];
        for ((c, t), m) in customers.iter().zip(at).zip(amounts) {
            if *t > as_of {
                future += 1;
                continue;
            }
            fits &= table[(*c - lo) as usize].add(*t, *m);
        }
        (Part::Dense(table), fits.then_some(future))
    } else {
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
        (Part::Hashed(map), fits.then_some(future))
    }
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
