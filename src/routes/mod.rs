//! HTTP routes: one module per resource; `configure` wires them all.

pub mod admin;
pub mod cart;
mod health;
pub mod metrics;
pub mod openapi;
mod pages;
pub mod products;
pub mod session;

use actix_web::web;

/// Registers every route of the shoppers' port. `/readyz` and `/metrics` are on the admin
/// listener only (`admin::configure`); `/healthz` is on both, for probes and balancers that
/// can only reach the public port.
pub fn configure(cfg: &mut web::ServiceConfig) {
    // Resources (not bare routes), so a known path with another method answers 405.
    cfg.service(web::resource("/healthz").route(web::get().to(health::healthz)))
        .service(web::resource("/openapi.json").route(web::get().to(openapi::openapi_json)))
        .service(web::resource("/api/products").route(web::get().to(products::list_products)))
        .service(web::resource("/api/session").route(web::get().to(session::get_session)))
        .service(web::resource("/api/session/login").route(web::post().to(session::login)))
        .service(web::resource("/api/session/logout").route(web::post().to(session::logout)))
        .service(
            web::resource("/api/cart")
                .route(web::get().to(cart::get_cart))
                .route(web::delete().to(cart::clear_cart)),
        )
        .service(web::resource("/api/cart/items").route(web::post().to(cart::add_items)))
        .service(
            web::resource("/api/cart/items/{item_id}")
                .route(web::patch().to(cart::update_item))
                .route(web::delete().to(cart::remove_item)),
        )
        .service(web::resource("/api/cart/coupons").route(web::post().to(cart::apply_coupon)))
        .service(
            web::resource("/api/cart/coupons/{code}").route(web::delete().to(cart::remove_coupon)),
        )
        .service(
            web::resource("/api/cart/shipping-estimate")
                .route(web::post().to(cart::estimate_shipping)),
        )
        .service(
            web::resource("/api/cart/shipping-option")
                .route(web::put().to(cart::select_shipping_option)),
        )
        .service(web::resource("/api/cart/note").route(web::put().to(cart::set_note)))
        .service(
            web::resource("/api/cart/gift-certificates")
                .route(web::post().to(cart::add_gift_certificate)),
        )
        .service(web::resource("/api/cart/checkout").route(web::post().to(cart::checkout)))
        .service(web::resource("/api/cart/recover").route(web::post().to(cart::recover_cart)))
        .service(
            web::resource("/api/cart/left-behind").route(web::post().to(cart::act_on_left_behind)),
        )
        .configure(pages::configure);
}
