//! Lines left behind at sign-in: the guest lines BigCommerce would not merge into the
//! customer's cart (out of stock, a purchase limit the summed quantity exceeds, a custom item
//! that cannot be added elsewhere). They are the customer's: at sign-in each is copied into
//! our database, keyed by the customer and channel, with the line as shown, the item that puts
//! it back (rebuilt then, with the catalog) and BigCommerce's reason. The guest cart is then let
//! go as if every line had moved, so no guest cart, recovery link or session holds anything for
//! the customer. Signing out loses nothing: the lines are shown again at the customer's next
//! sign-in, on any device, and never to another customer or a guest. They expire after 30 days,
//! like BigCommerce's carts.
//!
//! What it costs the store's API quota (150 calls per 30 s, shared with every other app):
//! - at sign-in, nothing beyond the merge itself;
//! - showing them (`GET /api/session`, the cart page) and discarding them: no call;
//! - moving them: 1 add (the session's cart is made by it when there is none), +1 read first
//!   when the session's snapshot is not fresh (the counts before the add must be true, see
//!   below) or an earlier move's outcome must be settled; when BigCommerce refuses the batch,
//!   1 more per line. What BigCommerce still refuses then cools down (`COOLDOWN`): while every
//!   line is cooling and the shopper's cart is as it was refused, a move calls nobody and
//!   answers the reasons it has.
//!
//! A move never adds a line twice. It claims the customer's lines with a lease (a second move
//! meanwhile is `left_behind_busy`), and before each add it writes its intent in them: the
//! target cart, how much of each line's purchase it held before (from the snapshot only while
//! it is fresh, otherwise one read first), and its version. An add whose answer is lost is
//! settled by one read against that intent: landed, the line goes; certainly not landed, it
//! is tried again; when that cannot be told, the line stays marked "may already be in your
//! cart" and is never added again by us (the shopper discards it). A claim whose lease ran out
//! with an intent in it (the process died) is settled the same way by the next move, before
//! anything is added.

mod item;
pub(super) mod journal;
mod move_back;
mod store;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::moving::{CartWarning, PendingLine, StayedLine, WarningCode};
use super::service::CartService;
use super::CartError;
use crate::bigcommerce::StoreCart;
use crate::domain::{Cart, CartLineItem, CustomerId, InvalidInput};
use crate::session::ShopperSession;
use item::StoredItem;
use store::{CartState, NewRow, Owner};
use uuid::Uuid;

pub use store::sweep_expired_left_behind;

/// How long one move holds the lines it acts on (renewed before every add it sends) before
/// another may take them.
const MOVE_LEASE: Duration = Duration::from_secs(30);
/// How long a line BigCommerce refused is not tried again while the shopper's cart stays as
/// it was refused by.
const COOLDOWN: Duration = Duration::from_secs(60);
/// However the shopper's cart changes meanwhile, a refused line is not tried again sooner.
const MIN_COOLDOWN: Duration = Duration::from_secs(10);
/// How much of a cooldown a change to the shopper's cart takes off.
const SHORTENED_BY_CHANGE: Duration = COOLDOWN.saturating_sub(MIN_COOLDOWN);
/// When BigCommerce refuses a move's batch, at most this many lines are then tried one by one
/// in that move (1 call each); the rest wait for the next move, not tried.
const ONE_BY_ONE_PER_MOVE: usize = 4;
/// What a line a move did not get to is marked with.
const NOT_TRIED_YET: &str = "This item was not tried yet: move again to try it.";
/// What a line whose move cannot be told is marked with.
const MAY_BE_IN_CART: &str = "This item may already be in your cart: the store did not confirm \
                              whether it arrived. Check your cart, then remove it here.";
/// What a line whose move is still to be read is marked with.
const OUTCOME_PENDING: &str = "The store did not confirm whether this item reached your cart; \
                               the next try checks your cart before adding it again.";

/// Lines a sign-in could not move into the customer's cart, kept for the customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LeftBehind {
    pub lines: Vec<LeftBehindLine>,
}

/// One line left behind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LeftBehindLine {
    /// The line as the guest cart held it.
    pub line: CartLineItem,
    /// Why it did not move: BigCommerce's reason where it gave one.
    pub reason: String,
    /// Whether `move` may add it: `false` for a line that cannot be added to another cart (a
    /// custom item) and for one that may already be in the cart (`reason` says so); those can
    /// only be discarded.
    pub movable: bool,
}

/// What the shopper does with the lines left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeftBehindAction {
    /// Add them to the session's cart; what still cannot move stays left behind.
    Move,
    /// Delete them.
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
    /// Every line still left behind: `line_not_moved` with its reason, or
    /// `line_outcome_unknown` for one that may already be in the cart.
    pub warnings: Vec<CartWarning>,
}

/// Whose lines a session reaches: its customer's, on its channel; a guest's none.
fn owner_of(session: &ShopperSession) -> Option<Owner> {
    session.customer_id().map(|customer| Owner {
        customer,
        channel: session.channel_id(),
    })
}

/// The session's cart as last seen, for cooldowns: its version only while nothing says it
/// changed elsewhere (a stale snapshot lifts every cooldown).
fn cart_state(session: &ShopperSession) -> CartState {
    CartState {
        cart: session.cart_id(),
        version: session
            .snapshot()
            .filter(|snapshot| !snapshot.stale)
            .map(|snapshot| snapshot.cart.version),
    }
}

