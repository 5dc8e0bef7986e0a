//! Deals and contracts.

use napi::Env;
use napi_derive::napi;

use crate::access::JsActor;
use crate::engine::{Command, JsCrm, Pending};
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
        self.run(&env, create_opportunity(actor, opportunity))
    }

    /// `createOpportunity` off the main thread: a Promise of the deal, rejected
    /// with the `Error` that `createOpportunity` throws.
    #[napi(ts_return_type = "Promise<Opportunity>")]
    pub fn create_opportunity_async(
        &self,
        actor: JsActor,
        opportunity: JsNewOpportunity,
    ) -> Pending<JsOpportunity> {
        self.spawn(create_opportunity(actor, opportunity))
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
        self.run(&env, advance_opportunity(actor, id, to))
    }

    /// `advanceOpportunity` off the main thread: a Promise of the deal,
    /// rejected with the `Error` that `advanceOpportunity` throws.
    #[napi(ts_return_type = "Promise<Opportunity>")]
    pub fn advance_opportunity_async(
        &self,
        actor: JsActor,
        id: String,
        to: Option<String>,
    ) -> Pending<JsOpportunity> {
        self.spawn(advance_opportunity(actor, id, to))
    }

    /// Wins a deal: it becomes `won` and a numbered draft contract is created
    /// for its expected amount, in one commit.
    ///
    /// @throws {Error} `invalid_transition` (e.g. already won); `validation`;
    /// `not_found`; `forbidden` (edit).
    #[napi]
    pub fn win_opportunity(&self, env: Env, actor: JsActor, id: String) -> napi::Result<JsWin> {
        self.run(&env, win_opportunity(actor, id))
    }

    /// `winOpportunity` off the main thread: a Promise of the won deal and its
    /// contract, rejected with the `Error` that `winOpportunity` throws.
    #[napi(ts_return_type = "Promise<Win>")]
    pub fn win_opportunity_async(&self, actor: JsActor, id: String) -> Pending<JsWin> {
        self.spawn(win_opportunity(actor, id))
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
        self.run(&env, lose_opportunity(actor, id, reason))
    }

    /// `loseOpportunity` off the main thread: a Promise of the deal, rejected
    /// with the `Error` that `loseOpportunity` throws.
    #[napi(ts_return_type = "Promise<Opportunity>")]
    pub fn lose_opportunity_async(
        &self,
        actor: JsActor,
        id: String,
        reason: String,
    ) -> Pending<JsOpportunity> {
        self.spawn(lose_opportunity(actor, id, reason))
    }

    /// Signs a draft contract.
    ///
    /// @throws {Error} `invalid_transition`; `validation` on `contract_id`;
    /// `not_found`; `forbidden` (edit).
    #[napi]
    pub fn sign_contract(&self, env: Env, actor: JsActor, id: String) -> napi::Result<JsContract> {
        self.run(&env, sign_contract(actor, id))
    }

    /// `signContract` off the main thread: a Promise of the contract, rejected
    /// with the `Error` that `signContract` throws.
    #[napi(ts_return_type = "Promise<Contract>")]
    pub fn sign_contract_async(&self, actor: JsActor, id: String) -> Pending<JsContract> {
        self.spawn(sign_contract(actor, id))
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
        self.run(&env, activate_contract(actor, id))
    }

    /// `activateContract` off the main thread: a Promise of the contract,
    /// rejected with the `Error` that `activateContract` throws.
    #[napi(ts_return_type = "Promise<Contract>")]
    pub fn activate_contract_async(&self, actor: JsActor, id: String) -> Pending<JsContract> {
        self.spawn(activate_contract(actor, id))
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
        self.run(&env, complete_contract(actor, id))
    }

    /// `completeContract` off the main thread: a Promise of the contract,
    /// rejected with the `Error` that `completeContract` throws.
    #[napi(ts_return_type = "Promise<Contract>")]
    pub fn complete_contract_async(&self, actor: JsActor, id: String) -> Pending<JsContract> {
        self.spawn(complete_contract(actor, id))
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
        self.run(&env, terminate_contract(actor, id, reason))
    }

    /// `terminateContract` off the main thread: a Promise of the contract,
    /// rejected with the `Error` that `terminateContract` throws.
    #[napi(ts_return_type = "Promise<Contract>")]
    pub fn terminate_contract_async(
        &self,
        actor: JsActor,
        id: String,
        reason: String,
    ) -> Pending<JsContract> {
        self.spawn(terminate_contract(actor, id, reason))
    }
}

// The commands of the methods above, each run by its synchronous method and
// its `...Async` twin.

fn create_opportunity(actor: JsActor, opportunity: JsNewOpportunity) -> Command<JsOpportunity> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        Ok(crm
            .create_opportunity(&actor, opportunity.into_core()?)?
            .into())
    })
}

fn advance_opportunity(actor: JsActor, id: String, to: Option<String>) -> Command<JsOpportunity> {
    Box::new(move |crm| {
        let deal = crm.advance_opportunity(&actor.to_core()?, id.parse()?, to.as_deref())?;
        Ok(deal.into())
    })
}

fn win_opportunity(actor: JsActor, id: String) -> Command<JsWin> {
    Box::new(move |crm| {
        let (opportunity, contract) = crm.win_opportunity(&actor.to_core()?, id.parse()?)?;
        Ok(JsWin {
            opportunity: opportunity.into(),
            contract: contract.into(),
        })
    })
}

fn lose_opportunity(actor: JsActor, id: String, reason: String) -> Command<JsOpportunity> {
    Box::new(move |crm| {
        Ok(crm
            .lose_opportunity(&actor.to_core()?, id.parse()?, &reason)?
            .into())
    })
}

fn sign_contract(actor: JsActor, id: String) -> Command<JsContract> {
    Box::new(move |crm| Ok(crm.sign_contract(&actor.to_core()?, id.parse()?)?.into()))
}

fn activate_contract(actor: JsActor, id: String) -> Command<JsContract> {
    Box::new(move |crm| {
        Ok(crm
            .activate_contract(&actor.to_core()?, id.parse()?)?
            .into())
    })
}

fn complete_contract(actor: JsActor, id: String) -> Command<JsContract> {
    Box::new(move |crm| {
        Ok(crm
            .complete_contract(&actor.to_core()?, id.parse()?)?
            .into())
    })
}

fn terminate_contract(actor: JsActor, id: String, reason: String) -> Command<JsContract> {
    Box::new(move |crm| {
        Ok(crm
            .terminate_contract(&actor.to_core()?, id.parse()?, &reason)?
            .into())
    })
}
