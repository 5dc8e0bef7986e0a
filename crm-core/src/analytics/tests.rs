use chrono::{Duration, TimeZone, Utc};
use rust_decimal::Decimal;

use super::clv::*;
use crate::random::SplitMix64;
use crate::rfm::Purchase;

/// A seeded generator for simulated customers.
struct Rng(SplitMix64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0.unit()
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.next().max(1e-300), self.next());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }

    /// Gamma(shape, scale 1) by Marsaglia and Tsang.
    fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            return self.gamma(shape + 1.0) * self.next().max(1e-300).powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v > 0.0 && self.next().ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }

    fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.gamma(a);
        x / (x + self.gamma(b))
    }
}

/// Customers drawn from a BG/NBD process: rates Gamma(r, alpha) per day,
/// drop-out Beta(a, b) after each repeat purchase, observed for 200 to 500
/// days.
fn simulate(n: usize, r: f64, alpha: f64, a: f64, b: f64, seed: u64) -> Vec<ClvSummary> {
    let mut rng = Rng(SplitMix64(seed));
    (0..n)
        .map(|i| {
            let rate = rng.gamma(r) / alpha;
            let p = rng.beta(a, b);
            let t = 200.0 + 300.0 * rng.next();
            let (mut now, mut x, mut last) = (0.0, 0u32, 0.0);
            // Active from the first purchase at 0; after each repeat
            // purchase the customer drops out with probability p.
            loop {
                now += -rng.next().max(1e-300).ln() / rate;
                if now > t {
                    break;
                }
                x += 1;
                last = now;
                if rng.next() < p {
                    break;
                }
            }
            ClvSummary {
                customer: format!("c{i}"),
                frequency: x,
                recency: last as u32,
                t: t as u32,
                monetary: Decimal::ZERO,
            }
        })
        .collect()
}

#[test]
fn the_summary_follows_lifetimes_daily_definition() {
    let at =
        |d: i64, h: u32| Utc.with_ymd_and_hms(2026, 1, 1, h, 0, 0).unwrap() + Duration::days(d);
    let buy = |c: &str, at, cents| Purchase::new(c, at, Decimal::new(cents, 2));
    let purchases = [
        buy("ann", at(0, 9), 1000),
        buy("ann", at(0, 17), 500), // same day: one purchase day of 15.00
        buy("ann", at(10, 9), 2000),
        buy("ann", at(30, 9), 4000),
        buy("ann", at(90, 9), 9900), // after as_of
        buy("bob", at(5, 9), 700),
    ];
    let rows = summarize(&purchases, at(40, 0));
    assert_eq!(rows.len(), 2);
    let ann = &rows[0];
    assert_eq!((ann.frequency, ann.recency, ann.t), (2, 30, 40));
    assert_eq!(ann.monetary, Decimal::new(3000, 2)); // (20 + 40) / 2, the first day left out
    let bob = &rows[1];
    assert_eq!(
        (bob.frequency, bob.recency, bob.t, bob.monetary),
        (0, 0, 35, Decimal::ZERO)
    );
}

#[test]
fn bg_nbd_recovers_the_parameters_it_simulated_and_sits_at_the_optimum() {
    let rows = simulate(20_000, 0.5, 20.0, 0.8, 3.0, 42);
    let fit = BgNbd::fit(&rows).unwrap();
    let close = |got: f64, want: f64, within: f64| (got / want - 1.0).abs() < within;
    assert!(close(fit.r, 0.5, 0.10), "{fit:?}");
    assert!(close(fit.alpha, 20.0, 0.15), "{fit:?}");
    assert!(close(fit.a, 0.8, 0.25), "{fit:?}");
    assert!(close(fit.b, 3.0, 0.30), "{fit:?}");
    // The reported likelihood is the data's, and every nearby point is worse.
    let at_fit = fit.mean_log_likelihood(&rows);
    assert!(
        (at_fit - fit.log_likelihood).abs() < 1e-9,
        "{at_fit} vs {}",
        fit.log_likelihood
    );
    for (i, factor) in [0.99, 1.01].iter().enumerate() {
        for which in 0..4 {
            let mut other = fit;
            match which {
                0 => other.r *= factor,
                1 => other.alpha *= factor,
                2 => other.a *= factor,
                _ => other.b *= factor,
            }
            assert!(other.mean_log_likelihood(&rows) < at_fit, "{i} {which}");
        }
    }
}

#[test]
fn predictions_behave_as_the_model_says() {
    let bg = BgNbd {
        r: 0.5,
        alpha: 20.0,
        a: 0.8,
        b: 3.0,
        log_likelihood: 0.0,
        iterations: 0,
    };
    // Never repeated: certainly alive in the model.
    assert_eq!(bg.p_alive(0, 0, 100), 1.0);
    // A frequent buyer silent for long is less likely alive than a recent one.
    assert!(bg.p_alive(10, 50, 300) < bg.p_alive(10, 290, 300));
    // More purchases are expected over a longer horizon, and from the recent buyer.
    let recent = bg.expected_purchases(365.0, 10, 290, 300);
    assert!(recent > bg.expected_purchases(30.0, 10, 290, 300));
    assert!(recent > bg.expected_purchases(365.0, 10, 50, 300));
    // A new customer (x = 0, T = 0) expects the unconditional rate: for a
    // short horizon about r / alpha per day.
    let short = bg.expected_purchases(1.0, 0, 0, 0);
    assert!((short - 0.5 / 20.0).abs() < 0.002, "{short}");
}

