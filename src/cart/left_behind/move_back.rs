//! Moving lines left behind into the session's cart: claim them, settle what an earlier move
//! left in flight, write the intent, add, and record what became of each line.

use std::time::Duration;

use uuid::Uuid;

use super::store::{self, CartState, Claimed, Intent, Note, Owner};
use super::{
    cart_state, owner_of, wait_until, MovedBack, COOLDOWN, MAY_BE_IN_CART, MOVE_LEASE,
    NOT_TRIED_YET, ONE_BY_ONE_PER_MOVE, OUTCOME_PENDING, SHORTENED_BY_CHANGE,
};
use crate::bigcommerce::{BigCommerceError, CorrelationId, Priority, StoreCart};
use crate::cart::moving::{purchase_quantity, tell_landed, Told, NOT_TAKEN, NOT_TRIED};
use crate::cart::service::{may_hold, CartService, Joined};
use crate::cart::{store as carts_store, CartError};
use crate::domain::{Cart, CartId, CartLineItem, NewLineItem};
use crate::session::ShopperSession;

impl CartService {
    /// Moves the lines left behind into the session's cart (making one if the session has
    /// none). What BigCommerce still refuses stays, with its new reason, and cools down.
    #[tracing::instrument(name = "Move lines left behind", skip_all, fields(session.id = %session.id()))]
    pub async fn move_left_behind(
        &self,
        session: &ShopperSession,
        cx: CorrelationId,
    ) -> Result<MovedBack, CartError> {
        let Some(owner) = owner_of(session) else {
            return Ok(MovedBack {
                cart: self.as_last_seen(session, cx).await?,
                warnings: Vec::new(),
            });
        };
        let claim = Uuid::new_v4();
        let claimed = store::claim(
            &self.pool,
            owner,
            claim,
            MOVE_LEASE,
            cart_state(session),
            SHORTENED_BY_CHANGE,
        )
        .await?;
        if claimed.is_empty() {
            // Nothing to try now: another move holds the lines, or every one is cooling down,
            // or can only be discarded. No call either way.
            if let Some(until) = store::held_until(&self.pool, owner).await? {
                return Err(CartError::LeftBehindBusy(wait_until(until)));
            }
            return Ok(MovedBack {
                cart: self.as_last_seen(session, cx).await?,
                warnings: self.left_behind_warnings(owner).await?,
            });
        }
        let mut mover = Mover {
            carts: self,
            session,
            owner,
            claim,
            cx,
            target: None,
            read: Vec::new(),
            refused: Vec::new(),
            settling: None,
            landed_any: std::cell::Cell::new(false),
        };
        let moved = mover.run(claimed).await;
        let finished = mover.finish().await;
        if let Err(error) = store::release(&self.pool, claim).await {
            tracing::warn!(error = %error, "could not release the lines left behind");
        }
        moved?;
        finished?;
        // An add whose answer was lost may still be applied: while nothing else moved, the
        // move answers that its outcome is being checked, and when to ask again.
        if let Some(wait) = mover.settling.filter(|_| !mover.landed_any.get()) {
            return Err(CartError::LeftBehindBusy(wait));
        }
        let read_now = mover
            .read
            .iter()
            .find(|(id, _)| Some(id.as_uuid()) == session.cart_id())
            .map(|(_, cart)| cart.clone());
        let cart = match (mover.target, read_now) {
            (Some(Some(known)), _) => Some(known.cart),
            (Some(None), _) => None,
            // Only an earlier move was settled: the cart as that read showed it.
            (None, Some(cart)) => cart,
            (None, None) => self.as_last_seen(session, cx).await?,
        };
        Ok(MovedBack {
            cart,
            warnings: self.left_behind_warnings(owner).await?,
        })
    }

    /// The session's cart as last seen, without asking BigCommerce (unless nothing at all is
    /// known of it).
    async fn as_last_seen(
        &self,
        session: &ShopperSession,
        cx: CorrelationId,
    ) -> Result<Option<Cart>, CartError> {
        if self.session_cart(session).await?.is_none() {
            return Ok(None);
        }
        match session.snapshot() {
            Some(snapshot) => Ok(Some(snapshot.cart.clone())),
            None => self.get(session, cx).await,
        }
    }
}

