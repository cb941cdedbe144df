//! Buying a gift certificate: a line of the session's cart, added with one call
//! (`POST /carts/{id}/items` `{"gift_certificates": [...]}`), shown and removed like any line,
//! its quantity fixed at one. It joins a cart the session has: a session without one gets
//! `cart_empty` and no call. Redeeming a certificate is not possible through the Management
//! API; the shopper redeems a code at BigCommerce's hosted checkout.

use super::service::{may_hold, CartService};
use super::store;
use super::CartError;
use crate::bigcommerce::{CorrelationId, Echoes, Priority};
use crate::domain::{Cart, NewGiftCertificate};
use crate::session::ShopperSession;

impl CartService {
    /// Adds `certificate` to the session's cart (checked like any add: a stale snapshot is
    /// read first, so a cart taken at the hosted checkout is never added to).
    #[tracing::instrument(name = "Add gift certificate", skip_all, fields(session.id = %session.id()))]
    pub async fn add_gift_certificate(
        &self,
        session: &ShopperSession,
        certificate: &NewGiftCertificate,
        cx: CorrelationId,
    ) -> Result<Cart, CartError> {
        let cart = self
            .verified_cart(session, Priority::Change, cx)
            .await?
            .ok_or(CartError::CartEmpty)?;
        let change = self.bigcommerce.add_gift_certificate(cart, certificate, cx);
        match self
            .expecting_echoes(cart, Echoes::of_change(1), change)
            .await
        {
            Ok(answer) => {
                let stored = store::save_snapshot(&self.pool, &answer).await?;
                session.mark_changed();
                if !may_hold(session, answer.customer_id) {
                    self.let_go(session, cart).await?;
                    return Err(CartError::CartEmpty);
                }
                Ok(stored.unwrap_or(answer.cart))
            }
            Err(error) if error.may_mean_cart_gone() => {
                match self.settle_gone_cart(cart, cx).await? {
                    None => Err(CartError::CartEmpty),
                    Some(_) => Err(error.into()),
                }
            }
            Err(error) => Err(error.into()),
        }
    }
}
