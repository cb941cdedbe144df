//! The control plane under `/__sandbox` (no auth): reset, stats, faults, clock, abandoned
//! carts, conversions, product limits and stock, listings and the webhook delivery log, for
//! tests, benchmarks and demos.

mod faults;
mod images;
mod products;

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::clock::format_cart_time;
use crate::state::errors::CartError;
use crate::state::render::cart_amount;
use crate::state::AppState;

/// Registers the control-plane routes (mounted under `/__sandbox`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(info))
        .route("/", web::get().to(info))
        .route("/reset", web::post().to(reset))
        .route("/stats", web::get().to(stats))
        .route("/faults", web::get().to(faults::get))
        .route("/faults", web::post().to(faults::post))
        .route("/faults", web::delete().to(faults::delete))
        .route("/clock", web::get().to(clock))
        .route("/clock", web::post().to(set_clock))
        .route("/abandoned-carts", web::post().to(abandon))
        .route("/carts", web::get().to(carts))
        .route("/carts/{cart_id}/convert", web::post().to(convert))
        .route("/orders", web::get().to(orders))
        .route("/products/{product_id}", web::post().to(products::post))
        .route("/webhooks/deliveries", web::get().to(deliveries))
        .route("/images/{file}", web::get().to(images::svg));
}

/// A JSON error of the control plane: `{"error": "..."}`.
pub fn control_error(status: actix_web::http::StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({"error": message}))
}

fn cart_missing() -> HttpResponse {
    control_error(actix_web::http::StatusCode::NOT_FOUND, "cart not found")
}

async fn info(state: web::Data<AppState>) -> HttpResponse {
    let c = &state.config;
    HttpResponse::Ok().json(json!({
        "store_hash": c.store_hash,
        "store_id": c.store_id,
        "public_url": state.public_url,
        "api_base_url": format!("{}/stores/{}", state.public_url, c.store_hash),
        "access_token": c.access_token,
        "client_id": c.client_id,
        "storefront_url": c.storefront_url,
    }))
}

async fn reset(state: web::Data<AppState>) -> HttpResponse {
    match state.reset() {
        Ok(()) => HttpResponse::Ok().json(json!({"reset": true})),
        Err(e) => control_error(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            &e.to_string(),
        ),
    }
}

async fn stats(state: web::Data<AppState>) -> HttpResponse {
    let mut stats = state.stats.snapshot();
    stats["rate_limit"] = serde_json::json!(state.rate_limiter.usage());
    HttpResponse::Ok().json(stats)
}

async fn clock(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "offset_seconds": state.clock.offset_seconds(),
        "time": state.clock.unix(),
    }))
}

#[derive(Debug, Deserialize)]
struct ClockBody {
    offset_seconds: i64,
}

async fn set_clock(state: web::Data<AppState>, body: web::Json<ClockBody>) -> HttpResponse {
    state.clock.set_offset_seconds(body.offset_seconds);
    clock(state).await
}

#[derive(Debug, Deserialize)]
struct AbandonBody {
    cart_id: String,
}

async fn abandon(state: web::Data<AppState>, body: web::Json<AbandonBody>) -> HttpResponse {
    let Ok(id) = Uuid::parse_str(&body.cart_id) else {
        return cart_missing();
    };
    match state.abandon_cart(id) {
        Ok(token) => HttpResponse::Ok().json(json!({"token": token, "cart_id": id})),
        Err(_) => cart_missing(),
    }
}

async fn convert(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let Ok(id) = Uuid::parse_str(&path) else {
        return cart_missing();
    };
    match state.convert_cart(id, None) {
        Ok(order) => HttpResponse::Ok().json(json!({"order_id": order.id, "cart_id": id})),
        Err(CartError::CartNotFound) | Err(_) => cart_missing(),
    }
}

async fn carts(state: web::Data<AppState>) -> HttpResponse {
    let catalog = state.catalog();
    let carts: Vec<_> = state
        .carts
        .snapshot(state.clock.now())
        .iter()
        .map(|c| {
            json!({"id": c.id, "customer_id": c.customer_id, "channel_id": c.channel_id,
                   "line_count": c.items.len(), "item_count": c.item_count(),
                   "version": c.version, "cart_amount": cart_amount(&catalog, c),
                   "updated_time": format_cart_time(c.updated)})
        })
        .collect();
    HttpResponse::Ok().json(carts)
}

async fn orders(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.orders.all())
}

async fn deliveries(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.dispatcher.log())
}
