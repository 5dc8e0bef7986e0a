//! Leads: creation, assignment, activities, qualification, discarding and
//! conversion.

use crate::access::Actor;
use crate::engine::{FfiCrm, actor};
use crate::error::CrmError;
use crate::model::{Activity, Conversion, ConvertLeadOptions, Lead, NewActivity, NewLead, user};

#[uniffi::export(name = "Crm")]
impl FfiCrm {
    /// Records a new lead. With an owner it is assigned now (first contact
    /// due within 24 hours by default); without one it goes to its team's pool.
    ///
    /// # Errors
    ///
    /// `Forbidden` (create); `Validation` when it has neither company nor
    /// contact name, a bad phone or email, a score above 100, bad custom values.
    pub fn create_lead(&self, actor: Actor, lead: NewLead) -> Result<Lead, CrmError> {
        let actor = self::actor(actor)?;
        let lead = lead.try_into()?;
        Ok(self.engine()?.create_lead(&actor, lead)?.into())
    }

    /// Gives a lead to an owner (from the pool, or from another owner).
    ///
    /// # Errors
    ///
    /// `Validation` on `lead_id` or `user_id`; `NotFound`, `Forbidden` (assign).
    pub fn assign_lead(&self, actor: Actor, id: String, owner: String) -> Result<Lead, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        let owner = user(owner)?;
        Ok(self.engine()?.assign_lead(&actor, id, owner)?.into())
    }

    /// Logs a call, email, visit, meeting or note about a record. The first
    /// activity on a new lead marks it contacted; a follow-up is scheduled.
    ///
    /// # Errors
    ///
    /// `Validation` on `kind`, `summary` or the subject's key; `NotFound`,
    /// `Forbidden`.
    pub fn log_activity(&self, actor: Actor, activity: NewActivity) -> Result<Activity, CrmError> {
        let actor = self::actor(actor)?;
        let activity = activity.try_into()?;
        Ok(self.engine()?.log_activity(&actor, activity)?.into())
    }

    /// Qualifies a lead.
    ///
    /// # Errors
    ///
    /// `InvalidTransition` when the lead's state does not allow it;
    /// `NotFound`, `Forbidden`.
    pub fn qualify_lead(&self, actor: Actor, id: String) -> Result<Lead, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        Ok(self.engine()?.qualify_lead(&actor, id)?.into())
    }

    /// Discards a lead, for a reason.
    ///
    /// # Errors
    ///
    /// `Validation` on `reason` when it is blank; as `qualifyLead`.
    pub fn discard_lead(&self, actor: Actor, id: String, reason: String) -> Result<Lead, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        Ok(self.engine()?.discard_lead(&actor, id, &reason)?.into())
    }

    /// Converts a qualified lead into a customer, a contact and (by default) an
    /// opportunity, in one commit; returns their ids.
    ///
    /// # Errors
    ///
    /// `InvalidTransition` unless the lead is qualified; `Validation` on a
    /// bad amount or date, or when a customer with the lead's email or phone
    /// exists (unless `allowDuplicate`); `NotFound`, `Forbidden`.
    #[uniffi::method(default(options))]
    pub fn convert_lead(
        &self,
        actor: Actor,
        id: String,
        options: ConvertLeadOptions,
    ) -> Result<Conversion, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        let options = options.try_into()?;
        Ok(self.engine()?.convert_lead(&actor, id, options)?.into())
    }
}
