//! Exact money: a `Decimal` amount in an ISO 4217 currency.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// An ISO 4217 currency code (three upper-case letters) that crm knows the minor
/// units of.
///
/// # Examples
///
/// ```
/// use crm_core::Currency;
///
/// let yen: Currency = "JPY".parse().unwrap();
/// assert_eq!(yen.minor_units(), 0);
/// assert_eq!("KWD".parse::<Currency>().unwrap().minor_units(), 3);
/// assert!("XYZ".parse::<Currency>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency {
    code: [u8; 3],
    minor_units: u8,
}

/// Active ISO 4217 codes and their minor units (ISO 4217 amendment 178, 2024).
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("ANG", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BOV", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHE", 2),
    ("CHF", 2),
    ("CHW", 2),
    ("CLF", 4),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("COU", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MXV", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("USN", 2),
    ("UYI", 0),
    ("UYU", 2),
    ("UYW", 4),
    ("UZS", 2),
    ("VED", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XCG", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

impl Currency {
    /// The three-letter code, e.g. `"EUR"`.
    pub fn code(&self) -> &str {
        // The bytes were checked to be ASCII upper-case letters on construction.
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// How many decimal places the currency's smallest unit has (2 for EUR, 0 for
    /// JPY, 3 for KWD).
    pub fn minor_units(&self) -> u32 {
        u32::from(self.minor_units)
    }
}

/// `amount` rounded to `minor_units` decimal places, half away from zero (as
/// money is rounded everywhere here: quotes, forecasts, measures).
pub(crate) fn round_minor(amount: Decimal, minor_units: u32) -> Decimal {
    amount.round_dp_with_strategy(
        minor_units,
        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
    )
}

impl FromStr for Currency {
    type Err = Error;

    /// Parses an ISO 4217 code; lower case is accepted and upper-cased.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `currency` when the code is not an active ISO 4217 code.
    fn from_str(text: &str) -> Result<Self> {
        let upper = text.trim().to_ascii_uppercase();
        let found = CURRENCIES
            .binary_search_by(|(code, _)| code.cmp(&upper.as_str()))
            .ok()
            .map(|at| CURRENCIES[at]);
        match found {
            Some((code, minor_units)) => {
                let bytes = code.as_bytes();
                Ok(Currency {
                    code: [bytes[0], bytes[1], bytes[2]],
                    minor_units,
                })
            }
            None => {
                let shown: String = text.chars().take(12).collect();
                Err(
                    Error::invalid("currency", "is not an ISO 4217 currency code")
                        .with_value(shown),
                )
            }
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An exact amount of money in one currency.
///
/// The amount is kept at the currency's minor units (`12.5 EUR` is stored and
/// shown as `12.50 EUR`); an amount finer than the currency allows is rejected,
/// never rounded silently. Serialised as `{"amount": "12.50", "currency": "EUR"}`
/// (the amount as a string, so no JSON reader turns it into a float).
///
/// # Examples
///
/// ```
/// use crm_core::Money;
/// use rust_decimal::Decimal;
///
/// let price = Money::parse("1200.5", "EUR").unwrap();
/// assert_eq!(price.to_string(), "1200.50 EUR");
/// assert_eq!(price.amount(), Decimal::new(120050, 2));
///
/// // A tenth of a cent does not exist in euros.
/// let err = Money::parse("0.001", "EUR").unwrap_err();
/// assert_eq!(err.to_string(), "invalid amount: has more decimal places than EUR allows (2) (got `0.001`)");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "MoneyRepr", into = "MoneyRepr")]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

#[derive(Serialize, Deserialize)]
struct MoneyRepr {
    amount: Decimal,
    currency: Currency,
}

impl TryFrom<MoneyRepr> for Money {
    type Error = Error;

    fn try_from(repr: MoneyRepr) -> Result<Self> {
        Money::new(repr.amount, repr.currency)
    }
}

impl From<Money> for MoneyRepr {
    fn from(money: Money) -> Self {
        MoneyRepr {
            amount: money.amount,
            currency: money.currency,
        }
    }
}

impl Money {
    /// An amount in a currency.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `amount` when it has more decimal places than the
    /// currency's minor units.
    pub fn new(amount: Decimal, currency: Currency) -> Result<Self> {
        let normalized = amount.normalize();
        if normalized.scale() > currency.minor_units() {
            return Err(Error::invalid(
                "amount",
                format!(
                    "has more decimal places than {} allows ({})",
                    currency,
                    currency.minor_units()
                ),
            )
            .with_value(amount));
        }
        let mut amount = normalized;
        amount.rescale(currency.minor_units());
        Ok(Money { amount, currency })
    }

    /// Parses an amount (`"1200.50"`) and a currency code (`"EUR"`).
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `amount` when it is not a decimal number or is too
    /// fine for the currency, on `currency` when the code is unknown.
    pub fn parse(amount: &str, currency: &str) -> Result<Self> {
        let currency: Currency = currency.parse()?;
        let shown: String = amount.chars().take(40).collect();
        let amount = Decimal::from_str_exact(amount.trim())
            .map_err(|_| Error::invalid("amount", "is not a decimal number").with_value(shown))?;
        Money::new(amount, currency)
    }

    /// Zero in a currency.
    pub fn zero(currency: Currency) -> Self {
        let mut amount = Decimal::ZERO;
        amount.rescale(currency.minor_units());
        Money { amount, currency }
    }

    /// The amount, at the currency's minor units.
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount in minor units (cents for EUR): `12.50 EUR` is `1250`.
    pub fn minor_amount(&self) -> i128 {
        self.amount.mantissa()
    }

    /// Whether the amount is below zero.
    pub fn is_negative(&self) -> bool {
        self.amount.is_sign_negative() && !self.amount.is_zero()
    }

    /// The sum of two amounts in the same currency.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `currency` when the currencies differ, on `amount`
    /// when the sum overflows.
    pub fn checked_add(&self, other: &Money) -> Result<Money> {
        if self.currency != other.currency {
            return Err(
                Error::invalid("currency", "cannot add amounts in different currencies")
                    .with_value(format!("{} + {}", self.currency, other.currency)),
            );
        }
        let sum = self
            .amount
            .checked_add(other.amount)
            .ok_or_else(|| Error::invalid("amount", "overflows"))?;
        Money::new(sum, self.currency)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({} {})", self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(CURRENCIES.windows(2).all(|pair| pair[0].0 < pair[1].0));
    }

    #[test]
    fn amounts_keep_minor_units() {
        let yen = Money::parse("1500", "jpy").unwrap();
        assert_eq!(yen.to_string(), "1500 JPY");
        assert!(Money::parse("1500.5", "JPY").is_err());
        let dinar = Money::parse("1.250", "KWD").unwrap();
        assert_eq!(dinar.minor_amount(), 1250);
        assert_eq!(
            Money::parse("10.500", "EUR").unwrap().to_string(),
            "10.50 EUR"
        );
        let err = Money::parse("1e3", "EUR").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid amount: is not a decimal number (got `1e3`)"
        );
    }

    #[test]
    fn serde_keeps_amounts_as_strings() {
        let money = Money::parse("0.10", "USD").unwrap();
        let json = serde_json::to_string(&money).unwrap();
        assert_eq!(json, r#"{"amount":"0.10","currency":"USD"}"#);
        let back: Money = serde_json::from_str(&json).unwrap();
        assert_eq!(back, money);
        assert!(serde_json::from_str::<Money>(r#"{"amount":"0.001","currency":"USD"}"#).is_err());
    }

    #[test]
    fn adding_needs_one_currency() {
        let a = Money::parse("0.10", "USD").unwrap();
        let b = Money::parse("0.20", "USD").unwrap();
        assert_eq!(
            a.checked_add(&b).unwrap(),
            Money::parse("0.3", "USD").unwrap()
        );
        let c = Money::parse("1", "EUR").unwrap();
        assert!(a.checked_add(&c).is_err());
    }
}
