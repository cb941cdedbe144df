//! Reading the cart.

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};

use super::dto::CartResponse;
use super::mutation::correlation_id;
use crate::bigcommerce::calls;
use crate::cart::{CartError, CartService};
use crate::domain::Cart;
use crate::errors::Problem;
use crate::fair_shares::{FairShares, ShareError, Spender};
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
    shares: Data<FairShares>,
) -> Result<HttpResponse, CartError> {
    let cart = read_within_share(&request, &session, &carts, &shares).await?;
    let cart = cart.map(|cart| carts.with_problems(cart));
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "private, no-store"))
        .json(CartResponse::read(cart)))
}

/// The session's cart for a read (the JSON API's and the cart page's). A read served from a
/// fresh snapshot costs nothing; one that revalidates a snapshot calls BigCommerce, so it
/// spends a call of the client's fair shares like a change does: when they are spent, the
/// snapshot is served as it is instead (the read never fails for it). A read with no
/// snapshot at all has nothing to fall back on: it asks BigCommerce and is charged after.
pub(crate) async fn read_within_share(
    request: &HttpRequest,
    session: &ShopperSession,
    carts: &CartService,
    shares: &FairShares,
) -> Result<Option<Cart>, CartError> {
    let cx = correlation_id(request);
    let spender = Spender::new(
        Some(session.id()),
        crate::client_address::client_key(request),
    );
    let estimate = u32::from(carts.read_revalidates(session));
    let charged = match shares.spend(spender, estimate).await {
        Ok(charged) => charged,
        Err(ShareError::Spent { .. }) => return carts.get_as_last_seen(session).await,
        Err(ShareError::Database(error)) => {
            tracing::warn!(error = %error, "could not count a read's fair share");
            return carts.get_as_last_seen(session).await;
        }
    };
    let (cart, made) = calls::counted(carts.get(session, cx)).await;
    shares.settle(charged, made).await;
    cart
}
