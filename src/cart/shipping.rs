//! Shipping estimates and the choice of a shipping option, through BigCommerce's Checkouts
//! API. The cart has one consignment holding every physical line: an estimate creates it, or
//! re-addresses the one the checkout last named (a new quote), and answers the options quoted;
//! choosing one is a `PUT` of its own. Each answer is the whole checkout, so shipping, tax and
//! the grand total come from BigCommerce and go into the snapshot, and a fresh read costs
//! nothing.
//!
//! Calls: an estimate costs 1 with a fresh snapshot (2 when the consignment it names is gone:
//! the re-address, then a new one), and 2 without (the checkout read that tells the lines and
//! the consignment, then the one change). Choosing an option costs 1, and nothing when the
//! snapshot shows no current quote holding the option.

use super::service::{may_hold, CartService};
use super::store;
use super::CartError;
use crate::bigcommerce::{
    BigCommerceError, ConsignedLine, ConsignmentAddress, CorrelationId, Echoes, StoreCart,
};
use crate::domain::{
    Cart, CartId, EmailAddress, InvalidInput, LineItemType, ShippingDestination, ShippingOptionId,
};
use crate::session::ShopperSession;

/// The physical lines of `cart`, each with its whole quantity.
fn physical_lines(cart: &Cart) -> Vec<ConsignedLine> {
    cart.line_items
        .iter()
        .filter(|line| line.item_type == LineItemType::Physical)
        .map(|line| ConsignedLine {
            item_id: line.id.clone(),
            quantity: line.quantity,
        })
        .collect()
}

impl CartService {
    /// Quotes shipping of the cart's physical lines to `destination`. BigCommerce asks an
    /// e-mail of a consignment: `email` when the shopper gave one, else the signed-in
    /// customer's (never logged).
    #[tracing::instrument(name = "Estimate shipping", skip_all, fields(session.id = %session.id()))]
    pub async fn estimate_shipping(
        &self,
        session: &ShopperSession,
        destination: &ShippingDestination,
        email: Option<&EmailAddress>,
        cx: CorrelationId,
    ) -> Result<Cart, CartError> {
        let cart_id = self
            .session_cart(session)
            .await?
            .ok_or(CartError::CartEmpty)?;
        let fresh = session
            .snapshot()
            .filter(|snapshot| snapshot.is_fresh(self.settings.snapshot_ttl()))
            .map(|snapshot| snapshot.cart.clone());
        let just_read = fresh.is_none();
        let current = match fresh {
            Some(cart) => cart,
            None => self.read_checkout(session, cart_id, cx).await?,
        };
        let lines = physical_lines(&current);
        if lines.is_empty() {
            return Err(CartError::ShippingNotRequired);
        }
        // BigCommerce names `email` and `country_code` the minimum of a consignment.
        let email = email
            .map(EmailAddress::as_str)
            .or(session.customer_email())
            .ok_or_else(|| {
                InvalidInput::new(
                    "email is required: BigCommerce needs an e-mail address to quote shipping \
                     for a shopper who is not signed in",
                )
            })?;
        let address = ConsignmentAddress {
            destination,
            email: Some(email),
        };
        let echoes = Echoes::of_change(0);
        let create = || {
            let change = self
                .bigcommerce
                .create_consignment(cart_id, &address, &lines, cx);
            self.expecting_echoes(cart_id, echoes, change)
        };
        let outcome = match current.consignment_id() {
            None => create().await,
            Some(consignment) => {
                let change =
                    self.bigcommerce
                        .update_consignment(cart_id, consignment, &address, &lines, cx);
                match self.expecting_echoes(cart_id, echoes, change).await {
                    // BigCommerce dropped the consignment since we last saw it (a customer
                    // change removes shipping): a new one. Not after a read that just showed it.
                    Err(BigCommerceError::NotFound) if !just_read => create().await,
                    other => other,
                }
            }
        };
        self.settle_checkout_change(session, cart_id, outcome, cx)
            .await
            .map_err(|error| match error {
                CartError::ShippingOptionUnknown(reason) => {
                    CartError::Upstream(BigCommerceError::Rejected {
                        status: 422,
                        title: reason.unwrap_or_default(),
                    })
                }
                other => other,
            })
    }

