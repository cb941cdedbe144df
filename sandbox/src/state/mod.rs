//! The state of one sandbox store, shared by every worker: catalog, carts, hooks, tokens,
//! orders, and the test-facing counters (stats, faults, rate limiter, clock).

pub mod cart_ops;
pub mod carts;
pub mod catalog;
pub mod checkout;
pub mod checkout_ops;
pub mod coupon_ops;
pub mod errors;
pub mod extra_lines;
pub mod hooks;
pub mod line_items;
pub mod line_ops;
pub mod modifiers;
pub mod orders;
pub mod promotions;
pub mod render;
pub mod tokens;

use std::sync::Arc;

use parking_lot::RwLock;

use crate::api::rate_limit::RateLimiter;
use crate::clock::Clock;
use crate::config::{SandboxConfig, WebhookCreatedAt};
use crate::faults::Faults;
use crate::seed::{load_seed, SeedError};
use crate::stats::Stats;
use crate::webhooks::build_payload;
use crate::webhooks::delivery::{Dispatcher, Job};
use crate::webhooks::events::CartEvent;
use carts::CartStore;
use catalog::Catalog;
use hooks::Hooks;
use orders::OrderBook;
use tokens::Tokens;

/// The seed as this store runs it: without its automatic promotions when they are off.
fn store_seed(config: &SandboxConfig) -> Result<crate::seed::Seed, SeedError> {
    let mut seed = load_seed(&config.seed)?;
    if !config.automatic_promotions {
        seed.promotions.clear();
    }
    Ok(seed)
}

/// Everything one running sandbox knows.
#[derive(Debug)]
pub struct AppState {
    pub config: SandboxConfig,
    /// Origin of hosted pages, images and product URLs (no trailing slash).
    pub public_url: String,
    catalog: RwLock<Arc<Catalog>>,
    pub carts: CartStore,
    pub hooks: Hooks,
    pub tokens: Tokens,
    pub orders: OrderBook,
    pub stats: Stats,
    pub faults: Faults,
    pub rate_limiter: RateLimiter,
    pub clock: Clock,
    pub dispatcher: Dispatcher,
}

impl AppState {
    /// Builds the state; the returned receiver feeds the webhook worker.
    pub fn new(
        config: SandboxConfig,
        public_url: String,
    ) -> Result<(Self, tokio::sync::mpsc::UnboundedReceiver<Job>), SeedError> {
        let catalog = Catalog::from_seed(store_seed(&config)?);
        let (dispatcher, rx) = Dispatcher::new();
        let state = Self {
            carts: CartStore::new(config.cart_ttl),
            rate_limiter: RateLimiter::new(config.rate_limit),
            clock: Clock::new(config.clock_offset_seconds),
            catalog: RwLock::new(Arc::new(catalog)),
            hooks: Hooks::default(),
            tokens: Tokens::default(),
            orders: OrderBook::default(),
            stats: Stats::default(),
            faults: Faults::default(),
            dispatcher,
            public_url,
            config,
        };
        Ok((state, rx))
    }

    /// The current catalog (cheap: an `Arc` clone).
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.read().clone()
    }

    /// Changes one product as `change` says, for every request from now on (carts already
    /// holding it are checked against the change on their next write, as BigCommerce does).
    /// `false` when there is no such product.
    pub fn change_product(
        &self,
        id: i64,
        change: impl FnOnce(&mut crate::seed::ProductSeed),
    ) -> bool {
        let mut catalog = self.catalog.write();
        let mut changed = (**catalog).clone();
        let Some(product) = changed.product_mut(id) else {
            return false;
        };
        change(product);
        *catalog = Arc::new(changed);
        true
    }

    /// Back to a fresh store: the seed is read again; carts, hooks, tokens, orders, stats,
    /// faults, the delivery log and the clock offset are cleared.
    pub fn reset(&self) -> Result<(), SeedError> {
        let catalog = Catalog::from_seed(store_seed(&self.config)?);
        *self.catalog.write() = Arc::new(catalog);
        self.carts.clear();
        self.hooks.clear();
        self.tokens.clear();
        self.orders.clear();
        self.stats.clear();
        self.faults.clear();
        self.rate_limiter.configure(self.config.rate_limit);
        self.clock
            .set_offset_seconds(self.config.clock_offset_seconds);
        self.dispatcher.reset();
        Ok(())
    }

    /// Queues callbacks for every active hook whose scope matches each event.
    pub fn fire(&self, events: Vec<CartEvent>) {
        for event in events {
            let scope = event.scope();
            let now = self.clock.unix();
            for hook in self.hooks.active_for(scope) {
                let created_at = match self.config.webhook_created_at {
                    WebhookCreatedAt::EventTime => Some(now),
                    WebhookCreatedAt::HookCreation => Some(hook.created_at),
                    WebhookCreatedAt::Absent => None,
                };
                let payload = build_payload(
                    scope,
                    &self.config.store_id,
                    &self.config.store_hash,
                    &event.data(),
                    created_at,
                );
                let hash = payload["hash"].as_str().unwrap_or_default().to_owned();
                self.dispatcher.enqueue(Job {
                    hook,
                    scope,
                    hash,
                    body: serde_json::to_vec(&payload).unwrap_or_default(),
                    generation: self.dispatcher.generation(),
                });
            }
        }
    }
}
