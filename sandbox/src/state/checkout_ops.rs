//! Changing a checkout: consignments (`POST /checkouts/{id}/consignments`, `PUT` and `DELETE
//! …/consignments/{consignmentId}`) and the shopper's message (`PUT /checkouts/{id}`), with
//! the rules of `reference/checkouts.v3.yml` (reference §2.5, §2.6); and what a change of the
//! cart's lines or customer does to consignments. Each change bumps the version once and
//! fires `store/cart/updated`; a refused one changes nothing.

use std::collections::BTreeMap;

use serde::Deserialize;
use uuid::Uuid;

use super::cart_ops::{check_version, missing, unprocessable};
use super::carts::Cart;
use super::catalog::Catalog;
use super::checkout::{options, Address, Consignment};
use super::errors::CartError;
use super::promotions::price;
use super::AppState;
use crate::config::ConsignmentsOnLineChange;
use crate::seed::ProductType;
use crate::webhooks::events::CartEvent;

/// "Limits: 2000 characters for customer message" (`reference/checkouts.v3.yml`, `updateCheckout`).
pub const MAX_CUSTOMER_MESSAGE: usize = 2000;

/// One element of the `POST …/consignments` array; unknown fields are ignored.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct NewConsignmentInput {
    pub address: Option<Address>,
    /// The end-to-end guide's request names the address so; the spec says `address`.
    pub shipping_address: Option<Address>,
    pub line_items: Option<Vec<ConsignmentLineInput>>,
    pub version: Option<u64>,
}

/// `{item_id, quantity}`: a physical line of the cart.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct ConsignmentLineInput {
    pub item_id: Option<String>,
    pub quantity: Option<i64>,
}

/// `PUT …/consignments/{consignmentId}`.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct UpdateConsignmentInput {
    pub address: Option<Address>,
    pub line_items: Option<Vec<ConsignmentLineInput>>,
    pub shipping_option_id: Option<String>,
    pub custom_shipping: Option<serde_json::Value>,
    pub version: Option<u64>,
}

fn invalid(field: String, why: &str) -> CartError {
    let mut errors = BTreeMap::new();
    errors.insert(field, why.to_owned());
    CartError::Unprocessable {
        title: "JSON data is missing or is invalid".to_owned(),
        errors: Some(errors),
    }
}

/// Checks an address: `country_code` (two letters) and, when the store requires it, an
/// `email` (the spec's two required properties).
fn checked_address(address: Option<&Address>, at: &str, email: bool) -> Result<Address, CartError> {
    let address = address.ok_or_else(|| invalid(at.to_owned(), "error.path.missing"))?;
    let country = address.country();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(invalid(format!("{at}.country_code"), "error.path.missing"));
    }
    let has_email = address.email.as_deref().is_some_and(|e| e.contains('@'));
    if email && !has_email {
        return Err(invalid(format!("{at}.email"), "error.path.missing"));
    }
    let mut address = address.clone();
    address.country_code = Some(country.to_ascii_uppercase());
    Ok(address)
}

/// The physical lines a request names, each with its whole quantity (the sandbox assigns
/// whole lines; BigCommerce's split of one line over several consignments is not emulated).
fn checked_lines(
    catalog: &Catalog,
    cart: &Cart,
    lines: Option<&[ConsignmentLineInput]>,
    at: &str,
) -> Result<Vec<Uuid>, CartError> {
    let lines = lines
        .filter(|l| !l.is_empty())
        .ok_or_else(|| invalid(at.to_owned(), "error.path.missing"))?;
    let mut out = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let item = line
            .item_id
            .as_deref()
            .and_then(|id| Uuid::parse_str(id).ok())
            .and_then(|id| cart.items.iter().find(|i| i.id == id))
            .ok_or_else(|| {
                unprocessable(format!(
                    "Line item {} is not in this checkout.",
                    line.item_id.as_deref().unwrap_or_default()
                ))
            })?;
        let digital = catalog
            .product(item.product_id)
            .is_some_and(|p| p.kind == ProductType::Digital);
        if digital {
            return Err(unprocessable(format!(
                "Line item {} does not require shipping.",
                item.id
            )));
        }
        if line.quantity != Some(i64::from(item.quantity)) {
            return Err(invalid(
                format!("{at}.{index}.quantity"),
                "must be the line's quantity",
            ));
        }
        if !out.contains(&item.id) {
            out.push(item.id);
        }
    }
    Ok(out)
}

/// Lines go into `target`; other consignments lose them, and one left empty is removed
/// (unconfirmed: BigCommerce documents neither).
fn take_lines(cart: &mut Cart, lines: &[Uuid], target: &str) {
    for consignment in &mut cart.checkout.consignments {
        if consignment.id != target {
            let before = consignment.lines.len();
            consignment.lines.retain(|l| !lines.contains(l));
            if consignment.lines.len() != before {
                consignment.requote();
            }
        }
    }
    cart.checkout
        .consignments
        .retain(|c| c.id == target || !c.lines.is_empty());
}

/// After a change of the cart's lines, as `behaviours.consignments_on_line_change` says; a
/// consignment left without lines is removed.
pub fn follow_lines(cart: &mut Cart, policy: ConsignmentsOnLineChange) {
    if policy == ConsignmentsOnLineChange::Remove {
        cart.checkout.consignments.clear();
        return;
    }
    let live: Vec<Uuid> = cart.items.iter().map(|i| i.id).collect();
    for consignment in &mut cart.checkout.consignments {
        consignment.lines.retain(|l| live.contains(l));
        if policy == ConsignmentsOnLineChange::Requote {
            consignment.requote();
        }
    }
    cart.checkout.consignments.retain(|c| !c.lines.is_empty());
}

