//! Loyalty, for Python: the points ledger, member levels, care items and
//! campaigns as the engine keeps and reports them (`Customer.loyalty`,
//! `Crm.record_purchase`, `Crm.review_loyalty`, `Crm.campaign_results`,
//! `DueItem.care`), and the program's pure functions (`crm.loyalty_points`,
//! `crm.draw_holdout`): frozen wrappers over the core types, with read-only
//! attributes, `to_dict()`, `repr()` and `==`.
//!
//! Every rule (earning, lots consumed oldest first, expiry, levels and their
//! grace, care triggers, the holdout draw, the measure) lives in
//! `crm::loyalty` and `crm::engine`; this module only converts. Points are
//! `int`, amounts `decimal.Decimal` (or `crm.Money` with their currency),
//! rates `float`, instants aware `datetime` in UTC.

use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyMapping, PyString, PyTuple};

use crate::convert::{ToPy, column, extract_count, extract_decimal, to_json};
use crate::error::{invalid, to_py};
use crate::plans::value_class;
use crate::rfm::text;

// ----- the member ----------------------------------------------------------------

value_class!(
    /// A customer's loyalty membership (`Customer.loyalty`): the balance and
    /// its history in totals, the credits not yet used up (`lots`, oldest
    /// first), the level and a pending downgrade, the qualifying window, and
    /// the purchases.
    PyMembership, "Membership", crm::loyalty::Membership,
    fields: [
        /// When the customer joined (their first movement of points).
        joined_at,
        /// The points available.
        balance,
        /// Every point ever credited (purchases, bonuses, adjustments).
        earned,
        /// Every point exchanged for a reward.
        redeemed,
        /// Every point that expired.
        expired,
        /// The credits with points left, oldest first.
        lots,
        /// The member's level, if the program has levels.
        level,
        /// Since when.
        level_since,
        /// The level before.
        previous_level,
        /// A downgrade waiting for its grace period to end.
        downgrade,
        /// The qualifying points and spend of the window, by purchase.
        window,
        /// The first purchase.
        first_purchase_at,
        /// The latest purchase.
        last_purchase_at,
        /// How many purchases.
        purchases,
        /// When the review next has something to do (an expiry, a downgrade).
        next_check_at,
    ],
    repr: [balance, level, purchases],
    extra: {}
);

value_class!(
    /// A credit of points with points left: the entry that credited them,
    /// when, when they expire, how many and how many are left.
    PyLot, "Lot", crm::loyalty::Lot,
    fields: [
        /// The ledger entry's id.
        entry,
        /// When the points were credited.
        earned_at,
        /// When they expire, if ever.
        expires_at,
        /// The points credited.
        points,
        /// The points not yet used.
        remaining,
    ],
    repr: [entry, points, remaining],
    extra: {}
);

value_class!(
    /// The points a debit took from one credit.
    PyLotUse, "LotUse", crm::loyalty::LotUse,
    fields: [
        /// The credit's ledger entry id.
        entry,
        /// The points taken from it.
        points,
    ],
    repr: [entry, points],
    extra: {}
);

value_class!(
    /// What one purchase (or bonus) counts toward a level in the window.
    PyWindowItem, "WindowItem", crm::loyalty::WindowItem,
    fields: [
        /// When.
        at,
        /// Qualifying points.
        points,
        /// Qualifying spend, a `decimal.Decimal` in the program's currency.
        spend,
    ],
    repr: [at, points, spend],
    extra: {}
);

value_class!(
    /// A downgrade waiting for the grace period: to which level, and when.
    PyPendingDowngrade, "PendingDowngrade", crm::loyalty::PendingDowngrade,
    fields: [
        /// The level it goes to (`None`: no level).
        to,
        /// When it applies unless the member qualifies again.
        at,
    ],
    repr: [to, at],
    extra: {}
);

// ----- earning and levels --------------------------------------------------------

value_class!(
    /// What a purchase earns, and why: whole points (rounded down once), the
    /// lines' points before multipliers (`base`, a `decimal.Decimal`), the
    /// product of the multipliers, and the rules that applied (rates, then
    /// multipliers).
    ///
    /// >>> from decimal import Decimal
    /// >>> import crm
    /// >>> program = {"earn": [{"name": "base", "per": Decimal("1.00"), "points": 1},
    /// ...                     {"name": "summer", "campaign": "summer", "multiply": Decimal("1.5")}]}
    /// >>> crm.loyalty_points(program, [{"amount": Decimal("9.99")}], campaign="summer")
    /// Earning(points=14, base=Decimal('9.99'), multiplier=Decimal('1.5'), rules=['base', 'summer'])
    PyEarning, "Earning", crm::loyalty::Earning,
    fields: [
        /// Whole points earned.
        points,
        /// The lines' points before multipliers and rounding.
        base,
        /// The product of the multipliers that applied.
        multiplier,
        /// The rules that applied, in order.
        rules,
    ],
    repr: [points, base, multiplier, rules],
    extra: {}
);

