//! Cart lines that are not catalog products: custom items (`custom_items[]`, any name and
//! price, never updatable) and gift certificates (`gift_certificates[]`), checked with the
//! rules of `reference/carts.v3.yml` and rendered as its response items.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::errors::CartError;
use super::render::money;

/// Gift-certificate themes BigCommerce accepts.
const THEMES: [&str; 6] = [
    "Birthday",
    "Boy",
    "Celebration",
    "Christmas",
    "General",
    "Girl",
];

/// A custom item as requested; unknown fields are ignored.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct CustomItemInput {
    pub sku: Option<String>,
    pub name: Option<String>,
    pub quantity: Option<i64>,
    pub list_price: Option<f64>,
    pub image_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct PartyInput {
    pub name: Option<String>,
    pub email: Option<String>,
}

/// A gift certificate as requested.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct GiftCertificateInput {
    pub name: Option<String>,
    pub theme: Option<String>,
    pub amount: Option<f64>,
    pub quantity: Option<i64>,
    pub sender: Option<PartyInput>,
    pub recipient: Option<PartyInput>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CustomItem {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub quantity: u32,
    pub list_price: f64,
    pub image_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Party {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GiftCertificate {
    pub id: Uuid,
    pub name: String,
    pub theme: String,
    pub amount: f64,
    pub quantity: u32,
    pub sender: Party,
    pub recipient: Party,
    pub message: Option<String>,
}

fn invalid(field: String, why: &str) -> CartError {
    let mut errors = BTreeMap::new();
    errors.insert(field, why.to_owned());
    CartError::Unprocessable {
        title: "JSON data is missing or is invalid".to_owned(),
        errors: Some(errors),
    }
}

fn quantity(raw: Option<i64>, field: String) -> Result<u32, CartError> {
    let q = raw.ok_or_else(|| invalid(field.clone(), "error.path.missing"))?;
    u32::try_from(q)
        .ok()
        .filter(|q| *q >= 1 && i64::from(*q) <= i64::from(i32::MAX))
        .ok_or_else(|| invalid(field, "must be at least 1"))
}

fn text(raw: Option<&str>, field: String, max: usize) -> Result<String, CartError> {
    let text = raw.map(str::trim).unwrap_or("");
    if text.is_empty() {
        return Err(invalid(field, "error.path.missing"));
    }
    if text.chars().count() > max {
        return Err(invalid(field, "too long"));
    }
    Ok(text.to_owned())
}

/// Checks one `custom_items[index]`.
pub fn resolve_custom_item(input: &CustomItemInput, index: usize) -> Result<CustomItem, CartError> {
    let at = |f: &str| format!("custom_items.{index}.{f}");
    let list_price = input
        .list_price
        .ok_or_else(|| invalid(at("list_price"), "error.path.missing"))?;
    if !list_price.is_finite() || list_price < 0.0 {
        return Err(invalid(at("list_price"), "must be 0 or more"));
    }
    Ok(CustomItem {
        id: Uuid::new_v4(),
        sku: input.sku.clone().unwrap_or_default(),
        name: text(input.name.as_deref(), at("name"), 250)?,
        quantity: quantity(input.quantity, at("quantity"))?,
        list_price,
        image_url: input.image_url.clone().filter(|u| !u.trim().is_empty()),
    })
}

fn party(input: Option<&PartyInput>, field: String) -> Result<Party, CartError> {
    let input = input.ok_or_else(|| invalid(field.clone(), "error.path.missing"))?;
    let email = text(input.email.as_deref(), format!("{field}.email"), 255)?;
    if !email.contains('@') {
        return Err(invalid(format!("{field}.email"), "not an e-mail address"));
    }
    Ok(Party {
        name: text(input.name.as_deref(), format!("{field}.name"), 255)?,
        email,
    })
}

/// Checks one `gift_certificates[index]`: theme from the list, amount 1–1000, message ≤ 200.
pub fn resolve_gift_certificate(
    input: &GiftCertificateInput,
    index: usize,
) -> Result<GiftCertificate, CartError> {
    let at = |f: &str| format!("gift_certificates.{index}.{f}");
    let theme = input.theme.clone().unwrap_or_default();
    if !THEMES.contains(&theme.as_str()) {
        return Err(invalid(
            at("theme"),
            "must be one of Birthday, Boy, Celebration, Christmas, General, Girl",
        ));
    }
    let amount = input.amount.unwrap_or(0.0);
    if !(1.0..=1000.0).contains(&amount) {
        return Err(invalid(at("amount"), "must be between 1 and 1000"));
    }
    let message = input.message.clone().filter(|m| !m.trim().is_empty());
    if message.as_ref().is_some_and(|m| m.chars().count() > 200) {
        return Err(invalid(at("message"), "at most 200 characters"));
    }
    Ok(GiftCertificate {
        id: Uuid::new_v4(),
        name: text(input.name.as_deref(), at("name"), 255)?,
        theme,
        amount,
        quantity: quantity(input.quantity, at("quantity"))?,
        sender: party(input.sender.as_ref(), at("sender"))?,
        recipient: party(input.recipient.as_ref(), at("recipient"))?,
        message,
    })
}

pub fn render_custom_item(item: &CustomItem) -> Value {
    json!({"id": item.id, "sku": item.sku, "name": item.name, "quantity": item.quantity,
           "list_price": money(item.list_price),
           "extended_list_price": money(item.list_price * f64::from(item.quantity)),
           "image_url": item.image_url.clone().unwrap_or_default()})
}

pub fn render_gift_certificate(gift: &GiftCertificate) -> Value {
    json!({"id": gift.id, "name": gift.name, "theme": gift.theme, "amount": money(gift.amount),
           "quantity": gift.quantity, "taxable": false,
           "sender": {"name": gift.sender.name, "email": gift.sender.email},
           "recipient": {"name": gift.recipient.name, "email": gift.recipient.email},
           "message": gift.message.clone().unwrap_or_default()})
}
