//! Recovering an abandoned cart from its e-mail link. Opening the link changes nothing: the
//! landing page shows the cart (`preview_recovery`) and the shopper confirms (`recover`),
//! choosing what happens to the cart they already have. Nothing is dropped without that
//! choice, and the default, `merge`, loses nothing.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::moving::{CartWarning, MoveFailed, WarningCode};
use super::service::CartService;
use super::store;
use super::CartError;
use crate::bigcommerce::{CorrelationId, Priority, StoreCart};
use crate::domain::{Cart, CartId, CustomerId, RecoveryToken};
use crate::session::ShopperSession;

/// What happens to the shopper's own cart when they recover another one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryMode {
    /// The recovered cart's lines are added to the shopper's cart (the default: nothing is
    /// lost). With no cart of their own, the shopper simply gets the recovered one.
    #[default]
    Merge,
    /// The shopper's session holds the recovered cart instead of their own.
    Switch,
}

/// What the landing page shows before the shopper decides.
pub struct RecoveryPreview {
    pub cart: Cart,
    /// The cart is a customer's, and that customer is not signed in here.
    pub needs_sign_in: bool,
    /// The session already holds this very cart.
    pub already_yours: bool,
    /// The session holds another cart with lines in it, so the shopper must choose.
    pub own_cart_has_lines: bool,
}

/// The session's cart after a recovery.
pub struct Recovered {
    pub cart: Cart,
    /// Lines of the recovered cart that could not be merged, and why.
    pub warnings: Vec<CartWarning>,
}

impl CartService {
    /// The cart an abandoned-cart token names, for the landing page: two BigCommerce reads,
    /// no write.
    #[tracing::instrument(name = "Preview recovery", skip_all, fields(session.id = %session.id()))]
    pub async fn preview_recovery(
        &self,
        session: &ShopperSession,
        token: &RecoveryToken,
        cx: CorrelationId,
    ) -> Result<RecoveryPreview, CartError> {
        let recovered = self.resolve_recovery(token, cx).await?;
        let own = session.cart_id().map(CartId::new);
        let own_lines = session.snapshot().map_or(own.is_some(), |snapshot| {
            !snapshot.cart.line_items.is_empty()
        });
        Ok(RecoveryPreview {
            needs_sign_in: !may_recover(session, &recovered),
            already_yours: own == Some(recovered.id),
            own_cart_has_lines: own.is_some() && own != Some(recovered.id) && own_lines,
            cart: recovered.cart,
        })
    }

    /// Gives the session the cart an abandoned-cart token names, as `mode` says. A
    /// customer's cart needs that customer signed in.
    #[tracing::instrument(name = "Recover cart", skip_all, fields(session.id = %session.id()))]
    pub async fn recover(
        &self,
        session: &ShopperSession,
        token: &RecoveryToken,
        mode: RecoveryMode,
        cx: CorrelationId,
    ) -> Result<Recovered, CartError> {
        let recovered = self.resolve_recovery(token, cx).await?;
        if !may_recover(session, &recovered) {
            return Err(CartError::SignInRequired);
        }
        // A guest cart merged into a customer's cart at sign-in (its delete failed, or another
        // session held it): its lines moved or are kept for the customer; it is never merged
        // again through its link.
        if super::left_behind::journal::was_merged(&self.pool, recovered.id).await? {
            return Err(CartError::RecoveryTokenUnknown);
        }
        tracing::info!(target: "audit", event = "recovery_used", session.id = %session.id(), cart.id = %recovered.id, customer.id = recovered.customer_id);
        let own = self.verified_cart(session, Priority::Change, cx).await?;
        if own == Some(recovered.id) {
            store::save_snapshot(&self.pool, &recovered).await?;
            return Ok(Recovered {
                cart: recovered.cart,
                warnings: Vec::new(),
            });
        }
        // With no snapshot to tell, the shopper's cart may have lines: merge.
        let own_has_lines = session
            .snapshot()
            .is_none_or(|snapshot| !snapshot.cart.line_items.is_empty());
        match (own, mode) {
            (Some(own), RecoveryMode::Merge) if own_has_lines => {
                self.merge_recovered(session, own, recovered, cx).await
            }
            _ => self.take_recovered(session, recovered, cx).await,
        }
    }

