//! HTTP routes: one module per resource; `configure` wires them all.

mod cart;
mod health;

use actix_web::web;

/// Registers every route of the service.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .service(web::resource("/api/cart").route(web::get().to(cart::get_cart)));
}
