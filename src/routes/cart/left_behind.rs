//! The guest lines a sign-in could not merge: move them into the cart, or discard them.

use actix_web::web::{self, Data};
use actix_web::HttpResponse;

use super::dto::{LeftBehindRequest, LeftBehindResponse};
use super::mutation::{Cost, Mutation};
use crate::cart::{CartError, CartService, LeftBehindAction};
use crate::errors::Problem;
use crate::idempotency::Answer;

/// Act on the lines left behind at sign-in (listed in `GET /api/session`): `move` adds them to
/// the session's cart (what BigCommerce still refuses stays left behind, cools down for a
/// minute, and is listed in `warnings`), `discard` deletes them. They are the signed-in
/// customer's, on every device; a guest has none. With nothing to try now (none left, or
/// every line cooling down), `move` calls nobody and answers the cart as last seen with the
/// reasons it has; `discard` never calls BigCommerce.
#[utoipa::path(
    post, path = "/api/cart/left-behind", tag = "cart",
    request_body = LeftBehindRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses(
        (status = 200, description = "Moved: the session's cart, and the lines that did not move (still left behind) or may have", body = LeftBehindResponse),
        (status = 204, description = "Discarded"),
        (status = 400, description = "Malformed JSON or unknown fields (invalid_json)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another request is moving the lines right now (left_behind_busy, with Retry-After), or a request with this Idempotency-Key is still in flight (idempotency_key_in_flight)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than application.max_json_body_bytes (payload_too_large)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json (unsupported_media_type)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown action or an invalid Idempotency-Key (invalid_input), or the key was used for another request (idempotency_key_reused)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many changes from this session or address (too_many_requests, with Retry-After)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "BigCommerce is unavailable (upstream_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "BigCommerce's rate limit (upstream_rate_limited) or the store's API budget (upstream_busy), with Retry-After, the session's cart is being created (cart_busy), or the database is unavailable (database_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 504, description = "BigCommerce did not answer in time (upstream_timeout)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn act_on_left_behind(
    mutation: Mutation,
    body: web::Json<LeftBehindRequest>,
    carts: Data<CartService>,
) -> Result<HttpResponse, CartError> {
    let action = LeftBehindAction::parse(&body.action)?;
    // What the move will call (none when nothing can be tried now); a discard calls nobody.
    let calls = match action {
        LeftBehindAction::Move => carts.left_behind_move_calls(&mutation.session).await?,
        LeftBehindAction::Discard => 0,
    };
    mutation
        .run(&*body, Cost::Always(calls), |session, cx| async move {
            match action {
                LeftBehindAction::Move => {
                    let moved = carts.move_left_behind(&session, cx).await?;
                    Ok(Answer::ok(LeftBehindResponse {
                        cart: moved.cart,
                        warnings: moved.warnings,
                    }))
                }
                LeftBehindAction::Discard => {
                    carts.discard_left_behind(&session).await?;
                    Ok(Answer::no_content())
                }
            }
        })
        .await
}
