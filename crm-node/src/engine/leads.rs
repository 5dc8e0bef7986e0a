//! Leads: create, assign, log activities, qualify, discard, convert.

use napi::Env;
use napi_derive::napi;

use crm::{ConvertLead, DealFromLead, UserId};

use crate::access::JsActor;
use crate::convert::date;
use crate::engine::JsCrm;
use crate::model::{JsActivity, JsConversion, JsLead, JsMoney, JsNewActivity, JsNewLead};

/// Options of `convertLead`.
#[napi(object, js_name = "ConvertLeadOptions", object_to_js = false)]
pub struct JsConvertLead {
    /// Convert into this existing customer (its id) instead of creating one.
    pub into_customer: Option<String>,
    /// Open a deal as well (default `true`).
    pub create_opportunity: Option<bool>,
    /// The deal's name (default: the company, and the product line).
    pub opportunity_name: Option<String>,
    /// The deal's expected amount, `{ amount: '48000.00', currency: 'EUR' }`.
    pub expected_amount: Option<JsMoney>,
    /// The deal's expected close date, `YYYY-MM-DD`.
    pub expected_close_date: Option<String>,
    /// Create a new customer even when the lead's email or phone matches an
    /// existing customer or contact (default `false`).
    pub allow_duplicate: Option<bool>,
}

impl JsConvertLead {
    fn into_core(self) -> crm::Result<ConvertLead> {
        let defaults = ConvertLead::default();
        let opportunity = if self
            .create_opportunity
            .unwrap_or(defaults.opportunity.is_some())
        {
            Some(DealFromLead {
                name: self.opportunity_name,
                expected_amount: self
                    .expected_amount
                    .map(|money| money.to_core())
                    .transpose()?,
                expected_close_date: self
                    .expected_close_date
                    .map(|text| date("expected_close_date", &text))
                    .transpose()?,
            })
        } else {
            None
        };
        Ok(ConvertLead {
            into_customer: self.into_customer.map(|id| id.parse()).transpose()?,
            opportunity,
            allow_duplicate: self.allow_duplicate.unwrap_or(defaults.allow_duplicate),
        })
    }
}

#[napi]
impl JsCrm {
    /// Creates a lead (status `new`). With an `owner`, the first contact is due
    /// within 24 hours; without one the lead waits in the team's pool.
    ///
    /// @throws {Error} `validation` naming `company` and `contact_name` when
    /// both are missing, or `email`, `phone`, `quality_score`, ...;
    /// `forbidden` (create, assign).
    #[napi]
    pub fn create_lead(&self, env: Env, actor: JsActor, lead: JsNewLead) -> napi::Result<JsLead> {
        self.run(&env, |crm| {
            Ok(crm
                .create_lead(&actor.to_core()?, lead.into_core()?)?
                .into())
        })
    }

    /// Assigns a lead to a user; the first contact is due within 24 hours.
    ///
    /// @throws {Error} `invalid_transition` for a converted or discarded lead;
    /// `validation` on `lead_id` or `user_id`; `not_found`; `forbidden` (assign).
    #[napi]
    pub fn assign_lead(
        &self,
        env: Env,
        actor: JsActor,
        id: String,
        owner: String,
    ) -> napi::Result<JsLead> {
        self.run(&env, |crm| {
            let lead = crm.assign_lead(&actor.to_core()?, id.parse()?, UserId::new(owner)?)?;
            Ok(lead.into())
        })
    }

    /// Logs an activity on a record. On a new lead it counts as the first
    /// contact (`new` → `contacted`) and sets the next follow-up.
    ///
    /// @throws {Error} `validation` on `kind`, `summary`, `subject`, `entity`,
    /// `next_follow_up_at`, ...; `not_found` (the subject); `forbidden` (edit).
    #[napi]
    pub fn log_activity(
        &self,
        env: Env,
        actor: JsActor,
        activity: JsNewActivity,
    ) -> napi::Result<JsActivity> {
        self.run(&env, |crm| {
            Ok(crm
                .log_activity(&actor.to_core()?, activity.into_core()?)?
                .into())
        })
    }

    /// Qualifies a lead.
    ///
    /// @throws {Error} `invalid_transition` (e.g. from `converted`);
    /// `validation` on `lead_id`; `not_found`; `forbidden` (edit).
    #[napi]
    pub fn qualify_lead(&self, env: Env, actor: JsActor, id: String) -> napi::Result<JsLead> {
        self.run(&env, |crm| {
            Ok(crm.qualify_lead(&actor.to_core()?, id.parse()?)?.into())
        })
    }

    /// Discards a lead, for a reason.
    ///
    /// @throws {Error} `validation` on `reason` when it is blank;
    /// `invalid_transition`; `not_found`; `forbidden` (edit).
    #[napi]
    pub fn discard_lead(
        &self,
        env: Env,
        actor: JsActor,
        id: String,
        reason: String,
    ) -> napi::Result<JsLead> {
        self.run(&env, |crm| {
            Ok(crm
                .discard_lead(&actor.to_core()?, id.parse()?, &reason)?
                .into())
        })
    }

    /// Converts a qualified lead into a customer (new, or `intoCustomer`), a
    /// contact and, unless `createOpportunity` is `false`, a deal, in one
    /// commit. Returns their ids.
    ///
    /// @throws {Error} `validation` on `email` or `phone` when they match an
    /// existing customer or contact (convert into it, or `allowDuplicate`), on
    /// `amount`, `currency`, ...; `invalid_transition`; `not_found`;
    /// `forbidden`.
    #[napi]
    pub fn convert_lead(
        &self,
        env: Env,
        actor: JsActor,
        id: String,
        options: Option<JsConvertLead>,
    ) -> napi::Result<JsConversion> {
        self.run(&env, |crm| {
            let actor = actor.to_core()?;
            let id = id.parse()?;
            let options = match options {
                Some(options) => options.into_core()?,
                None => ConvertLead::default(),
            };
            Ok(crm.convert_lead(&actor, id, options)?.into())
        })
    }
}
