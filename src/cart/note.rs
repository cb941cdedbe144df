//! The shopper's note for the order: BigCommerce's checkout `customer_message`, set with
//! `PUT /checkouts/{id}` (one call; the checkout's answer is the cart). It survives line
//! changes, so the cart shows it from the snapshot afterwards too.

use super::service::CartService;
use super::CartError;
use crate::bigcommerce::{CorrelationId, Echoes};
use crate::domain::{Cart, OrderNote};
use crate::session::ShopperSession;

impl CartService {
    /// Sets the note (`""` clears it).
    #[tracing::instrument(name = "Set order note", skip_all, fields(session.id = %session.id()))]
    pub async fn set_note(
        &self,
        session: &ShopperSession,
        note: &OrderNote,
        cx: CorrelationId,
    ) -> Result<Cart, CartError> {
        let cart = self
            .session_cart(session)
            .await?
            .ok_or(CartError::CartEmpty)?;
        let change = self.bigcommerce.set_customer_message(cart, note, cx);
        let outcome = self
            .expecting_echoes(cart, Echoes::of_change(0), change)
            .await;
        self.settle_checkout_change(session, cart, outcome, cx)
            .await
            .map_err(|error| match error {
                // BigCommerce refused the message itself (its limits): the shopper's to fix.
                CartError::ShippingOptionUnknown(Some(reason)) => {
                    CartError::InvalidInput(crate::domain::InvalidInput::new(reason))
                }
                CartError::ShippingEstimateRequired => CartError::CartEmpty,
                other => other,
            })
    }
}
