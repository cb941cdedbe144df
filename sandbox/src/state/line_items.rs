//! Turning a requested line item into a catalog-backed one, with BigCommerce's checks:
//! product, variant, options, modifiers, purchasability, stock and purchase limits.

use std::collections::BTreeMap;

use serde::Deserialize;
use uuid::Uuid;

use super::carts::{LineItem, SelectedOption};
use super::catalog::{Catalog, ProductExt};
use super::errors::CartError;
use super::modifiers::{resolve_modifiers, MissingRequired};
use crate::seed::{Availability, InventoryTracking, ProductSeed};

/// Largest stock/quantity BigCommerce stores (a signed 32-bit int).
const MAX_QUANTITY: i64 = 2_147_483_647;

/// A line item as sent in `line_items[]`; unknown fields are ignored.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct LineItemInput {
    pub product_id: Option<i64>,
    pub variant_id: Option<i64>,
    pub quantity: Option<i64>,
    #[serde(default)]
    pub option_selections: Vec<OptionSelectionInput>,
    pub list_price: Option<f64>,
    pub name: Option<String>,
}

/// One `option_selections[]` entry: a value id (int) or a text modifier's text (string).
#[derive(Debug, Clone, Deserialize)]
pub struct OptionSelectionInput {
    pub option_id: Option<i64>,
    #[serde(default)]
    pub option_value: serde_json::Value,
}

fn missing_field(field: String) -> CartError {
    let mut errors = BTreeMap::new();
    errors.insert(field, "error.path.missing".to_owned());
    CartError::Unprocessable {
        title: "JSON data is missing or is invalid".to_owned(),
        errors: Some(errors),
    }
}

fn unprocessable(title: String) -> CartError {
    CartError::Unprocessable {
        title,
        errors: None,
    }
}

/// Builds a new line item from the request (`index` names the field in error bodies).
pub fn resolve_line_item(
    catalog: &Catalog,
    input: &LineItemInput,
    index: usize,
) -> Result<LineItem, CartError> {
    let product_id = input
        .product_id
        .ok_or_else(|| missing_field(format!("line_items.{index}.product_id")))?;
    let quantity = input
        .quantity
        .ok_or_else(|| missing_field(format!("line_items.{index}.quantity")))?;
    let quantity = check_quantity(quantity)?;
    let product = catalog
        .product(product_id)
        .ok_or_else(|| unprocessable(format!("Product with ID {product_id} does not exist.")))?;
    if product.availability == Availability::Disabled {
        return Err(not_purchasable(product));
    }
    check_option_ids(product, &input.option_selections)?;
    let (variant_id, mut options) = resolve_variant(product, input)?;
    options.extend(resolve_modifiers(
        product,
        &input.option_selections,
        MissingRequired::OnAdd,
    )?);
    Ok(LineItem {
        id: Uuid::new_v4(),
        product_id,
        variant_id,
        quantity,
        options,
        list_price_override: input.list_price.filter(|p| p.is_finite() && *p >= 0.0),
        name_override: input.name.clone().filter(|n| !n.trim().is_empty()),
        promotion_id: None,
    })
}

/// Quantities below 1 are refused; above BigCommerce's int range as well.
pub fn check_quantity(quantity: i64) -> Result<u32, CartError> {
    if quantity < 1 {
        return Err(unprocessable(
            "The quantity must be greater than 0.".to_owned(),
        ));
    }
    if quantity > MAX_QUANTITY {
        return Err(unprocessable(format!(
            "The quantity must not exceed {MAX_QUANTITY}."
        )));
    }
    u32::try_from(quantity).map_err(|_| unprocessable("The quantity is invalid.".to_owned()))
}

fn not_purchasable(product: &ProductSeed) -> CartError {
    unprocessable(format!("{} is not available for purchase.", product.name))
}

/// BigCommerce's answer to an `option_id` that is not the product's, or a variant option's
/// value that is not that option's: the troubleshooting guide lists "The `option_id` is
/// incorrect" under 422 "This product has options; variant ID is required"
/// (`docs/storefront/cart-checkout/guide/rest-management.mdx`).
fn wrong_option() -> CartError {
    unprocessable("This product has options; variant ID is required".to_owned())
}

