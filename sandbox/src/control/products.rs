//! `POST /__sandbox/products/{id}`: changes what the store allows of one product (its purchase
//! limits and stock), the way a merchant edits it in the control panel while carts hold it.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::control_error;
use crate::state::AppState;

/// Every field optional; what is given replaces the product's value.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductChange {
    /// 0 lifts the limit.
    order_quantity_maximum: Option<u32>,
    order_quantity_minimum: Option<u32>,
    /// Stock of a product tracked by product.
    inventory_level: Option<i64>,
}

pub async fn post(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<ProductChange>,
) -> HttpResponse {
    let id = path.into_inner();
    let change = body.into_inner();
    let found = state.change_product(id, |product| {
        if let Some(max) = change.order_quantity_maximum {
            product.order_quantity_maximum = max;
        }
        if let Some(min) = change.order_quantity_minimum {
            product.order_quantity_minimum = min;
        }
        if let Some(level) = change.inventory_level {
            product.inventory_level = level;
        }
    });
    if !found {
        return control_error(StatusCode::NOT_FOUND, "product not found");
    }
    let catalog = state.catalog();
    match catalog.product(id) {
        Some(product) => HttpResponse::Ok().json(json!({
            "id": id,
            "order_quantity_maximum": product.order_quantity_maximum,
            "order_quantity_minimum": product.order_quantity_minimum,
            "inventory_level": product.inventory_level,
        })),
        None => control_error(StatusCode::NOT_FOUND, "product not found"),
    }
}