/// A customer change "will remove any promotions or shipping calculations" (`reference/carts.v3.yml`,
/// `PUT /carts/{cartId}`): the consignments go.
pub fn forget_shipping(cart: &mut Cart) {
    cart.checkout.consignments.clear();
}

impl AppState {
    /// Runs a checkout change on cart `id`; its `store/cart/updated` fires once it succeeded.
    fn change_checkout(
        &self,
        id: Uuid,
        change: impl FnOnce(&Catalog, &mut Cart) -> Result<(), CartError>,
    ) -> Result<Cart, CartError> {
        let catalog = self.catalog();
        let now = self.clock.now();
        let cart = self
            .carts
            .update(&id, now, |cart| {
                let mut changed = cart.clone();
                change(&catalog, &mut changed)?;
                *cart = changed;
                cart.touch(now);
                Ok((cart.clone(), false))
            })
            .ok_or(CartError::CartNotFound)??;
        self.fire(vec![CartEvent::Updated { cart_id: id }]);
        Ok(cart)
    }

    /// `POST /checkouts/{id}/consignments`: new consignments, in order.
    pub fn add_consignments(
        &self,
        id: Uuid,
        inputs: &[NewConsignmentInput],
    ) -> Result<Cart, CartError> {
        if inputs.is_empty() {
            return Err(missing("0.address"));
        }
        let email = self.config.behaviours.consignment_email_required;
        self.change_checkout(id, |catalog, cart| {
            for (index, input) in inputs.iter().enumerate() {
                check_version(cart, input.version)?;
                let given = input.address.as_ref().or(input.shipping_address.as_ref());
                let address = checked_address(given, &format!("{index}.address"), email)?;
                let at = format!("{index}.line_items");
                let lines = checked_lines(catalog, cart, input.line_items.as_deref(), &at)?;
                let consignment = Consignment::new(address, lines.clone());
                let new_id = consignment.id.clone();
                cart.checkout.consignments.push(consignment);
                take_lines(cart, &lines, &new_id);
            }
            Ok(())
        })
    }

    /// `PUT /checkouts/{id}/consignments/{consignment_id}`: a new address and lines (a new
    /// quote, the selection cleared), or the shipping option — never both in one request.
    pub fn update_consignment(
        &self,
        id: Uuid,
        consignment_id: &str,
        input: &UpdateConsignmentInput,
    ) -> Result<Cart, CartError> {
        let reshape = input.address.is_some() || input.line_items.is_some();
        if reshape && input.shipping_option_id.is_some() {
            return Err(unprocessable(
                "shipping_option_id has to be updated in a separate request.".to_owned(),
            ));
        }
        if input.custom_shipping.is_some() {
            return Err(unprocessable(
                "custom_shipping is not emulated by the sandbox.".to_owned(),
            ));
        }
        if !reshape && input.shipping_option_id.is_none() {
            return Err(missing("shipping_option_id"));
        }
        let email = self.config.behaviours.consignment_email_required;
        self.change_checkout(id, |catalog, cart| {
            check_version(cart, input.version)?;
            let index = (cart.checkout.consignments.iter())
                .position(|c| c.id == consignment_id)
                .ok_or(CartError::ConsignmentNotFound)?;
            if let Some(option_id) = &input.shipping_option_id {
                let subtotal = price(catalog, cart).items_subtotal;
                let consignment = &mut cart.checkout.consignments[index];
                let chosen = options(catalog, consignment, subtotal)
                    .into_iter()
                    .find(|o| &o.id == option_id)
                    .ok_or_else(|| {
                        unprocessable(format!(
                            "The shipping option {option_id} is not available for this consignment."
                        ))
                    })?;
                consignment.selected = Some(chosen.method_id);
                return Ok(());
            }
            if let Some(address) = &input.address {
                let address = checked_address(Some(address), "address", email)?;
                cart.checkout.consignments[index].address = address;
            }
            if let Some(lines) = &input.line_items {
                let lines = checked_lines(catalog, cart, Some(lines), "line_items")?;
                cart.checkout.consignments[index].lines = lines.clone();
                take_lines(cart, &lines, consignment_id);
            }
            if let Some(consignment) = cart
                .checkout
                .consignments
                .iter_mut()
                .find(|c| c.id == consignment_id)
            {
                consignment.requote();
            }
            Ok(())
        })
    }

    /// `DELETE /checkouts/{id}/consignments/{consignment_id}`.
    pub fn delete_consignment(
        &self,
        id: Uuid,
        consignment_id: &str,
        version: Option<u64>,
    ) -> Result<Cart, CartError> {
        self.change_checkout(id, |_, cart| {
            check_version(cart, version)?;
            let before = cart.checkout.consignments.len();
            cart.checkout
                .consignments
                .retain(|c| c.id != consignment_id);
            if cart.checkout.consignments.len() == before {
                return Err(CartError::ConsignmentNotFound);
            }
            Ok(())
        })
    }

    /// `PUT /checkouts/{id}` `{"customer_message"}`: required, at most 2000 characters.
    pub fn set_customer_message(
        &self,
        id: Uuid,
        message: Option<&str>,
        version: Option<u64>,
    ) -> Result<Cart, CartError> {
        let message = message.ok_or_else(|| missing("customer_message"))?;
        if message.chars().count() > MAX_CUSTOMER_MESSAGE {
            return Err(invalid(
                "customer_message".to_owned(),
                "maximum length is 2000",
            ));
        }
        self.change_checkout(id, |_, cart| {
            check_version(cart, version)?;
            cart.checkout.customer_message = message.to_owned();
            Ok(())
        })
    }
}
