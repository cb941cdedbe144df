//! BigCommerce's wire format for carts: what we send and what comes back, and its translation
//! into our `Cart`. Private to the client: the rest of the service sees `StoreCart` only.

use serde::{Deserialize, Serialize};
use serde_aux::field_attributes::deserialize_number_from_string;
use serde_json::json;

use super::carts::{Echoes, StoreCart};
use super::BigCommerceError;
use crate::domain::{
    Cart, CartCurrency, CartId, CartLineItem, Coupon, LineItemOption, LineItemType, NewLineItem,
    OptionSelection, OptionValue,
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
    cart_amount: f64,
    #[serde(default)]
    coupons: Vec<WireCoupon>,
    line_items: WireLineItems,
    #[serde(default)]
    updated_time: String,
    #[serde(default)]
    version: Option<i64>,
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
    list_price: f64,
    sale_price: f64,
    extended_list_price: f64,
    extended_sale_price: f64,
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
            list_price: item.list_price,
            sale_price: item.list_price,
            extended_list_price: item.list_price * item.quantity as f64,
            extended_sale_price: item.list_price * item.quantity as f64,
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
                    list_price: gift.amount,
                    sale_price: gift.amount,
                    extended_list_price: gift.amount * gift.quantity as f64,
                    extended_sale_price: gift.amount * gift.quantity as f64,
                    options: Vec::new(),
                }),
        );
        let cart = Cart {
            currency: CartCurrency {
                code: wire.currency.code,
            },
            base_amount: wire.base_amount,
            discount_amount: wire.discount_amount,
            cart_amount: wire.cart_amount,
            tax_included: wire.tax_included,
            item_count: line_items.iter().map(|line| line.quantity).sum(),
            line_items,
            coupons: wire
                .coupons
                .into_iter()
                .map(|coupon| Coupon {
                    code: coupon.code,
                    display_name: coupon.display_name,
                    discounted_amount: coupon.discounted_amount,
                })
                .collect(),
            updated_time: wire.updated_time,
            version: wire.version.unwrap_or(0),
        };
        Ok(StoreCart {
            id,
            customer_id: wire.customer_id,
            version: wire.version.unwrap_or(0),
            cart,
            echoes: Echoes::default(),
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
            list_price: self.list_price,
            sale_price: self.sale_price,
            extended_list_price: self.extended_list_price,
            extended_sale_price: self.extended_sale_price,
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
