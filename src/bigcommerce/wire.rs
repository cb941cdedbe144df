//! BigCommerce's wire format for carts: what we send and what comes back, and its translation
//! into our `Cart`. Private to the client: the rest of the service sees `StoreCart` only.

use serde::{Deserialize, Serialize};
use serde_aux::field_attributes::deserialize_number_from_string;
use serde_json::json;

use super::banners::cart_banners;
use super::carts::{Echoes, StoreCart};
use super::BigCommerceError;
use crate::domain::{
    Cart, CartCurrency, CartId, CartLineItem, CartTotals, Coupon, LineItemOption, LineItemType,
    NewLineItem, OptionSelection, OptionValue,
};

/// The spec's date form, `{"day":"01","month":"02","year":"2020"}` (a Unix timestamp would
/// carry a time zone question a calendar date does not).
fn wire_date(date: time::Date) -> serde_json::Value {
    json!({
        "day": format!("{:02}", date.day()),
        "month": format!("{:02}", u8::from(date.month())),
        "year": format!("{:04}", date.year()),
    })
}

/// Option selections as BigCommerce takes them.
pub(super) fn wire_selections(selections: &[OptionSelection]) -> Vec<WireOptionSelection> {
    selections
        .iter()
        .map(|selection| WireOptionSelection {
            option_id: selection.option_id,
            option_value: match &selection.option_value {
                OptionValue::ValueId(id) => json!(id),
                OptionValue::Text(text) => json!(text),
                OptionValue::Date(date) => wire_date(*date),
            },
        })
        .collect()
}

pub(super) fn wire_line_items(items: &[NewLineItem]) -> Vec<WireNewLineItem> {
    items
        .iter()
        .map(|item| WireNewLineItem {
            product_id: item.product_id.get(),
            variant_id: item.variant_id.map(|id| id.get()),
            quantity: item.quantity.get(),
            option_selections: wire_selections(&item.option_selections),
        })
        .collect()
}

#[derive(Serialize)]
pub(super) struct WireNewLineItem {
    product_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    variant_id: Option<i64>,
    quantity: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    option_selections: Vec<WireOptionSelection>,
}

#[derive(Serialize)]
pub(super) struct WireOptionSelection {
    option_id: i64,
    option_value: serde_json::Value,
}

#[derive(Deserialize)]
pub(super) struct Envelope<T> {
    pub data: T,
}

/// A cart as the Carts API sends it, or as the `cart` of a checkout (which has
/// `cart_amount_inc_tax`/`_ex_tax` instead of `cart_amount`, and no `version` or
/// `promotions` of its own).
#[derive(Deserialize)]
pub(super) struct WireCart {
    id: String,
    #[serde(default)]
    customer_id: i64,
    currency: WireCurrency,
    #[serde(default)]
    tax_included: bool,
    base_amount: f64,
    #[serde(default)]
    discount_amount: f64,
    #[serde(default)]
    cart_amount: Option<f64>,
    #[serde(default)]
    cart_amount_inc_tax: Option<f64>,
    #[serde(default)]
    cart_amount_ex_tax: Option<f64>,
    #[serde(default)]
    coupons: Vec<WireCoupon>,
    line_items: WireLineItems,
    #[serde(default)]
    updated_time: String,
    #[serde(default)]
    pub(super) version: Option<i64>,
    /// Only with `include=promotions.banners`; its shape varies (see `banners`).
    #[serde(default)]
    pub(super) promotions: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct WireCurrency {
    code: String,
}

#[derive(Deserialize)]
struct WireCoupon {
    code: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    discounted_amount: f64,
}

impl From<WireCoupon> for Coupon {
    fn from(coupon: WireCoupon) -> Self {
        Coupon {
            name: coupon
                .display_name
                .filter(|name| !name.trim().is_empty())
                .unwrap_or_else(|| coupon.code.clone()),
            code: coupon.code,
            amount: coupon.discounted_amount,
        }
    }
}

#[derive(Deserialize, Default)]
struct WireLineItems {
    #[serde(default)]
    physical_items: Vec<WireItem>,
    #[serde(default)]
    digital_items: Vec<WireItem>,
    #[serde(default)]
    custom_items: Vec<WireCustomItem>,
    #[serde(default)]
    gift_certificates: Vec<WireGiftCertificate>,
}

#[derive(Deserialize)]
struct WireItem {
    id: String,
    #[serde(default)]
    product_id: Option<i64>,
    #[serde(default)]
    variant_id: Option<i64>,
    #[serde(default)]
    sku: Option<String>,
    name: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    image_url: Option<String>,
    quantity: u64,
    #[serde(default)]
    original_price: Option<f64>,
    list_price: f64,
    sale_price: f64,
    extended_list_price: f64,
    extended_sale_price: f64,
    #[serde(default)]
    discount_amount: f64,
    #[serde(default)]
    coupon_amount: f64,
    /// `false` for lines the shopper cannot change, such as those added by promotions.
    #[serde(default)]
    is_mutable: Option<bool>,
    #[serde(default)]
    added_by_promotion: bool,
    #[serde(default)]
    options: Vec<WireItemOption>,
}

#[derive(Deserialize)]
struct WireItemOption {
    name: String,
    value: serde_json::Value,
    #[serde(default, rename = "nameId")]
    name_id: Option<i64>,
    #[serde(default, rename = "valueId")]
    value_id: Option<i64>,
}

// The spec types custom items' numbers as strings; real answers use numbers. Accept both.
#[derive(Deserialize)]
struct WireCustomItem {
    id: String,
    #[serde(default)]
    sku: Option<String>,
    name: String,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    quantity: u64,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    list_price: f64,
    #[serde(default)]
    image_url: Option<String>,
}

#[derive(Deserialize)]
struct WireGiftCertificate {
    id: String,
    name: String,
    amount: f64,
    #[serde(default = "one")]
    quantity: u64,
}

fn one() -> u64 {
    1
}

impl TryFrom<WireCart> for StoreCart {
    type Error = BigCommerceError;

