//! Deals and contracts.

use napi::Env;
use napi_derive::napi;

use crate::access::JsActor;
use crate::engine::JsCrm;
use crate::model::{JsContract, JsNewOpportunity, JsOpportunity};

/// What winning a deal returns: the won deal and its draft contract.
#[napi(object, js_name = "Win", object_from_js = false)]
pub struct JsWin {
    /// The deal, now `won`.
    pub opportunity: JsOpportunity,
    /// The contract drafted from it.
    pub contract: JsContract,
}

#[napi]
impl JsCrm {
    /// Opens a deal for a customer (stage `needs_analysis`).
    ///
    /// @throws {Error} `validation` on `customer_id`, `name`,
    /// `expected_amount` (negative), `amount`, `currency`,
    /// `expected_close_date`, ...; `not_found` (the customer); `forbidden`.
    #[napi]
    pub fn create_opportunity(
        &self,
        env: Env,
        actor: JsActor,
        opportunity: JsNewOpportunity,
    ) -> napi::Result<JsOpportunity> {
        self.run(&env, |crm| {
            let actor = actor.to_core()?;
            Ok(crm
                .create_opportunity(&actor, opportunity.into_core()?)?
                .into())
        })
    }

    /// Moves a deal to the next stage of its pipeline, or to the stage `to`.
    ///
    /// @throws {Error} `validation` naming the fields a stage needs (entering
    /// `proposal` needs `expected_amount`); `invalid_transition`; `not_found`;
    /// `forbidden` (edit).
    #[napi]
    pub fn advance_opportunity(
        &self,
        env: Env,
        actor: JsActor,
        id: String,
        to: Option<String>,
    ) -> napi::Result<JsOpportunity> {
        self.run(&env, |crm| {
            let deal = crm.advance_opportunity(&actor.to_core()?, id.parse()?, to.as_deref())?;
            Ok(deal.into())
        })
    }

    /// Wins a deal: it becomes `won` and a numbered draft contract is created
    /// for its expected amount, in one commit.
    ///
    /// @throws {Error} `invalid_transition` (e.g. already won); `validation`;
    /// `not_found`; `forbidden` (edit).
    #[napi]
    pub fn win_opportunity(&self, env: Env, actor: JsActor, id: String) -> napi::Result<JsWin> {
        self.run(&env, |crm| {
            let (opportunity, contract) = crm.win_opportunity(&actor.to_core()?, id.parse()?)?;
            Ok(JsWin {
                opportunity: opportunity.into(),
                contract: contract.into(),
            })
        })
    }

    /// Loses a deal, for a reason.
    ///
    /// @throws {Error} `validation` on `reason` (blank, or not one the
    /// pipeline accepts); `invalid_transition`; `not_found`; `forbidden` (edit).
    #[napi]
    pub fn lose_opportunity(
        &self,
        env: Env,
        actor: JsActor,
        id: String,
        reason: String,
    ) -> napi::Result<JsOpportunity> {
        self.run(&env, |crm| {
            Ok(crm
                .lose_opportunity(&actor.to_core()?, id.parse()?, &reason)?
                .into())
        })
    }

    /// Signs a draft contract.
    ///
    /// @throws {Error} `invalid_transition`; `validation` on `contract_id`;
    /// `not_found`; `forbidden` (edit).
    #[napi]
    pub fn sign_contract(&self, env: Env, actor: JsActor, id: String) -> napi::Result<JsContract> {
        self.run(&env, |crm| {
            Ok(crm.sign_contract(&actor.to_core()?, id.parse()?)?.into())
        })
    }

    /// Activates a signed contract.
    ///
    /// @throws {Error} as `signContract`.
    #[napi]
    pub fn activate_contract(
        &self,
        env: Env,
        actor: JsActor,
        id: String,
    ) -> napi::Result<JsContract> {
        self.run(&env, |crm| {
            Ok(crm
                .activate_contract(&actor.to_core()?, id.parse()?)?
                .into())
        })
    }

    /// Completes an active contract.
    ///
    /// @throws {Error} as `signContract`.
    #[napi]
    pub fn complete_contract(
        &self,
        env: Env,
        actor: JsActor,
        id: String,
    ) -> napi::Result<JsContract> {
        self.run(&env, |crm| {
            Ok(crm
                .complete_contract(&actor.to_core()?, id.parse()?)?
                .into())
        })
    }

    /// Terminates a contract, for a reason.
    ///
    /// @throws {Error} `validation` on `reason` when it is blank; as
    /// `signContract`.
    #[napi]
    pub fn terminate_contract(
        &self,
        env: Env,
        actor: JsActor,
        id: String,
        reason: String,
    ) -> napi::Result<JsContract> {
        self.run(&env, |crm| {
            Ok(crm
                .terminate_contract(&actor.to_core()?, id.parse()?, &reason)?
                .into())
        })
    }
}
