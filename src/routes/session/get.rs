//! `GET /api/session`.

use actix_web::web::Data;
use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::ToSchema;

use super::CustomerBody;
use crate::cart::{CartError, CartService, LeftBehind};
use crate::errors::Problem;
use crate::session::ShopperSession;

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    /// `null` for a guest.
    pub customer: Option<CustomerBody>,
    /// Items in the cart, as last seen.
    pub item_count: u64,
    /// Guest lines a sign-in could not move into the customer's cart, with BigCommerce's
    /// reason, kept for the customer (on every device, until moved, discarded or 30 days
    /// old): act on them with `POST /api/cart/left-behind`. `null` when there are none (always
    /// for a guest).
    pub left_behind: Option<LeftBehind>,
}

/// Who is signed in, how many items the cart holds, and the lines left behind at sign-in (no
/// BigCommerce call).
#[utoipa::path(
    get, path = "/api/session", tag = "session",
    responses(
        (status = 200, description = "The session", body = SessionResponse),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_session(
    session: ShopperSession,
    carts: Data<CartService>,
) -> Result<HttpResponse, CartError> {
    let item_count = session
        .cart_id()
        .and(session.snapshot())
        .map_or(0, |snapshot| snapshot.cart.item_count);
    let left_behind = carts.left_behind(&session).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "private, no-store"))
        .json(SessionResponse {
            customer: session.customer_id().map(|id| CustomerBody { id }),
            item_count,
            left_behind,
        }))
}