#[test]
fn gamma_gamma_recovers_its_spend_parameters() {
    let (p, q, v) = (6.0, 4.0, 15.0);
    let mut rng = Rng(SplitMix64(7));
    let rows: Vec<ClvSummary> = (0..20_000)
        .map(|i| {
            // Each customer's scale nu ~ Gamma(q, rate v); spends ~ Gamma(p, rate nu).
            let nu = rng.gamma(q) / v;
            let x = 1 + (rng.next() * 6.0) as u32;
            let mean = (0..x).map(|_| rng.gamma(p) / nu).sum::<f64>() / f64::from(x);
            ClvSummary {
                customer: format!("c{i}"),
                frequency: x,
                recency: 10,
                t: 20,
                monetary: Decimal::from_f64_retain(mean).unwrap().round_dp(6),
            }
        })
        .collect();
    let fit = GammaGamma::fit(&rows).unwrap();
    assert!((fit.p / p - 1.0).abs() < 0.1, "{fit:?}");
    assert!((fit.q / q - 1.0).abs() < 0.15, "{fit:?}");
    assert!((fit.v / v - 1.0).abs() < 0.2, "{fit:?}");
    // The expected value shrinks a customer's mean toward the population's.
    let population = fit.p * fit.v / (fit.q - 1.0);
    let one = fit.expected_value(1, 100.0);
    assert!(population < one && one < 100.0);
    assert!(fit.expected_value(50, 100.0) > one);
}

#[test]
fn bad_data_and_options_are_refused_with_the_field() {
    assert!(
        BgNbd::fit(&[])
            .unwrap_err()
            .to_string()
            .contains("no customers")
    );
    let bad = ClvSummary {
        customer: "x".into(),
        frequency: 1,
        recency: 9,
        t: 5,
        monetary: Decimal::ONE,
    };
    assert!(
        BgNbd::fit(std::slice::from_ref(&bad))
            .unwrap_err()
            .to_string()
            .contains("recency 9 is more than T 5")
    );
    assert!(
        GammaGamma::fit(&[ClvSummary {
            frequency: 0,
            ..bad.clone()
        }])
        .is_err()
    );
    let bg = BgNbd {
        r: 0.5,
        alpha: 20.0,
        a: 1.8,
        b: 3.0,
        log_likelihood: 0.0,
        iterations: 0,
    };
    let gg = GammaGamma {
        p: 6.0,
        q: 4.0,
        v: 15.0,
        log_likelihood: 0.0,
        iterations: 0,
    };
    let options = ClvOptions {
        monthly_discount: -0.1,
        ..ClvOptions::default()
    };
    let err = predict(&bg, &gg, &[], &options).unwrap_err();
    assert!(
        err.to_string().starts_with("invalid monthly_discount"),
        "{err}"
    );
    let rows = [ClvSummary { t: 40, ..bad }];
    let out = predict(&bg, &gg, &rows, &ClvOptions::default()).unwrap();
    assert!(out[0].clv > Decimal::ZERO && out[0].clv.scale() <= 2);
}

#[test]
fn predictions_read_as_a_table_keep_every_value_under_its_column() {
    let bg = BgNbd {
        r: 0.25,
        alpha: 4.0,
        a: 0.8,
        b: 2.5,
        log_likelihood: 0.0,
        iterations: 0,
    };
    let gg = GammaGamma {
        p: 6.0,
        q: 4.0,
        v: 15.0,
        log_likelihood: 0.0,
        iterations: 0,
    };
    let rows = [ClvSummary {
        customer: "c1".into(),
        frequency: 3,
        recency: 30,
        t: 40,
        monetary: Decimal::new(2050, 2),
    }];
    let out = predict(&bg, &gg, &rows, &ClvOptions::default()).unwrap();
    let table = crate::analytics::Table::from_rows("clv", &out);
    let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "customer",
            "frequency",
            "recency",
            "t",
            "monetary",
            "p_alive",
            "expected_purchases",
            "expected_value",
            "clv"
        ]
    );
    let row = &table.rows[0];
    assert_eq!(row[0], serde_json::json!("c1"));
    assert_eq!(row[1], serde_json::json!(3));
    assert_eq!(row[4], serde_json::json!("20.50"));
    assert_eq!(row[5], serde_json::json!(out[0].p_alive));
    assert_eq!(row[6], serde_json::json!(out[0].expected_purchases));
    assert_eq!(row[7], serde_json::json!(out[0].expected_value.to_string()));
    assert_eq!(row[8], serde_json::json!(out[0].clv.to_string()));
}

#[test]
fn a_likelihood_whose_supremum_is_at_infinity_ends_the_fit_on_its_ridge() {
    // Mostly one purchase per customer, spread evenly over the year: the
    // likelihood keeps rising, ever more slowly, as r and alpha grow together
    // (the purchase rates' variance runs to zero). The search stops when it
    // stops gaining, instead of walking out along that ridge to its cap of
    // 2,000 iterations (which took minutes on a million purchases).
    let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let mut x: u64 = 7;
    let mut below = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let purchases: Vec<Purchase> = (0..10_000)
        .map(|_| {
            let customer = below(100_000);
            let spread = 1 + customer % 7;
            let hours = below(360 * 24 / spread + 24) * spread;
            Purchase::new(
                format!("c{customer:06}"),
                start + Duration::hours(hours as i64),
                Decimal::new(500 + below(20_000) as i64, 2),
            )
        })
        .collect();
    let rows = summarize(&purchases, start + Duration::days(366));
    let bg = BgNbd::fit(&rows).unwrap();
    assert!(bg.iterations < 500, "{bg:?}");
    assert!(bg.r > 1e6, "{bg:?}");
}
