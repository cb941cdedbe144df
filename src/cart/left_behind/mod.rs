//! Lines left behind at sign-in: the guest lines BigCommerce would not merge into the
//! customer's cart (out of stock, a purchase limit the summed quantity exceeds). They were fine
//! in the guest cart, so they are not deleted: the guest cart stays, the signed-in session
//! remembers it (`sessions.left_behind_cart_id`, only ever read from the session row), and the
//! shopper sees those lines with BigCommerce's reason and moves them again (once the reason is
//! gone) or discards them.
//!
//! What it costs the store's API quota (150 calls per 30 s, shared with every other app):
//! - at sign-in, nothing beyond the merge itself. The lines that did move are **not** deleted
//!   from the guest cart (one call per line); instead the lines that stayed are recorded here,
//!   and only they are ever shown or moved again, so a moved line is never moved twice;
//! - showing them (`GET /api/session`, the cart page): no call; they come from the guest
//!   cart's stored snapshot;
//! - moving them again: what moving lines costs (1 call, more only when BigCommerce refuses
//!   some; see `moving`), plus 1 to delete the guest cart once nothing is left behind;
//! - discarding them: 1 call (the guest cart is deleted).
//!
//! A line whose move has an unknown outcome (`line_outcome_unknown`) is not kept: it may be in
//! the shopper's cart already, and moving it again could add it twice.
//!
//! The lines go with the session: signing out ends them (the next shopper on a shared device
//! must not get them), and so does signing in as another customer; signing in again as the
//! same customer keeps them (see `accounts::store::rotate_into_signed_in_session`).

mod store;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::moving::{line_to_add, MoveFailed, Moved, StayedLine, NOT_TAKEN, NOT_TRIED};
use super::service::CartService;
use super::CartError;
use crate::bigcommerce::CorrelationId;
use crate::domain::{Cart, CartId, CartLineItem, InvalidInput, NewLineItem};
use crate::session::ShopperSession;
use store::Kept;

/// How long one move of lines left behind holds them before another may try.
const MOVE_LEASE: Duration = Duration::from_secs(30);

/// Lines a sign-in could not move into the customer's cart, kept for the shopper.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LeftBehind {
    pub lines: Vec<LeftBehindLine>,
}

/// One line left behind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LeftBehindLine {
    /// The line as the guest cart holds it.
    pub line: CartLineItem,
    /// Why it did not move: BigCommerce's reason where it gave one.
    pub reason: String,
}

/// What the shopper does with the lines left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeftBehindAction {
    /// Add them to the session's cart; what still cannot move stays left behind.
    Move,
    /// Delete them (and the guest cart that holds them).
    Discard,
}

impl LeftBehindAction {
    /// The action a request names; any other word is invalid input (422), not a malformed
    /// body, so that a client learns which values there are.
    pub fn parse(action: &str) -> Result<Self, InvalidInput> {
        match action {
            "move" => Ok(Self::Move),
            "discard" => Ok(Self::Discard),
            _ => Err(InvalidInput::new("action must be \"move\" or \"discard\"")),
        }
    }
}

/// The session's cart after moving the lines left behind.
pub struct MovedBack {
    pub cart: Option<Cart>,
    /// The lines that still did not move (they stay left behind), and those that may have.
    pub warnings: Vec<super::CartWarning>,
}

impl CartService {
    /// At sign-in: `stayed` stay left behind in `guest`, which no session but `signing_in`
    /// holds from now on.
    pub(super) async fn leave_behind(
        &self,
        guest: CartId,
        signing_in: Option<Uuid>,
        stayed: &[StayedLine],
    ) -> Result<(), CartError> {
        let kept = kept(stayed);
        store::record_left_behind(&self.pool, guest, signing_in, &kept).await?;
        Ok(())
    }

    /// The lines left behind for `session`, from the stored snapshot: no BigCommerce call.
    pub async fn left_behind(
        &self,
        session: &ShopperSession,
    ) -> Result<Option<LeftBehind>, CartError> {
        let Some(guest) = session.left_behind_cart_id().map(CartId::new) else {
            return Ok(None);
        };
        Ok(store::load_left_behind(&self.pool, guest)
            .await?
            .map(|recorded| lines_of(recorded, None))
            .filter(|left| !left.lines.is_empty()))
    }

