//! A read of the catalog (`/v3/catalog/products`): what a storefront needs to list products
//! and add them to the cart.

use reqwest::Method;
use serde::Deserialize;

use super::client::{Call, CorrelationId};
use super::wire::Envelope;
use super::{BigCommerceClient, BigCommerceError};

/// A product as the catalog API returns it (the fields we use).
#[derive(Debug, Clone, Deserialize)]
pub struct CatalogProduct {
    pub id: i64,
    pub name: String,
    #[serde(rename = "type", default)]
    pub product_type: String,
    #[serde(default)]
    pub price: f64,
    #[serde(default)]
    pub sale_price: f64,
    #[serde(default)]
    pub calculated_price: Option<f64>,
    #[serde(default)]
    pub inventory_level: i64,
    #[serde(default)]
    pub inventory_tracking: String,
    #[serde(default)]
    pub availability: String,
    #[serde(default)]
    pub order_quantity_maximum: i64,
    #[serde(default = "visible")]
    pub is_visible: bool,
    #[serde(default)]
    pub images: Vec<CatalogImage>,
    #[serde(default)]
    pub variants: Vec<CatalogVariant>,
    #[serde(default)]
    pub modifiers: Vec<CatalogModifier>,
}

fn visible() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
pub struct CatalogImage {
    #[serde(default)]
    pub url_standard: Option<String>,
    #[serde(default)]
    pub is_thumbnail: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CatalogVariant {
    pub id: i64,
    #[serde(default)]
    pub price: Option<f64>,
    #[serde(default)]
    pub calculated_price: Option<f64>,
    #[serde(default)]
    pub inventory_level: i64,
    #[serde(default)]
    pub purchasing_disabled: bool,
    #[serde(default)]
    pub option_values: Vec<CatalogOptionValue>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CatalogOptionValue {
    pub label: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CatalogModifier {
    pub id: i64,
    #[serde(default)]
    pub display_name: String,
    #[serde(rename = "type", default)]
    pub modifier_type: String,
    #[serde(default)]
    pub required: bool,
}

impl BigCommerceClient {
    /// `GET /catalog/products`: the first page of up to 250 visible products, with variants,
    /// images and modifiers.
    pub async fn list_products(
        &self,
        cx: CorrelationId,
    ) -> Result<Vec<CatalogProduct>, BigCommerceError> {
        let call = Call {
            method: Method::GET,
            path: "v3/catalog/products".into(),
            endpoint: "GET /v3/catalog/products",
            query: &[
                ("include", "variants,images,modifiers"),
                ("is_visible", "true"),
                ("limit", "250"),
            ],
            body: None,
            idempotent: true,
        };
        let envelope: Envelope<Vec<CatalogProduct>> = self.send(call, cx).await?.json()?;
        Ok(envelope.data)
    }
}
