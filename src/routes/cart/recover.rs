//! Recovering an abandoned cart from its e-mail link.

use actix_web::web::{self, Data};
use actix_web::HttpResponse;

use super::dto::{RecoverRequest, RecoverResponse};
use super::mutation::{Cost, Mutation};
use crate::cart::{CartError, CartService, RecoveryMode};
use crate::domain::{Cart, RecoveryToken};
use crate::errors::Problem;
use crate::idempotency::Answer;
use crate::session::ShopperSession;

/// Recover the cart of an abandoned-cart e-mail link. With `mode: merge` (the default) its
/// lines join the session's own cart; with `switch` the session holds it instead.
#[utoipa::path(
    post, path = "/api/cart/recover", tag = "cart",
    request_body = RecoverRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses(
        (status = 200, description = "The session's cart after the recovery, and the lines that could not be merged", body = RecoverResponse),
        (status = 400, description = "Malformed JSON or unknown fields (invalid_json)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The cart belongs to a customer (sign_in_required)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown or expired token (recovery_token_unknown)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is still in flight (idempotency_key_in_flight), its lost outcome is being settled (idempotency_outcome_pending, with Retry-After), or cannot be told because the cart changed since (idempotency_outcome_unknown)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than application.max_json_body_bytes (payload_too_large)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json (unsupported_media_type)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid Idempotency-Key (invalid_input), or the key was used for another request (idempotency_key_reused)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The fair share of the store's API quota of this session or client address is spent (too_many_requests, with Retry-After)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "BigCommerce is unavailable (upstream_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "BigCommerce's rate limit (upstream_rate_limited) or the store's API budget (upstream_busy), with Retry-After, or the database is unavailable (database_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 504, description = "BigCommerce did not answer in time (upstream_timeout)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn recover_cart(
    mutation: Mutation,
    body: web::Json<RecoverRequest>,
    carts: Data<CartService>,
) -> Result<HttpResponse, CartError> {
    let token = RecoveryToken::parse(&body.token).map_err(|_| CartError::RecoveryTokenUnknown)?;
    let mode = body.mode;
    let plan = {
        let (carts, session) = (carts.clone(), mutation.session.clone());
        let (token, cx) = (token.clone(), mutation.correlation);
        async move { carts.check_for_recovery(&session, &token, cx).await }
    };
    let run = |session: ShopperSession, cx| async move {
        let recovered = carts.recover(&session, &token, mode, cx).await?;
        Ok(Answer::ok(RecoverResponse {
            cart: Some(recovered.cart),
            warnings: recovered.warnings,
        }))
    };
    // The token's look-up and the cart's read, whatever the token is worth: guessing tokens
    // spends the guesser's share.
    match mode {
        // A merge adds lines: with a key, a lost outcome is settled by reading the carts,
        // never repeated.
        RecoveryMode::Merge => {
            mutation
                .run_settled(&*body, RECOVERY_COST, plan, recovered, run)
                .await
        }
        RecoveryMode::Switch => mutation.run_first_write(&*body, RECOVERY_COST, run).await,
    }
}

/// Resolving a token and reading its cart: two calls (a merge's add is charged once made).
pub const RECOVERY_COST: Cost = Cost::Always(2);

fn recovered(cart: Cart) -> Answer {
    Answer::ok(RecoverResponse {
        cart: Some(cart),
        warnings: Vec::new(),
    })
}
