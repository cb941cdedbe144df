//! Handing the shopper to BigCommerce's hosted checkout (or embedded checkout, or hosted cart).

use actix_web::web::{Data, Query};
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::dto::CheckoutResponse;
use super::mutation::{Cost, Mutation};
use crate::cart::{CartError, CartService, HandOffTarget};
use crate::errors::Problem;
use crate::idempotency::Answer;

/// `?target=`: which hosted page the one URL opens.
#[derive(Debug, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CheckoutQuery {
    /// `checkout` (the default), `embedded_checkout` or `cart`.
    #[serde(default)]
    #[param(inline)]
    pub target: HandOffTarget,
}

/// A fresh single-use URL to one of BigCommerce's hosted pages. The URLs BigCommerce mints
/// together share one token, so only the one asked for is handed out: ask every time.
///
/// A hand-off is minted on every request and never replayed: an `Idempotency-Key` is
/// accepted and ignored (a stored URL may have been spent, or its sign-in token expired, by
/// the time a retry comes, and a bearer URL has no place in storage). Minting twice is
/// harmless: an unused URL simply expires.
#[utoipa::path(
    post, path = "/api/cart/checkout", tag = "cart",
    params(
        CheckoutQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Accepted and ignored: every request mints a fresh URL, a retry included"),
    ),
    responses(
        (status = 200, description = "Where to send the shopper", body = CheckoutResponse),
        (status = 400, description = "An unknown target (bad_request)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No cart to check out (cart_empty), or lines of the cart cannot be fulfilled (cart_has_problems, with `problems` listing each line, its problem and the quantity available; never for target=cart, where they can be fixed)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid Idempotency-Key (invalid_input)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The fair share of the store's API quota of this session or client address is spent (too_many_requests, with Retry-After)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "BigCommerce is unavailable (upstream_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "BigCommerce's rate limit (upstream_rate_limited) or the store's API budget (upstream_busy), with Retry-After, or the database is unavailable (database_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 504, description = "BigCommerce did not answer in time (upstream_timeout)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn checkout(
    mutation: Mutation,
    query: Query<CheckoutQuery>,
    carts: Data<CartService>,
) -> Result<HttpResponse, CartError> {
    let target = query.target;
    mutation
        .run_fresh(Cost::OnCart(1), |session, cx| async move {
            let hand_off = carts.checkout(&session, target, cx).await?;
            Ok(Answer::ok(CheckoutResponse::from(hand_off)))
        })
        .await
}
