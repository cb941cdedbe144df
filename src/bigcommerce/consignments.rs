//! Shipping and the note on the Checkouts API: reading the checkout, creating and changing
//! the consignment that holds the physical lines, choosing its shipping option (a `PUT` of its
//! own, as BigCommerce requires), and the customer message (`reference/checkouts.v3.yml`;
//! reference §2.5, §2.6). Each answers with the whole checkout, which becomes the cart we show.

use reqwest::Method;
use serde_json::{json, Value};

use super::checkout_wire::WireCheckout;
use super::checkouts::{path_segment, CHECKOUT_INCLUDES};
use super::client::{Call, CorrelationId};
use super::wire::Envelope;
use super::{BigCommerceClient, BigCommerceError, Priority, StoreCart};
use crate::domain::{CartId, OrderNote, ShippingDestination, ShippingOptionId};

/// A consignment's address for an estimate: the destination and, when known, an e-mail (the
/// spec names `email` and `country_code` the minimum to create a consignment). Never logged.
pub struct ConsignmentAddress<'a> {
    pub destination: &'a ShippingDestination,
    pub email: Option<&'a str>,
}

/// A physical line going into the consignment, with its whole quantity.
pub struct ConsignedLine {
    pub item_id: String,
    pub quantity: u64,
}

fn address_json(address: &ConsignmentAddress<'_>) -> Value {
    let destination = address.destination;
    let mut body = json!({"country_code": destination.country_code});
    if let Some(state) = &destination.state {
        body["state_or_province"] = json!(state);
    }
    if let Some(postal_code) = &destination.postal_code {
        body["postal_code"] = json!(postal_code);
    }
    if let Some(email) = address.email {
        body["email"] = json!(email);
    }
    body
}

fn lines_json(lines: &[ConsignedLine]) -> Value {
    json!(lines
        .iter()
        .map(|line| json!({"item_id": line.item_id, "quantity": line.quantity}))
        .collect::<Vec<_>>())
}

impl BigCommerceClient {
    /// `GET /checkouts/{id}`; `None` when BigCommerce no longer has the cart.
    pub async fn get_checkout(
        &self,
        cart: CartId,
        cx: CorrelationId,
    ) -> Result<Option<StoreCart>, BigCommerceError> {
        let call = Call {
            method: Method::GET,
            path: format!("v3/checkouts/{cart}"),
            endpoint: "GET /v3/checkouts/{id}",
            query: &[CHECKOUT_INCLUDES],
            body: None,
            idempotent: true,
        };
        let answer = self
            .send_as(call, Priority::Change, cx)
            .await
            .and_then(|answer| {
                let envelope: Envelope<WireCheckout> = answer.json()?;
                envelope.data.try_into()
            });
        match answer {
            Ok(checkout) => Ok(Some(checkout)),
            Err(BigCommerceError::NotFound) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// `POST /checkouts/{id}/consignments`: one consignment of `lines` to `address` (the body
    /// is an array), with the options quoted there.
    pub async fn create_consignment(
        &self,
        cart: CartId,
        address: &ConsignmentAddress<'_>,
        lines: &[ConsignedLine],
        cx: CorrelationId,
    ) -> Result<StoreCart, BigCommerceError> {
        let call = Call {
            method: Method::POST,
            path: format!("v3/checkouts/{cart}/consignments"),
            endpoint: "POST /v3/checkouts/{id}/consignments",
            query: &[CHECKOUT_INCLUDES],
            body: Some(
                json!([{"address": address_json(address), "line_items": lines_json(lines)}]),
            ),
            idempotent: false,
        };
        self.checkout_answer(call, cx).await
    }

    /// `PUT /checkouts/{id}/consignments/{consignment}` with a new address and lines (which
    /// BigCommerce quotes anew).
    pub async fn update_consignment(
        &self,
        cart: CartId,
        consignment: &str,
        address: &ConsignmentAddress<'_>,
        lines: &[ConsignedLine],
        cx: CorrelationId,
    ) -> Result<StoreCart, BigCommerceError> {
        let call = Call {
            method: Method::PUT,
            path: format!(
                "v3/checkouts/{cart}/consignments/{}",
                path_segment(consignment)
            ),
            endpoint: "PUT /v3/checkouts/{id}/consignments/{consignment_id}",
            query: &[CHECKOUT_INCLUDES],
            body: Some(json!({"address": address_json(address), "line_items": lines_json(lines)})),
            idempotent: false,
        };
        self.checkout_answer(call, cx).await
    }

    /// `PUT /checkouts/{id}/consignments/{consignment}` `{"shipping_option_id"}`: a request of
    /// its own, since a change of address or lines can invalidate the options.
    pub async fn select_shipping_option(
        &self,
        cart: CartId,
        consignment: &str,
        option: &ShippingOptionId,
        cx: CorrelationId,
    ) -> Result<StoreCart, BigCommerceError> {
        let call = Call {
            method: Method::PUT,
            path: format!(
                "v3/checkouts/{cart}/consignments/{}",
                path_segment(consignment)
            ),
            endpoint: "PUT /v3/checkouts/{id}/consignments/{consignment_id}",
            query: &[CHECKOUT_INCLUDES],
            body: Some(json!({"shipping_option_id": option.as_str()})),
            idempotent: false,
        };
        self.checkout_answer(call, cx).await
    }

    /// `PUT /checkouts/{id}` `{"customer_message"}` (required by BigCommerce; `""` clears it).
    pub async fn set_customer_message(
        &self,
        cart: CartId,
        note: &OrderNote,
        cx: CorrelationId,
    ) -> Result<StoreCart, BigCommerceError> {
        let call = Call {
            method: Method::PUT,
            path: format!("v3/checkouts/{cart}"),
            endpoint: "PUT /v3/checkouts/{id}",
            query: &[CHECKOUT_INCLUDES],
            body: Some(json!({"customer_message": note.as_str()})),
            idempotent: false,
        };
        self.checkout_answer(call, cx).await
    }
}
