//! The Checkouts API slice a cart BFF needs: `GET /checkouts/{id}` (the cart id is the
//! checkout id) and coupons, `POST /checkouts/{id}/coupons` and
//! `DELETE /checkouts/{id}/coupons/{code}`, each answering 200 with the checkout
//! (`reference/checkouts.v3.yml`); consignments and the customer message are in
//! `consignments`, the checkout's own fields in `checkout_render`. No billing address or fees:
//! those are empty.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::body::{parse_json, parse_optional_json, query_param};
use super::carts::parse_cart_id;
use super::checkout_render::insert_checkout_fields;
use super::errors::{from_cart_error, ApiError};
use super::response::ApiReply;
use super::Ctx;
use crate::clock::format_cart_time;
use crate::state::carts::Cart;
use crate::state::coupon_ops::checked_code;
use crate::state::errors::CartError;
use crate::state::promotions::price;
use crate::state::render::{banner_list, render_cart, Includes};

/// The Checkouts API's `include` names (`IncludeGeneral`): the cart's options carry a `cart.`
/// prefix there. The spec documents `include` on GET only; the sandbox honours it on the
/// coupon calls too, whose documented answers show `promotions` (unconfirmed). The second
/// value is `consignments.available_shipping_options`.
fn includes(query: &str) -> (Includes, bool) {
    let mut inc = Includes::default();
    let mut shipping_options = false;
    for part in query_param(query, "include").unwrap_or_default().split(',') {
        match part.trim() {
            "cart.line_items.physical_items.options" => inc.physical_options = true,
            "cart.line_items.digital_items.options" => inc.digital_options = true,
            "promotions.banners" => inc.promotions = true,
            "consignments.available_shipping_options" => shipping_options = true,
            _ => {}
        }
    }
    (inc, shipping_options)
}

/// The checkout's `cart`: the Carts API's cart with the Checkouts spec's differences
/// (`cart_amount_inc_tax`/`_ex_tax`, `is_taxable`, `comparison_price`, named coupon types, no
/// `locale`, `version` or `promotions` inside; reference §2.2).
fn checkout_cart(mut cart: Value) -> Value {
    let Some(obj) = cart.as_object_mut() else {
        return cart;
    };
    let amount = obj.remove("cart_amount").unwrap_or(json!(0));
    obj.insert("cart_amount_inc_tax".to_owned(), amount.clone());
    obj.insert("cart_amount_ex_tax".to_owned(), amount);
    for key in ["locale", "version", "manual_discount_amount", "promotions"] {
        obj.remove(key);
    }
    if let Some(items) = obj.get_mut("line_items").and_then(Value::as_object_mut) {
        for kind in ["physical_items", "digital_items"] {
            for item in items
                .get_mut(kind)
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                rename_item_fields(item);
            }
        }
    }
    cart
}

fn rename_item_fields(item: &mut Value) {
    let Some(item) = item.as_object_mut() else {
        return;
    };
    if let Some(taxable) = item.remove("taxable") {
        item.insert("is_taxable".to_owned(), taxable);
    }
    // "The price of a single product used for strike-through": the catalog price.
    let original = item
        .get("original_price")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    let quantity = item.get("quantity").and_then(Value::as_f64).unwrap_or(0.0);
    item.insert("comparison_price".to_owned(), json!(original));
    item.insert(
        "extended_comparison_price".to_owned(),
        json!(crate::state::render::money(original * quantity)),
    );
}

/// Checkout-level coupons: `{code, id (integer), coupon_type (a name), display_name,
/// discounted_amount}` (`AppliedCoupon`, `reference/checkouts.v3.yml`).
fn coupons(ctx: &Ctx<'_>, cart: &Cart) -> Vec<Value> {
    let catalog = ctx.state.catalog();
    price(&catalog, cart)
        .coupons
        .iter()
        .map(|c| {
            json!({"id": c.seed.id, "code": c.seed.code, "coupon_type": c.seed.kind.name(),
                   "display_name": c.seed.name, "discounted_amount": c.amount})
        })
        .collect()
}

