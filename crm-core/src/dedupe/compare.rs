//! Field comparison, scoring and explanation of one pair.

use std::collections::HashMap;

use phonenumber::country::Id as Region;

use super::normalize::{self, EmailRules};
use super::{
    DedupeConfig, Explanation, Field, FieldExplanation, Level, MatchRecord, MatchRule, Method,
    Model,
};
use crate::error::Result;

/// Jaro-Winkler similarity of two strings, 0 to 1 (1: equal), as the
/// `strsim` crate computes it (prefix scale 0.1, up to 4 characters, applied
/// above a Jaro similarity of 0.7). ASCII strings of up to 64 bytes, nearly
/// every name, take a path without allocation, tested equal to `strsim`.
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    if a.len() <= 64 && b.len() <= 64 && a.is_ascii() && b.is_ascii() {
        jaro_winkler_ascii(a.as_bytes(), b.as_bytes())
    } else {
        strsim::jaro_winkler(a, b)
    }
}

fn jaro_winkler_ascii(a: &[u8], b: &[u8]) -> f64 {
    let (la, lb) = (a.len(), b.len());
    if la == 0 && lb == 0 {
        return 1.0;
    }
    if la == 0 || lb == 0 {
        return 0.0;
    }
    let window = (la.max(lb) / 2).saturating_sub(1);
    let (mut a_flags, mut b_flags) = (0u64, 0u64);
    let mut matches = 0usize;
    for (i, x) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(lb);
        for (j, y) in b.iter().enumerate().take(hi).skip(lo) {
            if b_flags >> j & 1 == 0 && y == x {
                a_flags |= 1 << i;
                b_flags |= 1 << j;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut j = 0;
    for (i, x) in a.iter().enumerate() {
        if a_flags >> i & 1 == 1 {
            while b_flags >> j & 1 == 0 {
                j += 1;
            }
            if b[j] != *x {
                transpositions += 1;
            }
            j += 1;
        }
    }
    let m = matches as f64;
    let jaro = (m / la as f64 + m / lb as f64 + (m - (transpositions / 2) as f64) / m) / 3.0;
    if jaro > 0.7 {
        let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count();
        jaro + 0.1 * prefix as f64 * (1.0 - jaro)
    } else {
        jaro
    }
}

/// Token-set similarity: the share of the smaller set of words found in the
/// other, 0 to 1 (`acme` against `acme widgets` is 1).
pub fn token_set(a: &str, b: &str) -> f64 {
    let ta: Vec<&str> = a.split(' ').filter(|t| !t.is_empty()).collect();
    let tb: Vec<&str> = b.split(' ').filter(|t| !t.is_empty()).collect();
    let (small, large) = if ta.len() <= tb.len() {
        (&ta, &tb)
    } else {
        (&tb, &ta)
    };
    if small.is_empty() {
        return 0.0;
    }
    let shared = small.iter().filter(|t| large.contains(t)).count();
    shared as f64 / small.len() as f64
}

/// A record in normalised form.
#[derive(Debug, Clone, Default)]
pub(crate) struct Prepared {
    pub first: Option<Box<str>>,
    pub last: Option<Box<str>>,
    pub email: Option<Box<str>>,
    pub phone: Option<Box<str>>,
    pub phone_suffix: Option<u64>,
    pub company: Option<Box<str>>,
    pub title: Option<Box<str>>,
    pub city: Option<Box<str>>,
}

fn boxed(value: Option<String>) -> Option<Box<str>> {
    value.map(String::into_boxed_str)
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl Prepared {
    pub fn new(record: &MatchRecord, email_rules: EmailRules) -> Prepared {
        let mut first = given(&record.first_name).and_then(normalize::person_name);
        let mut last = given(&record.last_name).and_then(normalize::person_name);
        if first.is_none() && last.is_none() {
            if let Some(full) = given(&record.name).and_then(normalize::person_name) {
                match full.split_once(' ') {
                    Some((f, l)) => {
                        first = Some(f.to_string());
                        last = Some(l.to_string());
                    }
                    None => last = Some(full),
                }
            }
        }
        let phone = given(&record.phone);
        Prepared {
            first: boxed(first),
            last: boxed(last),
            email: boxed(given(&record.email).and_then(|e| normalize::email_with(e, email_rules))),
            phone_suffix: phone.and_then(normalize::phone_suffix),
            phone: phone
                .filter(|p| normalize::phone_suffix(p).is_some())
                .map(Into::into),
            company: boxed(given(&record.company).and_then(normalize::company)),
            title: boxed(
                given(&record.title)
                    .map(normalize::fold)
                    .filter(|t| !t.is_empty()),
            ),
            city: boxed(given(&record.city).and_then(normalize::address)),
        }
    }

    /// The normalised value of a field, for explanations.
    pub fn value(&self, field: Field) -> Option<&str> {
        match field {
            Field::FirstName => self.first.as_deref(),
            Field::LastName => self.last.as_deref(),
            Field::Email => self.email.as_deref(),
            Field::Phone => self.phone.as_deref(),
            Field::Company => self.company.as_deref(),
            Field::Title => self.title.as_deref(),
            Field::City => self.city.as_deref(),
        }
    }

    pub fn email_domain(&self) -> Option<&str> {
        self.email
            .as_deref()
            .and_then(|e| e.rsplit_once('@'))
            .map(|(_, d)| d)
    }
}

/// The levels of a pair, and the similarities behind them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Comparison {
    pub levels: [Level; 7],
    pub similarity: [Option<f64>; 7],
    pub swapped: bool,
}

impl Comparison {
    /// The levels packed 3 bits per field, and [`SWAPPED`].
    pub fn pattern(&self) -> u32 {
        let levels = self
            .levels
            .iter()
            .enumerate()
            .fold(0, |acc, (i, l)| acc | (*l as u32) << (3 * i));
        if self.swapped {
            levels | SWAPPED
        } else {
            levels
        }
    }
}

/// The bit of a pattern that says the names matched swapped.
pub(crate) const SWAPPED: u32 = 1 << 24;

/// The levels packed by [`Comparison::pattern`], unpacked.
pub(crate) fn unpack(pattern: u32) -> [Level; 7] {
    // Bits above the levels (the swap flag, a training mask) are ignored.
    std::array::from_fn(|i| Level::from_bits((pattern >> (3 * i)) & 7))
}

fn name_level(a: Option<&str>, b: Option<&str>) -> (Level, Option<f64>) {
    let (Some(a), Some(b)) = (a, b) else {
        return (Level::Missing, None);
    };
    if a == b {
        return (Level::Exact, Some(1.0));
    }
    let initial = |x: &str, y: &str| x.chars().count() == 1 && y.chars().next() == x.chars().next();
    let jw = jaro_winkler(a, b);
    let level = if jw >= 0.92 {
        Level::Close
    } else if jw >= 0.80 || initial(a, b) || initial(b, a) {
        Level::Similar
    } else {
        Level::Different
    };
    (level, Some(jw))
}

fn graded(
    a: Option<&str>,
    b: Option<&str>,
    close: f64,
    similar: Option<f64>,
    tokens: bool,
) -> (Level, Option<f64>) {
    let (Some(a), Some(b)) = (a, b) else {
        return (Level::Missing, None);
    };
    if a == b {
        return (Level::Exact, Some(1.0));
    }
    let jw = jaro_winkler(a, b);
    let overlap = if tokens { token_set(a, b) } else { 0.0 };
    let level = if jw >= close || overlap >= 1.0 {
        Level::Close
    } else if similar.is_some_and(|s| jw >= s) || (tokens && overlap >= 0.5) {
        Level::Similar
    } else {
        Level::Different
    };
    (level, Some(jw.max(overlap)))
}

fn phone_level(a: &Prepared, b: &Prepared, region: Region) -> Level {
    let (Some(sa), Some(sb)) = (a.phone_suffix, b.phone_suffix) else {
        return Level::Missing;
    };
    if sa != sb {
        return Level::Different;
    }
    let parsed = |p: &Prepared| p.phone.as_deref().and_then(|t| normalize::phone(t, region));
    match (parsed(a), parsed(b)) {
        (Some(pa), Some(pb)) if pa.e164 == pb.e164 => Level::Exact,
        (Some(pa), Some(pb))
            if pa.national == pb.national && !(pa.explicit_country && pb.explicit_country) =>
        {
            Level::Close
        }
        _ => Level::Similar,
    }
}

/// Compares two prepared records field by field.
pub(crate) fn compare(a: &Prepared, b: &Prepared, region: Region) -> Comparison {
    let mut levels = [Level::Missing; 7];
    let mut similarity = [None; 7];
    let straight = (
        name_level(a.first.as_deref(), b.first.as_deref()),
        name_level(a.last.as_deref(), b.last.as_deref()),
    );
    let mut names = straight;
    let mut swapped = false;
    let both_exact = names.0.0 == Level::Exact && names.1.0 == Level::Exact;
    if !both_exact && a.first.is_some() && a.last.is_some() && b.first.is_some() && b.last.is_some()
    {
        let cross = (
            name_level(a.first.as_deref(), b.last.as_deref()),
            name_level(a.last.as_deref(), b.first.as_deref()),
        );
        if cross.0.0 as u32 + cross.1.0 as u32 > straight.0.0 as u32 + straight.1.0 as u32 {
            names = cross;
            swapped = true;
        }
    }
    (levels[0], similarity[0]) = names.0;
    (levels[1], similarity[1]) = names.1;
    // Another address is simply different: a local part made of the name
    // (jane.doe@) is shared by many people of that name.
    levels[2] = match (a.email.as_deref(), b.email.as_deref()) {
        (Some(x), Some(y)) if x == y => Level::Exact,
        (Some(_), Some(_)) => Level::Different,
        _ => Level::Missing,
    };
    levels[3] = phone_level(a, b, region);
    (levels[4], similarity[4]) = graded(
        a.company.as_deref(),
        b.company.as_deref(),
        0.92,
        Some(0.85),
        true,
    );
    (levels[5], similarity[5]) = graded(a.title.as_deref(), b.title.as_deref(), 0.9, None, false);
    (levels[6], similarity[6]) = graded(a.city.as_deref(), b.city.as_deref(), 0.9, None, false);
    Comparison {
        levels,
        similarity,
        swapped,
    }
}

/// How common each value of the name, company, title and city fields is,
/// for the term-frequency adjustment.
#[derive(Debug, Default)]
pub(crate) struct TermFrequencies {
    /// By [`Field`].
    counts: [HashMap<Box<str>, u32>; 7],
    totals: [u64; 7],
}

/// The fields whose exact matches are weighed by frequency.
pub(crate) const TF_FIELDS: [Field; 5] = [
    Field::FirstName,
    Field::LastName,
    Field::Company,
    Field::Title,
    Field::City,
];

impl TermFrequencies {
    pub fn new(rows: &[Prepared]) -> TermFrequencies {
        let mut tf = TermFrequencies::default();
        for row in rows {
            for field in TF_FIELDS {
                if let Some(v) = row.value(field) {
                    let i = field as usize;
                    *tf.counts[i].entry(v.into()).or_insert(0) += 1;
                    tf.totals[i] += 1;
                }
            }
        }
        tf
    }

    /// The share of non-blank values equal to `value`.
    pub fn share(&self, field: Field, value: &str) -> Option<f64> {
        let i = field as usize;
        let count = *self.counts[i].get(value)?;
        Some(f64::from(count) / self.totals[i] as f64)
    }

    /// The chance that two random non-blank values are equal: sum of squared
    /// shares (the `u` of the exact level).
    pub fn collision(&self, field: Field) -> Option<f64> {
        let i = field as usize;
        let total = u128::from(self.totals[i]);
        // Summed in integers: the same whatever order the table iterates in.
        let squares: u128 = self.counts[i].values().map(|c| u128::from(*c).pow(2)).sum();
        (total > 0).then(|| squares as f64 / (total * total) as f64)
    }
}

/// Scores and explains pairs under a model and the configured decision.
#[derive(Debug, Clone)]
pub(crate) struct Scorer {
    pub model: Model,
    /// log2(m / u) by field and level (0 for missing), from `model`.
    table: [[f64; 5]; 7],
    /// `m` of the exact level by field, for the term-frequency adjustment.
    m_exact: [f64; 7],
    prior_weight: f64,
    pub rules: Vec<MatchRule>,
    pub method: Method,
    pub threshold: f64,
    pub region: Region,
    pub email_rules: EmailRules,
    pub term_frequency: bool,
}

impl Scorer {
    pub fn new(config: &DedupeConfig, model: Model) -> Result<Scorer> {
        let mut scorer = Scorer {
            model: Model::default(),
            table: [[0.0; 5]; 7],
            m_exact: [1.0; 7],
            prior_weight: 0.0,
            rules: config.rules.clone(),
            method: config.method,
            threshold: config.threshold,
            region: normalize::region(&config.default_region)?,
            email_rules: EmailRules {
                provider_rules: config.email_provider_rules,
            },
            term_frequency: config.term_frequency,
        };
        scorer.set_model(model);
        Ok(scorer)
    }

    pub fn prior_weight(&self) -> f64 {
        self.prior_weight
    }

    /// The weight of one field at its level, term-frequency adjusted when
    /// the share of the value is given; and whether it was.
    fn field_weight(&self, field: Field, level: Level, share: Option<f64>) -> (f64, bool) {
        let Some(w) = self.model.fields.get(&field) else {
            return (0.0, false);
        };
        if level == Level::Exact && self.term_frequency && TF_FIELDS.contains(&field) {
            if let Some(share) = share {
                return ((w.m[3].max(1e-12) / share.max(1e-9)).log2(), true);
            }
        }
        (w.weight(level), false)
    }

    /// The total weight of a comparison (prior included). `share` gives the
    /// share of the left record's value of a term-frequency field (asked only
    /// for exact matches).
    pub fn weight(&self, c: &Comparison, share: impl Fn(Field) -> Option<f64>) -> f64 {
        let mut total = self.prior_weight();
        for (i, level) in c.levels.iter().enumerate() {
            let field = Field::ALL[i];
            if *level == Level::Exact && self.term_frequency && TF_FIELDS.contains(&field) {
                if let Some(share) = share(field) {
                    total += (self.m_exact[i].max(1e-12) / share.max(1e-9)).log2();
                    continue;
                }
            }
            total += self.table[i][*level as usize];
        }
        total
    }

    /// Sets the model and the weights derived from it.
    pub fn set_model(&mut self, model: Model) {
        for (i, field) in Field::ALL.iter().enumerate() {
            let w = model.fields.get(field);
            self.m_exact[i] = w.map_or(1.0, |w| w.m[3]);
            for level in [
                Level::Missing,
                Level::Different,
                Level::Similar,
                Level::Close,
                Level::Exact,
            ] {
                self.table[i][level as usize] = w.map_or(0.0, |w| w.weight(level));
            }
        }
        let p = model.prior.clamp(1e-12, 1.0 - 1e-12);
        self.prior_weight = (p / (1.0 - p)).log2();
        self.model = model;
    }

    /// The left record's value of `field` as compared (names may be swapped).
    fn left_value<'a>(a: &'a Prepared, c: &Comparison, field: Field) -> Option<&'a str> {
        match (field, c.swapped) {
            (Field::FirstName, true) => a.last.as_deref(),
            (Field::LastName, true) => a.first.as_deref(),
            _ => a.value(field),
        }
    }

    /// The share of the left record's value, looked up in a table.
    pub fn share_in(
        tf: &TermFrequencies,
        a: &Prepared,
        c: &Comparison,
        field: Field,
    ) -> Option<f64> {
        tf.share(field, Self::left_value(a, c, field)?)
    }

    pub fn rule(&self, levels: &[Level; 7]) -> Option<usize> {
        self.rules.iter().position(|r| r.holds(levels))
    }

    pub fn decide(&self, probability: f64, rule: Option<usize>) -> bool {
        let by_probability = probability >= self.threshold;
        match self.method {
            Method::Probabilistic => by_probability,
            Method::Rules => rule.is_some(),
            Method::Either => by_probability || rule.is_some(),
        }
    }

    pub fn explain(&self, a: &Prepared, b: &Prepared, tf: Option<&TermFrequencies>) -> Explanation {
        let c = compare(a, b, self.region);
        let share = |field| tf.and_then(|tf| Self::share_in(tf, a, &c, field));
        let weight = self.weight(&c, share);
        let probability = probability(weight);
        let rule = self.rule(&c.levels);
        let matched = self.decide(probability, rule);
        let fields = Field::ALL
            .iter()
            .map(|&field| {
                let i = field as usize;
                let (weight, tf_used) = self.field_weight(field, c.levels[i], share(field));
                FieldExplanation {
                    field,
                    left: Self::left_value(a, &c, field).map(str::to_string),
                    right: b.value(field).map(str::to_string),
                    level: c.levels[i],
                    similarity: c.similarity[i],
                    weight,
                    term_frequency: tf_used,
                }
            })
            .collect();
        let rule_name = rule.map(|r| self.rules[r].name.clone());
        let by_probability = format!("probability {probability:.4} >= {}", self.threshold);
        let decided_by = match (self.method, matched, &rule_name) {
            (Method::Rules, true, Some(name)) => format!("rule {name}"),
            (Method::Rules, false, _) => "no rule holds".to_string(),
            (Method::Either, true, Some(name)) if probability < self.threshold => {
                format!("rule {name}")
            }
            (_, true, _) => by_probability,
            (_, false, _) => format!("probability {probability:.4} < {}", self.threshold),
        };
        Explanation {
            probability,
            weight,
            prior_weight: self.prior_weight(),
            fields,
            rule: rule_name,
            matched,
            decided_by,
            names_swapped: c.swapped,
        }
    }
}