/// Every selection names one of the product's variant options (with one of its values) or
/// one of its modifiers (whose values `resolve_modifiers` checks).
pub fn check_option_ids(
    product: &ProductSeed,
    selections: &[OptionSelectionInput],
) -> Result<(), CartError> {
    for selection in selections {
        let Some(option_id) = selection.option_id else {
            return Err(wrong_option());
        };
        if let Some(option) = product.options.iter().find(|o| o.id == option_id) {
            let value = selection.option_value.as_i64();
            if !option.values.iter().any(|v| Some(v.id) == value) {
                return Err(wrong_option());
            }
        } else if product.modifier(option_id).is_none() {
            return Err(wrong_option());
        }
    }
    Ok(())
}

/// The variant: given by id, picked by the value ids of its variant options, or the base
/// variant of a product without options. Returns the variant's option values as display options.
pub fn resolve_variant(
    product: &ProductSeed,
    input: &LineItemInput,
) -> Result<(i64, Vec<SelectedOption>), CartError> {
    let variant = match input.variant_id {
        Some(id) => product.variant(id).ok_or_else(|| {
            unprocessable(format!(
                "Variant with ID {id} does not exist for product {}.",
                product.id
            ))
        })?,
        None if product.has_options() => {
            // Only selections of variant options pick the variant (a modifier's value id is
            // not a variant's, even when the numbers coincide).
            let chosen: Vec<i64> = input
                .option_selections
                .iter()
                .filter(|s| {
                    s.option_id
                        .is_some_and(|id| product.options.iter().any(|o| o.id == id))
                })
                .filter_map(|s| s.option_value.as_i64())
                .collect();
            product
                .variants
                .iter()
                .find(|v| v.option_values.iter().all(|id| chosen.contains(id)))
                .ok_or_else(|| {
                    unprocessable("This product has options; variant ID is required".to_owned())
                })?
        }
        None => product
            .variants
            .first()
            .ok_or_else(|| not_purchasable(product))?,
    };
    if variant.purchasing_disabled {
        return Err(not_purchasable(product));
    }
    let options = variant
        .option_values
        .iter()
        .filter_map(|value_id| {
            product
                .option_of_value(*value_id)
                .map(|(option, label)| SelectedOption {
                    name: option.display_name.clone(),
                    name_id: option.id,
                    value: label.to_owned(),
                    value_id: Some(*value_id),
                })
        })
        .collect();
    Ok((variant.id, options))
}

/// Checks purchase limits and stock for the items as they would be after a change.
pub fn check_limits(catalog: &Catalog, items: &[LineItem]) -> Result<(), CartError> {
    let mut per_product: BTreeMap<i64, u64> = BTreeMap::new();
    let mut per_variant: BTreeMap<i64, u64> = BTreeMap::new();
    for item in items.iter().filter(|item| !item.is_gift()) {
        *per_product.entry(item.product_id).or_default() += u64::from(item.quantity);
        *per_variant.entry(item.variant_id).or_default() += u64::from(item.quantity);
    }
    for (product_id, total) in &per_product {
        let Some(product) = catalog.product(*product_id) else {
            continue;
        };
        let max = u64::from(product.order_quantity_maximum);
        if max > 0 && *total > max {
            return Err(CartError::PurchaseLimit(format!(
                "You can only purchase a maximum of {max} of the {} per order.",
                product.name
            )));
        }
        let min = u64::from(product.order_quantity_minimum);
        if min > 1 && *total < min {
            return Err(CartError::PurchaseLimit(format!(
                "You must purchase a minimum of {min} of the {} per order.",
                product.name
            )));
        }
        let short = match product.inventory_tracking {
            InventoryTracking::None => false,
            InventoryTracking::Product => *total as i64 > product.inventory_level,
            InventoryTracking::Variant => product.variants.iter().any(|v| {
                per_variant
                    .get(&v.id)
                    .is_some_and(|q| *q as i64 > v.inventory_level)
            }),
        };
        if short {
            return Err(unprocessable(format!(
                "We don't have enough {} stock on hand for the quantity you selected.",
                product.name
            )));
        }
    }
    Ok(())
}
