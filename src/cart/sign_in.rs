//! Whose cart it is when a shopper signs in. The credentials decide the sign-in; nothing about
//! a cart can make it fail, and no line is lost on the way. The rule, in one place:
//!
//! - a guest cart and no remembered customer cart: the guest cart is **assigned** to the
//!   customer (`PUT /carts/{id}` with `customer_id`). When BigCommerce refuses the change (a
//!   422 it gives when the change would affect prices, e.g. "A shipping address for this order
//!   is incomplete"), a new cart is created for the customer with the guest lines; when even
//!   that fails, the shopper keeps the guest cart as it is and is told;
//! - a guest cart and a customer cart: the guest lines are **merged** into the customer's cart
//!   (BigCommerce sums quantities per product, variant and options). What BigCommerce refuses
//!   (out of stock, a purchase limit the summed quantity exceeds) is reported line by line and
//!   **left behind**: copied into our database as the customer's (see `left_behind`), where
//!   the shopper sees those lines and moves them again or discards them. The guest cart is
//!   then let go as when every line moved: deleted, unless other sessions still hold it. When
//!   no line is known to have moved (BigCommerce down, or its outcome unknown), the shopper
//!   keeps the guest cart as it is;
//! - no guest cart and a customer cart: the customer's cart is **restored**;
//! - neither: no cart yet; carts created while signed in carry the customer id from the start.
//!
//! A session already signed in as another customer has no guest cart: that customer's cart
//! stays theirs, untouched. Assigning a cart to a customer takes it from every other session
//! (see `store::remember_customer_cart`).

use serde::Serialize;
use utoipa::ToSchema;

use super::left_behind::journal;
use super::moving::{
    line_to_add, purchase_quantity, CartWarning, MoveFailed, StayedLine, WarningCode, NOT_TAKEN,
};
use super::service::CartService;
use super::store;
use super::CartError;
use crate::bigcommerce::{CorrelationId, NewCart, StoreCart};
use crate::domain::{Cart, CartId, CustomerId, NewLineItem};
use crate::session::ShopperSession;

/// What happened to the carts at sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignInCartOutcome {
    CartAssigned,
    CartMerged,
    CartRestored,
}

impl SignInCartOutcome {
    /// The name of the outcome, as the API and the audit trail say it.
    pub fn as_str(self) -> &'static str {
        match self {
            SignInCartOutcome::CartAssigned => "cart_assigned",
            SignInCartOutcome::CartMerged => "cart_merged",
            SignInCartOutcome::CartRestored => "cart_restored",
        }
    }
}

/// The signed-in shopper's cart after the rule ran.
pub struct SignedInCart {
    pub cart_id: Option<CartId>,
    pub cart: Option<Cart>,
    pub outcome: Option<SignInCartOutcome>,
    /// What did not go as the rule says, and what the shopper has instead.
    pub warnings: Vec<CartWarning>,
}

impl SignedInCart {
    fn none() -> Self {
        Self {
            cart_id: None,
            cart: None,
            outcome: None,
            warnings: Vec::new(),
        }
    }

    /// The shopper keeps `guest` as it is, told why.
    fn kept(guest: CartId, snapshot: Option<Cart>, warning: CartWarning) -> Self {
        Self {
            cart_id: Some(guest),
            cart: snapshot,
            outcome: None,
            warnings: vec![warning],
        }
    }
}

