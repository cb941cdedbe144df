//! The shopper-facing side of the sandbox store: redirect-URL landing (`/cart.php`), the
//! hosted cart and checkout, order confirmation, and Customer Login (`/login/token/{jwt}`).
//! Plain server-rendered HTML; every dynamic value is escaped.

pub mod cart_page;
pub mod checkout;
pub mod checkout_summary;
pub mod html;
pub mod login;
pub mod session;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use crate::state::render::image_url;
use crate::state::AppState;
use html::{escape, html, money, page};

/// Registers the hosted pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/cart.php", web::get().to(cart_page::cart_php))
        .route(
            "/cart.php/items/{item_id}/update",
            web::post().to(cart_page::update_item),
        )
        .route(
            "/cart.php/items/{item_id}/remove",
            web::post().to(cart_page::remove_item),
        )
        .route("/checkout", web::get().to(checkout::checkout))
        .route(
            "/checkout/place-order",
            web::post().to(checkout::place_order),
        )
        .route(
            "/checkout/order-confirmation/{order_id}",
            web::get().to(checkout::confirmation),
        )
        .route("/login/token/{jwt}", web::get().to(login::login_token))
        .route("/account.php", web::get().to(login::account));
}

/// `GET /`: the catalog at a glance (ids included, for people wiring a storefront).
async fn home(state: web::Data<AppState>) -> HttpResponse {
    let catalog = state.catalog();
    let rows: String = catalog
        .products()
        .map(|p| {
            let variants: Vec<String> = p.variants.iter().map(|v| v.id.to_string()).collect();
            format!(
                "<tr><td><img src=\"{}\" alt=\"\"></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&image_url(p, &state.public_url)),
                escape(&p.name),
                p.id,
                variants.join(", "),
                money(&catalog.currency, p.price),
            )
        })
        .collect();
    let body = format!(
        "<p class=\"note\">Carts are created through the Management API at \
         <code>/stores/{}/v3/carts</code>; see the sandbox README.</p>\
         <table><thead><tr><th></th><th>Product</th><th>Id</th><th>Variant ids</th><th>Price</th></tr></thead>\
         <tbody>{rows}</tbody></table>",
        escape(&state.config.store_hash)
    );
    html(StatusCode::OK).body(page(&catalog.store_name, "Catalog", &body))
}
