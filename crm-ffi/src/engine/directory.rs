//! The directory: users, teams, customers and contacts.

use crate::access::Actor;
use crate::engine::{FfiCrm, actor};
use crate::error::CrmError;
use crate::model::{Contact, Customer, NewContact, NewCustomer, Team, TeamInput, User, UserInput};

#[uniffi::export(name = "Crm")]
impl FfiCrm {
    /// Creates or updates a team (admins).
    ///
    /// # Errors
    ///
    /// `Validation` on `team_id`, `user_id` (supervisor) or a blank name;
    /// `Forbidden`.
    pub fn save_team(&self, actor: Actor, team: TeamInput) -> Result<Team, CrmError> {
        let actor = self::actor(actor)?;
        let team = team.try_into()?;
        Ok(self.engine()?.save_team(&actor, team)?.into())
    }

    /// Creates or updates a user (admins).
    ///
    /// # Errors
    ///
    /// `Validation` on `user_id`, `team_id`, a blank name or a bad email;
    /// `Forbidden`.
    pub fn save_user(&self, actor: Actor, user: UserInput) -> Result<User, CrmError> {
        let actor = self::actor(actor)?;
        let user = user.try_into()?;
        Ok(self.engine()?.save_user(&actor, user)?.into())
    }

    /// Creates a customer, in stage `prospect`, owned by `owner` (default: the
    /// creator).
    ///
    /// # Errors
    ///
    /// `Validation` on a blank name, an unknown `kind`, a bad phone or email;
    /// `Forbidden`.
    pub fn create_customer(
        &self,
        actor: Actor,
        customer: NewCustomer,
    ) -> Result<Customer, CrmError> {
        let actor = self::actor(actor)?;
        let customer = customer.try_into()?;
        Ok(self.engine()?.create_customer(&actor, customer)?.into())
    }

    /// Adds a contact to a customer.
    ///
    /// # Errors
    ///
    /// `Validation` on `customer_id`, a blank name, bad phones or emails;
    /// `NotFound` (customer), `Forbidden`.
    pub fn add_contact(&self, actor: Actor, contact: NewContact) -> Result<Contact, CrmError> {
        let actor = self::actor(actor)?;
        let contact = contact.try_into()?;
        Ok(self.engine()?.add_contact(&actor, contact)?.into())
    }
}
