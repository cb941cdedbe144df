//! `GET /api/session`.

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::ToSchema;

use super::CustomerBody;
use crate::errors::Problem;
use crate::session::ShopperSession;

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    /// `null` for a guest.
    pub customer: Option<CustomerBody>,
    /// Items in the cart, as last seen.
    pub item_count: u64,
}

/// Who is signed in, and how many items the cart holds (no BigCommerce call).
#[utoipa::path(
    get, path = "/api/session", tag = "session",
    responses(
        (status = 200, description = "The session", body = SessionResponse),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_session(session: ShopperSession) -> HttpResponse {
    let item_count = session
        .cart_id()
        .and(session.snapshot())
        .map_or(0, |snapshot| snapshot.cart.item_count);
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "private, no-store"))
        .json(SessionResponse {
            customer: session.customer_id().map(|id| CustomerBody { id }),
            item_count,
        })
}
