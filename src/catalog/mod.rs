//! What the store sells, as a storefront needs it: cached per instance, because every
//! shopper's product list would otherwise spend the store's API quota.

use serde::Serialize;
use utoipa::ToSchema;

use crate::bigcommerce::{BigCommerceError, CatalogProduct};

mod cache;
mod freshness;
mod modifiers;
mod stock;
mod validation;
pub use cache::Catalog;
pub use modifiers::{ModifierValue, ProductModifier};
pub use stock::mark_line_problems;

/// What the catalog says of one product's modifiers.
#[derive(Debug)]
pub enum KnownModifiers {
    /// The product is listed, with these modifiers (none for a product without).
    Listed(Vec<ProductModifier>),
    /// The catalog was read and does not list the product (hidden, or gone from it).
    NotListed,
    /// The catalog could not be read, and no list read earlier names the product.
    Unavailable(BigCommerceError),
}

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
    /// Whether this service can add it: false when a required modifier is of a type that
    /// cannot be filled in through this API (a file upload, a product list).
    pub addable: bool,
    /// Why it cannot be added here, when `addable` is false.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_addable_reason: Option<String>,
    pub in_stock: bool,
    /// 0 when unlimited.
    pub order_quantity_maximum: i64,
    /// Variants to choose from; products with one variant have exactly one.
    pub variants: Vec<ProductVariant>,
    /// What the shopper chooses or fills in, of every type (send as `option_selections`).
    pub modifiers: Vec<ProductModifier>,
    /// The `text` modifiers only (deprecated: use `modifiers`).
    pub text_options: Vec<TextOption>,
    /// The variant options (`option_selections[].option_id`) and their value ids, for
    /// checking selections before they are sent; `None` when the variants do not say.
    #[serde(skip)]
    pub(crate) variant_options: Option<Vec<VariantOption>>,
    /// The stock of a product tracked by product (`inventory_tracking: product`); `None` when
    /// it is tracked by variant or not at all.
    #[serde(skip)]
    pub(crate) stock: Option<i64>,
}

/// A variant option of a product and the value ids it has.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VariantOption {
    pub option_id: i64,
    pub value_ids: Vec<i64>,
}

/// Variant options from the variants' option values, in the order first seen; `None` when a
/// value does not name its option and id (then options cannot be told from unknown ids).
fn variant_options(product: &CatalogProduct) -> Option<Vec<VariantOption>> {
    let mut options: Vec<VariantOption> = Vec::new();
    for value in product.variants.iter().flat_map(|v| &v.option_values) {
        if value.option_id <= 0 || value.id <= 0 {
            return None;
        }
        match options.iter_mut().find(|o| o.option_id == value.option_id) {
            Some(option) if !option.value_ids.contains(&value.id) => {
                option.value_ids.push(value.id)
            }
            Some(_) => {}
            None => options.push(VariantOption {
                option_id: value.option_id,
                value_ids: vec![value.id],
            }),
        }
    }
    Some(options)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductVariant {
    pub id: i64,
    /// e.g. "M / Black"; empty for a product without options.
    pub label: String,
    pub calculated_price: f64,
    pub purchasable: bool,
    pub in_stock: bool,
    /// The variant's stock when the product is tracked by variant; `None` otherwise.
    #[serde(skip)]
    pub(crate) stock: Option<i64>,
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
                stock: (product.inventory_tracking == "variant").then_some(variant.inventory_level),
            })
            .collect();
        let in_stock = if variants.is_empty() {
            product_in_stock
        } else {
            variants.iter().any(|variant| variant.in_stock)
        };
        let modifiers: Vec<ProductModifier> = product
            .modifiers
            .iter()
            .cloned()
            .map(ProductModifier::from)
            .collect();
        let not_addable_reason = modifiers
            .iter()
            .find(|modifier| modifier.required && !modifier.can_be_filled_in())
            .map(|modifier| {
                let what = match modifier.modifier_type.as_str() {
                    "file" => "a file upload",
                    t if t.starts_with("product_list") => "a choice of another product",
                    _ => "a choice of a kind",
                };
                format!(
                    "{} needs {what} (\"{}\"), which cannot be given here.",
                    product.name, modifier.name
                )
            });
        Product {
            variant_options: variant_options(&product),
            stock: (product.inventory_tracking == "product").then_some(product.inventory_level),
            addable: not_addable_reason.is_none(),
            not_addable_reason,
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
            modifiers,
        }
    }
}
