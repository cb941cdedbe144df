//! `PUT /api/cart/note`: the shopper's note for the order (BigCommerce's checkout
//! `customer_message`).

use actix_web::web::{self, Data};
use actix_web::HttpResponse;

use super::checkout_dto::NoteRequest;
use super::dto::CartResponse;
use super::mutation::{Cost, Mutation};
use crate::cart::{Asked, CartError, CartService};
use crate::errors::Problem;
use crate::idempotency::Answer;

/// Set the note for the order (`""` clears it); the cart shows it as `note`.
#[utoipa::path(
    put, path = "/api/cart/note", tag = "cart",
    request_body = NoteRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses(
        (status = 200, description = "The cart with its `note`", body = CartResponse),
        (status = 400, description = "Malformed JSON or unknown fields (invalid_json)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The session has no cart (cart_empty), or a request with this Idempotency-Key is still in flight (idempotency_key_in_flight)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than application.max_json_body_bytes (payload_too_large)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json (unsupported_media_type)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Over 2000 characters, or control characters (invalid_input), or the Idempotency-Key was used for another request (idempotency_key_reused)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The fair share of the store's API quota of this session or client address is spent (too_many_requests, with Retry-After)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "BigCommerce is unavailable (upstream_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "BigCommerce's rate limit (upstream_rate_limited) or the store's API budget (upstream_busy), with Retry-After, or the database is unavailable (database_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 504, description = "BigCommerce did not answer in time (upstream_timeout)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_note(
    mutation: Mutation,
    body: web::Json<NoteRequest>,
    carts: Data<CartService>,
) -> Result<HttpResponse, CartError> {
    let note = body.parse()?;
    // Setting the same note twice leaves it set: safe to repeat.
    mutation
        .run(&*body, Cost::OnCart(1), |session, cx| async move {
            let before = session.snapshot().map(|s| s.cart.clone());
            let cart = carts.set_note(&session, &note, cx).await?;
            let change = carts.changed(before.as_ref(), Some(cart), Asked::Other);
            Ok(Answer::ok(CartResponse::from(change)))
        })
        .await
}
