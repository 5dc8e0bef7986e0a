//! Deals: opportunities through the pipeline, and the contracts they become.

use crate::access::Actor;
use crate::engine::{FfiCrm, actor};
use crate::error::CrmError;
use crate::model::{Contract, NewOpportunity, Opportunity, Win};

#[uniffi::export(name = "Crm")]
impl FfiCrm {
    /// Opens an opportunity for a customer, in the pipeline's first stage.
    ///
    /// # Errors
    ///
    /// `Validation` on a blank name, a negative or malformed amount (`amount`,
    /// `currency`, `expected_amount`), a bad date; `NotFound` (customer),
    /// `Forbidden`.
    pub fn create_opportunity(
        &self,
        actor: Actor,
        opportunity: NewOpportunity,
    ) -> Result<Opportunity, CrmError> {
        let actor = self::actor(actor)?;
        let opportunity = opportunity.try_into()?;
        Ok(self
            .engine()?
            .create_opportunity(&actor, opportunity)?
            .into())
    }

    /// Moves a deal to the next stage, or to the stage `to`.
    ///
    /// # Errors
    ///
    /// `InvalidTransition`; `Validation` naming the fields a stage needs
    /// (`expected_amount` to enter `proposal`); `NotFound`, `Forbidden`.
    #[uniffi::method(default(to = None))]
    pub fn advance_opportunity(
        &self,
        actor: Actor,
        id: String,
        to: Option<String>,
    ) -> Result<Opportunity, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        let deal = self
            .engine()?
            .advance_opportunity(&actor, id, to.as_deref())?;
        Ok(deal.into())
    }

    /// Wins a deal: a draft contract with the next number is created for its
    /// expected amount, in the same commit.
    ///
    /// # Errors
    ///
    /// `Validation` on `expected_amount` when there is none;
    /// `InvalidTransition`, `NotFound`, `Forbidden`.
    pub fn win_opportunity(&self, actor: Actor, id: String) -> Result<Win, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        Ok(self.engine()?.win_opportunity(&actor, id)?.into())
    }

    /// Loses a deal, for a reason.
    ///
    /// # Errors
    ///
    /// `Validation` on `reason`; `InvalidTransition`, `NotFound`, `Forbidden`.
    pub fn lose_opportunity(
        &self,
        actor: Actor,
        id: String,
        reason: String,
    ) -> Result<Opportunity, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        Ok(self.engine()?.lose_opportunity(&actor, id, &reason)?.into())
    }

    /// Signs a draft contract.
    ///
    /// # Errors
    ///
    /// `InvalidTransition`, `NotFound`, `Forbidden` (edit).
    pub fn sign_contract(&self, actor: Actor, id: String) -> Result<Contract, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        Ok(self.engine()?.sign_contract(&actor, id)?.into())
    }

    /// Puts a signed contract into force.
    ///
    /// # Errors
    ///
    /// As `signContract`.
    pub fn activate_contract(&self, actor: Actor, id: String) -> Result<Contract, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        Ok(self.engine()?.activate_contract(&actor, id)?.into())
    }

    /// Completes an active contract.
    ///
    /// # Errors
    ///
    /// As `signContract`.
    pub fn complete_contract(&self, actor: Actor, id: String) -> Result<Contract, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        Ok(self.engine()?.complete_contract(&actor, id)?.into())
    }

    /// Terminates a contract early, for a reason.
    ///
    /// # Errors
    ///
    /// `Validation` on `reason`; as `signContract`.
    pub fn terminate_contract(
        &self,
        actor: Actor,
        id: String,
        reason: String,
    ) -> Result<Contract, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        Ok(self
            .engine()?
            .terminate_contract(&actor, id, &reason)?
            .into())
    }
}
