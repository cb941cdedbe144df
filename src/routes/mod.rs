//! HTTP routes: one module per resource; `configure` wires them all.

pub mod cart;
mod health;
pub mod metrics;
pub mod openapi;
mod pages;
pub mod products;
pub mod session;

use actix_web::web;

/// Registers every route of the service.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(metrics::metrics))
        .route("/openapi.json", web::get().to(openapi::openapi_json))
        .route("/api/products", web::get().to(products::list_products))
        .route("/api/session", web::get().to(session::get_session))
        .route("/api/session/login", web::post().to(session::login))
        .route("/api/session/logout", web::post().to(session::logout))
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
        .service(web::resource("/api/cart/checkout").route(web::post().to(cart::checkout)))
        .service(web::resource("/api/cart/recover").route(web::post().to(cart::recover_cart)))
        .configure(pages::configure);
}
