//! Shipping on the cart: `POST /api/cart/shipping-estimate` quotes the options for a
//! destination, `PUT /api/cart/shipping-option` chooses one. Shipping, tax and the grand total
//! then come from BigCommerce's checkout (see `cart::shipping`).

use actix_web::web::{self, Data};
use actix_web::HttpResponse;

use super::checkout_dto::{ShippingEstimateRequest, ShippingOptionRequest};
use super::dto::CartResponse;
use super::mutation::{Cost, Mutation};
use crate::cart::{Asked, CartError, CartService};
use crate::errors::Problem;
use crate::idempotency::Answer;

/// Quote shipping for the cart's physical lines.
///
/// Creates the checkout's consignment holding every physical line, or re-addresses the one
/// it has (a new quote), and answers the cart with `shipping.options`; `totals.tax` and
/// `grand_total` follow BigCommerce's checkout once it knows the address.
#[utoipa::path(
    post, path = "/api/cart/shipping-estimate", tag = "cart",
    request_body = ShippingEstimateRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses(
        (status = 200, description = "The cart with `shipping` (destination and the options quoted; none when the store ships nothing there)", body = CartResponse),
        (status = 400, description = "Malformed JSON or unknown fields (invalid_json)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The session has no cart (cart_empty), or a request with this Idempotency-Key is still in flight (idempotency_key_in_flight)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than application.max_json_body_bytes (payload_too_large)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json (unsupported_media_type)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown country, a malformed state, postal code or e-mail, no e-mail for a shopper who is not signed in (invalid_input); nothing in the cart needs shipping (shipping_not_required); BigCommerce refused the address (upstream_rejected, its reason is the detail); or the Idempotency-Key was used for another request (idempotency_key_reused)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The fair share of the store's API quota of this session or client address is spent (too_many_requests, with Retry-After)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "BigCommerce is unavailable (upstream_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "BigCommerce's rate limit (upstream_rate_limited) or the store's API budget (upstream_busy), with Retry-After, or the database is unavailable (database_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 504, description = "BigCommerce did not answer in time (upstream_timeout)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn estimate_shipping(
    mutation: Mutation,
    body: web::Json<ShippingEstimateRequest>,
    carts: Data<CartService>,
) -> Result<HttpResponse, CartError> {
    let (destination, email) = body.parse()?;
    // One call with a fresh snapshot; a checkout read first without one.
    let ttl = carts.settings().snapshot_ttl();
    let fresh = mutation
        .session
        .snapshot()
        .is_some_and(|snapshot| snapshot.is_fresh(ttl));
    let calls = if fresh { 1 } else { 2 };
    // A new quote for the same destination replaces the last one: safe to repeat.
    mutation
        .run(&*body, Cost::OnCart(calls), |session, cx| async move {
            let before = session.snapshot().map(|s| s.cart.clone());
            let cart = carts
                .estimate_shipping(&session, &destination, email.as_ref(), cx)
                .await?;
            let change = carts.changed(before.as_ref(), Some(cart), Asked::Other);
            Ok(Answer::ok(CartResponse::from(change)))
        })
        .await
}

/// Choose one of the shipping options the cart's estimate lists.
///
/// Answers the cart with `shipping.selected_option_id`, and `totals.shipping`, `totals.tax`
/// and `grand_total` from BigCommerce's checkout.
#[utoipa::path(
    put, path = "/api/cart/shipping-option", tag = "cart",
    request_body = ShippingOptionRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses(
        (status = 200, description = "The cart with the option chosen and shipping and tax in `totals`", body = CartResponse),
        (status = 400, description = "Malformed JSON or unknown fields (invalid_json)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The session has no cart (cart_empty), no current estimate (shipping_estimate_required: the cart changed since, or none was made; nothing is sent to BigCommerce), or a request with this Idempotency-Key is still in flight (idempotency_key_in_flight)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than application.max_json_body_bytes (payload_too_large)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json (unsupported_media_type)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A malformed option id (invalid_input); not one of the estimate's options, or BigCommerce refused it (shipping_option_unknown); or the Idempotency-Key was used for another request (idempotency_key_reused)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The fair share of the store's API quota of this session or client address is spent (too_many_requests, with Retry-After)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "BigCommerce is unavailable (upstream_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "BigCommerce's rate limit (upstream_rate_limited) or the store's API budget (upstream_busy), with Retry-After, or the database is unavailable (database_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 504, description = "BigCommerce did not answer in time (upstream_timeout)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn select_shipping_option(
    mutation: Mutation,
    body: web::Json<ShippingOptionRequest>,
    carts: Data<CartService>,
) -> Result<HttpResponse, CartError> {
    let option = body.parse()?;
    // Choosing the same option twice leaves it chosen: safe to repeat.
    mutation
        .run(&*body, Cost::OnCart(1), |session, cx| async move {
            let before = session.snapshot().map(|s| s.cart.clone());
            let cart = carts.select_shipping_option(&session, &option, cx).await?;
            let change = carts.changed(before.as_ref(), Some(cart), Asked::Other);
            Ok(Answer::ok(CartResponse::from(change)))
        })
        .await
}
