//! The echoes of our own changes: BigCommerce reports every cart change back through webhooks,
//! ours included, and often before its answer to our call has reached us. So before a change
//! is sent, the cart's snapshot is told which callbacks to expect; the receiver then takes
//! those as already known (see `store::note_reported_change`), and a change that fails takes
//! its expectation back.

use std::future::Future;

use super::service::CartService;
use super::store;
use crate::bigcommerce::{BigCommerceError, Echoes};
use crate::domain::CartId;

impl CartService {
    /// Runs `change` on `cart`, expecting the callbacks `echoes` it will cause. The
    /// bookkeeping is best effort: if it fails, a callback costs one read more, nothing else.
    pub(super) async fn expecting_echoes<T>(
        &self,
        cart: CartId,
        echoes: Echoes,
        change: impl Future<Output = Result<T, BigCommerceError>>,
    ) -> Result<T, BigCommerceError> {
        if let Err(error) = store::expect_echoes(&self.pool, cart, echoes, 1).await {
            tracing::warn!(error = %error, "could not note the callbacks a change will cause");
        }
        let outcome = change.await;
        if let Err(failure) = &outcome {
            if let Err(error) = store::expect_echoes(&self.pool, cart, echoes, -1).await {
                tracing::warn!(error = %error, "could not take back expected callbacks");
            }
            if failure.outcome_unknown() {
                if let Err(error) = store::mark_snapshot_stale(&self.pool, cart).await {
                    tracing::warn!(error = %error, "could not mark a snapshot stale");
                }
            }
        }
        outcome
    }
}
