//! Loyalty as module-level functions (no engine, no store: pure functions of
//! their arguments). The rules are the core's, see [`crm::loyalty`].
//!
//! - `loyaltyPoints(program, lines, level?, campaign?)` says what a purchase
//!   earns under a loyalty program, and by which rules
//!   ([`crm::loyalty::LoyaltyConfig::points_for`]);
//! - `drawHoldout(n, percent, seed)` draws a campaign's holdout group as
//!   `launchCampaign` does ([`crm::loyalty::draw_holdout`]).
//!
//! Each has an `...Async` twin that runs on libuv's thread pool. The program is
//! the configuration's `loyalty` key (a JSON string, or an object passed
//! through `JSON.stringify`); purchase lines are plain objects `{ product?,
//! category?, amount }` with the amount a decimal string, read key by key so
//! that an unknown key or a JS number where a decimal string belongs is a
//! `validation` error naming it (`lines[1].amount`), never a key silently
//! ignored or a double rounded. The engine's `recordPurchase` reads its lines
//! with [`purchase_lines`].

use napi::Env;
use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;
use serde_json::Value;

use crm::Error;
use crm::loyalty::{self, PurchaseLine};

use crate::config::{ConfigInput, loyalty_program};
use crate::convert::{count, decimal, decimal_value, shown, size, type_of};
use crate::engine::{Job, Pending, guarded};
use crate::model::JsEarning;

/// One line of a purchase, for earning (`loyaltyPoints`, `recordPurchase`):
/// its product and category select the rate rule, its amount is what the line
/// cost. Any other key is a `validation` error.
#[napi(object, js_name = "PurchaseLine", object_to_js = false)]
pub struct JsPurchaseLine {
    /// The product (rate rules naming it win).
    pub product: Option<String>,
    /// The product's category (rate rules naming it come next).
    pub category: Option<String>,
    /// What the line cost, a decimal string such as `'20.50'` (never a JS
    /// number).
    pub amount: String,
}

/// What a purchase of `lines` earns under the loyalty program `program`, for a
/// member at `level`, bought in `campaign`: each line earns at the most
/// specific rate rule that matches it (one naming its product, else one
/// naming its category, else one naming neither; list order breaks ties),
/// `amount / per * points`; the sum is multiplied by every multiplier rule
/// that applies (one naming the level or the campaign, or neither) and
/// rounded down to whole points once.
///
/// `program` is the configuration's `loyalty` key (a JSON string, or a plain
/// object passed through `JSON.stringify`), with snake_case keys: `{ earn: [{
/// name, per, points, product?, category? } | { name, multiply, level?,
/// campaign? }], levels?, ... }`, decimals as strings or numbers, as the
/// engine reads it.
///
/// @example
/// ```js
/// const { loyaltyPoints } = require('crm')
/// const program = { earn: [
///   { name: 'base', per: '1.00', points: 1 },
///   { name: 'summer', campaign: 'summer', multiply: '1.5' },
/// ] }
/// const earning = loyaltyPoints(program, [{ amount: '9.99' }], null, 'summer')
/// earning.points // 14 (9.99 x 1.5, rounded down)
/// earning.base   // '9.99'
/// earning.rules  // ['base', 'summer']
/// ```
///
/// @throws {Error} `config` naming the path (`loyalty.earn[1].per`, ...) when
/// the program is invalid, on `loyalty` when it is absent or does not read;
/// `validation` on `lines` when it is not an array, on `lines[i]` when a line
/// is not an object, on `lines[i].<key>` for a key that is not a field of a
/// line, on `lines[i].amount` when it is missing, not a string or not a
/// decimal, on `lines[i].product` or `lines[i].category` when not a string.
#[napi]
pub fn loyalty_points(
    env: Env,
    #[napi(ts_arg_type = "string | Record<string, any>")] program: ConfigInput,
    #[napi(ts_arg_type = "Array<PurchaseLine>")] lines: Value,
    level: Option<String>,
    campaign: Option<String>,
) -> napi::Result<JsEarning> {
    guarded(|| points(program, lines, level, campaign)).map_err(|failure| failure.into_js(&env))
}

/// `loyaltyPoints` off the main thread: a Promise of the earning, rejected
/// with the `Error` that `loyaltyPoints` throws.
#[napi(ts_return_type = "Promise<Earning>")]
pub fn loyalty_points_async(
    #[napi(ts_arg_type = "string | Record<string, any>")] program: ConfigInput,
    #[napi(ts_arg_type = "Array<PurchaseLine>")] lines: Value,
    level: Option<String>,
    campaign: Option<String>,
) -> Pending<JsEarning> {
    AsyncTask::new(Job::new(move || {
        guarded(|| points(program, lines, level, campaign))
    }))
}

