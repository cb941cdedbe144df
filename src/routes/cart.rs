//! The headless cart API.

use actix_web::HttpResponse;

use crate::session::ShopperSession;

/// `GET /api/cart`: the session's cart, or `null` before the first add.
pub async fn get_cart(session: ShopperSession) -> HttpResponse {
    let _ = session.cart_id();
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "private, no-store"))
        .json(serde_json::json!({"cart": null}))
}
