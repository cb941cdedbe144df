//! Deleting the cart.

use actix_web::web::Data;
use actix_web::HttpResponse;

use super::mutation::{Cost, Mutation};
use crate::cart::{CartError, CartService};
use crate::errors::Problem;
use crate::idempotency::Answer;

/// Delete the whole cart.
#[utoipa::path(
    delete, path = "/api/cart", tag = "cart",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses(
        (status = 204, description = "The cart is gone"),
        (status = 409, description = "A request with this Idempotency-Key is still in flight (idempotency_key_in_flight)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid Idempotency-Key (invalid_input), or the key was used for another request (idempotency_key_reused)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The fair share of the store's API quota of this session or client address is spent (too_many_requests, with Retry-After)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "BigCommerce is unavailable (upstream_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "BigCommerce's rate limit (upstream_rate_limited) or the store's API budget (upstream_busy), with Retry-After, or the database is unavailable (database_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 504, description = "BigCommerce did not answer in time (upstream_timeout)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn clear_cart(
    mutation: Mutation,
    carts: Data<CartService>,
) -> Result<HttpResponse, CartError> {
    mutation
        .run(&(), Cost::OnCart(1), |session, cx| async move {
            carts.clear(&session, cx).await?;
            Ok(Answer::no_content())
        })
        .await
}
