//! Changing and removing one line (`PUT`/`DELETE /carts/{id}/items/{item_id}`), shared by the
//! API and the hosted cart page. Only the quantity (and a price override) of a product line
//! changes; for a product with modifiers the request must describe the line's options in
//! `option_selections` (the spec: "omit variant_id"); custom items cannot be updated.

use uuid::Uuid;

use super::cart_ops::{check_version, missing, unprocessable, ItemChange, UpdateItemInput};
use super::carts::{Cart, LineItem};
use super::catalog::{Catalog, ProductExt};
use super::checkout_ops::follow_lines;
use super::errors::CartError;
use super::line_items::{
    check_limits, check_option_ids, check_quantity, resolve_variant, LineItemInput,
};
use super::modifiers::{resolve_modifiers, MissingRequired};
use super::promotions::settle;
use super::AppState;
use crate::config::ZeroQuantityPolicy;
use crate::webhooks::events::CartEvent;

fn cannot_change_product() -> CartError {
    unprocessable(
        "The product or variant of a line item cannot be changed; delete the item and add it again."
            .to_owned(),
    )
}

/// Checks that the request names the line's product and options as they are.
fn check_same_purchase(
    catalog: &Catalog,
    line: &LineItem,
    input: &UpdateItemInput,
    refuse_variant_id: bool,
) -> Result<(), CartError> {
    let product_id = input
        .product_id
        .ok_or_else(|| missing("line_item.product_id"))?;
    if line.product_id != product_id || input.variant_id.is_some_and(|v| v != line.variant_id) {
        return Err(cannot_change_product());
    }
    let Some(product) = catalog.product(product_id) else {
        return Ok(());
    };
    check_option_ids(
        product,
        input.option_selections.as_deref().unwrap_or_default(),
    )?;
    if product.modifiers.is_empty() {
        return Ok(());
    }
    if refuse_variant_id && input.variant_id.is_some() {
        return Err(unprocessable(
            "This product has modifiers; omit variant_id and describe its options in option_selections"
                .to_owned(),
        ));
    }
    let selections = input.option_selections.clone().unwrap_or_default();
    let as_add = LineItemInput {
        product_id: Some(product_id),
        variant_id: input.variant_id,
        option_selections: selections.clone(),
        ..LineItemInput::default()
    };
    let (variant_id, mut options) = if product.has_options() && input.variant_id.is_none() {
        resolve_variant(product, &as_add)?
    } else {
        let variant_options = line.options.iter().filter(|o| {
            o.value_id
                .is_some_and(|value| product.option_of_value(value).is_some())
        });
        (line.variant_id, variant_options.cloned().collect())
    };
    options.extend(resolve_modifiers(
        product,
        &selections,
        MissingRequired::OnUpdate,
    )?);
    if variant_id != line.variant_id || options != line.options {
        return Err(cannot_change_product());
    }
    Ok(())
}

/// A gift line belongs to its promotion: BigCommerce marks it `is_mutable: false` (what it
/// answers to a change is unconfirmed; this title is the sandbox's own).
fn gift_refusal() -> CartError {
    unprocessable("This item was added by a promotion and cannot be changed or removed.".to_owned())
}

fn find_line(cart: &mut Cart, item_id: Uuid) -> Result<&mut LineItem, CartError> {
    if cart.custom_items.iter().any(|c| c.id == item_id) {
        return Err(unprocessable(
            "Custom items cannot be updated; add the new item, then delete the old one.".to_owned(),
        ));
    }
    if cart.gift_certificates.iter().any(|g| g.id == item_id) {
        return Err(unprocessable(
            "Gift certificates cannot be updated; add the new one, then delete the old one."
                .to_owned(),
        ));
    }
    let line = cart
        .items
        .iter_mut()
        .find(|l| l.id == item_id)
        .ok_or(CartError::ItemNotFound)?;
    if line.is_gift() {
        return Err(gift_refusal());
    }
    Ok(line)
}

impl AppState {
    /// `PUT /carts/{id}/items/{item_id}`: only the quantity (and a price override) change.
    pub fn update_item(
        &self,
        id: Uuid,
        item_id: Uuid,
        input: &UpdateItemInput,
        version: Option<u64>,
    ) -> Result<ItemChange, CartError> {
        let quantity = input
            .quantity
            .ok_or_else(|| missing("line_item.quantity"))?;
        input
            .product_id
            .ok_or_else(|| missing("line_item.product_id"))?;
        if quantity == 0 && self.config.behaviours.zero_quantity == ZeroQuantityPolicy::Remove {
            return self.remove_item(id, item_id, version);
        }
        let quantity = check_quantity(quantity)?;
        let catalog = self.catalog();
        let refuse_variant_id = self.config.behaviours.refuse_variant_id_with_modifiers;
        let consignments = self.config.behaviours.consignments_on_line_change;
        let now = self.clock.now();
        let cart = self
            .carts
            .update(&id, now, |cart| {
                check_version(cart, version)?;
                let mut updated = cart.clone();
                let line = find_line(&mut updated, item_id)?;
                if !input.same_line {
                    check_same_purchase(&catalog, line, input, refuse_variant_id)?;
                }
                line.quantity = quantity;
                if let Some(price) = input.list_price.filter(|p| p.is_finite() && *p >= 0.0) {
                    line.list_price_override = Some(price);
                }
                settle(&catalog, &mut updated, now);
                check_limits(&catalog, &updated.items)?;
                follow_lines(&mut updated, consignments);
                *cart = updated;
                cart.touch(now);
                Ok((cart.clone(), false))
            })
            .ok_or(CartError::CartNotFound)??;
        self.fire(vec![
            CartEvent::Updated { cart_id: id },
            CartEvent::LineItemUpdated {
                cart_id: id,
                item_id,
            },
        ]);
        Ok(ItemChange::Cart(Box::new(cart)))
    }

    /// `DELETE /carts/{id}/items/{item_id}` (a line of any kind); removing the last line
    /// deletes the cart.
    pub fn remove_item(
        &self,
        id: Uuid,
        item_id: Uuid,
        version: Option<u64>,
    ) -> Result<ItemChange, CartError> {
        let now = self.clock.now();
        let catalog = self.catalog();
        let consignments = self.config.behaviours.consignments_on_line_change;
        let change = self
            .carts
            .update(&id, now, |cart| {
                check_version(cart, version)?;
                if cart.items.iter().any(|l| l.id == item_id && l.is_gift()) {
                    return Err(gift_refusal());
                }
                let before = cart.line_count();
                cart.items.retain(|l| l.id != item_id);
                cart.custom_items.retain(|c| c.id != item_id);
                cart.gift_certificates.retain(|g| g.id != item_id);
                if cart.line_count() == before {
                    return Err(CartError::ItemNotFound);
                }
                settle(&catalog, cart, now);
                follow_lines(cart, consignments);
                if cart.line_count() == 0 {
                    return Ok((ItemChange::CartDeleted, true));
                }
                cart.touch(now);
                Ok((ItemChange::Cart(Box::new(cart.clone())), false))
            })
            .ok_or(CartError::CartNotFound)??;
        let line_deleted = CartEvent::LineItemDeleted {
            cart_id: id,
            item_id,
        };
        let mut events = vec![CartEvent::Updated { cart_id: id }, line_deleted];
        if matches!(change, ItemChange::CartDeleted) {
            events.push(CartEvent::Deleted { cart_id: id });
        }
        self.fire(events);
        Ok(change)
    }
}
