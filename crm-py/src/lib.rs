//! Python bindings of crm: the `crm._crm` native module behind `import crm`.
//!
//! Thin by design: [`convert`] turns Python values into crm's types and back,
//! [`error`] turns crm's errors into `crm` exceptions, [`model`] wraps the
//! records, [`engine`] wraps the engine, [`rfm`] scores customer value over
//! rows and Arrow tables, [`dedupe`] finds duplicate records, [`payments`]
//! splits totals by payment terms and prices quotes, [`plans`] wraps the
//! engine's payment plans, quote versions and receivables, [`desk`] wraps
//! working calendars and the service desk's SLA clocks, escalations and
//! surveys, [`loyalty`] wraps the points ledger, member levels, care items
//! and campaigns, [`analytics`] wraps metrics as tables, lifetime value and
//! bulk import. No CRM rule lives here.

mod analytics;
mod convert;
mod dedupe;
mod desk;
mod engine;
mod error;
mod loyalty;
mod model;
mod payments;
mod plans;
mod rfm;

use pyo3::prelude::*;

/// The native module behind `import crm`.
#[pymodule]
fn _crm(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<engine::PyCrm>()?;
    m.add_class::<model::PyActor>()?;
    m.add_class::<model::PyMoney>()?;
    m.add_class::<model::PyRecordKey>()?;
    m.add_class::<model::PyShare>()?;
    m.add_class::<model::PyConversion>()?;
    m.add_class::<model::PyTaskLogEntry>()?;
    m.add_class::<model::PyFieldChange>()?;
    m.add_class::<model::PyEvent>()?;
    m.add_class::<model::PyOutboxMessage>()?;
    m.add_class::<model::PyCustomer>()?;
    m.add_class::<model::PyContact>()?;
    m.add_class::<model::PyLead>()?;
    m.add_class::<model::PyOpportunity>()?;
    m.add_class::<model::PyContract>()?;
    m.add_class::<model::PyTicket>()?;
    m.add_class::<model::PyActivity>()?;
    m.add_class::<model::PyTask>()?;
    m.add_class::<model::PyUser>()?;
    m.add_class::<model::PyTeam>()?;
    m.add_class::<model::PyAbsence>()?;
    m.add_class::<model::PyRouting>()?;
    m.add_class::<model::PyTraceStep>()?;
    m.add_class::<model::PySkipped>()?;
    m.add_class::<model::PyDueWork>()?;
    m.add_class::<model::PyDueItem>()?;
    m.add_class::<model::PyScore>()?;
    m.add_class::<model::PyScorePart>()?;
    m.add_class::<model::PyValueRefresh>()?;
    m.add_class::<rfm::PyPurchase>()?;
    m.add_class::<rfm::PyCustomerValue>()?;
    m.add_class::<rfm::PyRfmSkipped>()?;
    m.add_class::<rfm::PyRfmResult>()?;
    m.add_function(wrap_pyfunction!(rfm::score_rfm, m)?)?;
    m.add_function(wrap_pyfunction!(rfm::score_rfm_frame, m)?)?;
    m.add_function(wrap_pyfunction!(rfm::rfm_aggregate, m)?)?;
    m.add_function(wrap_pyfunction!(rfm::score_rfm_aggregates, m)?)?;
    m.add_class::<dedupe::PyDedupeResult>()?;
    m.add_function(wrap_pyfunction!(dedupe::dedupe, m)?)?;
    m.add_function(wrap_pyfunction!(dedupe::explain_match, m)?)?;
    m.add_class::<payments::PyInstallment>()?;
    m.add_class::<payments::PyPricedLine>()?;
    m.add_class::<payments::PyPricedQuote>()?;
    m.add_function(wrap_pyfunction!(payments::split_payments, m)?)?;
    m.add_function(wrap_pyfunction!(payments::reach_milestone, m)?)?;
    m.add_function(wrap_pyfunction!(payments::price_quote, m)?)?;
    m.add_class::<plans::PyQuoteVersion>()?;
    m.add_class::<plans::PyPaymentPlan>()?;
    m.add_class::<plans::PyPlanLine>()?;
    m.add_class::<plans::PyPayment>()?;
    m.add_class::<plans::PyAllocation>()?;
    m.add_class::<plans::PyReversal>()?;
    m.add_class::<plans::PyWriteOff>()?;
    m.add_class::<plans::PyAging>()?;
    m.add_class::<plans::PyReceivable>()?;
    m.add_class::<plans::PyCollected>()?;
    m.add_class::<desk::PyCalendar>()?;
    m.add_class::<desk::PyTicketSla>()?;
    m.add_class::<desk::PyTargetClock>()?;
    m.add_class::<desk::PyEscalated>()?;
    m.add_class::<desk::PyTargetState>()?;
    m.add_class::<desk::PyTicketEscalation>()?;
    m.add_class::<desk::PySurvey>()?;
    m.add_class::<model::PyPointsEntry>()?;
    m.add_class::<model::PyCampaign>()?;
    m.add_class::<loyalty::PyMembership>()?;
    m.add_class::<loyalty::PyLot>()?;
    m.add_class::<loyalty::PyLotUse>()?;
    m.add_class::<loyalty::PyWindowItem>()?;
    m.add_class::<loyalty::PyPendingDowngrade>()?;
    m.add_class::<loyalty::PyEarning>()?;
    m.add_class::<loyalty::PyLevelChange>()?;
    m.add_class::<loyalty::PyPointsPosting>()?;
    m.add_class::<loyalty::PyMemberLevelChange>()?;
    m.add_class::<loyalty::PyLoyaltyReview>()?;
    m.add_class::<loyalty::PyCareDue>()?;
    m.add_class::<loyalty::PyCampaignMember>()?;
    m.add_class::<loyalty::PyGroupMeasure>()?;
    m.add_class::<loyalty::PyMemberOutcome>()?;
    m.add_class::<loyalty::PyCampaignMeasure>()?;
    m.add_function(wrap_pyfunction!(loyalty::loyalty_points, m)?)?;
    m.add_function(wrap_pyfunction!(loyalty::draw_holdout, m)?)?;
    m.add_class::<analytics::PyTable>()?;
    m.add_class::<analytics::PyBgNbd>()?;
    m.add_class::<analytics::PyGammaGamma>()?;
    m.add_class::<analytics::PyClvModel>()?;
    m.add_class::<analytics::PyClvReport>()?;
    m.add_class::<analytics::PyRejectedRow>()?;
    m.add_class::<analytics::PyImportProgress>()?;
    m.add_class::<analytics::PyImportReport>()?;
    m.add_function(wrap_pyfunction!(analytics::fit_clv, m)?)?;
    Ok(())
}
