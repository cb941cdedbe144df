//! The cart as the storefront sees it: a flat list of lines, amounts, and no BigCommerce ids
//! beyond line-item ids (a browser never needs the cart id, and never gets it).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::checkout::{CartShipping, CheckoutFacts};

/// A shopper's cart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(from = "StoredCart")]
pub struct Cart {
    pub currency: CartCurrency,
    /// BigCommerce's `base_amount`: the lines before cart-level discounts, coupons and tax.
    pub base_amount: f64,
    /// BigCommerce's `discount_amount`: order-level automatic promotions and manual discounts
    /// (not coupons, not product-level discounts).
    pub discount_amount: f64,
    /// What the shopper pays for the items: after discounts and coupons.
    pub cart_amount: f64,
    pub tax_included: bool,
    /// Sum of the quantities of all lines.
    pub item_count: u64,
    pub line_items: Vec<CartLineItem>,
    /// The coupon codes applied, each with what it takes off.
    pub coupons: Vec<Coupon>,
    /// BigCommerce's promotion banners for the cart page ("Spend $8 more for free shipping").
    pub promotions: Vec<PromotionBanner>,
    /// What the order comes to, as far as BigCommerce knows it yet.
    pub totals: CartTotals,
    /// When BigCommerce last changed the cart (ISO 8601).
    pub updated_time: String,
    /// BigCommerce's count of changes to the cart (0 where it does not say).
    #[serde(default)]
    pub version: i64,
    /// The shopper's note for the order (the checkout's `customer_message`); `null` when none.
    pub note: Option<String>,
    /// Where the cart ships and the options quoted there, once a shipping estimate was made;
    /// `null` before.
    pub shipping: Option<CartShipping>,
    /// The checkout's last word, kept in the snapshot only (see `domain::checkout`).
    #[serde(skip_serializing)]
    pub checkout: Option<CheckoutFacts>,
}

/// The totals of a cart, each taken from BigCommerce's cart (or its checkout). A figure
/// BigCommerce does not know yet is `null`: shipping and tax before an address and a shipping
/// option are chosen at checkout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CartTotals {
    /// The items before any discount (BigCommerce's `base_amount`).
    pub subtotal: f64,
    /// Automatic discounts: order-level promotions plus the lines' product discounts (the
    /// difference between a line's list and sale amounts, such as a free gift).
    pub discounts: f64,
    /// What the applied coupons take off.
    pub coupons: f64,
    /// Shipping, once BigCommerce has a shipping option for every consignment.
    pub shipping: Option<f64>,
    /// Tax, once BigCommerce knows where the order goes.
    pub tax: Option<f64>,
    /// What is payable for what is known: the items after discounts and coupons, plus
    /// shipping and tax once they are known.
    pub grand_total: f64,
}

/// A cart as stored in a snapshot: snapshots written before coupons, promotions and totals
/// existed lack them, and get them from the amounts they have.
#[derive(Deserialize)]
struct StoredCart {
    currency: CartCurrency,
    base_amount: f64,
    discount_amount: f64,
    cart_amount: f64,
    tax_included: bool,
    item_count: u64,
    line_items: Vec<CartLineItem>,
    #[serde(default)]
    coupons: Vec<Coupon>,
    #[serde(default)]
    promotions: Vec<PromotionBanner>,
    #[serde(default)]
    totals: Option<CartTotals>,
    updated_time: String,
    #[serde(default)]
    version: i64,
    /// Written by the snapshot (`SnapshotBody`), never by the API; `note` and `shipping` are
    /// derived from it.
    #[serde(default)]
    checkout: Option<CheckoutFacts>,
}

impl From<StoredCart> for Cart {
    fn from(stored: StoredCart) -> Self {
        let totals = stored.totals.unwrap_or_else(|| {
            CartTotals::of_cart(
                stored.base_amount,
                stored.discount_amount,
                stored.cart_amount,
                &stored.line_items,
                &stored.coupons,
            )
        });
        let mut cart = Cart {
            currency: stored.currency,
            base_amount: stored.base_amount,
            discount_amount: stored.discount_amount,
            cart_amount: stored.cart_amount,
            tax_included: stored.tax_included,
            item_count: stored.item_count,
            line_items: stored.line_items,
            coupons: stored.coupons,
            promotions: stored.promotions,
            totals,
            updated_time: stored.updated_time,
            version: stored.version,
            note: None,
            shipping: None,
            checkout: stored.checkout,
        };
        cart.apply_checkout();
        cart
    }
}

