//! Money: a decimal amount as a string and a currency code, never a float.

use crm::Error as CoreError;
use crm::Money as CoreMoney;

use crate::payments::prefixed;

/// An amount of money: `Money(amount = "1200.50", currency = "EUR")`.
///
/// The amount is a decimal string so that no binary float ever rounds a
/// price; on the way out it always has the currency's minor units
/// (`"12000.50"`, `"300"` for JPY).
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Record)]
pub struct Money {
    /// The amount as a decimal string: `"1200.50"`, `"-5"`.
    pub amount: String,
    /// The ISO 4217 currency code: `"EUR"`.
    pub currency: String,
}

impl From<CoreMoney> for Money {
    fn from(money: CoreMoney) -> Self {
        Money {
            amount: money.amount().to_string(),
            currency: money.currency().code().to_owned(),
        }
    }
}

impl TryFrom<Money> for CoreMoney {
    type Error = CoreError;

    /// # Errors
    ///
    /// A validation error on `amount` when it is not a decimal number or has
    /// more decimal places than the currency allows, on `currency` when the
    /// code is unknown.
    fn try_from(money: Money) -> Result<Self, CoreError> {
        CoreMoney::parse(&money.amount, &money.currency)
    }
}

/// An optional amount, checked.
///
/// # Errors
///
/// As `TryFrom<Money>`.
pub(crate) fn opt_money(money: Option<Money>) -> Result<Option<CoreMoney>, CoreError> {
    money.map(CoreMoney::try_from).transpose()
}

/// An amount, checked, its errors named under `prefix`: `"amount."` names
/// them `amount.amount` and `amount.currency`, `"installments[0]."`
/// `installments[0].amount`.
///
/// # Errors
///
/// As `TryFrom<Money>`, the fields prefixed.
pub(crate) fn money_at(prefix: &str, money: &Money) -> Result<CoreMoney, CoreError> {
    CoreMoney::parse(&money.amount, &money.currency).map_err(|err| prefixed(err, prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_decimal_strings() {
        let money = CoreMoney::try_from(Money {
            amount: "12000.5".into(),
            currency: "EUR".into(),
        })
        .unwrap();
        assert_eq!(Money::from(money).amount, "12000.50");
        let err = CoreMoney::try_from(Money {
            amount: "1e3".into(),
            currency: "EUR".into(),
        })
        .unwrap_err();
        assert!(matches!(err, CoreError::Validation { ref fields, .. } if fields == &["amount"]));
    }
}