    /// Moves the lines left behind into the session's cart (making one if the session has
    /// none). What BigCommerce still refuses stays left behind, with its new reason.
    #[tracing::instrument(name = "Move lines left behind", skip_all, fields(session.id = %session.id()))]
    pub async fn move_left_behind(
        &self,
        session: &ShopperSession,
        cx: CorrelationId,
    ) -> Result<MovedBack, CartError> {
        let Some(guest) = session.left_behind_cart_id().map(CartId::new) else {
            return self.nothing_to_move(session, cx).await;
        };
        let claimed = store::claim_left_behind(&self.pool, guest, MOVE_LEASE).await?;
        let recorded = store::load_left_behind(&self.pool, guest).await?;
        let lines: Vec<CartLineItem> = match recorded {
            Some(recorded) => lines_of(recorded, Some(&claimed))
                .lines
                .into_iter()
                .map(|left| left.line)
                .collect(),
            None => Vec::new(),
        };
        if lines.is_empty() {
            // Another request is moving them right now, or nothing is left.
            store::release_left_behind(&self.pool, guest, &claimed).await?;
            return self.nothing_to_move(session, cx).await;
        }
        session.mark_changed();
        let moved = match self.move_into_session_cart(session, &lines, cx).await {
            Ok(moved) => moved,
            Err(error) => {
                store::release_left_behind(&self.pool, guest, &claimed).await?;
                return Err(error);
            }
        };
        if let Some(cart) = &moved.cart {
            super::store::save_snapshot(&self.pool, cart).await?;
        }
        let remaining =
            store::settle_left_behind(&self.pool, guest, &claimed, &kept(&moved.stayed)).await?;
        if remaining == 0 {
            // Only lines that moved are left in it: it goes.
            if let Err(error) = self.bigcommerce.delete_cart(guest, cx).await {
                tracing::warn!(error = %error, cart.id = %guest, "could not delete an emptied left-behind cart");
            }
            super::store::forget_cart(&self.pool, guest).await?;
        }
        let cart = match moved.cart {
            Some(cart) => Some(cart.cart),
            None => self.get(session, cx).await?,
        };
        Ok(MovedBack {
            cart,
            warnings: moved.warnings,
        })
    }

    /// Deletes the lines left behind, and the guest cart that holds them (one call).
    #[tracing::instrument(name = "Discard lines left behind", skip_all, fields(session.id = %session.id()))]
    pub async fn discard_left_behind(
        &self,
        session: &ShopperSession,
        cx: CorrelationId,
    ) -> Result<(), CartError> {
        let Some(guest) = session.left_behind_cart_id().map(CartId::new) else {
            return Ok(());
        };
        // A guest cart already gone is what the shopper asked for (BigCommerce answers 500,
        // not 404, when a gone cart is deleted: one read tells); any other failure leaves
        // everything as it was, for another try.
        match self.bigcommerce.delete_cart(guest, cx).await {
            Ok(()) => {}
            Err(error) if error.may_mean_cart_gone() => {
                if self.settle_gone_cart(guest, cx).await?.is_some() {
                    return Err(error.into());
                }
            }
            Err(error) => return Err(error.into()),
        }
        session.mark_changed();
        super::store::forget_cart(&self.pool, guest).await?;
        Ok(())
    }

    async fn nothing_to_move(
        &self,
        session: &ShopperSession,
        cx: CorrelationId,
    ) -> Result<MovedBack, CartError> {
        Ok(MovedBack {
            cart: self.get(session, cx).await?,
            warnings: Vec::new(),
        })
    }

    /// Moves `lines` into the session's cart; a session without one (emptied or checked out
    /// since the sign-in) gets a new one, made for the customer.
    async fn move_into_session_cart(
        &self,
        session: &ShopperSession,
        lines: &[CartLineItem],
        cx: CorrelationId,
    ) -> Result<Moved, CartError> {
        if let Some(target) = self.session_cart(session).await? {
            let before = session.snapshot().map(|snapshot| &snapshot.cart);
            match self.move_lines(target, lines, before, cx).await {
                Ok(moved) => return Ok(moved),
                Err(MoveFailed::NothingMoved(error)) => return Err(error.into()),
                Err(MoveFailed::TargetGone) => {
                    super::store::forget_cart(&self.pool, target).await?;
                }
            }
        }
        self.move_into_new_cart(session, lines, cx).await
    }

