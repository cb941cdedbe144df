//! The cart rules, in one place: the JSON API and the HTML pages are thin faces over this.
//!
//! - The session's first add creates the BigCommerce cart, once, however many adds race.
//! - A mutation costs one BigCommerce call: the cart BigCommerce returns is the answer and
//!   the new snapshot; there is no read before or after.
//! - Reads are served from the snapshot while it is fresh, or when the store's budget has no
//!   room to revalidate it; concurrent reads that need BigCommerce share one call.
//! - A cart gone upstream is forgotten, never resurrected; a 5xx on a change to a stored cart
//!   is settled with one read, never by blindly creating a second cart.
//! - No database connection is held across a BigCommerce call: every query below is a single
//!   statement on the pool, finished before the next await on BigCommerce.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::PgPool;

use super::shared_read::CartReads;
use super::store::{self, CartClaim};
use super::CartError;
use crate::accounts::CustomerLogin;
use crate::bigcommerce::{
    BigCommerceClient, BigCommerceError, CorrelationId, Echoes, NewCart, Priority, StoreCart,
};
use crate::catalog::Catalog;
use crate::configuration::{BigCommerceSettings, CartSettings};
use crate::domain::{Cart, CartId, CustomerId, NewLineItem};
use crate::metrics::Metrics;
use crate::session::ShopperSession;

/// How long the creator of a session's first cart may take before others stop waiting.
const CART_CREATION_LEASE: Duration = Duration::from_secs(15);
/// How often a request waiting for a cart being created looks again.
const CART_CREATION_POLL: Duration = Duration::from_millis(15);

/// The cart rules over BigCommerce and the session store.
#[derive(Clone)]
pub struct CartService {
    pub(super) pool: PgPool,
    pub(super) bigcommerce: BigCommerceClient,
    pub(super) settings: CartSettings,
    pub(super) store: StoreSettings,
    pub(super) metrics: Arc<Metrics>,
    pub(super) customer_login: Option<Arc<CustomerLogin>>,
    /// Which products have modifiers, for quantity changes of their lines.
    pub(super) catalog: Option<Arc<Catalog>>,
    /// Reads of carts from BigCommerce in flight, shared by the requests that need them.
    pub(super) reads: CartReads,
    /// `store/cart/couponApplied` is registered: applying a coupon causes that callback too.
    pub(super) coupon_callbacks: bool,
}

/// What new carts are created with.
#[derive(Clone)]
pub(super) struct StoreSettings {
    pub(super) channel_id: u32,
    pub(super) currency: String,
    pub(super) locale: String,
}

