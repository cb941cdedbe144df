//! The product list, cached per instance and refreshed by one call at a time.
//!
//! - A fresh list is served as it is. A stale one is served at once while one refresh runs in
//!   the background, so no page load waits on BigCommerce once a list has been read.
//! - Concurrent refreshes are one flight (`single_flight`): one read of the catalog's pages,
//!   with no lock held across it, that survives the request that started it.
//! - A failed refresh keeps the last good list and backs off (`freshness`).
//! - A refresh that fails part-way keeps the pages it read, and the next one resumes there
//!   (`Resumable`): a catalog of more pages than one window's refresh share is still read.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::freshness::{Freshness, Plan};
use super::{KnownModifiers, Product};
use crate::bigcommerce::{BigCommerceClient, BigCommerceError, CatalogRead, CorrelationId};
use crate::single_flight::SingleFlight;

/// The catalog, cached.
pub struct Catalog {
    bigcommerce: BigCommerceClient,
    ttl: Duration,
    /// Locked only to read or replace the state, never across a call.
    freshness: Arc<Mutex<Freshness>>,
    /// The pages of a read that failed part-way, for the next refresh to resume.
    resumable: Arc<Mutex<Resumable>>,
    refreshes: SingleFlight<(), Refreshed>,
}

/// The pages of an unfinished read, and when it began.
///
/// The cost of resuming: the list is stitched from pages read in different windows, so a
/// product added, removed or reordered between two of them can shift the paging, and one
/// product may be missing (a repeated one is dropped by id) until the next full read, at most
/// a TTL later. A read older than `MAX_RESUME_AGE` is started afresh, so no list is stitched
/// from pages far apart in time. Without resuming, a catalog of more pages than the refresh
/// class may spend in one window would never be read at all: every refresh would restart at
/// page 1 and be shed before the last.
#[derive(Default)]
struct Resumable(Option<(Instant, CatalogRead)>);

/// How old an unfinished read may be and still be resumed.
const MAX_RESUME_AGE: Duration = Duration::from_secs(120);

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
            resumable: Arc::default(),
            refreshes: SingleFlight::new(),
        }
    }

    /// The modifiers of `product_id`, from the cached list even when it is past its TTL
    /// (a product's modifiers rarely change, prices and stock do); the list is read from
    /// BigCommerce (and waited for) only when it lacks the product.
    pub async fn modifiers_of(&self, product_id: i64, cx: CorrelationId) -> KnownModifiers {
        if let Some(product) = self.cached_product(product_id) {
            return KnownModifiers::Listed(product.modifiers);
        }
        let current = match self.plan() {
            // Fresh (so it really lacks the product), or BigCommerce failed moments ago.
            Plan::Serve(products) => products,
            Plan::ServeAndRefresh(_) | Plan::Refresh => match self.refresh(cx).await {
                Ok(products) => products,
                Err(error) => return KnownModifiers::Unavailable(error),
            },
            Plan::Fail(error) => return KnownModifiers::Unavailable(error),
        };
        match current.iter().find(|product| product.id == product_id) {
            Some(product) => KnownModifiers::Listed(product.modifiers.clone()),
            None => KnownModifiers::NotListed,
        }
    }

    /// `product_id` as the last list read describes it, however old; no call is made. `None`
    /// when no list has been read yet or it does not name the product.
    pub fn cached_product(&self, product_id: i64) -> Option<Product> {
        let cached = self.freshness.lock().last_good()?;
        cached
            .iter()
            .find(|product| product.id == product_id)
            .cloned()
    }

    /// The last list read, however old, and whether it is older than the TTL; no call is
    /// made. `None` before the first read.
    pub fn cached_list(&self) -> Option<(Arc<Vec<Product>>, bool)> {
        let stale = !matches!(self.plan(), Plan::Serve(_));
        let list = self.freshness.lock().last_good()?;
        Some((list, stale))
    }

    /// The list as fresh as one refresh makes it: a list past its TTL is read again first
    /// (one flight, shared with every other request; at most one refresh a TTL, as for the
    /// product list), a fresh one is served as it is. `None` when BigCommerce cannot be read
    /// and no list was ever read.
    pub async fn refreshed_list(&self, cx: CorrelationId) -> Option<Arc<Vec<Product>>> {
        match self.plan() {
            Plan::Serve(products) => Some(products),
            Plan::ServeAndRefresh(stale) => Some(self.refresh(cx).await.unwrap_or(stale)),
            Plan::Refresh => self.refresh(cx).await.ok(),
            Plan::Fail(_) => None,
        }
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
        let resumable = Arc::clone(&self.resumable);
        let answer = self.refreshes.join((), move || async move {
            Refreshed(read_products(&bigcommerce, &freshness, &resumable, cx).await)
        });
        async move {
            match answer.await {
                Ok(Refreshed(outcome)) => outcome,
                Err(lost) => Err(BigCommerceError::Unexpected(lost.into())),
            }
        }
    }
}

/// One refresh: every page of the catalog (from where an unfinished read stopped), and the
/// state updated with how it went. Refreshes are one flight, so only one reads at a time.
async fn read_products(
    bigcommerce: &BigCommerceClient,
    freshness: &Mutex<Freshness>,
    resumable: &Mutex<Resumable>,
    cx: CorrelationId,
) -> Result<Arc<Vec<Product>>, BigCommerceError> {
    let now = Instant::now();
    let (started, mut read) = match resumable.lock().0.take() {
        Some((started, read)) if now.saturating_duration_since(started) < MAX_RESUME_AGE => {
            tracing::info!(pages_read = read.pages_read(), "resuming the catalog read");
            (started, read)
        }
        _ => (now, CatalogRead::default()),
    };
    let outcome = bigcommerce.read_products(&mut read, cx).await;
    if outcome.is_err() && read.pages_read() > 0 {
        resumable.lock().0 = Some((started, read));
    }
    match outcome {
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
