//! A checkout as the Checkouts API sends it (`data` of every checkout call), and its
//! translation into the cart we show: the checkout's cart, plus the facts only a checkout
//! knows (consignments, taxes, totals, the customer message) as `CheckoutFacts`.

use serde::Deserialize;
use serde_aux::field_attributes::deserialize_number_from_string;

use super::carts::StoreCart;
use super::wire::WireCart;
use super::BigCommerceError;
use crate::domain::{CartShipping, CheckoutFacts, ShippingDestination, ShippingOption};

#[derive(Deserialize)]
pub(super) struct WireCheckout {
    cart: WireCart,
    #[serde(default)]
    consignments: Vec<WireConsignment>,
    #[serde(default)]
    tax_total: Option<f64>,
    #[serde(default)]
    handling_cost_total_ex_tax: Option<f64>,
    #[serde(default)]
    grand_total: Option<f64>,
    #[serde(default)]
    customer_message: Option<String>,
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    promotions: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct WireConsignment {
    #[serde(default)]
    id: Option<String>,
    /// The spec's key; `shipping_address` is its deprecated twin (both come back).
    #[serde(default)]
    address: Option<WireAddress>,
    #[serde(default)]
    shipping_address: Option<WireAddress>,
    /// Only with `include=consignments.available_shipping_options` (every call asks for it).
    #[serde(default)]
    available_shipping_options: Option<Vec<WireOption>>,
    #[serde(default)]
    selected_shipping_option: Option<WireOption>,
}

#[derive(Deserialize)]
struct WireAddress {
    #[serde(default)]
    country_code: Option<String>,
    #[serde(default)]
    state_or_province: Option<String>,
    #[serde(default)]
    state_or_province_code: Option<String>,
    #[serde(default)]
    postal_code: Option<String>,
}

#[derive(Deserialize)]
struct WireOption {
    id: String,
    #[serde(default)]
    description: String,
    #[serde(default, deserialize_with = "deserialize_number_from_string")]
    cost: f64,
    #[serde(default)]
    transit_time: Option<String>,
}

impl From<WireOption> for ShippingOption {
    fn from(option: WireOption) -> Self {
        ShippingOption {
            id: option.id,
            description: option.description,
            cost: option.cost,
            transit_time: option.transit_time.filter(|t| !t.trim().is_empty()),
        }
    }
}

/// Text BigCommerce sent, or `None` when it sent none or only spaces.
fn given(text: Option<String>) -> Option<String> {
    text.filter(|t| !t.trim().is_empty())
}

impl WireConsignment {
    /// Shipping as this consignment shows it; `None` without an address.
    fn shipping(self) -> Option<CartShipping> {
        let address = self.address.or(self.shipping_address)?;
        let country_code = given(address.country_code)?;
        Some(CartShipping {
            destination: ShippingDestination {
                country_code,
                state: given(address.state_or_province).or(given(address.state_or_province_code)),
                postal_code: given(address.postal_code),
            },
            options: self
                .available_shipping_options
                .unwrap_or_default()
                .into_iter()
                .map(ShippingOption::from)
                .collect(),
            selected_option_id: self.selected_shipping_option.map(|option| option.id),
            current: true,
        })
    }
}

impl TryFrom<WireCheckout> for StoreCart {
    type Error = BigCommerceError;

    /// The checkout's cart, with the checkout's version and banners, and what only the
    /// checkout knows. Shipping is known once every consignment has a shipping option: what
    /// the chosen options cost (as quoted, so a free-shipping promotion shows as 0 however the
    /// store reports its totals) plus handling. Tax is known once there is a consignment (an
    /// address). The grand total is then the checkout's.
    fn try_from(wire: WireCheckout) -> Result<Self, Self::Error> {
        let mut cart_wire = wire.cart;
        cart_wire.version = wire.version.or(cart_wire.version);
        cart_wire.promotions = wire.promotions.or(cart_wire.promotions);
        let mut store_cart = StoreCart::try_from(cart_wire)?;
        let addressed = !wire.consignments.is_empty();
        let chosen: Option<Vec<f64>> = wire
            .consignments
            .iter()
            .map(|c| c.selected_shipping_option.as_ref().map(|o| o.cost))
            .collect();
        let shipping_total = chosen.filter(|_| addressed).map(|costs| {
            let handling = wire.handling_cost_total_ex_tax.unwrap_or(0.0);
            cents(costs.iter().sum::<f64>() + handling)
        });
        let mut consignments = wire.consignments.into_iter();
        let first = consignments.next();
        let cart = &mut store_cart.cart;
        cart.checkout = Some(CheckoutFacts {
            version: cart.version,
            updated_time: cart.updated_time.clone(),
            note: given(wire.customer_message),
            consignment_id: first.as_ref().and_then(|c| c.id.clone()),
            shipping: first.and_then(WireConsignment::shipping),
            shipping_total,
            tax_total: wire.tax_total.filter(|_| addressed),
            grand_total: wire.grand_total,
        });
        cart.apply_checkout();
        Ok(store_cart)
    }
}

fn cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}
