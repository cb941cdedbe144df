//! Coupons and automatic promotions: what each line and the cart are charged, and which
//! banners the cart shows. Everything is derived from the catalog, the lines, the applied
//! codes and the gift lines; `settle` keeps the gift lines and the codes in step after every
//! change, as BigCommerce re-evaluates promotions on each cart action (`reference/carts.v3.yml`,
//! the DELETE-item note; reference §3.3).
//!
//! The sandbox's rules (BigCommerce documents the fields, not the arithmetic):
//! - The items subtotal is Σ `extended_sale_price` of the product lines (a free gift counts 0);
//!   custom items and gift certificates count neither towards minimums nor for discounts.
//! - A coupon takes its percentage, or its amount (at most what is left), off what the items
//!   come to after earlier coupons; its share on each line is proportional to the line's sale
//!   amount (`coupon_amount`, and `discounts[]` with id `"coupon"`). It does not lower
//!   `sale_price`, as the Checkouts spec's "Coupon Applied" example shows.
//! - A gift line is priced at its list price, with `sale_price` 0 and the whole line as its
//!   discount, like the free item of BigCommerce's end-to-end guide.

use time::OffsetDateTime;

use super::carts::{Cart, LineItem};
use super::catalog::Catalog;
use super::render::{money, unit_prices};
use crate::seed::{parse_iso_date, CouponSeed, PromotionKind, PromotionSeed};

/// What one product line costs.
#[derive(Debug, Clone)]
pub struct LinePricing {
    pub original: f64,
    pub list: f64,
    pub sale: f64,
    pub extended_list: f64,
    pub extended_sale: f64,
    /// `(id, amount)`: a promotion's id, or `"coupon"`.
    pub discounts: Vec<(String, f64)>,
    /// Every discount on the line, coupons included (the Carts spec's `discount_amount`).
    pub discount_amount: f64,
    pub coupon_amount: f64,
}

/// An applied coupon and what it takes off.
#[derive(Debug, Clone)]
pub struct AppliedCoupon<'a> {
    pub seed: &'a CouponSeed,
    pub amount: f64,
}

/// A promotion banner (`promotions.banners[]`).
#[derive(Debug, Clone)]
pub struct Banner {
    pub id: String,
    pub kind: &'static str,
    pub page: Vec<String>,
    pub text: String,
}

/// The priced cart.
#[derive(Debug, Clone)]
pub struct Pricing<'a> {
    /// One per `cart.items`, in the same order.
    pub lines: Vec<LinePricing>,
    pub coupons: Vec<AppliedCoupon<'a>>,
    /// Order-level automatic discounts (the cart's `discount_amount`; none are seeded).
    pub order_discount: f64,
    /// Σ `extended_list_price`, plus custom items and gift certificates.
    pub base_amount: f64,
    /// Σ `extended_sale_price` of the product lines: what minimums are measured against.
    pub items_subtotal: f64,
    /// What the shopper pays: after every discount and coupon (no tax).
    pub cart_amount: f64,
}

impl Pricing<'_> {
    pub fn coupons_total(&self) -> f64 {
        money(self.coupons.iter().map(|c| c.amount).sum())
    }

    /// The product-level discounts per promotion id (free gifts).
    pub fn promotion_discounts(&self) -> Vec<(String, f64)> {
        let mut out: Vec<(String, f64)> = Vec::new();
        for line in &self.lines {
            for (id, amount) in line.discounts.iter().filter(|(id, _)| id != "coupon") {
                match out.iter_mut().find(|(known, _)| known == id) {
                    Some((_, total)) => *total = money(*total + amount),
                    None => out.push((id.clone(), *amount)),
                }
            }
        }
        out
    }
}

fn price_line(catalog: &Catalog, item: &LineItem) -> LinePricing {
    let (original, list) = unit_prices(catalog.product(item.product_id), item);
    let quantity = f64::from(item.quantity);
    let extended_list = money(list * quantity);
    let (sale, discounts) = match &item.promotion_id {
        Some(promotion) => (0.0, vec![(promotion.clone(), extended_list)]),
        None => (list, Vec::new()),
    };
    let extended_sale = money(sale * quantity);
    LinePricing {
        original: money(original),
        list: money(list),
        sale: money(sale),
        extended_list,
        extended_sale,
        discount_amount: money(extended_list - extended_sale),
        discounts,
        coupon_amount: 0.0,
    }
}

