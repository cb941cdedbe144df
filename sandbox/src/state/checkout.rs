//! What a checkout holds beyond its cart — consignments (an address, the physical lines going
//! there, the chosen shipping option) and the shopper's message — and what it comes to: the
//! options each consignment is quoted, shipping, tax and the grand total.
//!
//! The sandbox's rules (BigCommerce documents the fields, not the arithmetic):
//! - A consignment's options are the methods of the first shipping zone covering its
//!   country; a method made free by a `free_shipping` promotion costs 0 while the items come to
//!   the promotion's minimum (the measure of its banners). Option ids are 32 hex digits
//!   derived from the consignment, the method and the consignment's quote, so a re-quote
//!   (a new address, new lines) gives new ids, as BigCommerce's look quote-specific.
//! - Tax is one flat rate: the first consignment's country's, on the items after discounts and
//!   coupons (custom items included, gift certificates not: they are not taxable) and, where
//!   the rate says so, on shipping. Without a consignment there is no address and no tax.
//! - The grand total is the cart amount plus shipping plus tax (prices exclude tax).

use serde::Deserialize;
use sha1::{Digest, Sha1};
use uuid::Uuid;

use super::carts::Cart;
use super::catalog::Catalog;
use super::promotions::price;
use super::render::money;
use crate::seed_checkout::ShippingMethodSeed;

/// The checkout part of a cart (the cart id is the checkout id).
#[derive(Debug, Clone, Default)]
pub struct CheckoutState {
    pub consignments: Vec<Consignment>,
    /// `customer_message` (`""` when none).
    pub customer_message: String,
}

/// Physical lines going to one address.
#[derive(Debug, Clone)]
pub struct Consignment {
    /// 13 hex digits, like the ids of the end-to-end guide ("6516fc9bbf6ef").
    pub id: String,
    pub address: Address,
    /// Whole physical lines (their ids).
    pub lines: Vec<Uuid>,
    /// The chosen method (a seed id).
    pub selected: Option<i64>,
    /// Counts the quotes: a new address or new lines quote the options again.
    pub quote: u32,
}

impl Consignment {
    pub fn new(address: Address, lines: Vec<Uuid>) -> Self {
        let id: String = Uuid::new_v4()
            .simple()
            .to_string()
            .chars()
            .take(13)
            .collect();
        Self {
            id,
            address,
            lines,
            selected: None,
            quote: 0,
        }
    }

    /// A new quote: the options get new ids and the selection goes.
    pub fn requote(&mut self) {
        self.quote += 1;
        self.selected = None;
    }
}

/// A consignment's address (`AddressProperties`); unknown fields are ignored.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct Address {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub company: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub city: Option<String>,
    pub state_or_province: Option<String>,
    pub state_or_province_code: Option<String>,
    pub country_code: Option<String>,
    pub postal_code: Option<String>,
    pub phone: Option<String>,
}

impl Address {
    pub fn country(&self) -> &str {
        self.country_code.as_deref().unwrap_or_default()
    }
}

/// One quoted shipping option.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionQuote {
    pub id: String,
    pub method_id: i64,
    pub description: String,
    pub kind: String,
    /// What the shopper pays for it (0 while a free-shipping promotion applies).
    pub cost: f64,
    /// Its price before that promotion.
    pub list_cost: f64,
    pub transit_time: String,
    /// The promotion that makes it free, while it does.
    pub free_by: Option<String>,
}

/// What one consignment is quoted.
#[derive(Debug, Clone)]
pub struct ConsignmentQuote {
    pub options: Vec<OptionQuote>,
    pub selected: Option<OptionQuote>,
}

/// What the whole checkout comes to.
#[derive(Debug, Clone)]
pub struct CheckoutQuote {
    /// One per consignment, in order.
    pub consignments: Vec<ConsignmentQuote>,
    /// `(name, amount)` of the tax charged, when the first consignment's country has a rate.
    pub tax: Option<(String, f64)>,
    pub tax_total: f64,
    /// The part of `tax_total` charged on the items.
    pub items_tax: f64,
    /// What the chosen options cost.
    pub shipping_total: f64,
    /// The same before free-shipping promotions.
    pub shipping_list_total: f64,
    pub cart_amount: f64,
    pub grand_total: f64,
}

/// 32 hex digits for `method` in `consignment`'s current quote.
fn option_id(consignment: &Consignment, method: &ShippingMethodSeed) -> String {
    let mut hasher = Sha1::new();
    hasher.update(format!(
        "{}:{}:{}",
        consignment.id, method.id, consignment.quote
    ));
    hex::encode(hasher.finalize())[..32].to_owned()
}