    /// Adds the recovered cart's lines to the shopper's cart. The recovered cart itself is
    /// left as it is (others may hold the same link).
    async fn merge_recovered(
        &self,
        session: &ShopperSession,
        own: CartId,
        recovered: StoreCart,
        cx: CorrelationId,
    ) -> Result<Recovered, CartError> {
        let before = session.snapshot().map(|snapshot| &snapshot.cart);
        let moved = match self
            .move_lines(own, &recovered.cart.line_items, before, cx)
            .await
        {
            Ok(moved) => moved,
            // The shopper's own cart is gone: the recovered one takes its place.
            Err(MoveFailed::TargetGone) => {
                store::forget_cart(&self.pool, own).await?;
                return self.take_recovered(session, recovered, cx).await;
            }
            Err(MoveFailed::NothingMoved(error)) => return Err(error.into()),
        };
        let cart = match moved.cart {
            Some(cart) => {
                store::save_snapshot(&self.pool, &cart).await?;
                cart.cart
            }
            None => match self.get(session, cx).await? {
                Some(cart) => cart,
                None => return self.take_recovered(session, recovered, cx).await,
            },
        };
        Ok(Recovered {
            cart,
            warnings: moved.warnings,
        })
    }

    /// The session holds the recovered cart from now on. A signed-in customer's recovered
    /// guest cart becomes theirs (and leaves every other session that holds it).
    async fn take_recovered(
        &self,
        session: &ShopperSession,
        recovered: StoreCart,
        cx: CorrelationId,
    ) -> Result<Recovered, CartError> {
        session.mark_changed();
        let customer = session
            .customer_id()
            .and_then(|id| CustomerId::parse(id).ok());
        if let (Some(customer), 0) = (customer, recovered.customer_id) {
            match self
                .bigcommerce
                .assign_cart_to_customer(recovered.id, customer, cx)
                .await
            {
                Ok(assigned) => {
                    self.hold_cart(session, assigned.id).await?;
                    store::save_snapshot(&self.pool, &assigned).await?;
                    store::remember_customer_cart(&self.pool, customer.get(), assigned.id).await?;
                    return Ok(Recovered {
                        cart: assigned.cart,
                        warnings: Vec::new(),
                    });
                }
                Err(error) => {
                    tracing::warn!(error = %error, "a recovered cart could not be assigned");
                    self.hold_cart(session, recovered.id).await?;
                    store::save_snapshot(&self.pool, &recovered).await?;
                    return Ok(Recovered {
                        cart: recovered.cart,
                        warnings: vec![CartWarning::about_cart(
                            WarningCode::CartNotAssigned,
                            "Your cart is back, but it could not be saved to your account.",
                        )],
                    });
                }
            }
        }
        self.hold_cart(session, recovered.id).await?;
        store::save_snapshot(&self.pool, &recovered).await?;
        if recovered.customer_id != 0 {
            store::remember_customer_cart(&self.pool, recovered.customer_id, recovered.id).await?;
        }
        Ok(Recovered {
            cart: recovered.cart,
            warnings: Vec::new(),
        })
    }

    /// The cart a token names, as BigCommerce has it now (two reads).
    async fn resolve_recovery(
        &self,
        token: &RecoveryToken,
        cx: CorrelationId,
    ) -> Result<StoreCart, CartError> {
        let cart_id = self
            .bigcommerce
            .resolve_abandoned_cart(token, cx)
            .await?
            .ok_or(CartError::RecoveryTokenUnknown)?;
        self.bigcommerce
            .get_cart(cart_id, cx)
            .await?
            .ok_or(CartError::RecoveryTokenUnknown)
    }
}

impl CartService {
    /// Points the session at `cart`: binds it, or stores a session that has no row yet
    /// holding it (a recovery is a first write like an add).
    async fn hold_cart(&self, session: &ShopperSession, cart: CartId) -> Result<(), CartError> {
        if session.is_stored() {
            store::bind_cart(&self.pool, session.id(), cart).await?;
        } else {
            session.store_holding(cart.as_uuid()).await?;
        }
        Ok(())
    }
}

/// A guest cart anyone with the link may recover; a customer's only that customer.
fn may_recover(session: &ShopperSession, cart: &StoreCart) -> bool {
    cart.customer_id == 0 || session.customer_id() == Some(cart.customer_id)
}
