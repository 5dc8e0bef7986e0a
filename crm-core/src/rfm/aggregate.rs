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

    /// Combines two aggregates of the same customer; false when the sum no
    /// longer fits in 64 bits (it is then left as it was).
    #[must_use]
    pub fn merge(&mut self, other: &Aggregate) -> bool {
        let Some(monetary) = self.monetary.checked_add(other.monetary) else {
            return false;
        };
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        self.purchases += other.purchases;
        self.refunds += other.refunds;
        self.monetary = monetary;
        true
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
/// id, customers with refunds only included. [`Aggregator`] does the same over
/// a stream of chunks.
///
/// # Errors
///
/// [`Error::Validation`] on `columns` when the lengths differ, on `threads`
/// when it is zero, on `amounts` when a customer's total overflows.
pub fn aggregate(
    customers: &[i64],
    at: &[i64],
    amounts: &[i64],
    as_of: i64,
    threads: usize,
) -> Result<(Vec<Aggregate>, Skipped)> {
    let mut aggregator = Aggregator::new(as_of, threads)?;
    aggregator.add(customers, at, amounts)?;
    aggregator.finish()
}

/// Per-customer aggregation over purchases that arrive in chunks (e.g. the
/// record batches of an Arrow stream): memory grows with the customers, not
/// the rows. Ids that stay within a few times the rows seen of each other
/// index one table (grown as the range widens); otherwise they are hashed.
#[derive(Debug)]
pub struct Aggregator {
    as_of: i64,
    threads: usize,
    rows: u64,
    future: u64,
    fits: bool,
    /// The lowest and highest id seen.
    seen: Option<(i64, i64)>,
    state: State,
}

#[derive(Debug)]
enum State {
    Empty,
    Dense { lo: i64, table: Vec<Aggregate> },
    Hashed(IdMap<Aggregate>),
}

impl Aggregator {
    /// An aggregator of purchases up to `as_of` (microseconds since 1970,
    /// UTC), on `threads` threads (the core starts none unless asked).
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `threads` when it is zero.
    pub fn new(as_of: i64, threads: usize) -> Result<Self> {
        if threads == 0 {
            return Err(Error::invalid("threads", "must be at least 1"));
        }
        Ok(Aggregator {
            as_of,
            threads,
            rows: 0,
            future: 0,
            fits: true,
            seen: None,
            state: State::Empty,
        })
    }

    /// Adds a chunk of purchase columns.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `columns` when the lengths differ.
    pub fn add(&mut self, customers: &[i64], at: &[i64], amounts: &[i64]) -> Result<()> {
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
        let (Some(clo), Some(chi)) = (customers.iter().min(), customers.iter().max()) else {
            return Ok(());
        };
        let n = customers.len();
        self.rows += n as u64;
        let threads = self.threads.min(n.div_ceil(1 << 16).max(1));
        let budget = (4 * self.rows as u128 + 1024).min(1 << 27);
        self.seen = Some(match self.seen {
            Some((lo, hi)) => (lo.min(*clo), hi.max(*chi)),
            None => (*clo, *chi),
        });
        let (lo, hi) = self.seen.unwrap_or((*clo, *chi));
        let span = (i128::from(hi) - i128::from(lo) + 1) as u128;
        let dense = span <= budget;
        if dense && matches!(self.state, State::Hashed(_)) {
            // A stream's first chunks may span more ids than they hold rows;
            // once the rows catch up, what was hashed moves into the table.
            if let State::Hashed(map) = std::mem::replace(&mut self.state, State::Empty) {
                let mut table = vec![Aggregate::empty(0); span as usize];
                for (id, agg) in map {
                    table[(id - lo) as usize] = agg;
                }
                self.state = State::Dense { lo, table };
            }
        }
        if dense {
            // Grow the table to the new range, keeping what it holds.
            let table = match std::mem::replace(&mut self.state, State::Empty) {
                State::Dense { lo: old_lo, table }
                    if old_lo == lo && table.len() == span as usize =>
                {
                    table
                }
                State::Dense {
                    lo: old_lo,
                    table: old,
                } => {
                    let mut table = vec![Aggregate::empty(0); span as usize];
                    let offset = (old_lo - lo) as usize;
                    table[offset..offset + old.len()].copy_from_slice(&old);
                    table
                }
                _ => vec![Aggregate::empty(0); span as usize],
            };
            let mut table = table;
            let (future, fits) =
                fill_threads(&mut table, customers, at, amounts, self.as_of, lo, threads);
            self.future += future;
            self.fits &= fits;
            self.state = State::Dense { lo, table };
            return Ok(());
        }
        // Too sparse for a table (now or from here on): hash.
        let mut map = match std::mem::replace(&mut self.state, State::Empty) {
            State::Hashed(map) => map,
            State::Dense { lo, table } => table
                .into_iter()
                .enumerate()
                .filter(|(_, a)| a.purchases + a.refunds > 0)
                .map(|(i, mut a)| {
                    a.customer = lo + i as i64;
                    (a.customer, a)
                })
                .collect(),
            State::Empty => IdMap::default(),
        };
        let chunk = n.div_ceil(threads);
        let as_of = self.as_of;
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
        for (part, future) in parts {
            match future {
                Some(future) => self.future += future,
                None => self.fits = false,
            }
            for (id, agg) in part {
                let entry = map.entry(id).or_insert_with(|| Aggregate::empty(id));
                self.fits &= entry.merge(&agg);
            }
        }
        self.state = State::Hashed(map);
        Ok(())
    }

    /// The aggregates, ordered by customer id (customers with refunds only
    /// included: another partition may hold their purchases), and the rows
    /// left out as future.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `amounts` when a customer's total does not fit
    /// in 64-bit minor units.
    pub fn finish(self) -> Result<(Vec<Aggregate>, Skipped)> {
        if !self.fits {
            return Err(Error::invalid(
                "amounts",
                "a customer's total does not fit in 64-bit minor units",
            ));
        }
        let out = match self.state {
            State::Empty => Vec::new(),
            State::Dense { lo, table } => table
                .into_iter()
                .enumerate()
                .filter(|(_, agg)| agg.purchases + agg.refunds > 0)
                .map(|(i, mut agg)| {
                    agg.customer = lo + i as i64;
                    agg
                })
                .collect(),
            State::Hashed(map) => {
                let mut out: Vec<Aggregate> = map.into_values().collect();
                out.sort_unstable_by_key(|a| a.customer);
                out
            }
        };
        Ok((
            out,
            Skipped {
                future: self.future,
                refund_only: 0,
            },
        ))
    }
}

/// Fills a dense table (ids from `lo`) from one chunk. With several threads,
/// each owns a range of ids (a slice of the table) and reads every row,
/// keeping only its own: no table per thread and nothing to merge.
fn fill_threads(
    table: &mut [Aggregate],
    customers: &[i64],
    at: &[i64],
    amounts: &[i64],
    as_of: i64,
    lo: i64,
    threads: usize,
) -> (u64, bool) {
    if threads == 1 {
        return fill(table, customers, at, amounts, as_of, lo);
    }
    let per = table.len().div_ceil(threads);
    let results: Vec<(u64, bool)> = std::thread::scope(|scope| {
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
    });
    // Every thread saw every row, but only its own customers' future rows.
    let future = results.iter().map(|(f, _)| f).sum();
    (future, results.iter().all(|(_, fits)| *fits))
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
///
/// # Errors
///
/// [`Error::Validation`] on `amounts` when a customer's total does not fit
/// in 64-bit minor units.
pub fn merge(parts: impl IntoIterator<Item = Aggregate>) -> Result<Vec<Aggregate>> {
    let mut map: IdMap<Aggregate> = IdMap::default();
    for part in parts {
        let fits = map
            .entry(part.customer)
            .or_insert_with(|| Aggregate::empty(part.customer))
            .merge(&part);
        if !fits {
            return Err(Error::invalid(
                "amounts",
                "a customer's total does not fit in 64-bit minor units",
            ));
        }
    }
    let mut out: Vec<Aggregate> = map.into_values().collect();
    out.sort_unstable_by_key(|a| a.customer);
    Ok(out)
}