/// A member's move from one level to another: `from_` (`from` is a Python
/// keyword), `to` and why.
#[pyclass(name = "LevelChange", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyLevelChange(pub crm::loyalty::LevelChange);

impl From<crm::loyalty::LevelChange> for PyLevelChange {
    fn from(change: crm::loyalty::LevelChange) -> Self {
        Self(change)
    }
}

#[pymethods]
impl PyLevelChange {
    /// The level before (`None`: none yet).
    #[getter(from_)]
    fn before(&self) -> Option<String> {
        self.0.from.clone()
    }

    /// The level after (`None`: none any more).
    #[getter]
    fn to(&self) -> Option<String> {
        self.0.to.clone()
    }

    /// Why, in words.
    #[getter]
    fn reason(&self) -> String {
        self.0.reason.clone()
    }

    /// Every attribute, as a dict of Python values (`from_`, `to`, `reason`).
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("from_", &self.0.from)?;
        dict.set_item("to", &self.0.to)?;
        dict.set_item("reason", &self.0.reason)?;
        Ok(dict.unbind())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "LevelChange(from_={}, to={}, reason={})",
            self.0.from.to_py(py)?.bind(py).repr()?,
            self.0.to.to_py(py)?.bind(py).repr()?,
            self.0.reason.to_py(py)?.bind(py).repr()?
        ))
    }
}

value_class!(
    /// What a command on the points ledger did: the customer after it (with
    /// `loyalty`), the entries it wrote (expiries found on the way included),
    /// what the purchase earned, and the level change it made.
    PyPointsPosting, "PointsPosting", crm::PointsPosting,
    fields: [
        /// The customer after the command.
        customer,
        /// The ledger entries written, in order.
        entries,
        /// What a purchase earned (`None` for other commands).
        earning,
        /// The member's level change, if any.
        level_change,
    ],
    repr: custom,
    extra: {
        fn __repr__(&self) -> String {
            let balance = self.0.customer.loyalty.as_ref().map_or(0, |m| m.balance);
            format!(
                "PointsPosting(customer='{}', entries={}, balance={})",
                self.0.customer.id,
                self.0.entries.len(),
                balance
            )
        }
    }
);

value_class!(
    /// A member's level change found by `Crm.review_loyalty`.
    PyMemberLevelChange, "MemberLevelChange", crm::MemberLevelChange,
    fields: [
        /// The customer's id.
        customer,
        /// The change.
        change,
    ],
    repr: [customer, change],
    extra: {}
);

value_class!(
    /// What `Crm.review_loyalty` did: members checked, points expired, ledger
    /// entries written, level changes (downgrades after their grace), and
    /// commits made.
    PyLoyaltyReview, "LoyaltyReview", crm::LoyaltyReview,
    fields: [
        /// Members checked.
        checked,
        /// Points expired in all.
        expired_points,
        /// Ledger entries written.
        entries,
        /// The level changes.
        level_changes,
        /// Commits made.
        batches,
    ],
    repr: [checked, expired_points, entries, batches],
    extra: {}
);

value_class!(
    /// A care item due for a customer (`DueItem.care`): the rule, when it
    /// falls due, why, the suggested action, and which occurrence it is
    /// (acting on it, `Crm.act_on_care`, marks that occurrence handled).
    PyCareDue, "CareDue", crm::loyalty::CareDue,
    fields: [
        /// The care rule's name.
        rule,
        /// When it falls (or fell) due.
        due_at,
        /// Why, in words.
        reason,
        /// The suggested action.
        action,
        /// Which occurrence this is.
        occurrence,
    ],
    repr: [rule, due_at, action],
    extra: {}
);

// ----- campaigns -----------------------------------------------------------------

value_class!(
    /// One customer a campaign targets: held out or treated, and when and by
    /// whom they were contacted.
    PyCampaignMember, "CampaignMember", crm::CampaignMember,
    fields: [
        /// The customer's id.
        customer,
        /// Held out: not to be contacted, the baseline of the measure.
        holdout,
        /// When they were contacted.
        contacted_at,
        /// Who contacted them.
        contacted_by,
    ],
    repr: [customer, holdout, contacted_at],
    extra: {}
);

value_class!(
    /// One group of a campaign's measure (treated or holdout): members,
    /// contacted, repurchased, the repurchase rate (a `float`), revenue and
    /// revenue per customer (`decimal.Decimal`).
    PyGroupMeasure, "GroupMeasure", crm::loyalty::GroupMeasure,
    fields: [
        /// Members in the group.
        members,
        /// Of them, contacted.
        contacted,
        /// Of them, who bought again in their window.
        repurchased,
        /// `repurchased / members` (0.0 for an empty group).
        repurchase_rate,
        /// Revenue in the windows, refunds taken off.
        revenue,
        /// Revenue per member, rounded to cents.
        revenue_per_customer,
    ],
    repr: [members, repurchased, repurchase_rate, revenue],
    extra: {}
);

