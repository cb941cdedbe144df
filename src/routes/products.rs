//! `GET /api/products`: what the store sells, for storefronts to list.

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use super::cart::correlation_id;
use crate::cart::{CartError, CartService};
use crate::catalog::{Catalog, Product};
use crate::domain::CartCurrency;
use crate::errors::Problem;

#[derive(Serialize, ToSchema)]
pub struct ProductsResponse {
    /// The currency of the prices: the store's, in which carts are created.
    pub currency: CartCurrency,
    pub products: Vec<Product>,
}

/// The visible products, with variants and modifiers (cached: `catalog.ttl_seconds`).
#[utoipa::path(
    get, path = "/api/products", tag = "catalog",
    responses(
        (status = 200, description = "The products", body = ProductsResponse),
        (status = 502, description = "BigCommerce is unavailable", body = Problem),
    )
)]
pub async fn list_products(
    request: HttpRequest,
    catalog: Data<Catalog>,
    carts: Data<CartService>,
) -> HttpResponse {
    match catalog.products(correlation_id(&request)).await {
        Ok(products) => HttpResponse::Ok()
            .insert_header(("Cache-Control", "public, max-age=60"))
            .json(ProductsResponse {
                currency: CartCurrency {
                    code: carts.currency().to_owned(),
                },
                products: products.as_ref().clone(),
            }),
        Err(error) => CartError::from(error).error_response(),
    }
}