/// The session's cart as this move knows it.
struct Known {
    id: CartId,
    cart: Cart,
}

/// A line to add, and what adds it.
struct Movable {
    id: Uuid,
    line: CartLineItem,
    item: NewLineItem,
}

/// What one add did.
enum Added {
    Landed(Box<StoreCart>),
    /// BigCommerce refused it (nothing changed), for this reason.
    Refused(String),
    /// The target cart is gone (forgotten): nothing changed.
    Gone,
    /// Not sent, or turned away unprocessed: nothing changed.
    Busy(CartError),
    /// The answer was lost: it may have landed.
    Lost(CartError),
    /// Something of ours failed (the database): the intent stays, for the next move.
    Failed(CartError),
}

/// What one read said about an add of this move whose answer was lost.
enum Settled {
    Told(Told),
    /// The target is gone (forgotten): the add is in no cart of the shopper's.
    Gone,
    /// The read failed: whether it landed is still to be told.
    Unread,
}

struct Mover<'a> {
    carts: &'a CartService,
    session: &'a ShopperSession,
    owner: Owner,
    claim: Uuid,
    cx: CorrelationId,
    /// `None` until looked at; then the session's cart (`Some(None)`: it has none).
    target: Option<Option<Known>>,
    /// Carts read to settle an earlier move, by id (`None`: gone).
    read: Vec<(CartId, Option<Cart>)>,
    /// The lines this move found refused.
    refused: Vec<Uuid>,
    /// An add whose answer was lost may still land for this long: its lines stay pending.
    settling: Option<Duration>,
    /// Whether any line reached the cart in this move.
    landed_any: std::cell::Cell<bool>,
}