impl Cart {
    /// Shows what the checkout said (`checkout`) as far as it still holds: the note and the
    /// destination always; options, the chosen one, shipping, tax and the checkout's grand
    /// total only while the cart is the one the checkout answered about. A cart changed since
    /// keeps its own totals, with shipping and tax unknown.
    pub fn apply_checkout(&mut self) {
        let Some(facts) = &self.checkout else {
            self.note = None;
            self.shipping = None;
            return;
        };
        let holds = facts.hold_for(self.version, &self.updated_time);
        self.note = facts.note.clone();
        self.shipping = facts.shipping.clone().map(|mut shipping| {
            if !holds {
                shipping.options.clear();
                shipping.selected_option_id = None;
                shipping.current = false;
            }
            shipping
        });
        if holds {
            self.totals.shipping = facts.shipping_total;
            self.totals.tax = facts.tax_total;
            if facts.shipping_total.is_some() || facts.tax_total.is_some() {
                if let Some(grand_total) = facts.grand_total {
                    self.totals.grand_total = grand_total;
                }
            }
        }
    }

    /// The consignment the checkout last named, to re-quote or choose an option on.
    pub fn consignment_id(&self) -> Option<&str> {
        self.checkout.as_ref()?.consignment_id.as_deref()
    }
}

/// A cart as the snapshot stores it: the cart with the checkout's facts, which the API's
/// answers leave out (a consignment id is BigCommerce's, never a browser's).
#[derive(Serialize)]
pub struct SnapshotBody<'a> {
    #[serde(flatten)]
    cart: &'a Cart,
    #[serde(skip_serializing_if = "Option::is_none")]
    checkout: Option<&'a CheckoutFacts>,
}

impl<'a> SnapshotBody<'a> {
    pub fn of(cart: &'a Cart) -> Self {
        SnapshotBody {
            cart,
            checkout: cart.checkout.as_ref(),
        }
    }
}

impl CartTotals {
    /// The totals BigCommerce's cart gives: no shipping or tax yet.
    pub fn of_cart(
        base_amount: f64,
        discount_amount: f64,
        cart_amount: f64,
        lines: &[CartLineItem],
        coupons: &[Coupon],
    ) -> Self {
        let product_discounts: f64 = lines
            .iter()
            .map(|line| (line.extended_list_price - line.extended_sale_price).max(0.0))
            .sum();
        CartTotals {
            subtotal: base_amount,
            discounts: cents(discount_amount + product_discounts),
            coupons: cents(coupons.iter().map(|coupon| coupon.amount).sum()),
            shipping: None,
            tax: None,
            grand_total: cart_amount,
        }
    }
}

/// Snapshots from before this field was required may hold `null`.
fn null_as_empty<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

/// Rounds sums of BigCommerce's figures to the cent (they come as binary floats).
fn cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CartCurrency {
    /// ISO 4217 code.
    pub code: String,
}

/// The kind of a cart line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineItemType {
    Physical,
    Digital,
    Custom,
    GiftCertificate,
}

/// One line of the cart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CartLineItem {
    /// Line-item id, used in `/api/cart/items/{item_id}`.
    pub id: String,
    #[serde(rename = "type")]
    pub item_type: LineItemType,
    pub product_id: Option<i64>,
    pub variant_id: Option<i64>,
    pub sku: Option<String>,
    pub name: String,
    pub url: Option<String>,
    pub image_url: Option<String>,
    pub quantity: u64,
    /// The product's catalog price before any sale; `null` for custom items and gift
    /// certificates. Strike it through when it is above `list_price` (a catalog sale).
    #[serde(default)]
    pub original_price: Option<f64>,
    /// Unit price before discounts and coupons.
    pub list_price: f64,
    /// Unit price after product-level discounts (0 for a free gift), before tax.
    pub sale_price: f64,
    pub extended_list_price: f64,
    pub extended_sale_price: f64,
    /// Every discount on this line, coupons included (BigCommerce's `discount_amount`).
    #[serde(default)]
    pub discount_amount: f64,
    /// The coupons' part of `discount_amount`.
    #[serde(default)]
    pub coupon_amount: f64,
    /// A promotion put this line in the cart (a free gift; BigCommerce's `added_by_promotion`,
    /// or a line it marks `is_mutable: false`): it cannot be changed or removed, and goes by
    /// itself when the promotion no longer applies.
    #[serde(default)]
    pub added_by_promotion: bool,
    pub options: Vec<LineItemOption>,
    /// Why the line cannot be fulfilled as it is, from the catalog this service caches (see
    /// `catalog.ttl_seconds`): empty when nothing is known against it. While any line has a
    /// problem, checkout is refused (409 `cart_has_problems`).
    #[serde(default)]
    pub problems: Vec<LineProblem>,
}

