//! Leads: create, assign, log activities, qualify, discard, convert.

use napi::Env;
use napi_derive::napi;

use crm::{ConvertLead, DealFromLead, UserId};

use crate::access::JsActor;
use crate::convert::date;
use crate::engine::{Command, JsCrm, Pending};
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
        self.run(&env, create_lead(actor, lead))
    }

    /// `createLead` off the main thread: a Promise of the lead, rejected with
    /// the `Error` that `createLead` throws.
    #[napi(ts_return_type = "Promise<Lead>")]
    pub fn create_lead_async(&self, actor: JsActor, lead: JsNewLead) -> Pending<JsLead> {
        self.spawn(create_lead(actor, lead))
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
        self.run(&env, assign_lead(actor, id, owner))
    }

    /// `assignLead` off the main thread: a Promise of the lead, rejected with
    /// the `Error` that `assignLead` throws.
    #[napi(ts_return_type = "Promise<Lead>")]
    pub fn assign_lead_async(&self, actor: JsActor, id: String, owner: String) -> Pending<JsLead> {
        self.spawn(assign_lead(actor, id, owner))
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
        self.run(&env, log_activity(actor, activity))
    }

    /// `logActivity` off the main thread: a Promise of the activity, rejected
    /// with the `Error` that `logActivity` throws.
    #[napi(ts_return_type = "Promise<Activity>")]
    pub fn log_activity_async(
        &self,
        actor: JsActor,
        activity: JsNewActivity,
    ) -> Pending<JsActivity> {
        self.spawn(log_activity(actor, activity))
    }

    /// Qualifies a lead.
    ///
    /// @throws {Error} `invalid_transition` (e.g. from `converted`);
    /// `validation` on `lead_id`; `not_found`; `forbidden` (edit).
    #[napi]
    pub fn qualify_lead(&self, env: Env, actor: JsActor, id: String) -> napi::Result<JsLead> {
        self.run(&env, qualify_lead(actor, id))
    }

    /// `qualifyLead` off the main thread: a Promise of the lead, rejected with
    /// the `Error` that `qualifyLead` throws.
    #[napi(ts_return_type = "Promise<Lead>")]
    pub fn qualify_lead_async(&self, actor: JsActor, id: String) -> Pending<JsLead> {
        self.spawn(qualify_lead(actor, id))
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
        self.run(&env, discard_lead(actor, id, reason))
    }

    /// `discardLead` off the main thread: a Promise of the lead, rejected with
    /// the `Error` that `discardLead` throws.
    #[napi(ts_return_type = "Promise<Lead>")]
    pub fn discard_lead_async(
        &self,
        actor: JsActor,
        id: String,
        reason: String,
    ) -> Pending<JsLead> {
        self.spawn(discard_lead(actor, id, reason))
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
        self.run(&env, convert_lead(actor, id, options))
    }

    /// `convertLead` off the main thread: a Promise of the new ids, rejected
    /// with the `Error` that `convertLead` throws.
    #[napi(ts_return_type = "Promise<Conversion>")]
    pub fn convert_lead_async(
        &self,
        actor: JsActor,
        id: String,
        options: Option<JsConvertLead>,
    ) -> Pending<JsConversion> {
        self.spawn(convert_lead(actor, id, options))
    }
}

// The commands of the methods above, each run by its synchronous method and
// its `...Async` twin.

fn create_lead(actor: JsActor, lead: JsNewLead) -> Command<JsLead> {
    Box::new(move |crm| {
        Ok(crm
            .create_lead(&actor.to_core()?, lead.into_core()?)?
            .into())
    })
}

fn assign_lead(actor: JsActor, id: String, owner: String) -> Command<JsLead> {
    Box::new(move |crm| {
        let lead = crm.assign_lead(&actor.to_core()?, id.parse()?, UserId::new(owner)?)?;
        Ok(lead.into())
    })
}

fn log_activity(actor: JsActor, activity: JsNewActivity) -> Command<JsActivity> {
    Box::new(move |crm| {
        Ok(crm
            .log_activity(&actor.to_core()?, activity.into_core()?)?
            .into())
    })
}

fn qualify_lead(actor: JsActor, id: String) -> Command<JsLead> {
    Box::new(move |crm| Ok(crm.qualify_lead(&actor.to_core()?, id.parse()?)?.into()))
}

fn discard_lead(actor: JsActor, id: String, reason: String) -> Command<JsLead> {
    Box::new(move |crm| {
        Ok(crm
            .discard_lead(&actor.to_core()?, id.parse()?, &reason)?
            .into())
    })
}

fn convert_lead(
    actor: JsActor,
    id: String,
    options: Option<JsConvertLead>,
) -> Command<JsConversion> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let id = id.parse()?;
        let options = match options {
            Some(options) => options.into_core()?,
            None => ConvertLead::default(),
        };
        Ok(crm.convert_lead(&actor, id, options)?.into())
    })
}