value_class!(
    /// One member's outcome in a campaign's measure.
    PyMemberOutcome, "MemberOutcome", crm::loyalty::MemberOutcome,
    fields: [
        /// The customer's id.
        customer,
        /// Held out.
        holdout,
        /// Contacted.
        contacted,
        /// When their window starts (the contact, or the launch).
        start,
        /// Purchases in the window.
        purchases,
        /// Revenue in the window.
        revenue,
    ],
    repr: [customer, holdout, purchases, revenue],
    extra: {}
);

value_class!(
    /// A campaign measured at `as_of` (`Crm.campaign_results`): treated
    /// against holdout, the difference in repurchase rate (`rate_lift`, a
    /// `float`, with its 95 % confidence interval when both groups have
    /// members) and in revenue per customer, and each member's outcome
    /// (`members`; `members_rows()` gives them as dicts, one per member,
    /// ready for `pandas.DataFrame`).
    PyCampaignMeasure, "CampaignMeasure", crm::loyalty::CampaignMeasure,
    fields: [
        /// When it was measured.
        as_of,
        /// How many days after the start purchases count.
        window_days,
        /// Whether every member's window has ended.
        complete,
        /// The treated group.
        treated,
        /// The holdout group.
        holdout,
        /// Treated minus holdout repurchase rate.
        rate_lift,
        /// The 95 % confidence interval of `rate_lift`, `(low, high)`, or `None`.
        rate_lift_ci95,
        /// Treated minus holdout revenue per customer.
        revenue_lift,
        /// Each member's outcome.
        members,
    ],
    repr: [as_of, complete, rate_lift, revenue_lift],
    extra: {
        /// The members' outcomes as a list of dicts (`customer`, `holdout`,
        /// `contacted`, `start`, `purchases`, `revenue`), one per member.
        fn members_rows(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
            let rows = self
                .0
                .members
                .iter()
                .map(|m| PyMemberOutcome(m.clone()).to_dict(py))
                .collect::<PyResult<Vec<_>>>()?;
            Ok(PyList::new(py, rows)?.unbind())
        }
    }
);

// ----- ToPy for the core's values ------------------------------------------------

/// The confidence interval as a `(low, high)` tuple.
impl ToPy for [f64; 2] {
    fn to_py(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        PyTuple::new(py, [self[0], self[1]])?.into_py_any(py)
    }
}

/// A campaign's segment as the dict of its condition.
impl ToPy for crm::assign::Condition {
    fn to_py(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.to_value().to_py(py)
    }
}

// ----- Python to Rust ------------------------------------------------------------

/// The keys of a purchase line.
const LINE_KEYS: &str = "product, category, amount";

/// A purchase's lines from a list of dicts (`product`, `category`, `amount`
/// as `decimal.Decimal`, `int` or `str`); errors name `lines[i].amount`.
pub(crate) fn purchase_lines(
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<crm::loyalty::PurchaseLine>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(Vec::new());
    };
    column("lines", value, "expects a list of dicts")?
        .iter()
        .enumerate()
        .map(|(at, item)| purchase_line(item, at))
        .collect()
}

fn purchase_line(item: &Bound<'_, PyAny>, at: usize) -> PyResult<crm::loyalty::PurchaseLine> {
    let field = format!("lines[{at}]");
    let Ok(map) = item.cast::<PyMapping>() else {
        return Err(invalid(
            &field,
            format!(
                "expects a dict with {LINE_KEYS}, got {}",
                item.get_type().name()?
            ),
        ));
    };
    let (mut product, mut category, mut amount) = (None, None, None);
    for key in map.keys()?.iter() {
        let Ok(name) = key.extract::<String>() else {
            return Err(invalid(
                &field,
                format!("has a key that is not a str: {}", key.repr()?),
            ));
        };
        let value = map.get_item(&key)?;
        if value.is_none() {
            continue;
        }
        let at = format!("{field}.{name}");
        match name.as_str() {
            "product" => product = Some(text(&at, &value)?),
            "category" => category = Some(text(&at, &value)?),
            "amount" => amount = Some(extract_decimal(&at, &value)?),
            _ => {
                return Err(invalid(
                    &at,
                    format!("is not a field of a purchase line; expected {LINE_KEYS}"),
                ));
            }
        }
    }
    let Some(amount) = amount else {
        return Err(invalid(&format!("{field}.amount"), "is required"));
    };
    Ok(crm::loyalty::PurchaseLine {
        product,
        category,
        amount,
    })
}