/// Whole seconds until `until`, at least 1.
fn wait_until(until: OffsetDateTime) -> Duration {
    let left = until - OffsetDateTime::now_utc();
    Duration::from_secs(u64::try_from(left.whole_seconds()).unwrap_or(0) + 1)
}

impl CartService {
    /// At sign-in: the lines a merge into `merged` (the customer's cart as it left it) did not
    /// move become `customer`'s lines left behind; `unknown` may be in `merged` already.
    pub(super) async fn leave_behind(
        &self,
        customer: CustomerId,
        channel: i64,
        stayed: &[StayedLine],
        unknown: &[CartLineItem],
        pending: &[PendingLine],
        merged: &StoreCart,
    ) -> Result<(), CartError> {
        let sent_at = store::now_ms();
        let pending_items: Vec<StoredItem> =
            pending.iter().map(|p| StoredItem::from(&p.item)).collect();
        let rows: Vec<NewRow<'_>> = stayed
            .iter()
            .map(|stayed| NewRow {
                line: &stayed.line,
                item: stayed.item.as_ref().map(StoredItem::from),
                reason: &stayed.reason,
                refused: stayed.refused,
                outcome_unknown: false,
                intent: None,
            })
            .chain(unknown.iter().map(|line| NewRow {
                line,
                item: None,
                reason: MAY_BE_IN_CART,
                refused: false,
                outcome_unknown: true,
                intent: None,
            }))
            .chain(
                pending
                    .iter()
                    .zip(pending_items)
                    .map(|(pending, item)| NewRow {
                        line: &pending.line,
                        item: Some(item),
                        reason: OUTCOME_PENDING,
                        refused: false,
                        outcome_unknown: false,
                        intent: Some(store::Intent {
                            attempt: Uuid::new_v4(),
                            cart: Some(pending.cart.as_uuid()),
                            session: Uuid::nil(),
                            before: pending.before,
                            version: pending.version,
                            sent_at_ms: Some(sent_at),
                        }),
                    }),
            )
            .collect();
        let owner = Owner {
            customer: customer.get(),
            channel,
        };
        let refused_by = CartState {
            cart: Some(merged.id.as_uuid()),
            version: Some(merged.cart.version),
        };
        store::insert(&self.pool, owner, &rows, refused_by, COOLDOWN).await?;
        Ok(())
    }

    /// The lines left behind for the session's customer: no BigCommerce call.
    pub async fn left_behind(
        &self,
        session: &ShopperSession,
    ) -> Result<Option<LeftBehind>, CartError> {
        let Some(owner) = owner_of(session) else {
            return Ok(None);
        };
        let lines: Vec<LeftBehindLine> = store::list(&self.pool, owner)
            .await?
            .into_iter()
            .map(|listed| LeftBehindLine {
                line: listed.line,
                reason: listed.reason,
                movable: listed.movable,
            })
            .collect();
        Ok((!lines.is_empty()).then_some(LeftBehind { lines }))
    }

    /// The BigCommerce calls a move of the session's lines left behind makes when all goes as
    /// usual, for its fair share: none when nothing can be tried now (no lines, or every one
    /// cooling down, held by another move, or only to be discarded); otherwise the add, and a
    /// read first when the snapshot is not fresh or an earlier move must be settled. (A batch
    /// BigCommerce refuses is then tried line by line, once per cooldown.)
    pub async fn left_behind_move_calls(&self, session: &ShopperSession) -> Result<u32, CartError> {
        let Some(owner) = owner_of(session) else {
            return Ok(0);
        };
        let plan = store::plan(&self.pool, owner, cart_state(session), SHORTENED_BY_CHANGE).await?;
        if plan.movable == 0 && plan.to_settle == 0 {
            return Ok(0);
        }
        let ttl = self.settings.snapshot_ttl();
        let fresh = session.cart_id().is_none()
            || session
                .snapshot()
                .is_some_and(|snapshot| snapshot.is_fresh(ttl));
        Ok(1 + u32::from(plan.to_settle > 0 || !fresh))
    }

    /// Deletes the lines left behind (no BigCommerce call); those a move holds right now stay,
    /// and the answer is `left_behind_busy`.
    #[tracing::instrument(name = "Discard lines left behind", skip_all, fields(session.id = %session.id()))]
    pub async fn discard_left_behind(&self, session: &ShopperSession) -> Result<(), CartError> {
        let Some(owner) = owner_of(session) else {
            return Ok(());
        };
        match store::discard(&self.pool, owner).await?.held_until {
            Some(until) => Err(CartError::LeftBehindBusy(wait_until(until))),
            None => Ok(()),
        }
    }

    /// The lines still left behind, as warnings for the shopper.
    async fn left_behind_warnings(&self, owner: Owner) -> Result<Vec<CartWarning>, CartError> {
        Ok(store::list(&self.pool, owner)
            .await?
            .iter()
            .map(|listed| {
                let code = if listed.outcome_unknown {
                    WarningCode::LineOutcomeUnknown
                } else {
                    WarningCode::LineNotMoved
                };
                CartWarning::about_line(code, &listed.line, listed.reason.clone())
            })
            .collect())
    }
}