    /// Chooses one of the options the cart's current quote lists.
    #[tracing::instrument(name = "Choose shipping option", skip_all, fields(session.id = %session.id()))]
    pub async fn select_shipping_option(
        &self,
        session: &ShopperSession,
        option: &ShippingOptionId,
        cx: CorrelationId,
    ) -> Result<Cart, CartError> {
        let cart_id = self
            .session_cart(session)
            .await?
            .ok_or(CartError::CartEmpty)?;
        let cart = session.snapshot().map(|snapshot| &snapshot.cart);
        let shipping = cart
            .and_then(|cart| cart.shipping.as_ref())
            .filter(|shipping| shipping.current);
        let consignment = cart.and_then(Cart::consignment_id);
        let (Some(shipping), Some(consignment)) = (shipping, consignment) else {
            return Err(CartError::ShippingEstimateRequired);
        };
        if !shipping.options.iter().any(|o| o.id == option.as_str()) {
            return Err(CartError::ShippingOptionUnknown(None));
        }
        let change = self
            .bigcommerce
            .select_shipping_option(cart_id, consignment, option, cx);
        let outcome = self
            .expecting_echoes(cart_id, Echoes::of_change(0), change)
            .await;
        self.settle_checkout_change(session, cart_id, outcome, cx)
            .await
    }

    /// The checkout, read once (for an estimate without a fresh snapshot): the lines as they
    /// are, and the consignment BigCommerce holds.
    async fn read_checkout(
        &self,
        session: &ShopperSession,
        cart_id: CartId,
        cx: CorrelationId,
    ) -> Result<Cart, CartError> {
        session.mark_changed();
        match self.bigcommerce.get_checkout(cart_id, cx).await? {
            Some(checkout) => {
                let stored = store::save_snapshot(&self.pool, &checkout).await?;
                if !may_hold(session, checkout.customer_id) {
                    self.let_go(session, cart_id).await?;
                    return Err(CartError::CartEmpty);
                }
                Ok(stored.unwrap_or(checkout.cart))
            }
            None => {
                store::forget_cart(&self.pool, cart_id).await?;
                Err(CartError::CartEmpty)
            }
        }
    }

    /// The checkout BigCommerce answered becomes the cart and its snapshot. A refusal is the
    /// shopper's to read (`ShippingOptionUnknown` with BigCommerce's reason; callers with
    /// another meaning map it); a failure that may mean the cart is gone is settled with one
    /// read: a cart that is still there lost its consignment (estimate again).
    pub(super) async fn settle_checkout_change(
        &self,
        session: &ShopperSession,
        cart: CartId,
        outcome: Result<StoreCart, BigCommerceError>,
        cx: CorrelationId,
    ) -> Result<Cart, CartError> {
        match outcome {
            Ok(answer) => {
                let stored = store::save_snapshot(&self.pool, &answer).await?;
                session.mark_changed();
                if !may_hold(session, answer.customer_id) {
                    self.let_go(session, cart).await?;
                    return Err(CartError::CartEmpty);
                }
                Ok(stored.unwrap_or(answer.cart))
            }
            Err(BigCommerceError::Rejected { title, .. }) => {
                Err(CartError::ShippingOptionUnknown(Some(title)))
            }
            Err(error) if error.may_mean_cart_gone() => {
                match self.settle_gone_cart(cart, cx).await? {
                    None => Err(CartError::CartEmpty),
                    Some(_) if matches!(error, BigCommerceError::NotFound) => {
                        Err(CartError::ShippingEstimateRequired)
                    }
                    Some(_) => Err(error.into()),
                }
            }
            Err(error) => Err(error.into()),
        }
    }
}
