//! What a change did that the shopper did not ask for, and what keeps lines from being
//! fulfilled: the one place the JSON API's `warnings` and `problems` and the cart page's
//! messages come from.
//!
//! Warnings come from comparing the cart before the change (the session's snapshot) with the
//! cart BigCommerce answered: no call is made for them, and without a snapshot there is
//! nothing to compare, so no warnings. BigCommerce changes carts by itself when a promotion
//! adds, re-adds (under a new line id) or removes a free gift, when a coupon stops applying,
//! when a price changes (a sale ends, a bulk price starts) and when a line goes. What the
//! shopper asked for (`Asked`) is not reported back to them.
//!
//! Problems come from the catalog the service caches (`catalog::mark_line_problems`): no call.

use super::moving::{CartWarning, WarningCode};
use super::service::CartService;
use crate::bigcommerce::CorrelationId;
use crate::domain::{Cart, CartLineItem, CartProblem, NewLineItem};

/// What the shopper asked a change to do.
#[derive(Debug, Clone, Copy)]
pub enum Asked<'a> {
    /// Add these items (their lines may grow or appear).
    Add(&'a [NewLineItem]),
    /// Set this line's quantity (0 removes it).
    SetQuantity { item: &'a str, quantity: u32 },
    /// Remove this line.
    Remove(&'a str),
    /// Apply this code.
    ApplyCoupon(&'a str),
    /// Remove this code.
    RemoveCoupon(&'a str),
    /// Anything that leaves the lines and codes as they are (shipping, the note), or adds a
    /// line of its own (a gift certificate).
    Other,
}

/// A change's answer: the cart as it is now (with its lines' problems) and what BigCommerce
/// did that was not asked for.
#[derive(Debug)]
pub struct CartChange {
    pub cart: Option<Cart>,
    pub warnings: Vec<CartWarning>,
}

impl CartService {
    /// The answer to a change from the cart before it (`None`: no snapshot, no warnings) and
    /// after it (`None`: the cart is gone, as when its last line was removed).
    pub fn changed(
        &self,
        before: Option<&Cart>,
        after: Option<Cart>,
        asked: Asked<'_>,
    ) -> CartChange {
        let warnings = match (before, &after) {
            (Some(before), Some(after)) => unasked_changes(before, after, asked),
            (Some(before), None) => gone_lines(before, asked),
            (None, _) => Vec::new(),
        };
        CartChange {
            cart: after.map(|cart| self.with_problems(cart)),
            warnings,
        }
    }

    /// `cart` with every line's problems, from the cached catalog (no call; nothing is
    /// claimed before the catalog was first read).
    pub fn with_problems(&self, mut cart: Cart) -> Cart {
        if let Some((products, _)) = self.catalog.as_ref().and_then(|c| c.cached_list()) {
            crate::catalog::mark_line_problems(&mut cart, &products);
        }
        cart
    }

    /// The problems that keep `cart` from being checked out. A problem seen in a list past
    /// its TTL is checked against a refreshed list first (one refresh a TTL at most, shared
    /// with the product list), so a restock never blocks checkout for longer than a TTL; a
    /// cart the cached list finds nothing against is let through without a call
    /// (BigCommerce's checkout checks stock again when the order is placed).
    pub(super) async fn checkout_problems(
        &self,
        cart: &Cart,
        cx: CorrelationId,
    ) -> Vec<CartProblem> {
        let Some(catalog) = &self.catalog else {
            return Vec::new();
        };
        let Some((products, stale)) = catalog.cached_list() else {
            return Vec::new();
        };
        let mut cart = cart.clone();
        crate::catalog::mark_line_problems(&mut cart, &products);
        let problems = cart.problems();
        if problems.is_empty() || !stale {
            return problems;
        }
        match catalog.refreshed_list(cx).await {
            Some(products) => {
                crate::catalog::mark_line_problems(&mut cart, &products);
                cart.problems()
            }
            None => problems,
        }
    }
}

/// Whether two lines are of the same purchase (the same product and variant).
fn same_purchase(a: &CartLineItem, b: &CartLineItem) -> bool {
    a.product_id == b.product_id && a.variant_id == b.variant_id && a.item_type == b.item_type
}

fn unasked_changes(before: &Cart, after: &Cart, asked: Asked<'_>) -> Vec<CartWarning> {
    let mut warnings = Vec::new();
    for line in &after.line_items {
        match before.line(&line.id) {
            Some(old) => {
                if line.added_by_promotion {
                    continue;
                }
                let asked_quantity = match asked {
                    Asked::SetQuantity { item, .. } => item == line.id,
                    Asked::Add(items) => items
                        .iter()
                        .any(|i| Some(i.product_id.get()) == line.product_id),
                    _ => false,
                };
                if old.quantity != line.quantity && !asked_quantity {
                    warnings.push(CartWarning::about_line(
                        WarningCode::QuantityChanged,
                        line,
                        format!(
                            "The store changed the quantity of {} from {} to {}.",
                            line.name, old.quantity, line.quantity
                        ),
                    ));
                }
                if cents(old.sale_price) != cents(line.sale_price) {
                    warnings.push(CartWarning::about_line(
                        WarningCode::PriceChanged,
                        line,
                        format!(
                            "The price of {} changed from {:.2} to {:.2}.",
                            line.name, old.sale_price, line.sale_price
                        ),
                    ));
                }
            }
            None if line.added_by_promotion => {
                let readded = before
                    .line_items
                    .iter()
                    .any(|old| old.added_by_promotion && same_purchase(old, line));
                let (code, detail) = match readded {
                    true => (
                        WarningCode::GiftReadded,
                        format!("A promotion put {} back under a new line.", line.name),
                    ),
                    false => (
                        WarningCode::GiftAdded,
                        format!("A promotion added {} to your cart.", line.name),
                    ),
                };
                warnings.push(CartWarning::about_line(code, line, detail));
            }
            None => {}
        }
    }
    for old in &before.line_items {
        if after.line(&old.id).is_some() {
            continue;
        }
        if old.added_by_promotion {
            let readded = after
                .line_items
                .iter()
                .any(|line| line.added_by_promotion && same_purchase(old, line));
            if !readded {
                warnings.push(CartWarning::about_line(
                    WarningCode::GiftRemoved,
                    old,
                    format!("The promotion no longer applies: {} was removed.", old.name),
                ));
            }
        } else if !asked_to_remove(old, asked) {
            warnings.push(line_removed(old));
        }
    }
    for coupon in &before.coupons {
        let asked_off =
            matches!(asked, Asked::RemoveCoupon(code) if code.eq_ignore_ascii_case(&coupon.code));
        if !asked_off
            && !after
                .coupons
                .iter()
                .any(|c| c.code.eq_ignore_ascii_case(&coupon.code))
        {
            warnings.push(CartWarning::about_cart(
                WarningCode::CouponRemoved,
                format!(
                    "The coupon {} no longer applies to your cart and was removed.",
                    coupon.code
                ),
            ));
        }
    }
    warnings
}

/// The cart went with the change: what went with it that was not asked for.
fn gone_lines(before: &Cart, asked: Asked<'_>) -> Vec<CartWarning> {
    before
        .line_items
        .iter()
        .filter(|old| !old.added_by_promotion && !asked_to_remove(old, asked))
        .map(line_removed)
        .collect()
}

fn asked_to_remove(line: &CartLineItem, asked: Asked<'_>) -> bool {
    match asked {
        Asked::Remove(item) | Asked::SetQuantity { item, quantity: 0 } => item == line.id,
        _ => false,
    }
}

fn line_removed(line: &CartLineItem) -> CartWarning {
    CartWarning::about_line(
        WarningCode::LineRemoved,
        line,
        format!("The store removed {} from your cart.", line.name),
    )
}

fn cents(amount: f64) -> i64 {
    (amount * 100.0).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: &str, product: i64, quantity: u64, gift: bool) -> CartLineItem {
        serde_json::from_value(serde_json::json!({
            "id": id, "type": "physical", "product_id": product, "variant_id": product * 10 + 1,
            "sku": null, "name": format!("P{product}"), "url": null, "image_url": null,
            "quantity": quantity, "list_price": 6.0, "sale_price": if gift { 0.0 } else { 6.0 },
            "extended_list_price": 6.0, "extended_sale_price": 6.0,
            "added_by_promotion": gift, "options": []
        }))
        .expect("a line")
    }

    fn cart(lines: Vec<CartLineItem>, coupons: &[&str]) -> Cart {
        let coupons: Vec<_> = coupons
            .iter()
            .map(|code| serde_json::json!({"code": code, "name": code, "amount": 1.0}))
            .collect();
        serde_json::from_value(serde_json::json!({
            "currency": {"code": "USD"}, "base_amount": 0.0, "discount_amount": 0.0,
            "cart_amount": 0.0, "tax_included": false, "item_count": 0,
            "line_items": lines, "coupons": coupons, "updated_time": "2026-01-01T00:00:00Z"
        }))
        .expect("a cart")
    }

    fn codes(warnings: &[CartWarning]) -> Vec<WarningCode> {
        warnings.iter().map(|w| w.code).collect()
    }

    #[test]
    fn a_gift_that_appears_is_reported_and_the_asked_quantity_is_not() {
        let before = cart(vec![line("a", 101, 1, false)], &[]);
        let after = cart(vec![line("a", 101, 2, false), line("g", 103, 1, true)], &[]);
        let asked = Asked::SetQuantity {
            item: "a",
            quantity: 2,
        };
        assert_eq!(
            codes(&unasked_changes(&before, &after, asked)),
            [WarningCode::GiftAdded]
        );
    }

    #[test]
    fn a_gift_under_a_new_id_is_readded_and_one_gone_is_removed() {
        let before = cart(vec![line("a", 101, 2, false), line("g", 103, 1, true)], &[]);
        let readded = cart(vec![line("a", 101, 2, false), line("h", 103, 1, true)], &[]);
        assert_eq!(
            codes(&unasked_changes(&before, &readded, Asked::Other)),
            [WarningCode::GiftReadded]
        );
        let gone = cart(vec![line("a", 101, 1, false)], &[]);
        let asked = Asked::SetQuantity {
            item: "a",
            quantity: 1,
        };
        assert_eq!(
            codes(&unasked_changes(&before, &gone, asked)),
            [WarningCode::GiftRemoved]
        );
    }

    #[test]
    fn a_dropped_coupon_a_new_price_and_a_vanished_line_are_reported() {
        let mut cheaper = line("a", 101, 1, false);
        cheaper.sale_price = 5.0;
        let before = cart(
            vec![line("a", 101, 1, false), line("b", 102, 1, false)],
            &["SAVE10"],
        );
        let after = cart(vec![cheaper], &[]);
        assert_eq!(
            codes(&unasked_changes(&before, &after, Asked::Other)),
            [
                WarningCode::PriceChanged,
                WarningCode::LineRemoved,
                WarningCode::CouponRemoved
            ]
        );
        assert!(unasked_changes(&before, &after, Asked::Remove("b"))
            .iter()
            .all(|w| w.code != WarningCode::LineRemoved));
        let kept = cart(
            vec![line("a", 101, 1, false), line("b", 102, 1, false)],
            &[],
        );
        assert!(unasked_changes(&before, &kept, Asked::RemoveCoupon("save10")).is_empty());
    }
}
