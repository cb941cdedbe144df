//! Reading the cart.

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};

use super::dto::CartResponse;
use super::mutation::correlation_id;
use crate::cart::{CartError, CartService};
use crate::errors::Problem;
use crate::session::ShopperSession;

/// The session's cart.
#[utoipa::path(
    get, path = "/api/cart", tag = "cart",
    responses(
        (status = 200, description = "The cart, or null before the first add", body = CartResponse),
        (status = 502, description = "BigCommerce is unavailable and no snapshot exists (upstream_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "BigCommerce's rate limit (upstream_rate_limited) or the store's API budget (upstream_busy) and no snapshot exists, or the database is unavailable (database_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 504, description = "BigCommerce did not answer in time and no snapshot exists (upstream_timeout)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_cart(
    request: HttpRequest,
    session: ShopperSession,
    carts: Data<CartService>,
) -> Result<HttpResponse, CartError> {
    let cart = carts.get(&session, correlation_id(&request)).await?;
    let cart = cart.map(|cart| carts.with_problems(cart));
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "private, no-store"))
        .json(CartResponse::read(cart)))
}
