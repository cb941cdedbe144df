//! The Checkouts API (`/v3/checkouts/{id}`; the cart id is the checkout id): applying and
//! removing coupon codes. Each answers with the whole checkout, which is mapped into the cart
//! the service shows, so a coupon costs one call and no read after it.

use reqwest::Method;
use serde_json::json;

use super::checkout_wire::WireCheckout;
use super::client::{Call, CorrelationId};
use super::wire::Envelope;
use super::{BigCommerceClient, BigCommerceError, StoreCart};
use crate::domain::{CartId, CouponCode};

/// The checkout's cart with line options and banners, and its consignments with the options
/// quoted (so every checkout answer, a coupon's too, refreshes them). The spec documents
/// `include` on `GET /checkouts/{id}`; its coupon answers show `promotions` too.
pub(super) const CHECKOUT_INCLUDES: (&str, &str) = (
    "include",
    "cart.line_items.physical_items.options,cart.line_items.digital_items.options,\
     consignments.available_shipping_options,promotions.banners",
);

/// A path segment with every byte but ASCII letters, digits, `-` and `_` percent-encoded, so
/// nothing in it can end the segment or name another path (`/`, `..`, `?`, `#`). A
/// `CouponCode` holds only those characters already; this is the second lock.
pub(super) fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

impl BigCommerceClient {
    /// `POST /checkouts/{id}/coupons {"coupon_code"}`. BigCommerce's refusal of the code
    /// (unknown, expired, not eligible) is `BigCommerceError::Rejected` with its reason.
    pub async fn apply_coupon(
        &self,
        cart: CartId,
        code: &CouponCode,
        cx: CorrelationId,
    ) -> Result<StoreCart, BigCommerceError> {
        let call = Call {
            method: Method::POST,
            path: format!("v3/checkouts/{cart}/coupons"),
            endpoint: "POST /v3/checkouts/{id}/coupons",
            query: &[CHECKOUT_INCLUDES],
            body: Some(json!({"coupon_code": code.as_str()})),
            idempotent: false,
        };
        self.checkout_answer(call, cx).await
    }

    /// `DELETE /checkouts/{id}/coupons/{code}`: the path takes the code itself.
    pub async fn remove_coupon(
        &self,
        cart: CartId,
        code: &CouponCode,
        cx: CorrelationId,
    ) -> Result<StoreCart, BigCommerceError> {
        let call = Call {
            method: Method::DELETE,
            path: format!(
                "v3/checkouts/{cart}/coupons/{}",
                path_segment(code.as_str())
            ),
            endpoint: "DELETE /v3/checkouts/{id}/coupons/{code}",
            query: &[CHECKOUT_INCLUDES],
            body: None,
            idempotent: false,
        };
        self.checkout_answer(call, cx).await
    }

    pub(super) async fn checkout_answer(
        &self,
        call: Call<'_>,
        cx: CorrelationId,
    ) -> Result<StoreCart, BigCommerceError> {
        let answer = self.send(call, cx).await?;
        let envelope: Envelope<WireCheckout> = answer.json()?;
        let mut cart: StoreCart = envelope.data.try_into()?;
        cart.requested_at = answer.sent_at;
        Ok(cart)
    }
}

#[cfg(test)]
mod tests {
    use super::path_segment;

    #[test]
    fn nothing_leaves_the_segment() {
        assert_eq!(path_segment("SAVE-10_a"), "SAVE-10_a");
        assert_eq!(
            path_segment("../../v2/orders"),
            "%2E%2E%2F%2E%2E%2Fv2%2Forders"
        );
        assert_eq!(path_segment("a?b#c d"), "a%3Fb%23c%20d");
    }
}
