//! Money, as strings.

use napi_derive::napi;

use crm::Money;

/// An amount of money: a decimal **string** and an ISO 4217 currency code,
/// `{ amount: '12000.50', currency: 'EUR' }`.
///
/// Amounts are strings, never JS numbers, in both directions: a double cannot
/// hold `0.10` exactly, and rounding money is not a binding's call. crm keeps
/// amounts as exact decimals with the currency's minor units (`'12000.5'` EUR
/// comes back as `'12000.50'`); an amount with more decimal places than the
/// currency allows, a malformed amount or an unknown currency is a
/// `validation` error (`amount` or `currency`). Use a decimal library
/// (or `BigInt` of minor units) to compute with amounts in JS.
#[napi(object, js_name = "Money")]
pub struct JsMoney {
    /// The amount, a decimal string such as `'48000.00'` or `'-5'`.
    pub amount: String,
    /// The ISO 4217 currency code, such as `'EUR'`.
    pub currency: String,
}

impl From<Money> for JsMoney {
    fn from(money: Money) -> Self {
        JsMoney {
            amount: money.amount().to_string(),
            currency: money.currency().code().to_owned(),
        }
    }
}

impl JsMoney {
    /// The core amount.
    pub(crate) fn to_core(&self) -> crm::Result<Money> {
        Money::parse(&self.amount, &self.currency)
    }
}
