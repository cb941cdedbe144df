//! Cart operations shared by the Management API and the hosted pages, so both change carts
//! the same way and fire the same webhooks (§5.2: create → created + updated; item changes →
//! updated + lineItem/*; delete or last item removed → deleted; conversion → converted).

use serde::Deserialize;
use uuid::Uuid;

use super::carts::{Cart, LineItem};
use super::catalog::Catalog;
use super::errors::CartError;
use super::line_items::{check_limits, check_quantity, resolve_line_item, LineItemInput};
use super::orders::{Order, OrderLine};
use super::render::{cart_amount, item_name, unit_price};
use super::AppState;
use crate::config::{DuplicateAddPolicy, ZeroQuantityPolicy};
use crate::webhooks::events::CartEvent;

/// The only sales channel of the sandbox store.
pub const CHANNEL_ID: i64 = 1;

/// `POST /carts` body; unknown fields are ignored.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct CreateCartInput {
    pub customer_id: Option<i64>,
    pub channel_id: Option<i64>,
    pub currency: Option<CurrencyInput>,
    pub locale: Option<String>,
    pub line_items: Option<Vec<LineItemInput>>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct CurrencyInput {
    pub code: Option<String>,
}

/// `line_item` of `PUT /carts/{id}/items/{item_id}`.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct UpdateItemInput {
    pub quantity: Option<i64>,
    pub product_id: Option<i64>,
    pub variant_id: Option<i64>,
    pub list_price: Option<f64>,
}

/// Result of changing or removing a line: the cart, or nothing when it was deleted.
#[derive(Debug, Clone)]
pub enum ItemChange {
    Cart(Box<Cart>),
    CartDeleted,
}

fn unprocessable(title: String) -> CartError {
    CartError::Unprocessable {
        title,
        errors: None,
    }
}

fn missing_line_items() -> CartError {
    unprocessable("Missing line_items in request body".to_owned())
}

fn check_version(cart: &Cart, version: Option<u64>) -> Result<(), CartError> {
    match version {
        Some(v) if v != cart.version => Err(CartError::VersionConflict),
        _ => Ok(()),
    }
}

/// Adds `item` to `lines`, merging duplicates per policy; returns the line event.
fn merge_line(
    lines: &mut Vec<LineItem>,
    item: LineItem,
    policy: DuplicateAddPolicy,
    cart_id: Uuid,
) -> CartEvent {
    if policy == DuplicateAddPolicy::Merge {
        if let Some(existing) = lines.iter_mut().find(|l| l.same_purchase(&item)) {
            existing.quantity = existing.quantity.saturating_add(item.quantity);
            return CartEvent::LineItemUpdated {
                cart_id,
                item_id: existing.id,
            };
        }
    }
    let item_id = item.id;
    lines.push(item);
    CartEvent::LineItemCreated { cart_id, item_id }
}

fn resolve_all(catalog: &Catalog, inputs: &[LineItemInput]) -> Result<Vec<LineItem>, CartError> {
    if inputs.is_empty() {
        return Err(missing_line_items());
    }
    inputs
        .iter()
        .enumerate()
        .map(|(i, input)| resolve_line_item(catalog, input, i))
        .collect()
}

impl AppState {
    fn check_customer(&self, catalog: &Catalog, customer_id: i64) -> Result<(), CartError> {
        if customer_id != 0 && catalog.customer(customer_id).is_none() {
            return Err(unprocessable(format!(
                "Customer with ID {customer_id} does not exist."
            )));
        }
        Ok(())
    }

    /// `POST /carts`.
    pub fn create_cart(&self, input: &CreateCartInput) -> Result<Cart, CartError> {
        let catalog = self.catalog();
        let customer_id = input.customer_id.unwrap_or(0);
        let channel_id = input.channel_id.unwrap_or(CHANNEL_ID);
        if channel_id != CHANNEL_ID {
            return Err(unprocessable(format!(
                "Channel {channel_id} does not exist."
            )));
        }
        let currency = input.currency.as_ref().and_then(|c| c.code.clone());
        let currency = currency.unwrap_or_else(|| catalog.currency.clone());
        if !currency.eq_ignore_ascii_case(&catalog.currency) {
            return Err(CartError::BadRequest(format!(
                "The currency {currency} is not a transactional currency of this channel."
            )));
        }
        self.check_customer(&catalog, customer_id)?;
        let id = Uuid::new_v4();
        let mut lines = Vec::new();
        for item in resolve_all(&catalog, input.line_items.as_deref().unwrap_or(&[]))? {
            merge_line(&mut lines, item, self.config.behaviours.duplicate_add, id);
        }
        check_limits(&catalog, &lines)?;
        let now = self.clock.now();
        let cart = Cart {
            id,
            customer_id,
            channel_id,
            currency: catalog.currency.clone(),
            locale: input.locale.clone().unwrap_or_else(|| "en".to_owned()),
            email: String::new(),
            created: now,
            updated: now,
            version: 1,
            items: lines,
        };
        self.carts.insert(cart.clone());
        self.fire(vec![
            CartEvent::Created { cart_id: id },
            CartEvent::Updated { cart_id: id },
        ]);
        Ok(cart)
    }