/// A campaign's segment: a condition as a dict (`{"field": "tags", "eq":
/// "lapsed"}`, `{"all": [...]}`), checked by the core; errors on `segment`.
pub(crate) fn segment_of(value: &Bound<'_, PyAny>) -> PyResult<crm::assign::Condition> {
    if value.cast::<PyDict>().is_err() {
        return Err(invalid(
            "segment",
            format!(
                "expects a dict (a condition such as {{\"field\": \"tags\", \"eq\": \"lapsed\"}}), got {}",
                value.get_type().name()?
            ),
        ));
    }
    let json = to_json("segment", value)?;
    crm::assign::Condition::from_value(&json, "segment").map_err(to_py)
}

/// The loyalty program from a `str` of JSON or a `Mapping`, read as the
/// engine's config reads its `"loyalty"` key.
fn program_of(value: &Bound<'_, PyAny>) -> PyResult<crm::loyalty::LoyaltyConfig> {
    let text = if value.cast::<PyString>().is_ok() {
        value.extract::<String>()?
    } else if value.cast::<PyMapping>().is_ok() {
        crate::engine::dumps(value, "loyalty")?
    } else {
        return Err(to_py(crm::Error::config(
            "loyalty",
            format!(
                "must be a str of JSON or a Mapping, got {}",
                value.get_type().name()?
            ),
        )));
    };
    crm::loyalty::LoyaltyConfig::from_json(&text).map_err(to_py)
}

// ----- pure functions ------------------------------------------------------------

/// What a purchase's `lines` earn under a loyalty `program` (a dict or a str
/// of JSON, as the engine's config holds it under `"loyalty"`), for a member
/// at `level` buying in `campaign`: each line at the most specific matching
/// rate, then every multiplier that applies, rounded down once. Lines are
/// dicts with `product`, `category` and `amount` (a `decimal.Decimal`).
///
/// Raises `crm.ConfigError` for a bad program (naming the path, e.g.
/// `loyalty.earn[1].per`) and `crm.ValidationError` on `lines[i].amount`.
///
/// >>> from decimal import Decimal
/// >>> import crm
/// >>> program = {"earn": [{"name": "base", "per": "1.00", "points": 1},
/// ...                     {"name": "coffee", "category": "coffee", "per": "1.00", "points": 3}]}
/// >>> crm.loyalty_points(program, [{"category": "coffee", "amount": Decimal("20.50")},
/// ...                              {"category": "mugs", "amount": Decimal("100.00")}]).points
/// 161
#[pyfunction]
#[pyo3(signature = (program, lines, level = None, campaign = None))]
pub fn loyalty_points(
    program: &Bound<'_, PyAny>,
    lines: &Bound<'_, PyAny>,
    level: Option<String>,
    campaign: Option<String>,
) -> PyResult<PyEarning> {
    let program = program_of(program)?;
    let lines = purchase_lines(Some(lines))?;
    Ok(PyEarning(program.points_for(
        &lines,
        level.as_deref(),
        campaign.as_deref(),
    )))
}

/// A campaign's holdout draw: `n` members, `percent` of them (a
/// `decimal.Decimal`, `int` or `str` from 0 to 100, rounded half away from
/// zero) held out, shuffled by `seed` (an `int` from 0 to 2**64 - 1). The
/// same arguments always draw the same. `True` marks the holdout.
///
/// Raises `crm.ValidationError` on `percent` (outside 0 to 100), `n` or
/// `seed`.
///
/// >>> import crm
/// >>> draw = crm.draw_holdout(10, 20, 7)
/// >>> len(draw), draw.count(True), draw == crm.draw_holdout(10, 20, 7)
/// (10, 2, True)
#[pyfunction]
pub fn draw_holdout(
    n: &Bound<'_, PyAny>,
    percent: &Bound<'_, PyAny>,
    seed: &Bound<'_, PyAny>,
) -> PyResult<Vec<bool>> {
    let n = extract_count("n", n)?;
    let n = usize::try_from(n)
        .map_err(|_| to_py(crm::Error::invalid("n", "is out of range").with_value(n)))?;
    let percent = extract_decimal("percent", percent)?;
    let seed = extract_count("seed", seed)?;
    crm::loyalty::draw_holdout(n, percent, seed).map_err(|e| match e {
        // The core names the campaign's field; here the argument is `percent`.
        crm::Error::Validation { ref fields, .. } if fields == &["holdout_percent"] => {
            to_py(e.in_field("percent"))
        }
        other => to_py(other),
    })
}

/// `"earn"`, `"bonus"`, `"redeem"`, `"expire"`, `"adjust"` or `"reverse"`.
impl ToPy for crm::PointsKind {
    fn to_py(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.as_str().into_py_any(py)
    }
}
