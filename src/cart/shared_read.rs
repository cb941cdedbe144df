//! One read of a cart from BigCommerce for every request that needs it at once: a shopper's
//! tabs, a page and its scripts, or retries that pile up behind a slow answer would otherwise
//! each pay a call for the same answer (see `single_flight`).
//!
//! The flight reads the cart and stores what it learnt (the new snapshot, or that the cart is
//! gone), so that is done once, even when every request that waited has gone away. What is the
//! session's alone (its cache entry, whether it may hold the cart) each request does itself.

use super::service::CartService;
use super::store;
use super::CartError;
use crate::bigcommerce::{calls, BigCommerceError, CorrelationId, Priority, StoreCart};
use crate::domain::CartId;
use crate::single_flight::SingleFlight;

/// Reads in flight, by cart and class. The class is part of the key so that a revalidation
/// shed by the budget never answers a read that has no snapshot to fall back on.
pub(super) type CartReads = SingleFlight<(CartId, Priority), SharedRead>;

/// What one read of a cart came to, as every request that waited for it gets it.
pub(super) struct SharedRead {
    /// The cart, `None` when BigCommerce no longer has it, or why the read failed.
    pub outcome: Result<Option<StoreCart>, BigCommerceError>,
    /// Whether the flight stored the outcome; when it could not (the database failed), each
    /// request tries again itself and answers that failure as its own.
    pub stored: bool,
}

impl Clone for SharedRead {
    fn clone(&self) -> Self {
        Self {
            outcome: match &self.outcome {
                Ok(cart) => Ok(cart.clone()),
                Err(error) => Err(error.clone_kind()),
            },
            stored: self.stored,
        }
    }
}

impl CartService {
    /// The cart as BigCommerce has it now, read once however many requests ask at the same
    /// time, with the snapshot saved (or the cart forgotten when it is gone).
    pub(super) async fn read_shared(
        &self,
        cart: CartId,
        priority: Priority,
        cx: CorrelationId,
    ) -> Result<Result<Option<StoreCart>, BigCommerceError>, CartError> {
        let bigcommerce = self.bigcommerce.clone();
        let pool = self.pool.clone();
        // The request that starts the flight pays for its call; those that join it, nothing.
        let count = calls::current();
        let read = self
            .reads
            .run((cart, priority), move || calls::counting_for(count, async move {
                let mut outcome = bigcommerce.get_cart_as(cart, priority, cx).await;
                // The cart as stored: with what still holds of the checkout's last word.
                let stored = match &mut outcome {
                    Ok(Some(current)) => store::save_snapshot(&pool, current).await.map(|stored| {
                        if let Some(stored) = stored {
                            current.cart = stored;
                        }
                    }),
                    Ok(None) => store::forget_cart(&pool, cart).await,
                    Err(_) => Ok(()),
                };
                if let Err(error) = &stored {
                    tracing::warn!(error = %error, "could not store a cart read from BigCommerce");
                }
                SharedRead {
                    outcome,
                    stored: stored.is_ok(),
                }
            }))
            .await
            .map_err(|lost| CartError::Unexpected(lost.into()))?;
        if !read.stored {
            match &read.outcome {
                Ok(Some(current)) => {
                    store::save_snapshot(&self.pool, current).await?;
                }
                Ok(None) => store::forget_cart(&self.pool, cart).await?,
                Err(_) => {}
            }
        }
        Ok(read.outcome)
    }
}