    /// `POST /carts/{id}/items`.
    pub fn add_items(
        &self,
        id: Uuid,
        inputs: &[LineItemInput],
        version: Option<u64>,
    ) -> Result<Cart, CartError> {
        let catalog = self.catalog();
        let new_items = resolve_all(&catalog, inputs)?;
        let policy = self.config.behaviours.duplicate_add;
        let now = self.clock.now();
        let (cart, line_events) = self
            .carts
            .update(&id, now, |cart| {
                check_version(cart, version)?;
                let mut lines = cart.items.clone();
                let events: Vec<CartEvent> = new_items
                    .into_iter()
                    .map(|item| merge_line(&mut lines, item, policy, id))
                    .collect();
                check_limits(&catalog, &lines)?;
                cart.items = lines;
                cart.touch(now);
                Ok(((cart.clone(), events), false))
            })
            .ok_or(CartError::CartNotFound)??;
        let mut events = vec![CartEvent::Updated { cart_id: id }];
        events.extend(line_events);
        self.fire(events);
        Ok(cart)
    }

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
        let product_id = input
            .product_id
            .ok_or_else(|| missing("line_item.product_id"))?;
        if quantity == 0 && self.config.behaviours.zero_quantity == ZeroQuantityPolicy::Remove {
            return self.remove_item(id, item_id, version);
        }
        let quantity = check_quantity(quantity)?;
        let catalog = self.catalog();
        let now = self.clock.now();
        let cart = self
            .carts
            .update(&id, now, |cart| {
                check_version(cart, version)?;
                let mut lines = cart.items.clone();
                let line = lines
                    .iter_mut()
                    .find(|l| l.id == item_id)
                    .ok_or(CartError::ItemNotFound)?;
                if line.product_id != product_id
                    || input.variant_id.is_some_and(|v| v != line.variant_id)
                {
                    return Err(unprocessable(
                        "The product or variant of a line item cannot be changed; \
                         delete the item and add it again."
                            .to_owned(),
                    ));
                }
                line.quantity = quantity;
                if let Some(price) = input.list_price.filter(|p| p.is_finite() && *p >= 0.0) {
                    line.list_price_override = Some(price);
                }
                check_limits(&catalog, &lines)?;
                cart.items = lines;
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

    /// `DELETE /carts/{id}/items/{item_id}`; removing the last item deletes the cart.
    pub fn remove_item(
        &self,
        id: Uuid,
        item_id: Uuid,
        version: Option<u64>,
    ) -> Result<ItemChange, CartError> {
        let now = self.clock.now();
        let change = self
            .carts
            .update(&id, now, |cart| {
                check_version(cart, version)?;
                let index = cart
                    .items
                    .iter()
                    .position(|l| l.id == item_id)
                    .ok_or(CartError::ItemNotFound)?;
                cart.items.remove(index);
                if cart.items.is_empty() {
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

    /// `PUT /carts/{id}`: sets the customer.
    pub fn update_cart(
        &self,
        id: Uuid,
        customer_id: Option<i64>,
        version: Option<u64>,
    ) -> Result<Cart, CartError> {
        let customer_id = customer_id.ok_or_else(|| missing("customer_id"))?;
        self.check_customer(&self.catalog(), customer_id)?;
        let now = self.clock.now();
        let cart = self
            .carts
            .update(&id, now, |cart| {
                check_version(cart, version)?;
                cart.customer_id = customer_id;
                cart.touch(now);
                Ok((cart.clone(), false))
            })
            .ok_or(CartError::CartNotFound)??;
        self.fire(vec![CartEvent::Updated { cart_id: id }]);
        Ok(cart)
    }

    /// `DELETE /carts/{id}`.
    pub fn delete_cart(&self, id: Uuid) -> Result<(), CartError> {
        let now = self.clock.now();
        self.carts
            .update(&id, now, |_| Ok::<_, CartError>(((), true)))
            .ok_or(CartError::CartNotFound)??;
        self.fire(vec![CartEvent::Deleted { cart_id: id }]);
        Ok(())
    }

    /// Places an order for the cart (the hosted "Place order" button); the cart is deleted.
    /// `shopper` is the signed-in customer on the hosted checkout, used for guest carts.
    pub fn convert_cart(&self, id: Uuid, shopper: Option<i64>) -> Result<Order, CartError> {
        let now = self.clock.now();
        let cart = self
            .carts
            .update(&id, now, |cart| Ok::<_, CartError>((cart.clone(), true)))
            .ok_or(CartError::CartNotFound)??;
        let catalog = self.catalog();
        let order = Order {
            id: self.orders.next_id(),
            cart_id: id,
            customer_id: if cart.customer_id != 0 {
                cart.customer_id
            } else {
                shopper.unwrap_or(0)
            },
            currency: cart.currency.clone(),
            total: cart_amount(&catalog, &cart),
            lines: cart
                .items
                .iter()
                .map(|i| OrderLine {
                    product_id: i.product_id,
                    variant_id: i.variant_id,
                    name: item_name(&catalog, i),
                    quantity: i.quantity,
                    unit_price: unit_price(&catalog, i),
                })
                .collect(),
            created_at: now.unix_timestamp(),
        };
        self.orders.push(order.clone());
        self.fire(vec![CartEvent::Converted {
            cart_id: id,
            order_id: order.id,
        }]);
        Ok(order)
    }

    /// Marks a cart abandoned (control plane): a new recovery token and the webhook.
    pub fn abandon_cart(&self, id: Uuid) -> Result<String, CartError> {
        self.carts
            .get(&id, self.clock.now())
            .ok_or(CartError::CartNotFound)?;
        let token = self.tokens.issue_abandoned(id);
        self.fire(vec![CartEvent::Abandoned {
            cart_id: id,
            token: token.clone(),
        }]);
        Ok(token)
    }
}

fn missing(field: &str) -> CartError {
    let mut errors = std::collections::BTreeMap::new();
    errors.insert(field.to_owned(), "error.path.missing".to_owned());
    CartError::Unprocessable {
        title: "JSON data is missing or is invalid".to_owned(),
        errors: Some(errors),
    }
}
