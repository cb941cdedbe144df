//! Cart operations shared by the Management API and the hosted pages, so both change carts
//! the same way and fire the same webhooks (§5.2: create → created + updated; item changes →
//! updated + lineItem/*; delete or last item removed → deleted; conversion → converted).

use serde::Deserialize;
use uuid::Uuid;

use super::carts::{Cart, LineItem};
use super::catalog::Catalog;
use super::checkout_ops::{follow_lines, forget_shipping};
use super::errors::CartError;
use super::extra_lines::{
    resolve_custom_item, resolve_gift_certificate, CustomItem, CustomItemInput, GiftCertificate,
    GiftCertificateInput,
};
use super::line_items::{check_limits, resolve_line_item, LineItemInput, OptionSelectionInput};
use super::orders::{Order, OrderLine};
use super::promotions::price;
use super::promotions::settle;
use super::render::item_name;
use super::AppState;
use crate::config::DuplicateAddPolicy;
use crate::webhooks::events::CartEvent;

/// The default sales channel (BigCommerce's default when `channel_id` is left out).
pub const CHANNEL_ID: i64 = 1;

/// `POST /carts` body; unknown fields are ignored.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct CreateCartInput {
    pub customer_id: Option<i64>,
    pub channel_id: Option<i64>,
    pub currency: Option<CurrencyInput>,
    pub locale: Option<String>,
    pub line_items: Option<Vec<LineItemInput>>,
    #[serde(default)]
    pub custom_items: Vec<CustomItemInput>,
    #[serde(default)]
    pub gift_certificates: Vec<GiftCertificateInput>,
}

/// The lines of `POST /carts/{id}/items` (and of a new cart).
#[derive(Debug, Clone, Copy, Default)]
pub struct NewLines<'a> {
    pub line_items: &'a [LineItemInput],
    pub custom_items: &'a [CustomItemInput],
    pub gift_certificates: &'a [GiftCertificateInput],
}

/// New lines, checked.
struct Resolved {
    items: Vec<LineItem>,
    custom: Vec<CustomItem>,
    gifts: Vec<GiftCertificate>,
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
    /// For products with modifiers: the line's variant options and modifiers (the spec asks
    /// for these instead of `variant_id`).
    pub option_selections: Option<Vec<OptionSelectionInput>>,
    /// Set by the hosted cart page, which changes only the quantity of a line it shows, so
    /// the options need not be described again.
    #[serde(skip)]
    pub same_line: bool,
}

/// Result of changing or removing a line: the cart, or nothing when it was deleted.
#[derive(Debug, Clone)]
pub enum ItemChange {
    Cart(Box<Cart>),
    CartDeleted,
}

pub(super) fn unprocessable(title: String) -> CartError {
    CartError::Unprocessable {
        title,
        errors: None,
    }
}

fn missing_line_items() -> CartError {
    unprocessable("Missing line_items in request body".to_owned())
}

