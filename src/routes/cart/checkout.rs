//! Handing the shopper to hosted checkout.

use actix_web::web::Data;
use actix_web::HttpResponse;

use super::dto::CheckoutResponse;
use super::mutation::Mutation;
use crate::cart::{CartError, CartService};
use crate::errors::Problem;
use crate::idempotency::Answer;

/// Fresh hand-off URLs for BigCommerce's hosted checkout (single-use: ask every time).
#[utoipa::path(
    post, path = "/api/cart/checkout", tag = "cart",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses(
        (status = 200, description = "Where to send the shopper", body = CheckoutResponse),
        (status = 409, description = "No cart to check out (cart_empty), or a request with this Idempotency-Key is still in flight (idempotency_key_in_flight)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid Idempotency-Key (invalid_input), or the key was used for another request (idempotency_key_reused)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many changes from this session or address (too_many_requests, with Retry-After)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "BigCommerce is unavailable (upstream_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "BigCommerce's rate limit (upstream_rate_limited) or the store's API budget (upstream_busy), with Retry-After, or the database is unavailable (database_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 504, description = "BigCommerce did not answer in time (upstream_timeout)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn checkout(
    mutation: Mutation,
    carts: Data<CartService>,
) -> Result<HttpResponse, CartError> {
    mutation
        .run(&(), |session, cx| async move {
            let urls = carts.checkout(&session, cx).await?;
            Ok(Answer::ok(CheckoutResponse {
                checkout_url: urls.checkout_url,
                embedded_checkout_url: urls.embedded_checkout_url,
                cart_url: urls.cart_url,
            }))
        })
        .await
}