/// Something that keeps a line from being fulfilled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LineProblem {
    pub code: LineProblemCode,
    /// For `insufficient_stock`: how many the store has (for all lines of the product or
    /// variant together; 0 when it is out of stock).
    pub available: Option<u64>,
    /// For the shopper ("Only 3 left.").
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineProblemCode {
    /// The cart holds more than the store has in stock: lower the quantity to `available`.
    InsufficientStock,
    /// The product (or variant) can no longer be bought: hidden, disabled or gone from the
    /// catalog. Remove the line.
    Unavailable,
}

/// A line's problem, named with the line: the `problems` member of a 409 `cart_has_problems`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CartProblem {
    /// The line's id.
    pub item_id: String,
    pub name: String,
    pub quantity: u64,
    #[serde(flatten)]
    pub problem: LineProblem,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LineItemOption {
    pub name: String,
    pub value: String,
    /// The option's id (send it back as `option_selections[].option_id`).
    #[serde(default)]
    pub option_id: Option<i64>,
    /// The chosen value's id; `null` for text entered by the shopper.
    #[serde(default)]
    pub option_value_id: Option<i64>,
}

/// An applied coupon code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Coupon {
    pub code: String,
    /// The name the store gives it ("10% off your order"); the code when it has none.
    #[serde(alias = "display_name", deserialize_with = "null_as_empty")]
    pub name: String,
    /// What it takes off the order.
    #[serde(alias = "discounted_amount")]
    pub amount: f64,
}

/// One of BigCommerce's promotion banners.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PromotionBanner {
    #[serde(rename = "type")]
    pub banner_type: PromotionType,
    /// Plain text (BigCommerce's banners may carry HTML; it is removed).
    pub text: String,
}

/// What a banner says about its promotion (BigCommerce's notification types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PromotionType {
    /// The shopper is part way there ("Spend $8 more for free shipping").
    Upsell,
    /// The conditions are met but the shopper must act (choose a free item).
    Eligible,
    /// The promotion applies to the cart.
    Applied,
    /// Shown for as long as the promotion runs.
    Promotion,
}

impl Cart {
    pub fn line(&self, id: &str) -> Option<&CartLineItem> {
        self.line_items.iter().find(|line| line.id == id)
    }

    /// Every line's problems, each named with its line.
    pub fn problems(&self) -> Vec<CartProblem> {
        self.line_items
            .iter()
            .flat_map(|line| {
                line.problems.iter().map(|problem| CartProblem {
                    item_id: line.id.clone(),
                    name: line.name.clone(),
                    quantity: line.quantity,
                    problem: problem.clone(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_from_before_totals_reads_with_totals_from_its_amounts() {
        let stored = serde_json::json!({
            "currency": {"code": "USD"}, "base_amount": 30.0, "discount_amount": 0.0,
            "cart_amount": 21.0, "tax_included": false, "item_count": 3,
            "line_items": [{
                "id": "l", "type": "physical", "product_id": 103, "variant_id": 1031,
                "sku": null, "name": "Pin", "url": null, "image_url": null, "quantity": 1,
                "list_price": 6.0, "sale_price": 0.0, "extended_list_price": 6.0,
                "extended_sale_price": 0.0, "options": []
            }],
            "coupons": [{"code": "SAVE10", "display_name": null, "discounted_amount": 3.0}],
            "updated_time": "2026-01-01T00:00:00+00:00"
        });
        let cart: Cart = serde_json::from_value(stored).expect("an old snapshot reads");
        assert_eq!(cart.coupons[0].amount, 3.0);
        assert_eq!(cart.promotions, Vec::new());
        assert!(!cart.line_items[0].added_by_promotion);
        assert_eq!(
            cart.totals,
            CartTotals {
                subtotal: 30.0,
                discounts: 6.0,
                coupons: 3.0,
                shipping: None,
                tax: None,
                grand_total: 21.0,
            }
        );
        let again: Cart =
            serde_json::from_value(serde_json::to_value(&cart).expect("json")).expect("reads");
        assert_eq!(again, cart, "a new snapshot reads back as written");
    }
}
