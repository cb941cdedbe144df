//! The hosted checkout's summary: applied coupons, where the order ships and how (or that no
//! shipping option is chosen yet), the tax, the shopper's note, and the grand total, from the
//! same quote the Checkouts API answers with.

use super::html::{escape, money};
use crate::state::carts::Cart;
use crate::state::checkout::quote;
use crate::state::promotions::price;
use crate::state::AppState;

/// The summary block of the checkout page (safe HTML: every value is escaped).
pub fn checkout_summary(state: &AppState, cart: &Cart) -> String {
    let catalog = state.catalog();
    let pricing = price(&catalog, cart);
    let quoted = quote(&catalog, cart);
    let currency = &cart.currency;
    let mut out = String::from("<section class=\"summary\" aria-label=\"Order summary\">");
    for coupon in &pricing.coupons {
        out.push_str(&format!(
            "<p>Coupon {} ({}): -{}</p>",
            escape(&coupon.seed.code),
            escape(&coupon.seed.name),
            money(currency, coupon.amount)
        ));
    }
    out.push_str(&format!(
        "<p>Items: {}</p>",
        money(currency, pricing.cart_amount)
    ));
    let consignments = cart.checkout.consignments.iter().zip(&quoted.consignments);
    let mut shipped = false;
    for (consignment, q) in consignments {
        shipped = true;
        let address = &consignment.address;
        let place: Vec<&str> = [
            address.city.as_deref(),
            address.state_or_province.as_deref(),
            address.postal_code.as_deref(),
            address.country_code.as_deref(),
        ]
        .into_iter()
        .flatten()
        .filter(|part| !part.trim().is_empty())
        .collect();
        let how = q.selected.as_ref().map_or_else(
            || "no shipping option chosen yet".to_owned(),
            |option| {
                format!(
                    "{} ({})",
                    escape(&option.description),
                    money(currency, option.cost)
                )
            },
        );
        out.push_str(&format!(
            "<p class=\"shipping\">Shipping to {}: {how}</p>",
            escape(&place.join(", "))
        ));
    }
    if !shipped {
        out.push_str("<p class=\"shipping\">Shipping: enter an address</p>");
    }
    match &quoted.tax {
        Some((name, amount)) => out.push_str(&format!(
            "<p class=\"tax\">Tax ({}): {}</p>",
            escape(name),
            money(currency, *amount)
        )),
        None => out.push_str("<p class=\"tax\">Tax: none</p>"),
    }
    if !cart.checkout.customer_message.is_empty() {
        out.push_str(&format!(
            "<p class=\"note\">Note from the shopper: {}</p>",
            escape(&cart.checkout.customer_message)
        ));
    }
    out.push_str(&format!(
        "<p><strong>Total: {}</strong></p></section>",
        money(currency, quoted.grand_total)
    ));
    out
}