impl Mover<'_> {
    async fn run(&mut self, claimed: Vec<Claimed>) -> Result<(), CartError> {
        let (to_settle, ready): (Vec<Claimed>, Vec<Claimed>) =
            claimed.into_iter().partition(|row| row.intent.is_some());
        let mut ready = ready;
        // An earlier move died with these adds in flight: read before adding anything.
        for group in by_attempt(to_settle) {
            let ids: Vec<Uuid> = group.iter().map(|row| row.id).collect();
            let Some(told) = self.settle_earlier(&group).await? else {
                // Still within its settle window: a read finding nothing says nothing yet.
                continue;
            };
            match told {
                Told::Landed => {
                    self.landed_any.set(true);
                    store::landed(&self.carts.pool, self.claim, &ids).await?;
                }
                Told::NotLanded => {
                    self.note(ids.iter().map(|id| (*id, Note::Cleared))).await?;
                    ready.extend(group);
                }
                Told::Unknown => {
                    let unknown = Note::Unknown(MAY_BE_IN_CART.to_owned());
                    self.note(ids.iter().map(|id| (*id, unknown.clone())))
                        .await?;
                }
            }
        }
        let movable: Vec<Movable> = ready
            .into_iter()
            .filter_map(|row| {
                Some(Movable {
                    id: row.id,
                    line: row.line,
                    item: row.item?,
                })
            })
            .collect();
        if movable.is_empty() {
            return Ok(());
        }
        self.move_all(movable).await
    }

    /// In one add; when BigCommerce refuses it, line by line.
    async fn move_all(&mut self, rows: Vec<Movable>) -> Result<(), CartError> {
        // At most: the session's cart turns out gone, then a new one is made.
        for _ in 0..2 {
            self.look_at_target().await?;
            let intents = self.intend(&rows).await?;
            let items: Vec<NewLineItem> = rows.iter().map(|row| row.item.clone()).collect();
            match self.add(&items).await {
                Added::Landed(cart) => {
                    self.landed(&rows).await?;
                    self.seen(*cart);
                    return Ok(());
                }
                Added::Refused(reason) if rows.len() == 1 => {
                    return self.refuse(&rows[0], reason).await;
                }
                Added::Refused(_) => {
                    self.clear(&rows).await?;
                    return self.one_by_one(rows).await;
                }
                Added::Gone => self.clear(&rows).await?,
                Added::Busy(error) => {
                    self.clear(&rows).await?;
                    return Err(error);
                }
                Added::Failed(error) => return Err(error),
                Added::Lost(error) => match self.settle_own(&rows, &intents).await {
                    Settled::Told(Told::Landed) => {
                        self.landed(&rows).await?;
                        return Ok(());
                    }
                    // Not there yet, but it may still be applied: the intent stays until the
                    // settle window has passed.
                    Settled::Told(Told::NotLanded) => {
                        tracing::warn!(error = %error, "a lost move is pending its settle window");
                        self.wait_settle();
                        return self
                            .mark(&rows, Note::Pending(OUTCOME_PENDING.to_owned()))
                            .await;
                    }
                    Settled::Told(Told::Unknown) => {
                        return self
                            .mark(&rows, Note::Unknown(MAY_BE_IN_CART.to_owned()))
                            .await
                    }
                    Settled::Unread => {
                        return self
                            .mark(&rows, Note::Pending(OUTCOME_PENDING.to_owned()))
                            .await
                    }
                    Settled::Gone => self.clear(&rows).await?,
                },
            }
        }
        self.mark(&rows, Note::Failed(NOT_TAKEN.to_owned())).await
    }

    /// Each line in an add of its own, so that every line BigCommerce takes moves. A store
    /// that fails is not asked for more.
    async fn one_by_one(&mut self, rows: Vec<Movable>) -> Result<(), CartError> {
        // One move spends a bounded number of calls, however many lines there are: the
        // first few are tried one by one, the rest wait, not tried, for the next move.
        let mut rows = rows;
        let untried = rows.split_off(rows.len().min(ONE_BY_ONE_PER_MOVE));
        self.mark(&untried, Note::Failed(NOT_TRIED_YET.to_owned()))
            .await?;
        let mut rest = rows.into_iter();
        while let Some(row) = rest.next() {
            let row = [row];
            let intents = self.intend(&row).await?;
            let stop = match self.add(std::slice::from_ref(&row[0].item)).await {
                Added::Landed(cart) => {
                    self.landed(&row).await?;
                    self.seen(*cart);
                    continue;
                }
                Added::Refused(reason) => {
                    let [row] = row;
                    self.refuse(&row, reason).await?;
                    continue;
                }
                Added::Failed(error) => return Err(error),
                Added::Gone | Added::Busy(_) => Note::Failed(NOT_TRIED.to_owned()),
                Added::Lost(_) => match self.settle_own(&row, &intents).await {
                    Settled::Told(Told::Landed) => {
                        self.landed(&row).await?;
                        Note::Cleared
                    }
                    Settled::Told(Told::NotLanded) => {
                        self.wait_settle();
                        Note::Pending(OUTCOME_PENDING.to_owned())
                    }
                    Settled::Gone => Note::Failed(NOT_TAKEN.to_owned()),
                    Settled::Told(Told::Unknown) => Note::Unknown(MAY_BE_IN_CART.to_owned()),
                    Settled::Unread => Note::Pending(OUTCOME_PENDING.to_owned()),
                },
            };
            // The store is failing: this line as settled, the rest not tried.
            tracing::warn!("a line left behind could not be moved; not trying the rest");
            let rest: Vec<Movable> = rest.collect();
            if !matches!(stop, Note::Cleared) {
                self.mark(&row, stop).await?;
            }
            return self.mark(&rest, Note::Failed(NOT_TRIED.to_owned())).await;
        }
        Ok(())
    }

    /// The session's cart, and what it holds: from the snapshot only while it is fresh (not
    /// marked stale, younger than the TTL), otherwise one read, which also tells whether the
    /// cart is still the shopper's to add to.
    async fn look_at_target(&mut self) -> Result<(), CartError> {
        if self.target.is_some() {
            return Ok(());
        }
        let carts = self.carts;
        let Some(cart) = carts.session_cart(self.session).await? else {
            self.target = Some(None);
            return Ok(());
        };
        if let Some((_, read)) = self.read.iter().find(|(id, _)| *id == cart) {
            self.target = Some(read.clone().map(|cart_now| Known {
                id: cart,
                cart: cart_now,
            }));
            return Ok(());
        }
        let ttl = carts.settings.snapshot_ttl();
        if let Some(snapshot) = self
            .session
            .snapshot()
            .filter(|snapshot| snapshot.is_fresh(ttl))
        {
            self.target = Some(Some(Known {
                id: cart,
                cart: snapshot.cart.clone(),
            }));
            return Ok(());
        }
        self.session.mark_changed();
        let known = match carts
            .bigcommerce
            .get_cart_as(cart, Priority::Change, self.cx)
            .await?
        {
            Some(current) => {
                carts_store::save_snapshot(&carts.pool, &current).await?;
                if may_hold(self.session, current.customer_id) {
                    Some(Known {
                        id: cart,
                        cart: current.cart,
                    })
                } else {
                    carts.let_go(self.session, cart).await?;
                    None
                }
            }
            None => {
                carts_store::forget_cart(&carts.pool, cart).await?;
                None
            }
        };
        self.target = Some(known);
        Ok(())
    }

    /// Writes, before the add is sent, what it adds to which cart and what that cart held.
    async fn intend(&self, rows: &[Movable]) -> Result<Vec<Intent>, CartError> {
        let attempt = Uuid::new_v4();
        let known = self.target.as_ref().and_then(Option::as_ref);
        let intents: Vec<Intent> = rows
            .iter()
            .map(|row| Intent {
                attempt,
                cart: known.map(|known| known.id.as_uuid()),
                session: self.session.id(),
                before: known.map_or(0, |known| purchase_quantity(&known.cart, &row.line)),
                version: known.map_or(0, |known| known.cart.version),
                sent_at_ms: Some(store::now_ms()),
            })
            .collect();
        let pairs: Vec<(Uuid, Intent)> = rows
            .iter()
            .map(|row| row.id)
            .zip(intents.iter().cloned())
            .collect();
        if !store::intend(&self.carts.pool, self.claim, MOVE_LEASE, &pairs).await? {
            // Our lease ran out and another move holds the lines: it adds them, not us.
            return Err(CartError::LeftBehindBusy(MOVE_LEASE));
        }
        Ok(intents)
    }

    /// One add to the target, or (without one) to the session's cart, made by it.
    async fn add(&mut self, items: &[NewLineItem]) -> Added {
        let carts = self.carts;
        let target = self
            .target
            .as_ref()
            .and_then(Option::as_ref)
            .map(|known| known.id);
        self.session.mark_changed();
        let error = match target {
            Some(target) => match carts.add_expecting_echoes(target, items, self.cx).await {
                Ok(cart) => {
                    if let Err(error) = carts_store::save_snapshot(&carts.pool, &cart).await {
                        return Added::Failed(error.into());
                    }
                    return Added::Landed(Box::new(cart));
                }
                Err(BigCommerceError::NotFound) => {
                    if let Err(error) = carts_store::forget_cart(&carts.pool, target).await {
                        return Added::Failed(error.into());
                    }
                    self.target = Some(None);
                    return Added::Gone;
                }
                Err(error) => CartError::Upstream(error),
            },
            // The session has no cart: the add makes one (or, when another request of the
            // session is making one right now, goes into that).
            None => match carts.create_or_join(self.session, items, self.cx).await {
                Ok(Joined::Created(cart)) => return Added::Landed(cart),
                Ok(Joined::Existing(cart)) => {
                    match carts.add_expecting_echoes(cart, items, self.cx).await {
                        Ok(cart) => {
                            if let Err(error) = carts_store::save_snapshot(&carts.pool, &cart).await
                            {
                                return Added::Failed(error.into());
                            }
                            return Added::Landed(Box::new(cart));
                        }
                        Err(error) => CartError::Upstream(error),
                    }
                }
                Err(error) => error,
            },
        };
        match &error {
            CartError::Upstream(upstream) => match upstream.refusal() {
                Some(reason) => Added::Refused(reason.to_owned()),
                None if error.changed_nothing() => Added::Busy(error),
                None => Added::Lost(error),
            },
            _ if error.changed_nothing() => Added::Busy(error),
            _ => Added::Failed(error),
        }
    }

    /// Whether an add of this move whose answer was lost landed: one read of the cart it went
    /// to, against the intent written before it.
    async fn settle_own(&mut self, rows: &[Movable], intents: &[Intent]) -> Settled {
        let carts = self.carts;
        let target = match self.target.as_ref().and_then(Option::as_ref) {
            Some(known) => Some(known.id),
            None => match store::cart_made_for(&carts.pool, self.session.id(), self.owner.customer)
                .await
            {
                Ok(cart) => cart,
                Err(error) => {
                    tracing::warn!(error = %error, "could not tell where a lost add went");
                    return Settled::Unread;
                }
            },
        };
        let Some(target) = target else {
            // The session has no cart: a cart the add made reached no one.
            return Settled::Told(Told::NotLanded);
        };
        let changed = self.changed_by_us(target, intents.first()).await;
        match carts.bigcommerce.get_cart(target, self.cx).await {
            Ok(Some(now)) => {
                if let Err(error) = carts_store::save_snapshot(&carts.pool, &now).await {
                    tracing::warn!(error = %error, "could not save a settling read");
                }
                let lines: Vec<(&CartLineItem, Option<u64>)> = rows
                    .iter()
                    .zip(intents)
                    .map(|(row, intent)| (&row.line, Some(intent.before)))
                    .collect();
                let version = intents.first().map(|intent| intent.version);
                let mut told = tell_landed(&now.cart, &lines, version);
                if told == Told::Landed && changed {
                    told = Told::Unknown;
                }
                if told == Told::Landed || self.target.as_ref().is_some_and(Option::is_some) {
                    self.seen(now);
                }
                Settled::Told(told)
            }
            Ok(None) => {
                if let Err(error) = carts_store::forget_cart(&carts.pool, target).await {
                    tracing::warn!(error = %error, "could not forget a gone cart");
                }
                self.target = Some(None);
                Settled::Gone
            }
            Err(error) => {
                tracing::warn!(error = %error, "could not read the cart to settle a lost add");
                Settled::Unread
            }
        }
    }

    /// Whether an add an earlier move left in flight (its process died) landed: one read of
    /// the cart it went to, against the intent it wrote. A read that fails fails the move: the
    /// intent stays, and nothing is added before it is told.
    async fn settle_earlier(&mut self, group: &[Claimed]) -> Result<Option<Told>, CartError> {
        let Some(intent) = group.first().and_then(|row| row.intent.as_ref()) else {
            return Ok(Some(Told::NotLanded));
        };
        let window = self.carts.settings.idempotency_settle_window();
        let settling = intent.settling_for(window);
        let target = match intent.cart {
            Some(cart) => Some(CartId::new(cart)),
            None => {
                store::cart_made_for(&self.carts.pool, intent.session, self.owner.customer).await?
            }
        };
        let Some(target) = target else {
            return Ok(Some(Told::NotLanded));
        };
        let changed = self.changed_by_us(target, Some(intent)).await;
        let now = match self.read.iter().find(|(id, _)| *id == target) {
            Some((_, now)) => now.clone(),
            None => {
                let carts = self.carts;
                let now = match carts.bigcommerce.get_cart(target, self.cx).await? {
                    Some(now) => {
                        carts_store::save_snapshot(&carts.pool, &now).await?;
                        Some(now.cart)
                    }
                    None => {
                        carts_store::forget_cart(&carts.pool, target).await?;
                        None
                    }
                };
                self.session.mark_changed();
                self.read.push((target, now.clone()));
                now
            }
        };
        // A cart gone holds nothing of the shopper's any more.
        let Some(now) = now else {
            return Ok(Some(Told::NotLanded));
        };
        let lines: Vec<(&CartLineItem, Option<u64>)> = group
            .iter()
            .filter_map(|row| Some((&row.line, Some(row.intent.as_ref()?.before))))
            .collect();
        match (tell_landed(&now, &lines, Some(intent.version)), settling) {
            (Told::Landed, _) if changed => Ok(Some(Told::Unknown)),
            // Not there yet, but it may still be applied within its settle window: it stays
            // pending, and is offered again only once the window has passed.
            (Told::NotLanded, Some(left)) => {
                self.settling = Some(self.settling.map_or(left, |wait| wait.max(left)));
                Ok(None)
            }
            (told, _) => Ok(Some(told)),
        }
    }

    /// Whether another request of ours changed `target` after the add of `intent` was sent
    /// (another device adding the same product): then a read that finds the add's quantity
    /// cannot tell whose change it was. Asked before the settling read is stored.
    async fn changed_by_us(&self, target: CartId, intent: Option<&Intent>) -> bool {
        let Some(intent) = intent else {
            return false;
        };
        match store::changed_by_us_since(&self.carts.pool, target.as_uuid(), intent).await {
            Ok(changed) => changed,
            Err(error) => {
                tracing::warn!(error = %error, "could not tell whether others changed the cart");
                true
            }
        }
    }

    /// An add of this move may still land: its lines wait out the settle window.
    fn wait_settle(&mut self) {
        let window = self.carts.settings.idempotency_settle_window();
        self.settling = Some(self.settling.map_or(window, |wait| wait.max(window)));
    }

    /// The target as an add answered it (or a read showed it).
    fn seen(&mut self, cart: StoreCart) {
        self.target = Some(Some(Known {
            id: cart.id,
            cart: cart.cart,
        }));
    }

    /// The cart as this move leaves it, for cooldowns.
    fn state(&self) -> CartState {
        match self.target.as_ref().and_then(Option::as_ref) {
            Some(known) => CartState {
                cart: Some(known.id.as_uuid()),
                version: Some(known.cart.version),
            },
            None => CartState::default(),
        }
    }

    async fn landed(&self, rows: &[Movable]) -> Result<(), CartError> {
        self.landed_any.set(true);
        let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
        store::landed(&self.carts.pool, self.claim, &ids).await?;
        Ok(())
    }

    async fn refuse(&mut self, row: &Movable, reason: String) -> Result<(), CartError> {
        self.refused.push(row.id);
        self.note([(row.id, Note::Refused(reason))]).await
    }

    async fn clear(&self, rows: &[Movable]) -> Result<(), CartError> {
        self.mark(rows, Note::Cleared).await
    }

    async fn mark(&self, rows: &[Movable], note: Note) -> Result<(), CartError> {
        self.note(rows.iter().map(|row| (row.id, note.clone())))
            .await
    }

    async fn note(&self, notes: impl IntoIterator<Item = (Uuid, Note)>) -> Result<(), CartError> {
        let notes: Vec<(Uuid, Note)> = notes.into_iter().collect();
        store::note(&self.carts.pool, self.claim, &notes, self.state(), COOLDOWN).await?;
        Ok(())
    }

    /// What this move refused cools down while the shopper's cart is as the move left it.
    async fn finish(&self) -> Result<(), CartError> {
        store::restamp_refusals(&self.carts.pool, self.claim, &self.refused, self.state()).await?;
        Ok(())
    }
}

/// The lines of each add an earlier move left in flight.
fn by_attempt(rows: Vec<Claimed>) -> Vec<Vec<Claimed>> {
    let mut groups: Vec<Vec<Claimed>> = Vec::new();
    for row in rows {
        let attempt = row.intent.as_ref().map(|intent| intent.attempt);
        match groups
            .iter_mut()
            .find(|group| group[0].intent.as_ref().map(|intent| intent.attempt) == attempt)
        {
            Some(group) => group.push(row),
            None => groups.push(vec![row]),
        }
    }
    groups
}