/// The options of `consignment`, priced for a cart whose items come to `items_subtotal`.
pub fn options(
    catalog: &Catalog,
    consignment: &Consignment,
    items_subtotal: f64,
) -> Vec<OptionQuote> {
    let Some(zone) = catalog.shipping_zone(consignment.address.country()) else {
        return Vec::new();
    };
    zone.methods
        .iter()
        .map(|method| {
            let free_by = method.free_with_promotion.clone().filter(|id| {
                catalog
                    .promotion(id)
                    .is_some_and(|p| items_subtotal >= p.min_subtotal)
            });
            OptionQuote {
                id: option_id(consignment, method),
                method_id: method.id,
                description: method.name.clone(),
                kind: method.kind.clone(),
                cost: if free_by.is_some() {
                    0.0
                } else {
                    money(method.cost)
                },
                list_cost: money(method.cost),
                transit_time: method.transit_time.clone(),
                free_by,
            }
        })
        .collect()
}

/// Prices the checkout of `cart`.
pub fn quote(catalog: &Catalog, cart: &Cart) -> CheckoutQuote {
    let pricing = price(catalog, cart);
    let consignments: Vec<ConsignmentQuote> = cart
        .checkout
        .consignments
        .iter()
        .map(|c| {
            let options = options(catalog, c, pricing.items_subtotal);
            let selected = c
                .selected
                .and_then(|method| options.iter().find(|o| o.method_id == method).cloned());
            ConsignmentQuote { options, selected }
        })
        .collect();
    let chosen = || consignments.iter().filter_map(|c| c.selected.as_ref());
    let shipping_total = money(chosen().map(|o| o.cost).sum());
    let shipping_list_total = money(chosen().map(|o| o.list_cost).sum());
    let gift_certificates: f64 = cart
        .gift_certificates
        .iter()
        .map(|g| g.amount * f64::from(g.quantity))
        .sum();
    let taxable_items = (pricing.cart_amount - gift_certificates).max(0.0);
    let rate = cart
        .checkout
        .consignments
        .first()
        .and_then(|c| catalog.tax_rate(c.address.country()));
    let items_tax = rate.map_or(0.0, |r| money(taxable_items * r.rate / 100.0));
    let shipping_tax = rate
        .filter(|r| r.shipping_taxable)
        .map_or(0.0, |r| money(shipping_total * r.rate / 100.0));
    let tax_total = money(items_tax + shipping_tax);
    let tax = rate.map(|r| (r.name.clone(), tax_total));
    CheckoutQuote {
        consignments,
        tax,
        tax_total,
        items_tax,
        shipping_total,
        shipping_list_total,
        cart_amount: pricing.cart_amount,
        grand_total: money(pricing.cart_amount + shipping_total + tax_total),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SeedSource;
    use crate::seed::load_seed;
    use crate::state::carts::LineItem;
    use time::OffsetDateTime;

    fn cart_of(product_id: i64, variant_id: i64, quantity: u32) -> Cart {
        let now = OffsetDateTime::now_utc();
        let line = LineItem {
            id: Uuid::new_v4(),
            product_id,
            variant_id,
            quantity,
            options: Vec::new(),
            list_price_override: None,
            name_override: None,
            promotion_id: None,
        };
        let address = Address {
            country_code: Some("US".to_owned()),
            ..Address::default()
        };
        let consignment = Consignment::new(address, vec![line.id]);
        Cart {
            id: Uuid::new_v4(),
            customer_id: 0,
            channel_id: 1,
            currency: "USD".to_owned(),
            locale: "en".to_owned(),
            email: String::new(),
            created: now,
            updated: now,
            version: 1,
            items: vec![line],
            custom_items: Vec::new(),
            gift_certificates: Vec::new(),
            coupons: Vec::new(),
            checkout: CheckoutState {
                consignments: vec![consignment],
                customer_message: String::new(),
            },
        }
    }

    #[test]
    fn us_tax_is_eight_percent_of_items_and_shipping() {
        let catalog = Catalog::from_seed(load_seed(&SeedSource::Embedded).expect("seed"));
        let mut cart = cart_of(104, 1041, 2); // $19.98
        let quoted = quote(&catalog, &cart);
        let options = &quoted.consignments[0].options;
        assert_eq!(options.len(), 2);
        assert_eq!((options[0].cost, options[1].cost), (5.0, 15.0));
        assert_eq!(quoted.tax_total, money(19.98 * 0.08));
        cart.checkout.consignments[0].selected = Some(2);
        let quoted = quote(&catalog, &cart);
        assert_eq!(quoted.shipping_total, 15.0);
        assert_eq!(quoted.tax_total, money(money(19.98 * 0.08) + 1.2));
        assert_eq!(quoted.grand_total, money(19.98 + 15.0 + quoted.tax_total));
    }

    #[test]
    fn standard_shipping_is_free_from_fifty_dollars_and_ids_change_with_a_requote() {
        let catalog = Catalog::from_seed(load_seed(&SeedSource::Embedded).expect("seed"));
        let mut cart = cart_of(106, 1061, 3); // $66
        let quoted = quote(&catalog, &cart);
        let standard = &quoted.consignments[0].options[0];
        assert_eq!((standard.cost, standard.list_cost), (0.0, 5.0));
        assert_eq!(standard.free_by.as_deref(), Some("1"));
        let before = standard.id.clone();
        assert_eq!(before.len(), 32);
        cart.checkout.consignments[0].requote();
        assert_ne!(quote(&catalog, &cart).consignments[0].options[0].id, before);
    }
}