/// `{data: checkout, meta: {}}`.
pub fn checkout_envelope(ctx: &Ctx<'_>, cart: &Cart) -> Value {
    let (inc, shipping_options) = includes(ctx.query);
    let catalog = ctx.state.catalog();
    let pricing = price(&catalog, cart);
    let rendered = render_cart(
        &catalog,
        cart,
        &ctx.state.public_url,
        Includes {
            promotions: false,
            redirect_urls: false,
            ..inc
        },
    );
    let mut cart_json = checkout_cart(rendered);
    let checkout_coupons = coupons(ctx, cart);
    if let Some(obj) = cart_json.as_object_mut() {
        obj.insert("coupons".to_owned(), json!(checkout_coupons));
    }
    let mut data: Map<String, Value> = serde_json::from_value(json!({
        "id": cart.id,
        "cart": cart_json,
        "billing_address": {},
        "consignments": [],
        "taxes": [],
        "coupons": checkout_coupons,
        "fees": [],
        "order_id": null,
        "shipping_cost_total_inc_tax": 0,
        "shipping_cost_total_ex_tax": 0,
        "handling_cost_total_inc_tax": 0,
        "handling_cost_total_ex_tax": 0,
        "tax_total": 0,
        // "before applying item-level discounts"
        "subtotal_inc_tax": pricing.base_amount,
        "subtotal_ex_tax": pricing.base_amount,
        "grand_total": pricing.cart_amount,
        "created_time": format_cart_time(cart.created),
        "updated_time": format_cart_time(cart.updated),
        "customer_message": "",
        "version": cart.version,
    }))
    .unwrap_or_default();
    insert_checkout_fields(
        &mut data,
        &catalog,
        cart,
        shipping_options,
        ctx.state.config.behaviours.shipping_cost_before_discounts,
    );
    if inc.promotions {
        data.insert(
            "promotions".to_owned(),
            json!([{"banners": banner_list(&catalog, cart, &pricing)}]),
        );
    }
    json!({"data": data, "meta": {}})
}

/// Checkout calls on a missing cart are 404s in the Checkouts shape.
pub(super) fn checkout_error(ctx: &Ctx<'_>, error: CartError) -> ApiError {
    match error {
        CartError::CartNotFound => ApiError::checkout_not_found(),
        other => from_cart_error(ctx.state, other, false),
    }
}

/// `GET /checkouts/{checkout_id}`.
pub fn get(ctx: &Ctx<'_>, raw_id: &str) -> Result<ApiReply, ApiError> {
    let id = parse_cart_id(ctx.state, raw_id).map_err(|_| ApiError::checkout_not_found())?;
    let cart = ctx
        .state
        .carts
        .get(&id, ctx.state.clock.now())
        .ok_or_else(ApiError::checkout_not_found)?;
    Ok(ApiReply::json(200, checkout_envelope(ctx, &cart)))
}

#[derive(Debug, Deserialize, Default)]
struct CouponBody {
    coupon_code: Option<Value>,
    version: Option<u64>,
}

#[derive(Debug, Deserialize, Default)]
struct VersionBody {
    version: Option<u64>,
}

/// `POST /checkouts/{checkout_id}/coupons` `{"coupon_code", "version"?}`.
pub fn add_coupon(ctx: &Ctx<'_>, raw_id: &str) -> Result<ApiReply, ApiError> {
    let id = parse_cart_id(ctx.state, raw_id).map_err(|_| ApiError::checkout_not_found())?;
    let body: CouponBody = parse_json(ctx.body)?;
    let code = body.coupon_code.as_ref().and_then(Value::as_str);
    let cart = checked_code(code)
        .and_then(|code| ctx.state.apply_coupon(id, code, body.version))
        .map_err(|e| checkout_error(ctx, e))?;
    Ok(ApiReply::json(200, checkout_envelope(ctx, &cart)))
}

/// `DELETE /checkouts/{checkout_id}/coupons/{coupon_code}`: the path carries the code itself,
/// percent-encoded (optional `{"version"}` body).
pub fn delete_coupon(ctx: &Ctx<'_>, raw_id: &str, raw_code: &str) -> Result<ApiReply, ApiError> {
    let id = parse_cart_id(ctx.state, raw_id).map_err(|_| ApiError::checkout_not_found())?;
    let body: VersionBody = parse_optional_json(ctx.body)?;
    let code = percent_decode(raw_code);
    let cart = ctx
        .state
        .remove_coupon(id, &code, body.version)
        .map_err(|e| checkout_error(ctx, e))?;
    Ok(ApiReply::json(200, checkout_envelope(ctx, &cart)))
}

/// `%XX` escapes of a path segment decoded (invalid ones kept as they are).
fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn path_segments_are_percent_decoded() {
        assert_eq!(percent_decode("SAVE10"), "SAVE10");
        assert_eq!(percent_decode("A%2FB%20C"), "A/B C");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
