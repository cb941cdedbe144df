//! `/__sandbox/images/{product_id}.svg`: small placeholder images, so pages render offline.

use actix_web::{web, HttpResponse};

use crate::state::AppState;
use crate::storefront::html::escape;

const PALETTE: [&str; 6] = [
    "#4f46e5", "#0891b2", "#059669", "#d97706", "#dc2626", "#7c3aed",
];

pub async fn svg(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let id = path
        .strip_suffix(".svg")
        .and_then(|s| s.parse::<i64>().ok());
    let catalog = state.catalog();
    let Some(product) = id.and_then(|id| catalog.product(id)) else {
        return HttpResponse::NotFound().body("no such image");
    };
    let colour = PALETTE[product.id.unsigned_abs() as usize % PALETTE.len()];
    let body = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="320" height="320" viewBox="0 0 320 320"><rect width="320" height="320" fill="{colour}"/><text x="160" y="170" font-family="sans-serif" font-size="22" fill="#fff" text-anchor="middle">{}</text></svg>"##,
        escape(&product.name)
    );
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(body)
}
