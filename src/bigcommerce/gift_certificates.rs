//! Buying a gift certificate: a line of the cart, added with `POST /carts/{id}/items`
//! `{"gift_certificates": [...]}` as `reference/carts.v3.yml` documents it (reference §4.1).
//! Redeeming one is not possible here: the Management API has no endpoint for it; the shopper
//! redeems a code at BigCommerce's hosted checkout (reference §2.11).

use reqwest::Method;
use serde_json::json;

use super::carts::CART_INCLUDES;
use super::client::{Call, CorrelationId};
use super::wire::{Envelope, WireCart};
use super::{BigCommerceClient, BigCommerceError, StoreCart};
use crate::domain::{CartId, NewGiftCertificate};

impl BigCommerceClient {
    /// `POST /carts/{id}/items` with one gift certificate (quantity 1).
    pub async fn add_gift_certificate(
        &self,
        cart: CartId,
        certificate: &NewGiftCertificate,
        cx: CorrelationId,
    ) -> Result<StoreCart, BigCommerceError> {
        let mut line = json!({
            "name": certificate.name,
            "theme": certificate.theme.bigcommerce_name(),
            "amount": certificate.amount,
            "quantity": 1,
            "sender": {"name": certificate.sender.name, "email": certificate.sender.email.as_str()},
            "recipient": {
                "name": certificate.recipient.name,
                "email": certificate.recipient.email.as_str(),
            },
        });
        if let Some(message) = &certificate.message {
            line["message"] = json!(message);
        }
        let call = Call {
            method: Method::POST,
            path: format!("v3/carts/{cart}/items"),
            endpoint: "POST /v3/carts/{id}/items",
            query: &[CART_INCLUDES],
            body: Some(json!({"gift_certificates": [line]})),
            idempotent: false,
        };
        let envelope: Envelope<WireCart> = self.send(call, cx).await?.json()?;
        envelope.data.try_into()
    }
}
