//! What keeps a cart's lines from being fulfilled, as the cached catalog tells it: more than
//! the store has in stock, or a product (or variant) that can no longer be bought.
//!
//! No call is made: the list is the one the product list already caches (refreshed at most
//! once per `catalog.ttl_seconds`). Stock is summed per product (tracked by product) or per
//! variant (tracked by variant) over all the cart's lines, gift lines included, as BigCommerce
//! checks it. A product the list does not name is unavailable only when the list was read
//! (visible products only): before the first read nothing is claimed.

use std::collections::HashMap;

use super::Product;
use crate::domain::{Cart, LineItemType, LineProblem, LineProblemCode};

/// Replaces every line's `problems` with what `products` (the cached list) says of it.
pub fn mark_line_problems(cart: &mut Cart, products: &[Product]) {
    let by_id: HashMap<i64, &Product> = products.iter().map(|p| (p.id, p)).collect();
    // What the cart holds of each stock-keeping unit: (product, variant if tracked by it).
    let mut held: HashMap<(i64, Option<i64>), u64> = HashMap::new();
    for line in &cart.line_items {
        if let Some(unit) = stock_unit(line.product_id, line.variant_id, &by_id) {
            *held.entry(unit).or_default() += line.quantity;
        }
    }
    for line in &mut cart.line_items {
        line.problems.clear();
        if matches!(
            line.item_type,
            LineItemType::Custom | LineItemType::GiftCertificate
        ) {
            continue;
        }
        let Some(product_id) = line.product_id else {
            continue;
        };
        let Some(product) = by_id.get(&product_id) else {
            line.problems.push(unavailable(&line.name));
            continue;
        };
        let variant = line
            .variant_id
            .and_then(|id| product.variants.iter().find(|v| v.id == id));
        let purchasable = product.purchasable && variant.is_none_or(|v| v.purchasable);
        if !purchasable {
            line.problems.push(unavailable(&line.name));
            continue;
        }
        let level = match variant.and_then(|v| v.stock) {
            Some(level) => Some(level),
            None => product.stock,
        };
        let (Some(level), Some(unit)) =
            (level, stock_unit(line.product_id, line.variant_id, &by_id))
        else {
            continue;
        };
        let available = u64::try_from(level).unwrap_or(0);
        if held.get(&unit).copied().unwrap_or(0) > available {
            line.problems.push(LineProblem {
                code: LineProblemCode::InsufficientStock,
                available: Some(available),
                detail: match available {
                    0 => format!("{} is out of stock.", line.name),
                    n => format!("Only {n} left."),
                },
            });
        }
    }
}

/// The unit whose stock a line draws on: the product, or its variant when tracked by variant.
fn stock_unit(
    product_id: Option<i64>,
    variant_id: Option<i64>,
    by_id: &HashMap<i64, &Product>,
) -> Option<(i64, Option<i64>)> {
    let product = by_id.get(&product_id?)?;
    if product.stock.is_some() {
        return Some((product.id, None));
    }
    let variant = product.variants.iter().find(|v| Some(v.id) == variant_id)?;
    variant.stock.map(|_| (product.id, Some(variant.id)))
}

fn unavailable(name: &str) -> LineProblem {
    LineProblem {
        code: LineProblemCode::Unavailable,
        available: None,
        detail: format!("{name} can no longer be bought."),
    }
}
