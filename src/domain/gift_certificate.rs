//! A gift certificate to buy, checked once at the edge: BigCommerce's fields (`name`, `theme`,
//! `amount`, `sender`, `recipient`, `message`; `reference/carts.v3.yml`, reference §4.1)
//! within the store's limits. The e-mail addresses are personal data: never logged, redacted
//! from debug output.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{EmailAddress, InvalidInput};

/// BigCommerce's limit on a certificate's message.
pub const MAX_GIFT_MESSAGE: usize = 200;
/// The service's limit on a name (the certificate's, the sender's, the recipient's).
pub const MAX_GIFT_NAME: usize = 100;

/// The themes BigCommerce offers for its gift certificate e-mails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GiftCertificateTheme {
    Birthday,
    Boy,
    Celebration,
    Christmas,
    General,
    Girl,
}

impl GiftCertificateTheme {
    const ALL: [GiftCertificateTheme; 6] = [
        Self::Birthday,
        Self::Boy,
        Self::Celebration,
        Self::Christmas,
        Self::General,
        Self::Girl,
    ];

    /// `birthday`, … as the JSON API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Birthday => "birthday",
            Self::Boy => "boy",
            Self::Celebration => "celebration",
            Self::Christmas => "christmas",
            Self::General => "general",
            Self::Girl => "girl",
        }
    }

    /// `Birthday`, … as BigCommerce spells it.
    pub fn bigcommerce_name(self) -> &'static str {
        match self {
            Self::Birthday => "Birthday",
            Self::Boy => "Boy",
            Self::Celebration => "Celebration",
            Self::Christmas => "Christmas",
            Self::General => "General",
            Self::Girl => "Girl",
        }
    }

    pub fn parse(input: &str) -> Result<Self, InvalidInput> {
        let wanted = input.trim();
        Self::ALL
            .into_iter()
            .find(|theme| theme.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                InvalidInput::new(
                    "theme must be one of birthday, boy, celebration, christmas, general, girl",
                )
            })
    }

    /// Every theme, for forms.
    pub fn all() -> [GiftCertificateTheme; 6] {
        Self::ALL
    }
}

/// The sender or the recipient.
#[derive(Debug, Clone, PartialEq)]
pub struct GiftParty {
    pub name: String,
    pub email: EmailAddress,
}

/// A gift certificate, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewGiftCertificate {
    pub name: String,
    pub theme: GiftCertificateTheme,
    /// In the store's currency, to the cent.
    pub amount: f64,
    pub sender: GiftParty,
    pub recipient: GiftParty,
    pub message: Option<String>,
}

/// One line of text: trimmed, 1 to `max` characters, no control characters.
fn line_of_text(field: &str, value: &str, max: usize) -> Result<String, InvalidInput> {
    let value = value.trim();
    let count = value.chars().count();
    if count == 0 || count > max || value.chars().any(char::is_control) {
        return Err(InvalidInput::new(format!(
            "{field} must be 1 to {max} characters on one line"
        )));
    }
    Ok(value.to_owned())
}

impl GiftParty {
    pub fn parse(role: &str, name: &str, email: &str) -> Result<Self, InvalidInput> {
        Ok(GiftParty {
            name: line_of_text(&format!("{role}.name"), name, MAX_GIFT_NAME)?,
            email: EmailAddress::parse(email).map_err(|_| {
                InvalidInput::new(format!("{role}.email must be an e-mail address"))
            })?,
        })
    }
}

impl NewGiftCertificate {
    /// Checks every field; `amount` must lie within the store's `limits` (min, max) and have
    /// at most two decimals.
    pub fn parse(
        name: &str,
        theme: &str,
        amount: f64,
        sender: GiftParty,
        recipient: GiftParty,
        message: Option<&str>,
        limits: (f64, f64),
    ) -> Result<Self, InvalidInput> {
        let (min, max) = limits;
        let cents = (amount * 100.0).round();
        if !amount.is_finite()
            || !(min..=max).contains(&amount)
            || (amount * 100.0 - cents).abs() > 1e-6
        {
            return Err(InvalidInput::new(format!(
                "amount must be from {min:.2} to {max:.2}, to the cent"
            )));
        }
        let message = match message.map(str::trim).filter(|m| !m.is_empty()) {
            None => None,
            Some(text) => {
                let bad = text
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t');
                if bad || text.chars().count() > MAX_GIFT_MESSAGE {
                    return Err(InvalidInput::new(format!(
                        "message must be at most {MAX_GIFT_MESSAGE} characters"
                    )));
                }
                Some(text.to_owned())
            }
        };
        Ok(NewGiftCertificate {
            name: line_of_text("name", name, MAX_GIFT_NAME)?,
            theme: GiftCertificateTheme::parse(theme)?,
            amount: cents / 100.0,
            sender,
            recipient,
            message,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn party() -> GiftParty {
        GiftParty::parse("sender", "Jane", "jane@example.com").expect("party")
    }

    fn parse(
        amount: f64,
        theme: &str,
        message: Option<&str>,
    ) -> Result<NewGiftCertificate, InvalidInput> {
        NewGiftCertificate::parse(
            "For Sam",
            theme,
            amount,
            party(),
            party(),
            message,
            (5.0, 500.0),
        )
    }

    #[test]
    fn certificates_are_checked_against_the_store_limits_and_bigcommerces_rules() {
        let ok = parse(25.5, "Birthday", Some(" Enjoy ")).expect("valid");
        assert_eq!(ok.theme.bigcommerce_name(), "Birthday");
        assert_eq!(ok.message.as_deref(), Some("Enjoy"));
        for amount in [4.99, 500.01, 10.005, f64::NAN, f64::INFINITY] {
            assert!(parse(amount, "general", None).is_err(), "{amount}");
        }
        assert!(parse(10.0, "Easter", None).is_err());
        assert!(parse(10.0, "general", Some(&"x".repeat(201))).is_err());
        assert!(GiftParty::parse("recipient", "Sam", "not-an-address").is_err());
        assert!(GiftParty::parse("recipient", "", "sam@example.com").is_err());
        assert!(GiftParty::parse("recipient", "Sam\u{0}", "sam@example.com").is_err());
        let debug = format!("{ok:?}");
        assert!(!debug.contains("jane@example.com"), "{debug}");
    }
}
