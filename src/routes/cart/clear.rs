//! Deleting the cart.

use actix_web::http::StatusCode;
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};
use sqlx::PgPool;

use super::mutation::Mutation;
use crate::cart::{CartError, CartService};
use crate::errors::Problem;
use crate::idempotency::{fingerprint, run_idempotent, Answer};

/// Delete the whole cart.
#[utoipa::path(
    delete, path = "/api/cart", tag = "cart",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses(
        (status = 204, description = "The cart is gone"),
        (status = 502, description = "BigCommerce is unavailable", body = Problem),
    )
)]
pub async fn clear_cart(
    request: HttpRequest,
    mutation: Mutation,
    carts: Data<CartService>,
    pool: Data<PgPool>,
) -> Result<HttpResponse, CartError> {
    let print = fingerprint("DELETE", request.path(), &());
    let Mutation {
        session,
        idempotency_key,
        correlation,
    } = mutation;
    let ttl = carts.settings().idempotency_key_ttl();
    run_idempotent(&pool, session.id(), idempotency_key, print, ttl, || async {
        carts.clear(&session, correlation).await?;
        Ok(Answer {
            status: StatusCode::NO_CONTENT,
            body: serde_json::Value::Null,
        })
    })
    .await
}
