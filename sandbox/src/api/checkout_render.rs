//! The checkout's own fields around its cart: `consignments` (with
//! `available_shipping_options` only when `include=consignments.available_shipping_options`
//! asks for them), `taxes`, the shipping, tax and grand totals, and `customer_message`
//! (`Checkout`, `reference/checkouts.v3.yml`; the end-to-end guide's answers for the shapes).

use serde_json::{json, Map, Value};

use crate::state::carts::Cart;
use crate::state::catalog::Catalog;
use crate::state::checkout::{quote, Address, CheckoutQuote, OptionQuote};
use crate::state::render::amount;

/// One option as BigCommerce renders it.
fn render_option(option: &OptionQuote) -> Value {
    json!({
        "id": option.id,
        "type": option.kind,
        "description": option.description,
        "image_url": "",
        "cost": amount(option.cost),
        "transit_time": option.transit_time,
        "additional_description": "",
    })
}

/// An address as the answers show it: every field, `""` when not given.
fn render_address(address: &Address) -> Value {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    json!({
        "first_name": text(&address.first_name),
        "last_name": text(&address.last_name),
        "email": text(&address.email),
        "company": text(&address.company),
        "address1": text(&address.address1),
        "address2": text(&address.address2),
        "city": text(&address.city),
        "state_or_province": text(&address.state_or_province),
        "state_or_province_code": text(&address.state_or_province_code),
        "country_code": text(&address.country_code),
        "postal_code": text(&address.postal_code),
        "phone": text(&address.phone),
        "custom_fields": [],
    })
}

/// The checkout fields beyond `cart`, merged into `data`. `before_discounts` reports shipping
/// costs before free-shipping promotions (`behaviours.shipping_cost_before_discounts`).
pub fn insert_checkout_fields(
    data: &mut Map<String, Value>,
    catalog: &Catalog,
    cart: &Cart,
    with_options: bool,
    before_discounts: bool,
) {
    let quoted: CheckoutQuote = quote(catalog, cart);
    let consignments: Vec<Value> = cart
        .checkout
        .consignments
        .iter()
        .zip(&quoted.consignments)
        .map(|(consignment, q)| {
            let address = render_address(&consignment.address);
            let chosen = q.selected.as_ref();
            let charged = chosen.map_or(0.0, |o| o.cost);
            let listed = chosen.map_or(0.0, |o| o.list_cost);
            let cost = if before_discounts { listed } else { charged };
            let discounts: Vec<Value> = chosen
                .and_then(|o| o.free_by.as_ref())
                .map(|id| json!({"id": id}))
                .into_iter()
                .collect();
            let mut v = json!({
                "id": consignment.id,
                "shipping_cost_inc_tax": amount(cost),
                "shipping_cost_ex_tax": amount(cost),
                "handling_cost_inc_tax": 0,
                "handling_cost_ex_tax": 0,
                "coupon_discounts": [],
                "discounts": discounts,
                "line_item_ids": consignment.lines,
                "shipping_address": address.clone(),
                "address": address,
            });
            if let Some(obj) = v.as_object_mut() {
                if let Some(option) = chosen {
                    obj.insert("selected_shipping_option".to_owned(), render_option(option));
                }
                if with_options {
                    let options: Vec<Value> = q.options.iter().map(render_option).collect();
                    obj.insert("available_shipping_options".to_owned(), json!(options));
                }
            }
            v
        })
        .collect();
    let shipping = if before_discounts {
        quoted.shipping_list_total
    } else {
        quoted.shipping_total
    };
    let taxes: Vec<Value> = quoted
        .tax
        .iter()
        .map(|(name, tax)| json!({"name": name, "amount": amount(*tax)}))
        .collect();
    let fields = [
        ("consignments", json!(consignments)),
        ("taxes", json!(taxes)),
        ("shipping_cost_total_inc_tax", amount(shipping)),
        ("shipping_cost_total_ex_tax", amount(shipping)),
        ("tax_total", amount(quoted.tax_total)),
        ("grand_total", amount(quoted.grand_total)),
        ("customer_message", json!(cart.checkout.customer_message)),
    ];
    for (key, value) in fields {
        data.insert(key.to_owned(), value);
    }
    // Prices exclude tax: the cart's amount with tax adds the items' tax.
    if let Some(cart_json) = data.get_mut("cart").and_then(Value::as_object_mut) {
        cart_json.insert(
            "cart_amount_inc_tax".to_owned(),
            amount(quoted.cart_amount + quoted.items_tax),
        );
    }
}
