//! A read of the catalog (`/v3/catalog/products`): what a storefront needs to list products
//! and add them to the cart, read page by page.

use reqwest::Method;
use serde::Deserialize;

use super::client::{Call, CorrelationId};
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
    /// Per-type settings (`text_max_length`, `number_lowest_value`, `date_earliest_value`,
    /// `checkbox_label`, ...); read leniently, since every type has its own.
    #[serde(default)]
    pub config: serde_json::Value,
    #[serde(default)]
    pub option_values: Vec<CatalogModifierValue>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CatalogModifierValue {
    pub id: i64,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub is_default: bool,
    /// For a checkbox, `{"checked_value": bool}`; `null` or other shapes for other types.
    #[serde(default)]
    pub value_data: serde_json::Value,
}

#[derive(Deserialize)]
struct ProductPage {
    data: Vec<CatalogProduct>,
    #[serde(default)]
    meta: PageMeta,
}

#[derive(Deserialize, Default)]
struct PageMeta {
    #[serde(default)]
    pagination: Option<Pagination>,
}

#[derive(Deserialize)]
struct Pagination {
    total: u64,
}

/// Most pages read in one refresh (at 10 a page, 1,000 products): a bound on the calls one
/// refresh can spend, whatever the store answers.
const MAX_PAGES: u32 = 100;

impl BigCommerceClient {
    /// `GET /catalog/products`: every visible product, with variants, images and modifiers.
    /// With modifiers included BigCommerce answers at most 10 products a page whatever
    /// `limit` says (reference §1.2), so pages are read until `meta.pagination.total` products
    /// have come (an empty page also ends it): one call per 10 products.
    pub async fn list_products(
        &self,
        cx: CorrelationId,
    ) -> Result<Vec<CatalogProduct>, BigCommerceError> {
        let mut products = Vec::new();
        for page in 1..=MAX_PAGES {
            let page_number = page.to_string();
            let call = Call {
                method: Method::GET,
                path: "v3/catalog/products".into(),
                endpoint: "GET /v3/catalog/products",
                query: &[
                    ("include", "variants,images,modifiers"),
                    ("is_visible", "true"),
                    ("limit", "250"),
                    ("page", &page_number),
                ],
                body: None,
                idempotent: true,
            };
            let answer: ProductPage = self.send(call, cx).await?.json()?;
            let total = answer.meta.pagination.map_or(0, |p| p.total);
            let empty = answer.data.is_empty();
            products.extend(answer.data);
            if empty || products.len() as u64 >= total {
                return Ok(products);
            }
        }
        tracing::warn!(
            products = products.len(),
            "the catalog has more pages than one refresh reads"
        );
        Ok(products)
    }
}