/// What `loyaltyPoints` and `loyaltyPointsAsync` run.
fn points(
    program: ConfigInput,
    lines: Value,
    level: Option<String>,
    campaign: Option<String>,
) -> crm::Result<JsEarning> {
    let program = loyalty_program(Some(program))?;
    let lines = purchase_lines(lines)?;
    Ok(program
        .points_for(&lines, level.as_deref(), campaign.as_deref())
        .into())
}

/// Draws the holdout group of `n` campaign members as `launchCampaign` does:
/// exactly `round(n * percent / 100)` (half up) are held out, chosen by a
/// shuffle seeded with `seed`. One flag per member (in the order of the
/// members, which `launchCampaign` sorts by id), `true` for the holdout; the
/// same `n`, `percent` and `seed` always give the same draw.
///
/// @example
/// ```js
/// const { drawHoldout } = require('crm')
/// const draw = drawHoldout(10, '20', 7)
/// draw.filter(Boolean).length // 2
/// ```
///
/// @throws {Error} `validation` on `n` unless it is a whole number, 0 or more;
/// on `percent` when it is not a decimal string; on `holdout_percent` (as the
/// core names it) when it is outside 0 to 100; on `seed` unless it is a whole
/// number from 0 to 2^53 - 1.
#[napi]
pub fn draw_holdout(
    env: Env,
    n: f64,
    #[napi(ts_arg_type = "string")] percent: Value,
    seed: f64,
) -> napi::Result<Vec<bool>> {
    guarded(|| holdout(n, percent, seed)).map_err(|failure| failure.into_js(&env))
}

/// `drawHoldout` off the main thread: a Promise of the flags, rejected with
/// the `Error` that `drawHoldout` throws.
#[napi(ts_return_type = "Promise<Array<boolean>>")]
pub fn draw_holdout_async(
    n: f64,
    #[napi(ts_arg_type = "string")] percent: Value,
    seed: f64,
) -> Pending<Vec<bool>> {
    AsyncTask::new(Job::new(move || guarded(|| holdout(n, percent, seed))))
}

/// What `drawHoldout` and `drawHoldoutAsync` run.
fn holdout(n: f64, percent: Value, seed: f64) -> crm::Result<Vec<bool>> {
    let n = size("n", n)?;
    let percent = decimal_value("percent", percent)?;
    let seed = count("seed", seed)?;
    loyalty::draw_holdout(n, percent, seed)
}

/// The purchase lines: an array of plain objects whose keys are among
/// `product`, `category` and `amount` (`loyaltyPoints`, and the engine's
/// `recordPurchase`).
pub(crate) fn purchase_lines(lines: Value) -> crm::Result<Vec<PurchaseLine>> {
    let Value::Array(lines) = lines else {
        return Err(Error::invalid(
            "lines",
            format!(
                "must be an array of purchase lines, not {}",
                type_of(&lines)
            ),
        ));
    };
    lines
        .into_iter()
        .enumerate()
        .map(|(row, line)| purchase_line(row, line))
        .collect()
}

fn purchase_line(row: usize, line: Value) -> crm::Result<PurchaseLine> {
    let Value::Object(map) = line else {
        return Err(Error::invalid(
            format!("lines[{row}]"),
            format!(
                "must be a purchase line (an object), not {}",
                type_of(&line)
            ),
        ));
    };
    let mut product = None;
    let mut category = None;
    let mut amount = None;
    for (key, value) in map {
        let at = format!("lines[{row}].{}", shown(&key));
        let slot = match key.as_str() {
            "product" => &mut product,
            "category" => &mut category,
            "amount" => &mut amount,
            _ => {
                return Err(Error::invalid(
                    at,
                    "is not a field of a purchase line: product, category or amount",
                ));
            }
        };
        match value {
            Value::Null => {}
            Value::String(text) => *slot = Some(text),
            other => {
                let wanted = if key == "amount" {
                    "a decimal string such as '20.50' (never a JS number)"
                } else {
                    "a string"
                };
                return Err(Error::invalid(
                    at,
                    format!("must be {wanted}, not {}", type_of(&other)),
                ));
            }
        }
    }
    let at = format!("lines[{row}].amount");
    let amount = amount.ok_or_else(|| Error::invalid(&at, "is required"))?;
    Ok(PurchaseLine {
        product,
        category,
        amount: decimal(&at, &amount)?,
    })
}