impl CartService {
    pub fn new(
        pool: PgPool,
        bigcommerce: BigCommerceClient,
        settings: CartSettings,
        store: &BigCommerceSettings,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            pool,
            bigcommerce,
            settings,
            store: StoreSettings {
                channel_id: store.channel_id,
                currency: store.currency.clone(),
                locale: store.locale.clone(),
            },
            metrics,
            customer_login: None,
            catalog: None,
            reads: CartReads::new(),
            coupon_callbacks: false,
        }
    }

    /// Applying a coupon is echoed by `store/cart/couponApplied` as well (when registered).
    pub fn with_coupon_callbacks(mut self, registered: bool) -> Self {
        self.coupon_callbacks = registered;
        self
    }

    /// Quantity changes of lines with modifiers describe them as the catalog says.
    pub fn with_catalog(mut self, catalog: Arc<Catalog>) -> Self {
        self.catalog = Some(catalog);
        self
    }

    /// Signed-in shoppers' checkout URLs go through Customer Login.
    pub fn with_customer_login(mut self, customer_login: Arc<CustomerLogin>) -> Self {
        self.customer_login = Some(customer_login);
        self
    }

    pub fn settings(&self) -> &CartSettings {
        &self.settings
    }

    /// The currency new carts are created in.
    pub fn currency(&self) -> &str {
        &self.store.currency
    }

    /// The session's cart: the snapshot while it is fresh, otherwise BigCommerce's.
    #[tracing::instrument(name = "Get cart", skip_all, fields(session.id = %session.id()))]
    pub async fn get(
        &self,
        session: &ShopperSession,
        cx: CorrelationId,
    ) -> Result<Option<Cart>, CartError> {
        let Some(cart_id) = self.session_cart(session).await? else {
            return Ok(None);
        };
        let snapshot = session.snapshot();
        if let Some(snapshot) = snapshot {
            if snapshot.is_fresh(self.settings.snapshot_ttl()) {
                self.metrics
                    .cart_snapshot_reads
                    .with_label_values(&["hit"])
                    .inc();
                return Ok(Some(snapshot.cart.clone()));
            }
        }
        self.metrics
            .cart_snapshot_reads
            .with_label_values(&["miss"])
            .inc();
        // Revalidating a snapshot we could serve is the first thing shed when the store's
        // budget runs low; a read with nothing to fall back on is worth a change's place.
        let priority = match snapshot {
            Some(_) => Priority::Refresh,
            None => Priority::Change,
        };
        // Concurrent reads of the cart share one call, which saves the snapshot (or forgets
        // a gone cart) for all of them.
        match self.read_shared(cart_id, priority, cx).await? {
            Ok(Some(cart)) => {
                // The cached stale copy goes before the answer, or the shopper's next read
                // could beat the database's notification and refresh again.
                session.mark_changed();
                if !may_hold(session, cart.customer_id) {
                    self.let_go(session, cart_id).await?;
                    return Ok(None);
                }
                Ok(Some(cart.cart))
            }
            Ok(None) => {
                session.mark_changed();
                Ok(None)
            }
            // BigCommerce is busy or down: what we last saw beats an error page.
            Err(
                error @ (BigCommerceError::RateLimited { .. }
                | BigCommerceError::Busy { .. }
                | BigCommerceError::Unavailable { .. }
                | BigCommerceError::Timeout),
            ) => match snapshot {
                Some(snapshot) if error.is_busy() => {
                    tracing::debug!(error = %error, "serving the snapshot to spare the budget");
                    Ok(Some(snapshot.cart.clone()))
                }
                Some(snapshot) => {
                    tracing::warn!(error = %error, "serving a stale cart snapshot");
                    Ok(Some(snapshot.cart.clone()))
                }
                None => Err(error.into()),
            },
            Err(error) => Err(error.into()),
        }
    }

    /// Whether reading the session's cart now would revalidate a snapshot it could serve
    /// instead (marked stale, or past its TTL): such a read calls BigCommerce, so it is the
    /// client's to pay from its fair share.
    pub fn read_revalidates(&self, session: &ShopperSession) -> bool {
        session.cart_id().is_some()
            && session
                .snapshot()
                .is_some_and(|snapshot| !snapshot.is_fresh(self.settings.snapshot_ttl()))
    }

    /// The session's cart as last seen, without asking BigCommerce: what a client whose fair
    /// share is spent is served instead of a revalidation.
    pub async fn get_as_last_seen(
        &self,
        session: &ShopperSession,
    ) -> Result<Option<Cart>, CartError> {
        if self.session_cart(session).await?.is_none() {
            return Ok(None);
        }
        self.metrics
            .cart_snapshot_reads
            .with_label_values(&["share_spent"])
            .inc();
        Ok(session.snapshot().map(|snapshot| snapshot.cart.clone()))
    }

    /// Adds `items`, creating the session's cart on its first add.
    #[tracing::instrument(name = "Add to cart", skip_all, fields(session.id = %session.id()))]
    pub async fn add_items(
        &self,
        session: &ShopperSession,
        items: &[NewLineItem],
        cx: CorrelationId,
    ) -> Result<Cart, CartError> {
        self.add_to_session_cart(session, items, cx)
            .await
            .map(|cart| cart.cart)
    }

    /// `add_items`, answering the cart as BigCommerce returned it (with its id).
    pub(super) async fn add_to_session_cart(
        &self,
        session: &ShopperSession,
        items: &[NewLineItem],
        cx: CorrelationId,
    ) -> Result<StoreCart, CartError> {
        self.check_against_catalog(items)?;
        // A cart the session has no snapshot of yet (another request of it is creating it) was
        // never handed off, so it cannot have been taken: only a snapshot gone stale is checked.
        let mut cart_id = match session.snapshot() {
            Some(_) => self.verified_cart(session, Priority::Change, cx).await?,
            None => self.session_cart(session).await?,
        };
        // At most: add to a stored cart that turns out gone, then create a fresh one.
        for _ in 0..3 {
            let target = match cart_id {
                Some(cart) => cart,
                None => match self.create_or_join(session, items, cx).await? {
                    Joined::Created(cart) => return Ok(*cart),
                    Joined::Existing(cart) => cart,
                },
            };
            let change = self.bigcommerce.add_line_items(target, items, cx);
            let echoes = Echoes::of_change(items.len());
            match self.expecting_echoes(target, echoes, change).await {
                // The cart became a customer's elsewhere (signing in on the hosted checkout)
                // while this session still held it: let go of it, and the items go into a
                // cart of the session's own. (The add did land in that cart; it is the
                // customer's to keep or remove.)
                Ok(cart) if !may_hold(session, cart.customer_id) => {
                    store::save_snapshot(&self.pool, &cart).await?;
                    self.let_go(session, target).await?;
                    cart_id = None;
                }
                Ok(mut cart) => {
                    // As stored: the checkout's last word shows as far as it still holds.
                    if let Some(stored) = store::save_snapshot(&self.pool, &cart).await? {
                        cart.cart = stored;
                    }
                    return Ok(cart);
                }
                Err(error) if error.may_mean_cart_gone() => {
                    if self.settle_gone_cart(target, cx).await?.is_some() {
                        return Err(error.into());
                    }
                    cart_id = None;
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(CartError::Unexpected(anyhow::anyhow!(
            "the cart kept disappearing while adding"
        )))
    }

    /// Refuses selections the cached catalog says BigCommerce would refuse (or ignore: an
    /// option id that is not the product's), without a call. A product the cached list does
    /// not name (or no list read yet) is left to BigCommerce: reading the catalog is not worth
    /// it for a check BigCommerce makes anyway.
    fn check_against_catalog(&self, items: &[NewLineItem]) -> Result<(), CartError> {
        let Some(catalog) = &self.catalog else {
            return Ok(());
        };
        for item in items {
            if let Some(product) = catalog.cached_product(item.product_id.get()) {
                product.check_selections(&item.option_selections)?;
            }
        }
        Ok(())
    }

    /// Creates the session's first cart holding `items` — or, when another request is
    /// already doing so, waits for that cart and lets the caller add to it.
    pub(super) async fn create_or_join(
        &self,
        session: &ShopperSession,
        items: &[NewLineItem],
        cx: CorrelationId,
    ) -> Result<Joined, CartError> {
        if !session.is_stored() {
            return self.create_for_new_session(session, items, cx).await;
        }
        let deadline = Instant::now() + CART_CREATION_LEASE + Duration::from_secs(1);
        loop {
            match store::claim_cart_creation(&self.pool, session.id(), CART_CREATION_LEASE).await? {
                CartClaim::Existing(cart) => return Ok(Joined::Existing(cart)),
                CartClaim::InProgress if Instant::now() < deadline => {
                    tokio::time::sleep(CART_CREATION_POLL).await;
                }
                CartClaim::InProgress => return Err(CartError::CartBusy),
                CartClaim::Claimed => return self.create_claimed(session, items, cx).await,
            }
        }
    }

    /// The first add of a session that has no row: nothing can race for it (its browser has
    /// no cookie yet), so the cart is created first and the session stored holding it. A cart
    /// BigCommerce refuses leaves nothing stored.
    async fn create_for_new_session(
        &self,
        session: &ShopperSession,
        items: &[NewLineItem],
        cx: CorrelationId,
    ) -> Result<Joined, CartError> {
        let new = NewCart {
            customer_id: None,
            channel_id: self.store.channel_id,
            currency: &self.store.currency,
            locale: &self.store.locale,
            line_items: items,
        };
        let created = self.bigcommerce.create_cart(&new, cx).await?;
        self.metrics.carts_created.inc();
        if let Err(error) = session.store_holding(created.id.as_uuid()).await {
            // No session can reach the cart: it goes, rather than linger as an orphan.
            if let Err(orphan) = self.bigcommerce.delete_cart(created.id, cx).await {
                tracing::error!(error = %orphan, cart.id = %created.id, "could not delete an orphan cart");
            }
            return Err(error.into());
        }
        store::save_snapshot(&self.pool, &created).await?;
        Ok(Joined::Created(Box::new(created)))
    }

    async fn create_claimed(
        &self,
        session: &ShopperSession,
        items: &[NewLineItem],
        cx: CorrelationId,
    ) -> Result<Joined, CartError> {
        let customer = session
            .customer_id()
            .map(CustomerId::parse)
            .transpose()
            .map_err(|e| CartError::Unexpected(e.into()))?;
        let new = NewCart {
            customer_id: customer,
            channel_id: self.store.channel_id,
            currency: &self.store.currency,
            locale: &self.store.locale,
            line_items: items,
        };
        let created = match self.bigcommerce.create_cart(&new, cx).await {
            Ok(cart) => cart,
            Err(error) => {
                store::release_cart_claim(&self.pool, session.id()).await?;
                return Err(error.into());
            }
        };
        self.metrics.carts_created.inc();
        match store::bind_new_cart(&self.pool, session.id(), created.id).await? {
            None => {
                store::save_snapshot(&self.pool, &created).await?;
                if let Some(customer) = customer {
                    store::remember_customer_cart(&self.pool, customer.get(), created.id).await?;
                }
                Ok(Joined::Created(Box::new(created)))
            }
            // Our lease ran out and another request created a cart meanwhile: the session
            // keeps the winner; our lines move there and our cart goes, so nothing is lost
            // and no orphan is left behind.
            Some(winner) => {
                tracing::warn!(cart.id = %created.id, "lost the race to create the session's cart");
                let merged = self.bigcommerce.add_line_items(winner, items, cx).await;
                if let Err(error) = self.bigcommerce.delete_cart(created.id, cx).await {
                    tracing::error!(error = %error, cart.id = %created.id, "could not delete an orphan cart");
                }
                let merged = merged?;
                store::save_snapshot(&self.pool, &merged).await?;
                Ok(Joined::Created(Box::new(merged)))
            }
        }
    }

    /// Deletes the session's cart. Without a cart there is nothing to do.
    #[tracing::instrument(name = "Clear cart", skip_all, fields(session.id = %session.id()))]
    pub async fn clear(
        &self,
        session: &ShopperSession,
        cx: CorrelationId,
    ) -> Result<(), CartError> {
        let Some(cart) = self.verified_cart(session, Priority::Change, cx).await? else {
            return Ok(());
        };
        match self.bigcommerce.delete_cart(cart, cx).await {
            Ok(()) => {}
            // BigCommerce answers 500, not 404, when a cart that is already gone (converted,
            // expired, deleted elsewhere) is deleted: one read tells the two apart, and a gone
            // cart is what the shopper asked for.
            Err(error) if error.may_mean_cart_gone() => {
                if self.settle_gone_cart(cart, cx).await?.is_some() {
                    return Err(error.into());
                }
            }
            Err(error) => return Err(error.into()),
        }
        store::forget_cart(&self.pool, cart).await?;
        Ok(())
    }

    /// The session's cart, if the session may still reach it. A cart that became a customer's
    /// is that customer's alone: assignment takes it from every other session, and should one
    /// still hold it (a snapshot says whose it is), that session lets go of it here.
    pub(super) async fn session_cart(
        &self,
        session: &ShopperSession,
    ) -> Result<Option<CartId>, CartError> {
        let Some(cart) = session.cart_id().map(CartId::new) else {
            return Ok(None);
        };
        match session.snapshot() {
            Some(snapshot) if !may_hold(session, snapshot.customer_id) => {
                self.let_go(session, cart).await?;
                Ok(None)
            }
            _ => Ok(Some(cart)),
        }
    }

    /// The session's cart, checked with BigCommerce when its snapshot is missing or marked
    /// stale, for changes that must never reach another customer's cart (adding to it,
    /// clearing it, handing it off); the read goes at the class of the change it is part of.
    /// A cart becomes a customer's outside this service on the hosted checkout (the shopper
    /// signs in there), which only a hand-off leads to, and a hand-off (or BigCommerce's
    /// callback about the change) marks the snapshot stale: so the one read this may cost
    /// falls where that can have happened, and an ordinary change costs nothing more.
    pub(super) async fn verified_cart(
        &self,
        session: &ShopperSession,
        priority: Priority,
        cx: CorrelationId,
    ) -> Result<Option<CartId>, CartError> {
        let Some(cart) = self.session_cart(session).await? else {
            return Ok(None);
        };
        if session.snapshot().is_some_and(|snapshot| !snapshot.stale) {
            return Ok(Some(cart));
        }
        match self.bigcommerce.get_cart_as(cart, priority, cx).await? {
            Some(current) => {
                store::save_snapshot(&self.pool, &current).await?;
                session.mark_changed();
                if !may_hold(session, current.customer_id) {
                    self.let_go(session, cart).await?;
                    return Ok(None);
                }
                Ok(Some(cart))
            }
            None => {
                session.mark_changed();
                store::forget_cart(&self.pool, cart).await?;
                Ok(None)
            }
        }
    }

    /// Takes a cart that is someone else's from the session.
    pub(super) async fn let_go(
        &self,
        session: &ShopperSession,
        cart: CartId,
    ) -> Result<(), CartError> {
        tracing::warn!(cart.id = %cart, "a session held another customer's cart; unbound it");
        session.mark_changed();
        store::unbind_cart(&self.pool, session.id(), cart).await?;
        Ok(())
    }

    /// One read to tell "the cart is gone" (forget it; `None`) from "BigCommerce failed"
    /// (`Some(current cart)`).
    pub(super) async fn settle_gone_cart(
        &self,
        cart: CartId,
        cx: CorrelationId,
    ) -> Result<Option<Cart>, CartError> {
        match self.bigcommerce.get_cart(cart, cx).await? {
            Some(current) => {
                store::save_snapshot(&self.pool, &current).await?;
                Ok(Some(current.cart))
            }
            None => {
                store::forget_cart(&self.pool, cart).await?;
                Ok(None)
            }
        }
    }
}

/// Whether the session may reach a cart owned by `owner` (0: a guest cart).
pub(super) fn may_hold(session: &ShopperSession, owner: i64) -> bool {
    owner == 0 || session.customer_id() == Some(owner)
}

/// The outcome of getting a first cart.
pub(super) enum Joined {
    /// We created it, with the items in it.
    Created(Box<StoreCart>),
    /// Someone else did: add the items to it.
    Existing(CartId),
}
