//! The cart as the storefront sees it: a flat list of lines, amounts, and no BigCommerce ids
//! beyond line-item ids (a browser never needs the cart id, and never gets it).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A shopper's cart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Cart {
    pub currency: CartCurrency,
    /// Sum of line items before cart-level discounts, coupons and tax.
    pub base_amount: f64,
    /// Order-level discounts.
    pub discount_amount: f64,
    /// What the shopper pays for the items: after discounts and coupons.
    pub cart_amount: f64,
    pub tax_included: bool,
    /// Sum of the quantities of all lines.
    pub item_count: u64,
    pub line_items: Vec<CartLineItem>,
    pub coupons: Vec<Coupon>,
    /// When BigCommerce last changed the cart (ISO 8601).
    pub updated_time: String,
    /// BigCommerce's count of changes to the cart (0 where it does not say).
    #[serde(default)]
    pub version: i64,
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
    /// Unit price before discounts.
    pub list_price: f64,
    /// Unit price after discounts, before tax.
    pub sale_price: f64,
    pub extended_list_price: f64,
    pub extended_sale_price: f64,
    pub options: Vec<LineItemOption>,
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Coupon {
    pub code: String,
    pub display_name: Option<String>,
    pub discounted_amount: f64,
}

impl Cart {
    pub fn line(&self, id: &str) -> Option<&CartLineItem> {
        self.line_items.iter().find(|line| line.id == id)
    }
}