pub(super) fn check_version(cart: &Cart, version: Option<u64>) -> Result<(), CartError> {
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
        // `same_purchase` never matches a gift line: a pin the shopper adds is a line of its own.
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

/// An add needs at least one line of some kind ("Missing line_items in request body").
fn resolve_all(catalog: &Catalog, lines: NewLines<'_>) -> Result<Resolved, CartError> {
    let empty = lines.line_items.is_empty()
        && lines.custom_items.is_empty()
        && lines.gift_certificates.is_empty();
    if empty {
        return Err(missing_line_items());
    }
    Ok(Resolved {
        items: (lines.line_items.iter().enumerate())
            .map(|(i, input)| resolve_line_item(catalog, input, i))
            .collect::<Result<_, _>>()?,
        custom: (lines.custom_items.iter().enumerate())
            .map(|(i, input)| resolve_custom_item(input, i))
            .collect::<Result<_, _>>()?,
        gifts: (lines.gift_certificates.iter().enumerate())
            .map(|(i, input)| resolve_gift_certificate(input, i))
            .collect::<Result<_, _>>()?,
    })
}

/// The new custom items and gift certificates go into `cart`; their `lineItem/created` events.
fn push_extras(
    cart: &mut Cart,
    custom: Vec<CustomItem>,
    gifts: Vec<GiftCertificate>,
) -> Vec<CartEvent> {
    let cart_id = cart.id;
    let mut events: Vec<CartEvent> = custom
        .iter()
        .map(|c| CartEvent::LineItemCreated {
            cart_id,
            item_id: c.id,
        })
        .collect();
    events.extend(gifts.iter().map(|g| CartEvent::LineItemCreated {
        cart_id,
        item_id: g.id,
    }));
    cart.custom_items.extend(custom);
    cart.gift_certificates.extend(gifts);
    events
}

impl AppState {
    /// The customer's e-mail, which becomes the cart's (`""` for a guest); 422 if unknown.
    fn customer_email(&self, catalog: &Catalog, customer_id: i64) -> Result<String, CartError> {
        if customer_id == 0 {
            return Ok(String::new());
        }
        catalog
            .customer(customer_id)
            .map(|c| c.email.clone())
            .ok_or_else(|| unprocessable(format!("Customer with ID {customer_id} does not exist.")))
    }

    /// `POST /carts`.
    pub fn create_cart(&self, input: &CreateCartInput) -> Result<Cart, CartError> {
        let catalog = self.catalog();
        let customer_id = input.customer_id.unwrap_or(0);
        let channel_id = input.channel_id.unwrap_or(CHANNEL_ID);
        if !catalog.has_channel(channel_id) {
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
        let email = self.customer_email(&catalog, customer_id)?;
        let id = Uuid::new_v4();
        let resolved = resolve_all(
            &catalog,
            NewLines {
                line_items: input.line_items.as_deref().unwrap_or(&[]),
                custom_items: &input.custom_items,
                gift_certificates: &input.gift_certificates,
            },
        )?;
        let mut lines = Vec::new();
        for item in resolved.items {
            merge_line(&mut lines, item, self.config.behaviours.duplicate_add, id);
        }
        check_limits(&catalog, &lines)?;
        let now = self.clock.now();
        let mut cart = Cart {
            id,
            customer_id,
            channel_id,
            currency: catalog.currency.clone(),
            locale: input.locale.clone().unwrap_or_else(|| "en".to_owned()),
            email,
            created: now,
            updated: now,
            version: 1,
            items: lines,
            custom_items: Vec::new(),
            gift_certificates: Vec::new(),
            coupons: Vec::new(),
            checkout: Default::default(),
        };
        push_extras(&mut cart, resolved.custom, resolved.gifts);
        settle(&catalog, &mut cart, now);
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
        new_lines: NewLines<'_>,
        version: Option<u64>,
    ) -> Result<Cart, CartError> {
        let catalog = self.catalog();
        let Resolved {
            items: new_items,
            custom,
            gifts,
        } = resolve_all(&catalog, new_lines)?;
        let policy = self.config.behaviours.duplicate_add;
        let consignments = self.config.behaviours.consignments_on_line_change;
        let now = self.clock.now();
        let (cart, line_events) = self
            .carts
            .update(&id, now, |cart| {
                check_version(cart, version)?;
                let mut lines = cart.items.clone();
                let mut events: Vec<CartEvent> = new_items
                    .into_iter()
                    .map(|item| merge_line(&mut lines, item, policy, id))
                    .collect();
                check_limits(&catalog, &lines)?;
                cart.items = lines;
                events.extend(push_extras(cart, custom, gifts));
                settle(&catalog, cart, now);
                follow_lines(cart, consignments);
                cart.touch(now);
                Ok(((cart.clone(), events), false))
            })
            .ok_or(CartError::CartNotFound)??;
        let mut events = vec![CartEvent::Updated { cart_id: id }];
        events.extend(line_events);
        self.fire(events);
        Ok(cart)
    }

    /// `PUT /carts/{id}`: sets the customer.
    pub fn update_cart(
        &self,
        id: Uuid,
        customer_id: Option<i64>,
        version: Option<u64>,
    ) -> Result<Cart, CartError> {
        let customer_id = customer_id.ok_or_else(|| missing("customer_id"))?;
        let email = self.customer_email(&self.catalog(), customer_id)?;
        let refuse = self.config.behaviours.refuse_customer_change;
        let now = self.clock.now();
        let cart = self
            .carts
            .update(&id, now, |cart| {
                check_version(cart, version)?;
                // BigCommerce's guide: a customer change invalidates what depends on the
                // customer and can answer this 422 (reference §1.4); nothing changes then.
                if refuse && cart.customer_id != customer_id {
                    return Err(unprocessable(
                        "A shipping address for this order is incomplete".to_owned(),
                    ));
                }
                if cart.customer_id != customer_id {
                    forget_shipping(cart);
                }
                cart.customer_id = customer_id;
                cart.email = email;
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
        let pricing = price(&catalog, &cart);
        let total = super::checkout::quote(&catalog, &cart).grand_total;
        let order = Order {
            id: self.orders.next_id(),
            cart_id: id,
            customer_id: if cart.customer_id != 0 {
                cart.customer_id
            } else {
                shopper.unwrap_or(0)
            },
            currency: cart.currency.clone(),
            total,
            lines: cart
                .items
                .iter()
                .zip(&pricing.lines)
                .map(|(i, priced)| OrderLine {
                    product_id: i.product_id,
                    variant_id: i.variant_id,
                    name: item_name(&catalog, i),
                    quantity: i.quantity,
                    unit_price: priced.sale,
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

pub(super) fn missing(field: &str) -> CartError {
    let mut errors = std::collections::BTreeMap::new();
    errors.insert(field.to_owned(), "error.path.missing".to_owned());
    CartError::Unprocessable {
        title: "JSON data is missing or is invalid".to_owned(),
        errors: Some(errors),
    }
}