/// 2^w / (1 + 2^w).
pub(crate) fn probability(weight: f64) -> f64 {
    let odds = weight.exp2();
    if odds.is_infinite() {
        1.0
    } else {
        odds / (1.0 + odds)
    }
}

/// Compares single records without a batch: the one-record duplicate check
/// and ad-hoc explanations. Uses the configured model (or
/// [`Model::default`]); no term-frequency table.
///
/// ```
/// use crm_core::dedupe::{DedupeConfig, MatchRecord, Matcher};
///
/// let matcher = Matcher::new(&DedupeConfig::default())?;
/// let a = MatchRecord { name: Some("Smith John".into()), email: Some("js@acme.com".into()), ..Default::default() };
/// let b = MatchRecord { first_name: Some("John".into()), last_name: Some("Smith".into()),
///                       email: Some("JS@acme.com".into()), ..Default::default() };
/// let why = matcher.explain(&a, &b);
/// assert!(why.matched && why.names_swapped);
/// # Ok::<(), crm_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Matcher {
    scorer: Scorer,
}

impl Matcher {
    /// A matcher for a configuration.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`](crate::Error::Validation) when the configuration
    /// is invalid.
    pub fn new(config: &DedupeConfig) -> Result<Matcher> {
        config.check()?;
        let model = config.model.clone().unwrap_or_default();
        Ok(Matcher {
            scorer: Scorer::new(config, model)?,
        })
    }

    pub(crate) fn prepare(&self, record: &MatchRecord) -> Prepared {
        Prepared::new(record, self.scorer.email_rules)
    }

    pub(crate) fn explain_prepared(&self, a: &Prepared, b: &Prepared) -> Explanation {
        self.scorer.explain(a, b, None)
    }

    /// Why `a` and `b` do or do not match.
    pub fn explain(&self, a: &MatchRecord, b: &MatchRecord) -> Explanation {
        self.explain_prepared(&self.prepare(a), &self.prepare(b))
    }
}