impl CartService {
    /// Applies the sign-in rule for `customer`. `session` is `None` when the session is gone
    /// (another sign-in of it finished first): there is no guest cart left to hand over.
    /// Fails only when the database does; BigCommerce's failures become warnings.
    #[tracing::instrument(name = "Carts at sign-in", skip_all)]
    pub async fn sign_in(
        &self,
        session: Option<&ShopperSession>,
        customer: CustomerId,
        remembered: Option<CartId>,
        cx: CorrelationId,
    ) -> Result<SignedInCart, CartError> {
        let guest = match session {
            Some(session) if session.customer_id().is_none() => self
                .session_cart(session)
                .await?
                .filter(|cart| Some(*cart) != remembered),
            _ => None,
        };
        let ttl = self.settings.snapshot_ttl();
        let guest_snapshot = session
            .and_then(ShopperSession::snapshot)
            .filter(|_| guest.is_some())
            .map(|snapshot| (snapshot.cart.clone(), !snapshot.is_fresh(ttl)));
        let (guest, guest_snapshot) = match (session, guest) {
            (Some(session), Some(cart)) => {
                self.guest_cart_still_a_guests(session, cart, guest_snapshot, cx)
                    .await?
            }
            _ => (None, None),
        };
        let remembered = match remembered {
            Some(cart) => match self.bigcommerce.get_cart(cart, cx).await {
                Ok(Some(current)) => Some(current),
                Ok(None) => {
                    store::forget_cart(&self.pool, cart).await?;
                    None
                }
                // Whether the customer's cart is still there is unknown: hand it back as it is
                // and leave any guest cart alone; the next read settles it.
                Err(error) => {
                    tracing::warn!(error = %error, "could not read the customer's cart at sign-in");
                    return Ok(match guest {
                        Some(guest) => SignedInCart::kept(
                            guest,
                            guest_snapshot.map(|(cart, _)| cart),
                            CartWarning::about_cart(
                                WarningCode::CartNotMerged,
                                "The store could not be reached to merge your carts; you have \
                                 this cart for now, and your saved cart is kept.",
                            ),
                        ),
                        None => SignedInCart {
                            cart_id: Some(cart),
                            ..SignedInCart::none()
                        },
                    });
                }
            },
            None => None,
        };
        // A guest cart already merged into a customer's cart (another device signed in with
        // it, or its delete failed) holds nothing for anyone: it is let go, never assigned.
        let guest = match (guest, &remembered) {
            (Some(cart), None) if journal::was_merged(&self.pool, cart).await? => None,
            (guest, _) => guest,
        };
        match (guest, remembered) {
            (None, None) => Ok(SignedInCart::none()),
            (None, Some(cart)) => {
                self.adopted(cart, customer, SignInCartOutcome::CartRestored, Vec::new())
                    .await
            }
            (Some(guest), None) => {
                self.assign(guest, guest_snapshot.map(|(cart, _)| cart), customer, cx)
                    .await
            }
            (Some(guest), Some(customer_cart)) => {
                let channel = session.map_or(i64::from(self.store.channel_id), |session| {
                    session.channel_id()
                });
                self.merge(guest, guest_snapshot, customer_cart, customer, channel, cx)
                    .await
            }
        }
    }

    /// The guest cart as it is, unless the snapshot is fresh: a cart the shopper handed off
    /// may have become a customer's on the hosted checkout (signing in there), and that cart
    /// is theirs: never assigned to this customer, merged away or deleted. The read it may
    /// cost is the one a merge would make anyway.
    async fn guest_cart_still_a_guests(
        &self,
        session: &ShopperSession,
        guest: CartId,
        snapshot: Option<(Cart, bool)>,
        cx: CorrelationId,
    ) -> Result<(Option<CartId>, Option<(Cart, bool)>), CartError> {
        if let Some((_, false)) = snapshot {
            return Ok((Some(guest), snapshot));
        }
        match self.bigcommerce.get_cart(guest, cx).await {
            Ok(Some(current)) => {
                store::save_snapshot(&self.pool, &current).await?;
                if current.customer_id != 0 {
                    self.let_go(session, guest).await?;
                    return Ok((None, None));
                }
                Ok((Some(guest), Some((current.cart, false))))
            }
            Ok(None) => {
                store::forget_cart(&self.pool, guest).await?;
                Ok((None, None))
            }
            // Unknown: the rule below handles an unreachable store as it does today.
            Err(error) => {
                tracing::warn!(error = %error, "could not read the guest cart at sign-in");
                Ok((Some(guest), snapshot))
            }
        }
    }