    fn try_from(wire: WireCart) -> Result<Self, Self::Error> {
        let id = CartId::parse(&wire.id).map_err(|e| {
            BigCommerceError::Unexpected(anyhow::anyhow!(
                "BigCommerce sent a cart id that is not a UUID: {e}"
            ))
        })?;
        let items = wire.line_items;
        let mut line_items = Vec::new();
        line_items.extend(
            items
                .physical_items
                .into_iter()
                .map(|i| i.into_line(LineItemType::Physical)),
        );
        line_items.extend(
            items
                .digital_items
                .into_iter()
                .map(|i| i.into_line(LineItemType::Digital)),
        );
        line_items.extend(items.custom_items.into_iter().map(|item| CartLineItem {
            id: item.id,
            item_type: LineItemType::Custom,
            product_id: None,
            variant_id: None,
            sku: item.sku,
            name: item.name,
            url: None,
            image_url: item.image_url,
            quantity: item.quantity,
            original_price: None,
            list_price: item.list_price,
            sale_price: item.list_price,
            extended_list_price: item.list_price * item.quantity as f64,
            extended_sale_price: item.list_price * item.quantity as f64,
            discount_amount: 0.0,
            coupon_amount: 0.0,
            added_by_promotion: false,
            problems: Vec::new(),
            options: Vec::new(),
        }));
        line_items.extend(
            items
                .gift_certificates
                .into_iter()
                .map(|gift| CartLineItem {
                    id: gift.id,
                    item_type: LineItemType::GiftCertificate,
                    product_id: None,
                    variant_id: None,
                    sku: None,
                    name: gift.name,
                    url: None,
                    image_url: None,
                    quantity: gift.quantity,
                    original_price: None,
                    list_price: gift.amount,
                    sale_price: gift.amount,
                    extended_list_price: gift.amount * gift.quantity as f64,
                    extended_sale_price: gift.amount * gift.quantity as f64,
                    discount_amount: 0.0,
                    coupon_amount: 0.0,
                    added_by_promotion: false,
                    problems: Vec::new(),
                    options: Vec::new(),
                }),
        );
        // A checkout's cart has the amount with and without tax: the cart's own figure is
        // without (prices exclude tax unless `tax_included`; tax is the checkout's).
        let cart_amount = wire
            .cart_amount
            .or(if wire.tax_included {
                wire.cart_amount_inc_tax
            } else {
                wire.cart_amount_ex_tax
            })
            .or(wire.cart_amount_inc_tax)
            .or(wire.cart_amount_ex_tax)
            .ok_or_else(|| {
                BigCommerceError::Unexpected(anyhow::anyhow!(
                    "BigCommerce sent a cart without an amount"
                ))
            })?;
        let coupons: Vec<Coupon> = wire.coupons.into_iter().map(Coupon::from).collect();
        let totals = CartTotals::of_cart(
            wire.base_amount,
            wire.discount_amount,
            cart_amount,
            &line_items,
            &coupons,
        );
        let cart = Cart {
            currency: CartCurrency {
                code: wire.currency.code,
            },
            base_amount: wire.base_amount,
            discount_amount: wire.discount_amount,
            cart_amount,
            tax_included: wire.tax_included,
            item_count: line_items.iter().map(|line| line.quantity).sum(),
            line_items,
            coupons,
            promotions: cart_banners(wire.promotions.as_ref()),
            totals,
            updated_time: wire.updated_time,
            version: wire.version.unwrap_or(0),
            note: None,
            shipping: None,
            checkout: None,
        };
        Ok(StoreCart {
            id,
            customer_id: wire.customer_id,
            version: wire.version.unwrap_or(0),
            cart,
            echoes: Echoes::default(),
            // The time the call was sent is the client's to set (`Answer::cart`).
            requested_at: time::OffsetDateTime::now_utc(),
        })
    }
}

impl WireItem {
    fn into_line(self, item_type: LineItemType) -> CartLineItem {
        CartLineItem {
            id: self.id,
            item_type,
            product_id: self.product_id,
            variant_id: self.variant_id,
            sku: self.sku,
            name: self.name,
            url: self.url,
            image_url: self.image_url,
            quantity: self.quantity,
            original_price: self.original_price,
            list_price: self.list_price,
            sale_price: self.sale_price,
            extended_list_price: self.extended_list_price,
            extended_sale_price: self.extended_sale_price,
            discount_amount: self.discount_amount,
            coupon_amount: self.coupon_amount,
            added_by_promotion: self.added_by_promotion || self.is_mutable == Some(false),
            problems: Vec::new(),
            options: self
                .options
                .into_iter()
                .map(|option| LineItemOption {
                    name: option.name,
                    value: match option.value {
                        serde_json::Value::String(text) => text,
                        other => other.to_string(),
                    },
                    option_id: option.name_id,
                    option_value_id: option.value_id,
                })
                .collect(),
        }
    }
}
