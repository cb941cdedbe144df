//! What the store sells, as a storefront needs it: cached per instance, because every
//! shopper's product list would otherwise spend the store's API quota.

use serde::Serialize;
use utoipa::ToSchema;

use crate::bigcommerce::CatalogProduct;

mod cache;
mod freshness;
mod modifiers;
pub use cache::Catalog;
pub use modifiers::{ModifierValue, ProductModifier};

/// A product a storefront can list and add to the cart.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Product {
    pub id: i64,
    pub name: String,
    /// `physical` or `digital`.
    #[serde(rename = "type")]
    pub product_type: String,
    /// Unit price before any sale.
    pub price: f64,
    /// What the shopper pays per unit (the sale price when on sale).
    pub calculated_price: f64,
    pub image_url: Option<String>,
    /// Whether the product can be added to a cart at all.
    pub purchasable: bool,
    pub in_stock: bool,
    /// 0 when unlimited.
    pub order_quantity_maximum: i64,
    /// Variants to choose from; products with one variant have exactly one.
    pub variants: Vec<ProductVariant>,
    /// What the shopper chooses or fills in, of every type (send as `option_selections`).
    pub modifiers: Vec<ProductModifier>,
    /// The `text` modifiers only (deprecated: use `modifiers`).
    pub text_options: Vec<TextOption>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductVariant {
    pub id: i64,
    /// e.g. "M / Black"; empty for a product without options.
    pub label: String,
    pub calculated_price: f64,
    pub purchasable: bool,
    pub in_stock: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TextOption {
    pub option_id: i64,
    pub name: String,
    pub required: bool,
}

impl From<CatalogProduct> for Product {
    fn from(product: CatalogProduct) -> Self {
        let product_in_stock =
            product.inventory_tracking != "product" || product.inventory_level > 0;
        let variant_in_stock = |level: i64| match product.inventory_tracking.as_str() {
            "variant" => level > 0,
            _ => product_in_stock,
        };
        let purchasable = product.availability != "disabled";
        let price = product.calculated_price.unwrap_or(product.price);
        let variants: Vec<ProductVariant> = product
            .variants
            .iter()
            .map(|variant| ProductVariant {
                id: variant.id,
                label: variant
                    .option_values
                    .iter()
                    .map(|value| value.label.as_str())
                    .collect::<Vec<_>>()
                    .join(" / "),
                calculated_price: variant.calculated_price.or(variant.price).unwrap_or(price),
                purchasable: purchasable && !variant.purchasing_disabled,
                in_stock: variant_in_stock(variant.inventory_level),
            })
            .collect();
        let in_stock = if variants.is_empty() {
            product_in_stock
        } else {
            variants.iter().any(|variant| variant.in_stock)
        };
        Product {
            id: product.id,
            name: product.name,
            product_type: product.product_type,
            price: product.price,
            calculated_price: price,
            image_url: product
                .images
                .iter()
                .find(|image| image.is_thumbnail)
                .or(product.images.first())
                .and_then(|image| image.url_standard.clone()),
            purchasable,
            in_stock,
            order_quantity_maximum: product.order_quantity_maximum,
            variants,
            text_options: product
                .modifiers
                .iter()
                .filter(|modifier| modifier.modifier_type == "text")
                .map(|modifier| TextOption {
                    option_id: modifier.id,
                    name: modifier.display_name.clone(),
                    required: modifier.required,
                })
                .collect(),
            modifiers: product
                .modifiers
                .into_iter()
                .map(ProductModifier::from)
                .collect(),
        }
    }
}