    async fn assign(
        &self,
        guest: CartId,
        snapshot: Option<Cart>,
        customer: CustomerId,
        cx: CorrelationId,
    ) -> Result<SignedInCart, CartError> {
        let error = match self
            .bigcommerce
            .assign_cart_to_customer(guest, customer, cx)
            .await
        {
            Ok(cart) => {
                return self
                    .adopted(cart, customer, SignInCartOutcome::CartAssigned, Vec::new())
                    .await
            }
            Err(error) => error,
        };
        if error.may_mean_cart_gone() && self.settle_gone_cart(guest, cx).await?.is_none() {
            return Ok(SignedInCart::none());
        }
        tracing::warn!(error = %error, "the guest cart could not be assigned at sign-in");
        if error.refusal().is_some() {
            if let Some(rebuilt) = self.rebuild_for(guest, customer, cx).await? {
                return Ok(rebuilt);
            }
        }
        Ok(SignedInCart::kept(
            guest,
            snapshot,
            CartWarning::about_cart(
                WarningCode::CartNotAssigned,
                "You are signed in; your cart could not be saved to your account, so it stays \
                 as it is on this device.",
            ),
        ))
    }

    /// BigCommerce would not move the guest cart to the customer: a new cart, created for the
    /// customer from the start, takes its lines (the reference's advice). `None` when that
    /// fails too; the guest cart is then kept.
    async fn rebuild_for(
        &self,
        guest: CartId,
        customer: CustomerId,
        cx: CorrelationId,
    ) -> Result<Option<SignedInCart>, CartError> {
        let Ok(Some(current)) = self.bigcommerce.get_cart(guest, cx).await else {
            return Ok(None);
        };
        let catalog = self.lines_catalog(&current.cart.line_items, cx).await;
        let items: Vec<NewLineItem> = current
            .cart
            .line_items
            .iter()
            .filter_map(|line| super::moving::line_to_add(line, &catalog))
            .collect();
        let shoppers_lines = (current.cart.line_items.iter())
            .filter(|line| !line.added_by_promotion)
            .count();
        if items.is_empty() || items.len() < shoppers_lines {
            return Ok(None);
        }
        let new = NewCart {
            customer_id: Some(customer),
            channel_id: self.store.channel_id,
            currency: &self.store.currency,
            locale: &self.store.locale,
            line_items: &items,
        };
        let Ok(created) = self.bigcommerce.create_cart(&new, cx).await else {
            return Ok(None);
        };
        self.metrics.carts_created.inc();
        self.delete_guest_cart(guest, cx).await;
        self.adopted(
            created,
            customer,
            SignInCartOutcome::CartAssigned,
            Vec::new(),
        )
        .await
        .map(Some)
    }