/// Prices `cart`: its lines, its coupons (in the order applied) and its totals.
pub fn price<'a>(catalog: &'a Catalog, cart: &Cart) -> Pricing<'a> {
    let mut lines: Vec<LinePricing> = cart.items.iter().map(|i| price_line(catalog, i)).collect();
    let items_subtotal = money(lines.iter().map(|l| l.extended_sale).sum());
    let mut remaining = items_subtotal;
    let mut coupons = Vec::new();
    for code in &cart.coupons {
        let Some(seed) = catalog.coupon(code) else {
            continue;
        };
        let amount = money(match seed.kind {
            crate::seed::CouponKind::PercentageDiscount => remaining * seed.amount / 100.0,
            crate::seed::CouponKind::PerTotalDiscount => seed.amount.min(remaining),
        });
        allocate(&mut lines, amount, remaining);
        remaining = money(remaining - amount);
        coupons.push(AppliedCoupon { seed, amount });
    }
    let extras = cart.extras_amount();
    let base_amount = money(lines.iter().map(|l| l.extended_list).sum::<f64>() + extras);
    let coupons_total: f64 = coupons.iter().map(|c| c.amount).sum();
    Pricing {
        cart_amount: money(items_subtotal + extras - coupons_total),
        lines,
        coupons,
        order_discount: 0.0,
        base_amount,
        items_subtotal,
    }
}

/// Spreads `amount` over the lines in proportion to what each still costs (`of` in all); the
/// last line that costs anything takes the rounding remainder.
fn allocate(lines: &mut [LinePricing], amount: f64, of: f64) {
    if amount <= 0.0 || of <= 0.0 {
        return;
    }
    let last = lines.iter().rposition(|l| l.extended_sale > 0.0);
    let mut left = amount;
    for (index, line) in lines.iter_mut().enumerate() {
        let still = line.extended_sale - line.coupon_amount;
        if line.extended_sale <= 0.0 {
            continue;
        }
        let share = if Some(index) == last {
            money(left)
        } else {
            money(amount * still / of)
        };
        left = money(left - share);
        line.coupon_amount = money(line.coupon_amount + share);
        line.discount_amount = money(line.discount_amount + share);
        match line.discounts.iter_mut().find(|(id, _)| id == "coupon") {
            Some((_, total)) => *total = money(*total + share),
            None => line.discounts.push(("coupon".to_owned(), share)),
        }
    }
}

/// Why a coupon cannot be applied to a cart now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CouponRefusal {
    Expired,
    BelowMinimum,
}

/// Whether `coupon` may apply to a cart whose items come to `items_subtotal`, at `now`.
pub fn coupon_refusal(
    coupon: &CouponSeed,
    items_subtotal: f64,
    now: OffsetDateTime,
) -> Option<CouponRefusal> {
    let last_day = coupon.expires.as_deref().and_then(parse_iso_date);
    if last_day.is_some_and(|day| now.date() > day) {
        return Some(CouponRefusal::Expired);
    }
    if items_subtotal < coupon.min_subtotal || items_subtotal <= 0.0 {
        return Some(CouponRefusal::BelowMinimum);
    }
    None
}

/// After a change: gift lines come and go with their promotions, and codes that no longer
/// apply (the items fell below a minimum, the code expired) are dropped. The sandbox fires no
/// `lineItem/*` callbacks for these (unconfirmed what BigCommerce sends).
pub fn settle(catalog: &Catalog, cart: &mut Cart, now: OffsetDateTime) {
    for promotion in catalog.promotions() {
        if promotion.kind == PromotionKind::GiftItem {
            settle_gift(catalog, cart, promotion);
        }
    }
    let items_subtotal = price(catalog, cart).items_subtotal;
    cart.coupons.retain(|code| {
        catalog
            .coupon(code)
            .is_some_and(|c| coupon_refusal(c, items_subtotal, now).is_none())
    });
}

/// How many of `product_id` the shopper put in the cart (gift lines aside).
fn bought(cart: &Cart, product_id: i64) -> u32 {
    cart.items
        .iter()
        .filter(|i| !i.is_gift() && i.product_id == product_id)
        .map(|i| i.quantity)
        .sum()
}

fn settle_gift(catalog: &Catalog, cart: &mut Cart, promotion: &PromotionSeed) {
    let qualifies = bought(cart, promotion.buy_product_id) >= promotion.buy_quantity;
    let has_gift = cart
        .items
        .iter()
        .any(|i| i.promotion_id.as_deref() == Some(promotion.id.as_str()));
    if !qualifies {
        cart.items
            .retain(|i| i.promotion_id.as_deref() != Some(promotion.id.as_str()));
        return;
    }
    let variant = catalog
        .product(promotion.gift_product_id)
        .and_then(|p| p.variants.first());
    let (false, Some(variant)) = (has_gift, variant) else {
        return;
    };
    cart.items.push(LineItem {
        id: uuid::Uuid::new_v4(),
        product_id: promotion.gift_product_id,
        variant_id: variant.id,
        quantity: promotion.gift_quantity.max(1),
        options: Vec::new(),
        list_price_override: None,
        name_override: None,
        promotion_id: Some(promotion.id.clone()),
    });
}

