//! Light normalisation of phone numbers and emails, for lookups and indexes.
//!
//! This is deliberately simple (the duplicate-matching module brings full E.164
//! parsing with a default region); it is what the store indexes today, so that
//! `+44 20 7946 0958` and `+442079460958` find each other.

use crate::error::{Error, Result};

/// The lookup key of an email: trimmed and lower-cased.
///
/// # Errors
///
/// [`Error::Validation`] on `email` when it is not `local@domain` or is longer
/// than 254 characters. The value is not echoed: it is personal data.
///
/// # Examples
///
/// ```
/// use crm_core::normalize_email;
///
/// assert_eq!(normalize_email(" Ana@Example.COM ").unwrap(), "ana@example.com");
/// assert!(normalize_email("not-an-email").is_err());
/// ```
pub fn normalize_email(email: &str) -> Result<String> {
    let email = email.trim();
    let valid = email.len() <= 254
        && email.split('@').count() == 2
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if !valid {
        return Err(Error::invalid("email", "is not an email address"));
    }
    Ok(email.to_lowercase())
}

/// The lookup key of a phone number: its digits, with a leading `+` kept when the
/// number was written in international form (`00` is read as `+`).
///
/// # Errors
///
/// [`Error::Validation`] on `phone` when it holds other characters than digits,
/// spaces, `+ - . ( ) /`, or fewer than 4 or more than 20 digits. The value is
/// not echoed: it is personal data.
///
/// # Examples
///
/// ```
/// use crm_core::normalize_phone;
///
/// assert_eq!(normalize_phone("+44 (20) 7946-0958").unwrap(), "+442079460958");
/// assert_eq!(normalize_phone("0044 20 7946 0958").unwrap(), "+442079460958");
/// assert!(normalize_phone("call me").is_err());
/// ```
pub fn normalize_phone(phone: &str) -> Result<String> {
    let phone = phone.trim();
    if !phone
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '.' | '(' | ')' | '/'))
        || phone.chars().skip(1).any(|c| c == '+')
    {
        return Err(Error::invalid(
            "phone",
            "holds characters a phone number does not",
        ));
    }
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let (international, digits) = if phone.starts_with('+') {
        (true, digits.as_str())
    } else if let Some(rest) = digits.strip_prefix("00") {
        (true, rest)
    } else {
        (false, digits.as_str())
    };
    if !(4..=20).contains(&digits.len()) {
        return Err(Error::invalid("phone", "must have 4 to 20 digits"));
    }
    Ok(if international {
        format!("+{digits}")
    } else {
        digits.to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(normalize_email("a@b.co").is_ok());
        for bad in ["", "@b.co", "a@", "a@b", "a@@b.co", "a b@c.de", "a@.co"] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
        // The message never echoes the address.
        let err = normalize_email("secret@").unwrap_err();
        assert!(!err.to_string().contains("secret"));
    }

    #[test]
    fn phones() {
        assert_eq!(normalize_phone("030 1234567").unwrap(), "0301234567");
        assert_eq!(
            normalize_phone("+1 (555) 010-9999").unwrap(),
            "+15550109999"
        );
        assert!(normalize_phone("123").is_err());
        assert!(normalize_phone("1+23456").is_err());
        assert!(normalize_phone(&"9".repeat(21)).is_err());
    }
}