    async fn merge(
        &self,
        guest: CartId,
        snapshot: Option<(Cart, bool)>,
        customer_cart: StoreCart,
        customer: CustomerId,
        channel: i64,
        cx: CorrelationId,
    ) -> Result<SignedInCart, CartError> {
        let guest_cart = match snapshot {
            Some((cart, false)) => cart,
            _ => match self.bigcommerce.get_cart(guest, cx).await {
                Ok(Some(current)) => {
                    store::save_snapshot(&self.pool, &current).await?;
                    current.cart
                }
                Ok(None) => {
                    store::forget_cart(&self.pool, guest).await?;
                    return self
                        .adopted(
                            customer_cart,
                            customer,
                            SignInCartOutcome::CartRestored,
                            Vec::new(),
                        )
                        .await;
                }
                Err(error) => {
                    tracing::warn!(error = %error, "could not read the guest cart at sign-in");
                    return Ok(self.merge_failed(guest, snapshot.map(|(cart, _)| cart)));
                }
            },
        };
        if guest_cart.line_items.is_empty() {
            self.delete_guest_cart(guest, cx).await;
            return self
                .adopted(
                    customer_cart,
                    customer,
                    SignInCartOutcome::CartRestored,
                    Vec::new(),
                )
                .await;
        }
        let before = customer_cart.cart.clone();
        // The merge is recorded before the first add: a retry of a sign-in that failed after
        // lines moved settles it instead of merging again, and a guest cart merged once (its
        // delete failed, another device holds it) is let go instead of merged a second time.
        if let Some(earlier) = journal::begin(
            &self.pool,
            guest,
            customer.get(),
            channel,
            customer_cart.id,
            &before,
        )
        .await?
        {
            return self
                .merged_before(
                    guest,
                    &guest_cart,
                    earlier,
                    customer_cart,
                    customer,
                    channel,
                    cx,
                )
                .await;
        }
        let moved = match self
            .move_lines(customer_cart.id, &guest_cart.line_items, Some(&before), cx)
            .await
        {
            Ok(moved) => moved,
            // The customer's cart vanished in between: the guest cart becomes theirs.
            Err(MoveFailed::TargetGone) => {
                journal::forget(&self.pool, guest).await?;
                store::forget_cart(&self.pool, customer_cart.id).await?;
                return self.assign(guest, Some(guest_cart), customer, cx).await;
            }
            Err(MoveFailed::NothingMoved(error)) => {
                tracing::warn!(error = %error, "the guest cart could not be merged at sign-in");
                journal::forget(&self.pool, guest).await?;
                return Ok(self.merge_failed(guest, Some(guest_cart)));
            }
        };
        if moved.nothing_known() {
            journal::forget(&self.pool, guest).await?;
            // Nothing is known to have moved and something may have: keeping the guest cart
            // as it is loses nothing, and what may also be in the customer's cart is in plain
            // sight there, never added twice to one cart.
            let mut kept = SignedInCart::kept(
                guest,
                Some(guest_cart),
                CartWarning::about_cart(
                    WarningCode::CartNotMerged,
                    "You are signed in. The store did not confirm whether your items reached \
                     your saved cart, so you have this cart as it was, and your saved cart is \
                     kept: check it before adding anything again.",
                ),
            );
            kept.warnings.extend(moved.warnings);
            return Ok(kept);
        }
        let merged = moved.cart.unwrap_or(customer_cart);
        // What did not move is the customer's from now on, kept by us (before the guest cart
        // goes, so that nothing is lost if this fails): the guest cart holds nothing for them.
        self.leave_behind(
            customer,
            channel,
            &moved.stayed,
            &moved.unknown,
            &moved.pending,
            &merged,
        )
        .await?;
        journal::rows_written(&self.pool, guest).await?;
        self.delete_guest_cart(guest, cx).await;
        self.adopted(
            merged,
            customer,
            SignInCartOutcome::CartMerged,
            moved.warnings,
        )
        .await
    }

    /// `guest` was merged before. By this customer, with its lines left behind not written
    /// (that sign-in failed after lines moved): what grew in the customer's cart since the
    /// merge began moved, the rest is left behind now; nothing is added again. Either way
    /// the guest cart is let go, never merged a second time.
    #[allow(clippy::too_many_arguments)]
    async fn merged_before(
        &self,
        guest: CartId,
        guest_cart: &Cart,
        earlier: journal::Merged,
        customer_cart: StoreCart,
        customer: CustomerId,
        channel: i64,
        cx: CorrelationId,
    ) -> Result<SignedInCart, CartError> {
        let mut warnings = Vec::new();
        let outcome = if earlier.customer == customer.get() && !earlier.rows_written {
            let stayed = if earlier.customer_cart == customer_cart.id {
                self.not_grown(guest_cart, &earlier.before, &customer_cart.cart, cx)
                    .await
            } else {
                Vec::new()
            };
            warnings.extend(stayed.iter().map(|stayed| {
                CartWarning::about_line(WarningCode::LineNotMoved, &stayed.line, NOT_TAKEN)
            }));
            self.leave_behind(customer, channel, &stayed, &[], &[], &customer_cart)
                .await?;
            journal::rows_written(&self.pool, guest).await?;
            SignInCartOutcome::CartMerged
        } else {
            tracing::info!(cart.id = %guest, "a guest cart merged before is let go, not merged again");
            SignInCartOutcome::CartRestored
        };
        self.delete_guest_cart(guest, cx).await;
        self.adopted(customer_cart, customer, outcome, warnings)
            .await
    }

