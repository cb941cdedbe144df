//! What BigCommerce's checkout knows about a cart beyond its lines: where it ships, the
//! options quoted there and the one chosen, shipping and tax, and the shopper's note. Only a
//! Checkouts API answer says any of it; the Carts API never does. So the snapshot keeps the
//! checkout's last word (`CheckoutFacts`), stamped with the cart's version and time then, and
//! a cart read or changed since through the Carts API shows it only as far as it still holds:
//! the note and the destination always, the options, shipping and tax only while the cart is
//! unchanged since (BigCommerce may drop or re-quote shipping after any line change).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{CountryCode, InvalidInput};

/// Longest state or province name a destination may carry.
pub const MAX_STATE: usize = 100;
/// Longest postal code.
pub const MAX_POSTAL_CODE: usize = 20;

/// Where the cart's physical lines ship, as far as the estimate asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ShippingDestination {
    /// ISO 3166-1 alpha-2.
    pub country_code: String,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
}

impl ShippingDestination {
    /// Checks an estimate's destination: a known country, a state of one line of text, a
    /// postal code of letters, digits, spaces and hyphens. Empty optional fields are absent.
    pub fn parse(
        country_code: &str,
        state: Option<&str>,
        postal_code: Option<&str>,
    ) -> Result<Self, InvalidInput> {
        let country = CountryCode::parse(country_code)?;
        fn present(value: Option<&str>) -> Option<String> {
            value
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        }
        let state = present(state);
        if state
            .as_ref()
            .is_some_and(|s| s.chars().count() > MAX_STATE || s.chars().any(char::is_control))
        {
            return Err(InvalidInput::new(format!(
                "state must be at most {MAX_STATE} characters on one line"
            )));
        }
        let postal_code = present(postal_code);
        let postal_ok = |p: &String| {
            p.len() <= MAX_POSTAL_CODE
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-')
        };
        if postal_code.as_ref().is_some_and(|p| !postal_ok(p)) {
            return Err(InvalidInput::new(format!(
                "postal_code must be at most {MAX_POSTAL_CODE} letters, digits, spaces or hyphens"
            )));
        }
        Ok(ShippingDestination {
            country_code: country.as_str().to_owned(),
            state,
            postal_code,
        })
    }
}

/// A shipping option's id as a client sends it back: 1 to 64 letters, digits, `-` or `_`
/// (BigCommerce's are 32 hex digits). Whether it is one of the quote's is checked against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingOptionId(String);

impl ShippingOptionId {
    pub fn parse(input: &str) -> Result<Self, InvalidInput> {
        let id = input.trim();
        let ok = (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(id.to_owned()))
        } else {
            Err(InvalidInput::new(
                "option_id must be the id of one of the cart's shipping options",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One shipping option BigCommerce quoted for the destination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ShippingOption {
    /// Send it back as `option_id` to choose this option.
    pub id: String,
    /// The store's name for it ("Standard shipping").
    pub description: String,
    /// What it costs, as quoted (0 when a promotion makes it free).
    pub cost: f64,
    /// An estimate of the arrival time, when the store gives one.
    #[serde(default)]
    pub transit_time: Option<String>,
}

/// Shipping as the checkout knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CartShipping {
    pub destination: ShippingDestination,
    /// The options quoted for the destination (empty when the store ships nothing there, or
    /// when the quote is no longer `current`).
    pub options: Vec<ShippingOption>,
    /// The chosen option's id, once one is chosen (and while `current`).
    pub selected_option_id: Option<String>,
    /// `false` once the cart's lines changed after the quote: BigCommerce may have dropped or
    /// re-quoted it, so options, shipping and tax are no longer known. Estimate again.
    pub current: bool,
}

/// The checkout's last word about a cart, kept in the snapshot (never shown to browsers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckoutFacts {
    /// The cart's version and `updated_time` when the checkout answered: the facts hold while
    /// the cart still has them.
    pub version: i64,
    pub updated_time: String,
    /// BigCommerce's `customer_message` (`None` when empty).
    #[serde(default)]
    pub note: Option<String>,
    /// The consignment holding the physical lines, to re-quote or choose an option on.
    #[serde(default)]
    pub consignment_id: Option<String>,
    #[serde(default)]
    pub shipping: Option<CartShipping>,
    /// Shipping once every consignment has an option; tax once there is an address.
    #[serde(default)]
    pub shipping_total: Option<f64>,
    #[serde(default)]
    pub tax_total: Option<f64>,
    #[serde(default)]
    pub grand_total: Option<f64>,
}

impl CheckoutFacts {
    /// Whether a cart at `version` and `updated_time` is the one these facts were said about.
    pub fn hold_for(&self, version: i64, updated_time: &str) -> bool {
        self.version == version && self.updated_time == updated_time
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_hold_only_for_the_cart_they_were_said_about() {
        let facts = CheckoutFacts {
            version: 3,
            updated_time: "2026-01-01T00:00:00+00:00".to_owned(),
            note: None,
            consignment_id: Some("abc".to_owned()),
            shipping: None,
            shipping_total: Some(5.0),
            tax_total: Some(1.0),
            grand_total: Some(16.0),
        };
        assert!(facts.hold_for(3, "2026-01-01T00:00:00+00:00"));
        assert!(!facts.hold_for(4, "2026-01-01T00:00:00+00:00"));
        assert!(!facts.hold_for(3, "2026-01-01T00:00:01+00:00"));
    }

    #[test]
    fn destinations_and_option_ids_are_checked() {
        let ok = ShippingDestination::parse("us", Some(" Texas "), Some(" 78701 ")).expect("ok");
        assert_eq!(ok.country_code, "US");
        assert_eq!(ok.state.as_deref(), Some("Texas"));
        assert_eq!(ok.postal_code.as_deref(), Some("78701"));
        let bare = ShippingDestination::parse("CA", Some(""), None).expect("ok");
        assert_eq!(bare.state, None);
        assert!(ShippingDestination::parse("XX", None, None).is_err());
        assert!(ShippingDestination::parse("US", None, Some("787<01")).is_err());
        assert!(ShippingDestination::parse("US", Some(&"x".repeat(101)), None).is_err());
        assert!(ShippingOptionId::parse("26fb2db4ad77b0f039328d22d2869617").is_ok());
        assert!(ShippingOptionId::parse("../x").is_err());
        assert!(ShippingOptionId::parse("").is_err());
    }
}
