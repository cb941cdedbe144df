//! `POST /api/cart/gift-certificates`: buying a gift certificate, a line of the cart.

use actix_web::web::{self, Data};
use actix_web::HttpResponse;

use super::checkout_dto::GiftCertificateRequest;
use super::dto::CartResponse;
use super::mutation::{Cost, Mutation};
use crate::cart::{Asked, CartError, CartService};
use crate::domain::Cart;
use crate::errors::Problem;
use crate::idempotency::Answer;

/// Buy a gift certificate: it joins the session's cart as a line of its own (type
/// `gift_certificate`, quantity 1), removed like any line and never changed. Redeeming a
/// certificate is not possible here: the shopper enters its code at BigCommerce's checkout.
#[utoipa::path(
    post, path = "/api/cart/gift-certificates", tag = "cart",
    request_body = GiftCertificateRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses(
        (status = 201, description = "The cart with the gift certificate", body = CartResponse),
        (status = 400, description = "Malformed JSON or unknown fields (invalid_json)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The session has no cart (cart_empty: add a product first), a request with this Idempotency-Key is still in flight (idempotency_key_in_flight), its lost outcome is being settled (idempotency_outcome_pending, with Retry-After), or cannot be told because the cart changed since (idempotency_outcome_unknown)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than application.max_json_body_bytes (payload_too_large)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json (unsupported_media_type)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A name, theme, amount (outside the store's limits), e-mail address or message that is not valid (invalid_input); BigCommerce refused the certificate (upstream_rejected, its reason is the detail); or the Idempotency-Key was used for another request (idempotency_key_reused)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The fair share of the store's API quota of this session or client address is spent (too_many_requests, with Retry-After)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "BigCommerce is unavailable (upstream_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "BigCommerce's rate limit (upstream_rate_limited) or the store's API budget (upstream_busy), with Retry-After, or the database is unavailable (database_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 504, description = "BigCommerce did not answer in time (upstream_timeout)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn add_gift_certificate(
    mutation: Mutation,
    body: web::Json<GiftCertificateRequest>,
    carts: Data<CartService>,
) -> Result<HttpResponse, CartError> {
    let settings = carts.settings();
    let limits = (
        settings.gift_certificate_min_amount,
        settings.gift_certificate_max_amount,
    );
    let certificate = body.parse(limits)?;
    // Adding twice adds twice: with a key, a lost outcome is settled by reading the cart.
    let plan = {
        let (carts, session) = (carts.clone(), mutation.session.clone());
        let cx = mutation.correlation;
        async move { carts.check_for_gift_certificate(&session, cx).await }
    };
    mutation
        .run_settled(
            &*body,
            Cost::OnCart(1),
            plan,
            added,
            |session, cx| async move {
                let before = session.snapshot().map(|s| s.cart.clone());
                let cart = carts
                    .add_gift_certificate(&session, &certificate, cx)
                    .await?;
                let change = carts.changed(before.as_ref(), Some(cart), Asked::Other);
                Ok(Answer::created(CartResponse::from(change)))
            },
        )
        .await
}

/// A lost add settled as landed: nothing to compare it with, so no warnings.
fn added(cart: Cart) -> Answer {
    Answer::created(CartResponse::read(Some(cart)))
}