/// The banners for `cart`: UPSELL while a promotion's condition is partly met, APPLIED once
/// it applies (lower-case, as the Checkouts spec's example), then the seed's fixed banners.
pub fn banners(catalog: &Catalog, cart: &Cart, pricing: &Pricing<'_>) -> Vec<Banner> {
    let mut out = Vec::new();
    for promotion in catalog.promotions() {
        let (met, progress, remaining) = match promotion.kind {
            PromotionKind::FreeShipping => {
                let subtotal = pricing.items_subtotal;
                let remaining = money(promotion.min_subtotal - subtotal);
                (
                    subtotal >= promotion.min_subtotal,
                    subtotal > 0.0,
                    format_amount(remaining, &cart.currency),
                )
            }
            PromotionKind::GiftItem => {
                let count = bought(cart, promotion.buy_product_id);
                let remaining = promotion.buy_quantity.saturating_sub(count);
                (remaining == 0, count > 0, remaining.to_string())
            }
        };
        let (kind, text) = match (met, progress) {
            (true, _) => ("applied", promotion.applied_text.as_ref()),
            (false, true) => ("upsell", promotion.upsell_text.as_ref()),
            (false, false) => continue,
        };
        if let Some(text) = text {
            out.push(Banner {
                id: promotion.id.clone(),
                kind,
                page: promotion.page.clone(),
                text: text.replace("{remaining}", &remaining),
            });
        }
    }
    out.extend(catalog.banners().iter().map(|b| Banner {
        id: b.id.clone(),
        kind: kind_of(&b.kind),
        page: b.page.clone(),
        text: b.text.clone(),
    }));
    out
}

/// A seeded banner's type as a static string (unknown types pass as `promotion`).
fn kind_of(kind: &str) -> &'static str {
    match kind.to_ascii_lowercase().as_str() {
        "upsell" => "upsell",
        "eligible" => "eligible",
        "applied" => "applied",
        _ => "promotion",
    }
}

fn format_amount(amount: f64, currency: &str) -> String {
    if currency.eq_ignore_ascii_case("USD") {
        format!("${amount:.2}")
    } else {
        format!("{amount:.2} {currency}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SeedSource;
    use crate::seed::load_seed;

    fn catalog() -> Catalog {
        Catalog::from_seed(load_seed(&SeedSource::Embedded).expect("seed"))
    }

    fn line(product_id: i64, variant_id: i64, quantity: u32) -> LineItem {
        LineItem {
            id: uuid::Uuid::new_v4(),
            product_id,
            variant_id,
            quantity,
            options: Vec::new(),
            list_price_override: None,
            name_override: None,
            promotion_id: None,
        }
    }

    fn cart(items: Vec<LineItem>) -> Cart {
        let now = OffsetDateTime::now_utc();
        Cart {
            id: uuid::Uuid::new_v4(),
            customer_id: 0,
            channel_id: 1,
            currency: "USD".to_owned(),
            locale: "en".to_owned(),
            email: String::new(),
            created: now,
            updated: now,
            version: 1,
            items,
            custom_items: Vec::new(),
            gift_certificates: Vec::new(),
            coupons: Vec::new(),
            checkout: Default::default(),
        }
    }

    #[test]
    fn a_fixed_coupon_is_spread_over_the_lines_to_the_cent() {
        let catalog = catalog();
        let mut cart = cart(vec![
            line(104, 1041, 1),
            line(105, 1051, 5),
            line(106, 1061, 1),
        ]);
        cart.coupons.push("WELCOME5".to_owned());
        let pricing = price(&catalog, &cart);
        let shares: f64 = pricing.lines.iter().map(|l| l.coupon_amount).sum();
        assert_eq!(money(shares), 5.0);
        assert_eq!(pricing.cart_amount, money(9.99 + 22.5 + 22.0 - 5.0));
    }

    #[test]
    fn the_second_mug_brings_the_gift_and_the_first_takes_it_away() {
        let catalog = catalog();
        let mut cart = cart(vec![line(101, 1011, 2)]);
        settle(&catalog, &mut cart, OffsetDateTime::now_utc());
        assert_eq!(cart.items.len(), 2);
        assert!(cart.items[1].is_gift());
        let pricing = price(&catalog, &cart);
        assert_eq!(pricing.lines[1].sale, 0.0);
        assert_eq!(pricing.lines[1].discount_amount, 6.0);
        cart.items[0].quantity = 1;
        settle(&catalog, &mut cart, OffsetDateTime::now_utc());
        assert_eq!(cart.items.len(), 1);
    }
}
