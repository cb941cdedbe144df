//! The cart response object (`data` of every cart endpoint), priced from the catalog, the
//! applied coupons and the automatic promotions (`promotions`): `extended_* = unit ×
//! quantity`, `base_amount = Σ extended_list_price`, `cart_amount` after discounts and
//! coupons; no tax.

use serde_json::{json, Map, Value};

use super::carts::{Cart, LineItem};
use super::catalog::{Catalog, ProductExt};
use super::extra_lines::{render_custom_item, render_gift_certificate};
use super::promotions::{banners, price, LinePricing, Pricing};
use crate::clock::format_cart_time;
use crate::config::DateDisplay;
use crate::seed::{parse_iso_date, ModifierType, ProductSeed, ProductType};

/// Money rounded to cents, as BigCommerce returns it.
pub fn money(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// A money value as BigCommerce writes it: whole amounts as integers (`0`, not `0.0`).
pub fn amount(value: f64) -> Value {
    let value = money(value);
    if value.fract() == 0.0 && value.abs() < 1e12 {
        json!(value as i64)
    } else {
        json!(value)
    }
}

/// Prices of one line: (original, list/sale unit price).
pub(super) fn unit_prices(product: Option<&ProductSeed>, item: &LineItem) -> (f64, f64) {
    let Some(product) = product else {
        return (0.0, item.list_price_override.unwrap_or(0.0));
    };
    let variant = product.variant(item.variant_id);
    let original = variant.map_or(product.price, |v| product.variant_price(v));
    let list = variant.map_or(original, |v| product.unit_list_price(v));
    (original, item.list_price_override.unwrap_or(list))
}

/// Unit price a shopper pays for a line (used by the hosted pages and orders too).
pub fn unit_price(catalog: &Catalog, item: &LineItem) -> f64 {
    money(unit_prices(catalog.product(item.product_id), item).1)
}

/// Display name of a line.
pub fn item_name(catalog: &Catalog, item: &LineItem) -> String {
    item.name_override.clone().unwrap_or_else(|| {
        catalog.product(item.product_id).map_or_else(
            || format!("Product {}", item.product_id),
            |p| p.name.clone(),
        )
    })
}

/// The cart total (`cart_amount`): after discounts and coupons.
pub fn cart_amount(catalog: &Catalog, cart: &Cart) -> f64 {
    price(catalog, cart).cart_amount
}

/// Image URL of a product: the seed's, or the sandbox's own SVG placeholder.
pub fn image_url(product: &ProductSeed, public_url: &str) -> String {
    product
        .image_url
        .clone()
        .unwrap_or_else(|| format!("{public_url}/__sandbox/images/{}.svg", product.id))
}

/// One line; `options` (shown with dates as it says) when the options are included.
fn render_item(
    catalog: &Catalog,
    item: &LineItem,
    priced: &LinePricing,
    public_url: &str,
    options: Option<DateDisplay>,
) -> (bool, Value) {
    let product = catalog.product(item.product_id);
    let digital = product.is_some_and(|p| p.kind == ProductType::Digital);
    let sku = product
        .and_then(|p| p.variant(item.variant_id))
        .map_or_else(String::new, |v| v.sku.clone());
    let (url, image) = product.map_or_else(
        || (String::new(), String::new()),
        |p| {
            (
                format!("{public_url}/{}/", p.slug),
                image_url(p, public_url),
            )
        },
    );
    let mut v = json!({
        "id": item.id,
        "parent_id": null,
        "variant_id": item.variant_id,
        "product_id": item.product_id,
        "sku": sku,
        "name": item_name(catalog, item),
        "url": url,
        "quantity": item.quantity,
        "taxable": true,
        "image_url": image,
        "discounts": priced.discounts.iter()
            .map(|(id, amount)| json!({"id": id, "discounted_amount": amount}))
            .collect::<Vec<_>>(),
        // The spec types it "number or array"; the Checkouts examples show `[]` without a
        // coupon and the coupon amount with one.
        "coupons": if priced.coupon_amount > 0.0 { json!(priced.coupon_amount) } else { json!([]) },
        "discount_amount": amount(priced.discount_amount),
        "coupon_amount": amount(priced.coupon_amount),
        "original_price": priced.original,
        "list_price": priced.list,
        "sale_price": priced.sale,
        "extended_list_price": priced.extended_list,
        "extended_sale_price": priced.extended_sale,
        "is_mutable": !item.is_gift(),
        "added_by_promotion": item.is_gift(),
    });
    if let Some(obj) = v.as_object_mut() {
        if digital {
            insert_digital_fields(obj, public_url, item);
        } else {
            obj.insert("is_require_shipping".to_owned(), Value::Bool(true));
            obj.insert("gift_wrapping".to_owned(), Value::Null);
        }
        if let Some(dates) = options {
            let options: Vec<Value> = item
                .options
                .iter()
                .map(|o| {
                    let is_date = product.is_some_and(|p| {
                        p.modifiers
                            .iter()
                            .any(|m| m.id == o.name_id && m.kind == ModifierType::Date)
                    });
                    let value = if is_date && o.value_id.is_none() {
                        show_date(&o.value, dates)
                    } else {
                        o.value.clone()
                    };
                    json!({"name": o.name, "nameId": o.name_id, "value": value,
                           "valueId": o.value_id})
                })
                .collect();
            obj.insert("options".to_owned(), Value::Array(options));
        }
    }
    (digital, v)
}

/// A date modifier's value (kept as `YYYY-MM-DD`) as `display` shows it.
fn show_date(iso: &str, display: DateDisplay) -> String {
    let Some(date) = parse_iso_date(iso) else {
        return iso.to_owned();
    };
    match display {
        DateDisplay::Iso => iso.to_owned(),
        DateDisplay::Formatted => {
            let day = date.day();
            let suffix = match (day % 10, day) {
                (_, 11..=13) => "th",
                (1, _) => "st",
                (2, _) => "nd",
                (3, _) => "rd",
                _ => "th",
            };
            let month = date.month().to_string();
            format!("{} {day}{suffix} {}", &month[..3], date.year())
        }
    }
}

fn insert_digital_fields(obj: &mut Map<String, Value>, public_url: &str, item: &LineItem) {
    obj.insert("download_file_urls".to_owned(), json!([]));
    obj.insert(
        "download_page_url".to_owned(),
        Value::String(format!(
            "{public_url}/account.php?action=download_item&item={}",
            item.id
        )),
    );
    obj.insert(
        "download_size".to_owned(),
        Value::String("1.2 MB".to_owned()),
    );
}

/// Which optional parts of the cart to render, and how.
#[derive(Debug, Clone, Copy, Default)]
pub struct Includes {
    pub physical_options: bool,
    pub digital_options: bool,
    pub redirect_urls: bool,
    pub promotions: bool,
    /// How a date modifier's value shows in `options[]` (not an `include`: a setting).
    pub date_display: DateDisplay,
}

impl Includes {
    /// Parses BigCommerce's comma-separated `include` query value.
    pub fn parse(include: Option<&str>) -> Self {
        let mut inc = Self::default();
        for part in include.unwrap_or("").split(',').map(str::trim) {
            match part {
                "line_items.physical_items.options" => inc.physical_options = true,
                "line_items.digital_items.options" => inc.digital_options = true,
                "redirect_urls" => inc.redirect_urls = true,
                "promotions.banners" => inc.promotions = true,
                _ => {}
            }
        }
        inc
    }
}

/// The cart object as BigCommerce renders it (without `redirect_urls`; the API adds those).
pub fn render_cart(catalog: &Catalog, cart: &Cart, public_url: &str, inc: Includes) -> Value {
    let pricing = price(catalog, cart);
    let mut physical = Vec::new();
    let mut digital = Vec::new();
    for (item, priced) in cart.items.iter().zip(&pricing.lines) {
        let with_options = {
            let is_digital = catalog
                .product(item.product_id)
                .is_some_and(|p| p.kind == ProductType::Digital);
            if is_digital {
                inc.digital_options
            } else {
                inc.physical_options
            }
        };
        let options = with_options.then_some(inc.date_display);
        let (is_digital, v) = render_item(catalog, item, priced, public_url, options);
        if is_digital {
            digital.push(v);
        } else {
            physical.push(v);
        }
    }
    let mut v = json!({
        "id": cart.id,
        "customer_id": cart.customer_id,
        "channel_id": cart.channel_id,
        "email": cart.email,
        "currency": {"code": cart.currency},
        "tax_included": false,
        "base_amount": pricing.base_amount,
        "discount_amount": amount(pricing.order_discount),
        "manual_discount_amount": 0,
        "cart_amount": pricing.cart_amount,
        "coupons": pricing.coupons.iter().map(|c| json!({
            "id": c.seed.id.to_string(),
            "code": c.seed.code,
            "coupon_type": c.seed.kind.number(),
            "display_name": c.seed.name,
            "discounted_amount": c.amount,
        })).collect::<Vec<_>>(),
        "discounts": cart_discounts(&pricing),
        "line_items": {
            "physical_items": physical,
            "digital_items": digital,
            "gift_certificates": cart.gift_certificates.iter().map(render_gift_certificate).collect::<Vec<_>>(),
            "custom_items": cart.custom_items.iter().map(render_custom_item).collect::<Vec<_>>(),
        },
        "created_time": format_cart_time(cart.created),
        "updated_time": format_cart_time(cart.updated),
        "locale": cart.locale,
        "version": cart.version,
    });
    if inc.promotions {
        // The carts spec types `banners` as one object but describes a list; a list is what
        // the Checkouts spec and its example show, so the sandbox sends a list.
        v["promotions"] = json!({"banners": banner_list(catalog, cart, &pricing)});
    }
    v
}

/// The cart's banners as BigCommerce renders them.
pub fn banner_list(catalog: &Catalog, cart: &Cart, pricing: &Pricing<'_>) -> Vec<Value> {
    banners(catalog, cart, pricing)
        .into_iter()
        .map(|b| json!({"id": b.id, "type": b.kind, "page": b.page, "text": b.text}))
        .collect()
}

/// The cart-level `discounts[]`: one per promotion (its id) and `"coupon"` for the coupons,
/// as the Carts spec's example shows.
fn cart_discounts(pricing: &Pricing<'_>) -> Vec<Value> {
    let mut out: Vec<Value> = pricing
        .promotion_discounts()
        .into_iter()
        .map(|(id, amount)| json!({"id": id, "discounted_amount": amount}))
        .collect();
    let coupons = pricing.coupons_total();
    if coupons > 0.0 {
        out.push(json!({"id": "coupon", "discounted_amount": coupons}));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_show_as_configured() {
        assert_eq!(show_date("2026-12-24", DateDisplay::Iso), "2026-12-24");
        let formatted = |iso| show_date(iso, DateDisplay::Formatted);
        assert_eq!(formatted("2026-12-24"), "Dec 24th 2026");
        assert_eq!(formatted("2027-02-01"), "Feb 1st 2027");
        assert_eq!(formatted("2027-03-22"), "Mar 22nd 2027");
        assert_eq!(formatted("2027-05-13"), "May 13th 2027");
        assert_eq!(formatted("2027-06-03"), "Jun 3rd 2027");
    }
}
