//! The product list, cached per instance and refreshed by one call at a time.
//!
//! - A fresh list is served as it is. A stale one is served at once while one refresh runs in
//!   the background, so no page load waits on BigCommerce once a list has been read.
//! - Concurrent refreshes are one flight (`single_flight`): one read of the catalog's pages,
//!   with no lock held across it, that survives the request that started it.
//! - A failed refresh keeps the last good list and backs off (`freshness`).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::freshness::{Freshness, Plan};
use super::{Product, ProductModifier};
use crate::bigcommerce::{BigCommerceClient, BigCommerceError, CorrelationId};
use crate::single_flight::SingleFlight;

/// The catalog, cached.
pub struct Catalog {
    bigcommerce: BigCommerceClient,
    ttl: Duration,
    /// Locked only to read or replace the state, never across a call.
    freshness: Arc<Mutex<Freshness>>,
    refreshes: SingleFlight<(), Refreshed>,
}

/// What one refresh came to, as every request that waited for it gets it.
struct Refreshed(Result<Arc<Vec<Product>>, BigCommerceError>);

impl Clone for Refreshed {
    fn clone(&self) -> Self {
        Self(match &self.0 {
            Ok(products) => Ok(Arc::clone(products)),
            Err(error) => Err(error.clone_kind()),
        })
    }
}

impl Catalog {
    /// A catalog whose list is served for `ttl` before BigCommerce is asked again.
    pub fn new(bigcommerce: BigCommerceClient, ttl: Duration) -> Self {
        Self {
            bigcommerce,
            ttl,
            freshness: Arc::default(),
            refreshes: SingleFlight::new(),
        }
    }

    /// The modifiers of `product_id`, from the cached list even when it is past its TTL
    /// (a product's modifiers rarely change, prices and stock do); the list is read from
    /// BigCommerce (and waited for) only when it lacks the product. `None` when the catalog
    /// does not list it (hidden, or BigCommerce unavailable with nothing cached).
    pub async fn modifiers_of(
        &self,
        product_id: i64,
        cx: CorrelationId,
    ) -> Option<Vec<ProductModifier>> {
        let find = |products: &[Product]| {
            products
                .iter()
                .find(|product| product.id == product_id)
                .map(|product| product.modifiers.clone())
        };
        let cached = self.freshness.lock().last_good();
        if let Some(found) = cached.as_deref().and_then(|p| find(p)) {
            return Some(found);
        }
        let current = match self.plan() {
            // Fresh (so it really lacks the product), or BigCommerce failed moments ago.
            Plan::Serve(products) => products,
            Plan::ServeAndRefresh(_) | Plan::Refresh => self.refresh(cx).await.ok()?,
            Plan::Fail(_) => return None,
        };
        find(&current)
    }

    /// The products: the cached list while it is fresh, and a stale one while it is being
    /// refreshed or while BigCommerce fails. Only a request with no list at all waits for
    /// BigCommerce, and concurrent ones wait for the same refresh.
    pub async fn products(&self, cx: CorrelationId) -> Result<Arc<Vec<Product>>, BigCommerceError> {
        match self.plan() {
            Plan::Serve(products) => Ok(products),
            Plan::ServeAndRefresh(products) => {
                // The refresh is its own task: it goes on without this request.
                drop(self.refresh(cx));
                Ok(products)
            }
            Plan::Refresh => self.refresh(cx).await,
            Plan::Fail(error) => Err(error),
        }
    }

    fn plan(&self) -> Plan {
        self.freshness.lock().plan(Instant::now(), self.ttl)
    }

    /// Joins the refresh in flight, or starts one; it runs whether or not the answer is
    /// awaited.
    fn refresh(
        &self,
        cx: CorrelationId,
    ) -> impl Future<Output = Result<Arc<Vec<Product>>, BigCommerceError>> {
        let bigcommerce = self.bigcommerce.clone();
        let freshness = Arc::clone(&self.freshness);
        let answer = self.refreshes.join((), move || async move {
            Refreshed(read_products(&bigcommerce, &freshness, cx).await)
        });
        async move {
            match answer.await {
                Ok(Refreshed(outcome)) => outcome,
                Err(lost) => Err(BigCommerceError::Unexpected(lost.into())),
            }
        }
    }
}

/// One refresh: every page of the catalog, and the state updated with how it went.
async fn read_products(
    bigcommerce: &BigCommerceClient,
    freshness: &Mutex<Freshness>,
    cx: CorrelationId,
) -> Result<Arc<Vec<Product>>, BigCommerceError> {
    match bigcommerce.list_products(cx).await {
        Ok(raw) => {
            let products: Arc<Vec<Product>> = Arc::new(
                raw.into_iter()
                    .filter(|p| p.is_visible)
                    .map(Product::from)
                    .collect(),
            );
            freshness
                .lock()
                .refreshed(Instant::now(), Arc::clone(&products));
            Ok(products)
        }
        Err(error) => {
            let retry_in = freshness.lock().refresh_failed(Instant::now(), &error);
            tracing::warn!(
                error = %error,
                retry_in_ms = retry_in.as_millis() as u64,
                "the catalog refresh failed; the last good list is served meanwhile"
            );
            Err(error)
        }
    }
}
