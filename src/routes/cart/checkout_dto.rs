//! Request bodies of the checkout-side cart API (shipping, the note, gift certificates), and
//! their one-time parse into domain types.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{
    EmailAddress, GiftCertificateTheme, GiftParty, InvalidInput, NewGiftCertificate, OrderNote,
    ShippingDestination, ShippingOptionId,
};

/// `POST /api/cart/shipping-estimate`
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShippingEstimateRequest {
    /// ISO 3166-1 alpha-2, such as `US`.
    pub country_code: String,
    /// State or province, where the store's rates depend on it.
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    /// BigCommerce asks an e-mail address of every consignment: required for a shopper who is
    /// not signed in (a signed-in customer's is used otherwise). Never logged or shown.
    #[serde(default)]
    pub email: Option<String>,
}

// E-mail addresses are personal data: never in debug output, so never in a log.
impl std::fmt::Debug for ShippingEstimateRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShippingEstimateRequest")
            .field("country_code", &self.country_code)
            .field("email", &self.email.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for GiftPartyRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GiftPartyRequest(<redacted>)")
    }
}

impl ShippingEstimateRequest {
    pub fn parse(&self) -> Result<(ShippingDestination, Option<EmailAddress>), InvalidInput> {
        let destination = ShippingDestination::parse(
            &self.country_code,
            self.state.as_deref(),
            self.postal_code.as_deref(),
        )?;
        let email = self
            .email
            .as_deref()
            .filter(|email| !email.trim().is_empty())
            .map(EmailAddress::parse)
            .transpose()?;
        Ok((destination, email))
    }
}

/// `PUT /api/cart/shipping-option`
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShippingOptionRequest {
    /// One of `cart.shipping.options[].id`.
    pub option_id: String,
}

impl ShippingOptionRequest {
    pub fn parse(&self) -> Result<ShippingOptionId, InvalidInput> {
        ShippingOptionId::parse(&self.option_id)
    }
}

/// `PUT /api/cart/note`
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    /// The shopper's note for the order, at most 2000 characters; `""` clears it.
    pub message: String,
}

impl NoteRequest {
    pub fn parse(&self) -> Result<OrderNote, InvalidInput> {
        OrderNote::parse(&self.message)
    }
}

/// The sender or recipient of a gift certificate.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GiftPartyRequest {
    pub name: String,
    /// Never logged.
    pub email: String,
}

/// `POST /api/cart/gift-certificates`
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GiftCertificateRequest {
    /// The certificate's name, shown in the cart and to the merchant (1 to 100 characters).
    pub name: String,
    /// In the store's currency, within the store's limits (`cart.gift_certificate_min_amount`
    /// to `_max_amount`; BigCommerce takes 1 to 1000), to the cent.
    pub amount: f64,
    /// The design of BigCommerce's gift certificate e-mail.
    #[schema(value_type = GiftCertificateTheme)]
    pub theme: String,
    pub sender: GiftPartyRequest,
    pub recipient: GiftPartyRequest,
    /// At most 200 characters.
    #[serde(default)]
    pub message: Option<String>,
}

impl GiftCertificateRequest {
    /// Every field checked; `limits` are the store's (min, max) amounts.
    pub fn parse(&self, limits: (f64, f64)) -> Result<NewGiftCertificate, InvalidInput> {
        NewGiftCertificate::parse(
            &self.name,
            &self.theme,
            self.amount,
            GiftParty::parse("sender", &self.sender.name, &self.sender.email)?,
            GiftParty::parse("recipient", &self.recipient.name, &self.recipient.email)?,
            self.message.as_deref(),
            limits,
        )
    }
}