    /// The guest lines the customer's cart did not grow by since `before`: they did not move.
    async fn not_grown(
        &self,
        guest_cart: &Cart,
        before: &Cart,
        now: &Cart,
        cx: CorrelationId,
    ) -> Vec<StayedLine> {
        let lines: Vec<_> = (guest_cart.line_items.iter())
            .filter(|line| !line.added_by_promotion)
            .collect();
        let catalog = self.lines_catalog(&guest_cart.line_items, cx).await;
        let mut counted: Vec<(usize, u64)> = Vec::new();
        let mut stayed = Vec::new();
        for (index, line) in lines.iter().enumerate() {
            let first = (lines.iter())
                .position(|other| super::moving::same_purchase(other, line))
                .unwrap_or(index);
            let used = counted
                .iter()
                .find(|(at, _)| *at == first)
                .map_or(0, |(_, used)| *used);
            let grown =
                purchase_quantity(now, line).saturating_sub(purchase_quantity(before, line));
            if grown >= used + line.quantity {
                match counted.iter_mut().find(|(at, _)| *at == first) {
                    Some((_, used)) => *used += line.quantity,
                    None => counted.push((first, line.quantity)),
                }
                continue;
            }
            stayed.push(StayedLine {
                line: (*line).clone(),
                item: line_to_add(line, &catalog),
                reason: NOT_TAKEN.to_owned(),
                refused: false,
            });
        }
        stayed
    }

    /// The merge could not run (BigCommerce down, or its outcome unknown): the shopper keeps
    /// the guest cart, and the customer's cart stays as it was, remembered.
    fn merge_failed(&self, guest: CartId, snapshot: Option<Cart>) -> SignedInCart {
        SignedInCart::kept(
            guest,
            snapshot,
            CartWarning::about_cart(
                WarningCode::CartNotMerged,
                "You are signed in; your items could not be added to your saved cart just now, \
                 so you have this cart for now and your saved cart is kept.",
            ),
        )
    }

    /// Deletes the guest cart whose lines moved, unless other sessions still hold it (a shared
    /// recovery link): it is theirs too, and stays as it was.
    async fn delete_guest_cart(&self, guest: CartId, cx: CorrelationId) {
        match store::held_by_several_sessions(&self.pool, guest).await {
            Ok(false) => {}
            Ok(true) => return,
            Err(error) => {
                tracing::warn!(error = %error, cart.id = %guest, "could not tell who holds a merged guest cart");
                return;
            }
        }
        match self.bigcommerce.delete_cart(guest, cx).await {
            Ok(_) => {
                if let Err(error) = journal::deleted(&self.pool, guest).await {
                    tracing::warn!(error = %error, cart.id = %guest, "could not note a deleted guest cart");
                }
            }
            Err(error) => {
                tracing::warn!(error = %error, cart.id = %guest, "could not delete a merged guest cart");
            }
        }
        if let Err(error) = store::forget_cart(&self.pool, guest).await {
            tracing::warn!(error = %error, cart.id = %guest, "could not forget a merged guest cart");
        }
    }

    /// Records `cart` as the customer's (taking it from every other session) and returns it.
    pub(super) async fn adopted(
        &self,
        cart: StoreCart,
        customer: CustomerId,
        outcome: SignInCartOutcome,
        warnings: Vec<CartWarning>,
    ) -> Result<SignedInCart, CartError> {
        store::save_snapshot(&self.pool, &cart).await?;
        store::remember_customer_cart(&self.pool, customer.get(), cart.id).await?;
        tracing::info!(target: "audit", event = outcome.as_str(), customer.id = customer.get(), cart.id = %cart.id);
        Ok(SignedInCart {
            cart_id: Some(cart.id),
            cart: Some(cart.cart),
            outcome: Some(outcome),
            warnings,
        })
    }
}
