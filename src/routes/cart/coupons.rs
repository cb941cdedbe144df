//! Coupon codes on the cart: `POST /api/cart/coupons` and `DELETE /api/cart/coupons/{code}`.

use actix_web::web::{self, Data};
use actix_web::HttpResponse;

use super::dto::{CartResponse, CouponRequest};
use super::mutation::{Cost, Mutation};
use crate::cart::{Asked, CartError, CartService};
use crate::domain::CouponCode;
use crate::errors::Problem;
use crate::idempotency::Answer;

/// Apply a coupon code.
#[utoipa::path(
    post, path = "/api/cart/coupons", tag = "cart",
    request_body = CouponRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses(
        (status = 200, description = "The cart with the code applied (in `coupons`, its amount in `totals.coupons`)", body = CartResponse),
        (status = 400, description = "Malformed JSON or unknown fields (invalid_json)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The session has no cart (cart_empty), or a request with this Idempotency-Key is still in flight (idempotency_key_in_flight)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than application.max_json_body_bytes (payload_too_large)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json (unsupported_media_type)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The code is not 1 to 50 letters, digits, hyphens or underscores (invalid_input); BigCommerce refused it: unknown, expired or not eligible for this cart (coupon_invalid, BigCommerce's reason is the detail); or the Idempotency-Key was used for another request (idempotency_key_reused)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The fair share of the store's API quota of this session or client address is spent (too_many_requests, with Retry-After)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "BigCommerce is unavailable (upstream_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "BigCommerce's rate limit (upstream_rate_limited) or the store's API budget (upstream_busy), with Retry-After, or the database is unavailable (database_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 504, description = "BigCommerce did not answer in time (upstream_timeout)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn apply_coupon(
    mutation: Mutation,
    body: web::Json<CouponRequest>,
    carts: Data<CartService>,
) -> Result<HttpResponse, CartError> {
    let code = CouponCode::parse(&body.code)?;
    // Applying a code twice leaves it applied once: safe to repeat.
    mutation
        .run(&*body, Cost::OnCart(1), |session, cx| async move {
            let before = session.snapshot().map(|s| s.cart.clone());
            let cart = carts.apply_coupon(&session, &code, cx).await?;
            let asked = Asked::ApplyCoupon(code.as_str());
            Ok(Answer::ok(CartResponse::from(carts.changed(
                before.as_ref(),
                Some(cart),
                asked,
            ))))
        })
        .await
}

/// Remove a coupon code.
#[utoipa::path(
    delete, path = "/api/cart/coupons/{code}", tag = "cart",
    params(
        ("code" = String, Path, description = "The applied code (1 to 50 letters, digits, hyphens or underscores)"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe"),
    ),
    responses(
        (status = 200, description = "The cart without the code", body = CartResponse),
        (status = 404, description = "The cart does not carry that code (coupon_not_applied)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is still in flight (idempotency_key_in_flight)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The code is malformed (invalid_input), BigCommerce refused the change (coupon_invalid), an invalid Idempotency-Key (invalid_input), or the key was used for another request (idempotency_key_reused)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The fair share of the store's API quota of this session or client address is spent (too_many_requests, with Retry-After)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "BigCommerce is unavailable (upstream_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "BigCommerce's rate limit (upstream_rate_limited) or the store's API budget (upstream_busy), with Retry-After, or the database is unavailable (database_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 504, description = "BigCommerce did not answer in time (upstream_timeout)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn remove_coupon(
    mutation: Mutation,
    code: web::Path<String>,
    carts: Data<CartService>,
) -> Result<HttpResponse, CartError> {
    let code = CouponCode::parse(&code)?;
    mutation
        .run(&(), Cost::OnCart(1), |session, cx| async move {
            let before = session.snapshot().map(|s| s.cart.clone());
            let cart = carts.remove_coupon(&session, &code, cx).await?;
            let asked = Asked::RemoveCoupon(code.as_str());
            Ok(Answer::ok(CartResponse::from(carts.changed(
                before.as_ref(),
                Some(cart),
                asked,
            ))))
        })
        .await
}