    /// The session has no cart: the first add makes one (one call when BigCommerce takes every
    /// line). Making a cart is not idempotent either, but a make whose answer was lost leaves
    /// at most a cart no session holds: the line is not in the shopper's cart, and stays.
    async fn move_into_new_cart(
        &self,
        session: &ShopperSession,
        lines: &[CartLineItem],
        cx: CorrelationId,
    ) -> Result<Moved, CartError> {
        let mut moved = Moved::new();
        let mut movable: Vec<(&CartLineItem, NewLineItem)> = Vec::new();
        let catalog = self.lines_catalog(lines, cx).await;
        for line in lines {
            match line_to_add(line, &catalog) {
                Some(item) => movable.push((line, item)),
                None => moved.stay(line, super::moving::CANNOT_MOVE),
            }
        }
        let items: Vec<NewLineItem> = movable.iter().map(|(_, item)| item.clone()).collect();
        if items.is_empty() {
            return Ok(moved);
        }
        match self.add_to_session_cart(session, &items, cx).await {
            Ok(cart) => {
                moved.cart = Some(cart);
                return Ok(moved);
            }
            Err(CartError::Upstream(error)) if error.refusal().is_some() && items.len() > 1 => {}
            Err(CartError::Upstream(error)) if error.refusal().is_some() => {
                moved.stay(movable[0].0, error.refusal().unwrap_or_default());
                return Ok(moved);
            }
            Err(error) => return Err(error),
        }
        // Refused as a whole: the first line BigCommerce takes makes the cart, the rest are
        // moved into it.
        for (index, (line, item)) in movable.iter().enumerate() {
            match self
                .add_to_session_cart(session, std::slice::from_ref(item), cx)
                .await
            {
                Ok(cart) => {
                    let rest: Vec<CartLineItem> = movable[index + 1..]
                        .iter()
                        .map(|(line, _)| (*line).clone())
                        .collect();
                    let more = match self.move_lines(cart.id, &rest, Some(&cart.cart), cx).await {
                        Ok(more) => more,
                        Err(failed) => {
                            if let MoveFailed::NothingMoved(error) = failed {
                                tracing::warn!(error = %error, "could not move the rest of the lines left behind");
                            }
                            let mut none = Moved::new();
                            rest.iter().for_each(|line| none.stay(line, NOT_TAKEN));
                            none
                        }
                    };
                    moved.cart = Some(cart);
                    moved.absorb(more);
                    return Ok(moved);
                }
                Err(CartError::Upstream(error)) if error.refusal().is_some() => {
                    moved.stay(line, error.refusal().unwrap_or_default());
                }
                Err(error) => {
                    tracing::warn!(error = %error, "could not make a cart for the lines left behind");
                    moved.stay(line, NOT_TAKEN);
                    movable[index + 1..]
                        .iter()
                        .for_each(|(line, _)| moved.stay(line, NOT_TRIED));
                    return Ok(moved);
                }
            }
        }
        Ok(moved)
    }
}

fn kept(stayed: &[StayedLine]) -> Vec<Kept<'_>> {
    stayed
        .iter()
        .map(|stayed| Kept {
            line_id: &stayed.line.id,
            reason: &stayed.reason,
        })
        .collect()
}

/// The recorded lines as the snapshot holds them (in its order); only those in `only` when
/// given. A recorded line the snapshot lacks is not shown.
fn lines_of(recorded: store::Recorded, only: Option<&[String]>) -> LeftBehind {
    let lines = recorded
        .cart
        .line_items
        .into_iter()
        .filter(|line| only.is_none_or(|only| only.contains(&line.id)))
        .filter_map(|line| {
            let reason = recorded
                .reasons
                .iter()
                .find(|(id, _)| *id == line.id)
                .map(|(_, reason)| reason.clone())?;
            Some(LeftBehindLine { line, reason })
        })
        .collect();
    LeftBehind { lines }
}
