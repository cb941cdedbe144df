//! Applying and removing coupon codes through BigCommerce's Checkouts API. Each costs one
//! call (none when the fresh snapshot shows it would change nothing): BigCommerce answers with the checkout, whose cart becomes the answer and the new
//! snapshot. A code BigCommerce refuses is `coupon_invalid` with its reason. Their callbacks
//! (`updated`, and `couponApplied` when registered) are expected as our own echoes.

use super::service::{may_hold, CartService};
use super::store;
use super::CartError;
use crate::bigcommerce::{BigCommerceError, CorrelationId, Echoes, StoreCart};
use crate::domain::{Cart, CartId, CouponCode};
use crate::session::ShopperSession;

impl CartService {
    /// Applies `code` to the session's cart. A code the fresh snapshot already shows is
    /// answered with the cart as it is, without a call: applying it again would change nothing
    /// on BigCommerce and cause no callback, so none may be expected (a change made elsewhere
    /// would be taken for it).
    #[tracing::instrument(name = "Apply coupon", skip_all, fields(session.id = %session.id()))]
    pub async fn apply_coupon(
        &self,
        session: &ShopperSession,
        code: &CouponCode,
        cx: CorrelationId,
    ) -> Result<Cart, CartError> {
        let cart = self
            .session_cart(session)
            .await?
            .ok_or(CartError::CartEmpty)?;
        let fresh = session
            .snapshot()
            .filter(|snapshot| snapshot.is_fresh(self.settings.snapshot_ttl()));
        if let Some(snapshot) = fresh {
            if snapshot.cart.coupons.iter().any(|c| code.matches(&c.code)) {
                return Ok(snapshot.cart.clone());
            }
        }
        let change = self.bigcommerce.apply_coupon(cart, code, cx);
        let echoes = Echoes {
            updated: 1 + i32::from(self.coupon_callbacks),
            line_items: 0,
        };
        let outcome = self.expecting_echoes(cart, echoes, change).await;
        self.settle_coupon_change(session, cart, outcome, cx).await
    }

    /// Removes `code` from the session's cart. A code the fresh snapshot does not show is
    /// refused without a call.
    #[tracing::instrument(name = "Remove coupon", skip_all, fields(session.id = %session.id()))]
    pub async fn remove_coupon(
        &self,
        session: &ShopperSession,
        code: &CouponCode,
        cx: CorrelationId,
    ) -> Result<Cart, CartError> {
        let cart = self
            .session_cart(session)
            .await?
            .ok_or(CartError::CouponNotApplied)?;
        let fresh = session
            .snapshot()
            .filter(|snapshot| snapshot.is_fresh(self.settings.snapshot_ttl()));
        if let Some(snapshot) = fresh {
            if !snapshot.cart.coupons.iter().any(|c| code.matches(&c.code)) {
                return Err(CartError::CouponNotApplied);
            }
        }
        let change = self.bigcommerce.remove_coupon(cart, code, cx);
        let outcome = self
            .expecting_echoes(cart, Echoes::of_change(0), change)
            .await;
        match self.settle_coupon_change(session, cart, outcome, cx).await {
            // BigCommerce's 404 for a code it does not carry, once the cart is known to exist.
            Err(CartError::Upstream(BigCommerceError::NotFound)) => {
                Err(CartError::CouponNotApplied)
            }
            other => other,
        }
    }

    /// The checkout BigCommerce answered becomes the cart and its snapshot; a refusal is the
    /// shopper's to read; a failure that may mean the cart is gone is settled with one read.
    async fn settle_coupon_change(
        &self,
        session: &ShopperSession,
        cart: CartId,
        outcome: Result<StoreCart, BigCommerceError>,
        cx: CorrelationId,
    ) -> Result<Cart, CartError> {
        match outcome {
            Ok(answer) => {
                store::save_snapshot(&self.pool, &answer).await?;
                if !may_hold(session, answer.customer_id) {
                    self.let_go(session, cart).await?;
                    return Err(CartError::CartEmpty);
                }
                Ok(answer.cart)
            }
            Err(BigCommerceError::Rejected { title, .. }) => Err(CartError::CouponInvalid(title)),
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
