//! Single flight: concurrent requests that need the same answer from BigCommerce share one
//! call instead of making one each (the store's API quota is the product's ceiling).
//!
//! The first request for a key (the leader) spawns the call as a task of its own and every
//! request for that key while it runs awaits the same task. Why not a crate: the ones there are
//! (`async_singleflight`, `rs-singleflight`) run the call inside the leader's request, so a
//! shopper closing the tab cancels it for every waiter (they are told "leader dropped" and must
//! call again). Here the call is spawned, so it survives its leader, and its answer is still
//! used (a cart snapshot saved, a catalog cached) when nobody waits any more.
//!
//! No lock is held across the call: the map of flights is locked only to look up or insert a
//! flight, and by the flight's task to remove itself once its answer is ready.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures_util::future::{BoxFuture, FutureExt, Shared};
use parking_lot::Mutex;
use tracing::Instrument;

/// The call of a flight ended without an answer: its task panicked, or the runtime it ran on
/// is shutting down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the shared call ended without an answer")]
pub struct FlightLost;

type Answer<V> = Shared<BoxFuture<'static, Result<V, FlightLost>>>;

/// Calls in flight by key; cloning shares them.
pub struct SingleFlight<K, V> {
    flights: Arc<Mutex<HashMap<K, Flight<V>>>>,
    next_id: Arc<AtomicU64>,
}

struct Flight<V> {
    /// Tells this flight from a later one for the same key, so each removes only itself.
    id: u64,
    answer: Answer<V>,
}

impl<K, V> Clone for SingleFlight<K, V> {
    fn clone(&self) -> Self {
        Self {
            flights: Arc::clone(&self.flights),
            next_id: Arc::clone(&self.next_id),
        }
    }
}

impl<K, V> Default for SingleFlight<K, V> {
    fn default() -> Self {
        Self {
            flights: Arc::default(),
            next_id: Arc::default(),
        }
    }
}

impl<K, V> SingleFlight<K, V>
where
    K: Eq + Hash + Clone + Send + 'static,
    V: Clone + Send + Sync + 'static,
{
    pub fn new() -> Self {
        Self::default()
    }

    /// The answer of the flight for `key`: joins the one in progress, or starts one with
    /// `call` (which only builds the future: it must not do anything until polled). Every
    /// waiter gets a clone of the same answer.
    pub async fn run<F>(&self, key: K, call: impl FnOnce() -> F) -> Result<V, FlightLost>
    where
        F: Future<Output = V> + Send + 'static,
    {
        self.join(key, call).await
    }

    /// Like `run`, but joins or starts the flight at once: the call goes ahead whether or not
    /// the returned answer is ever awaited (to refresh something in the background).
    pub fn join<F>(
        &self,
        key: K,
        call: impl FnOnce() -> F,
    ) -> impl Future<Output = Result<V, FlightLost>> + Send + 'static
    where
        F: Future<Output = V> + Send + 'static,
    {
        let mut flights = self.flights.lock();
        match flights.get(&key) {
            Some(flight) => flight.answer.clone(),
            None => {
                let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                let answer = self.spawn(key.clone(), id, call());
                flights.insert(
                    key,
                    Flight {
                        id,
                        answer: answer.clone(),
                    },
                );
                answer
            }
        }
    }

    /// Whether a flight for `key` is in progress.
    #[cfg(test)]
    fn is_in_flight(&self, key: &K) -> bool {
        self.flights.lock().contains_key(key)
    }

    fn spawn<F>(&self, key: K, id: u64, call: F) -> Answer<V>
    where
        F: Future<Output = V> + Send + 'static,
    {
        let landing = Landing {
            flights: Arc::clone(&self.flights),
            key,
            id,
        };
        let task = tokio::spawn(
            async move {
                let value = call.await;
                // The flight is over before its answer goes out, so a request that comes
                // after the answer asks again rather than take one older than itself.
                drop(landing);
                value
            }
            .instrument(tracing::Span::current()),
        );
        task.map(|joined| joined.map_err(|_| FlightLost))
            .boxed()
            .shared()
    }
}

/// Removes a flight from the map when its task ends, however it ends (an answer, a panic, the
/// runtime shutting down), so a lost flight never blocks its key.
struct Landing<K: Eq + Hash, V> {
    flights: Arc<Mutex<HashMap<K, Flight<V>>>>,
    key: K,
    id: u64,
}

impl<K: Eq + Hash, V> Drop for Landing<K, V> {
    fn drop(&mut self) {
        let mut flights = self.flights.lock();
        if flights
            .get(&self.key)
            .is_some_and(|flight| flight.id == self.id)
        {
            flights.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use super::{FlightLost, SingleFlight};

    fn counted(calls: &Arc<AtomicU32>, value: u32) -> impl std::future::Future<Output = u32> {
        let calls = Arc::clone(calls);
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
            value
        }
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_call_and_its_answer() {
        let flights = SingleFlight::<&str, u32>::new();
        let calls = Arc::new(AtomicU32::new(0));

        let answers = futures_util::future::join_all((0..20).map(|n| {
            let calls = &calls;
            flights.run("cart", move || counted(calls, n))
        }))
        .await;

        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(answers.iter().all(|answer| *answer == Ok(0)), "{answers:?}");
        assert!(!flights.is_in_flight(&"cart"), "the flight has landed");
    }

    #[tokio::test]
    async fn different_keys_fly_separately() {
        let flights = SingleFlight::<u8, u32>::new();
        let calls = Arc::new(AtomicU32::new(0));

        let (a, b) = tokio::join!(
            flights.run(1, || counted(&calls, 1)),
            flights.run(2, || counted(&calls, 2))
        );

        assert_eq!((a, b), (Ok(1), Ok(2)));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_waiter_gets_the_answer_when_the_leader_is_dropped() {
        let flights = SingleFlight::<&str, u32>::new();
        let calls = Arc::new(AtomicU32::new(0));
        let leader = tokio::spawn({
            let flights = flights.clone();
            let calls = Arc::clone(&calls);
            async move { flights.run("cart", || counted(&calls, 7)).await }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        let waiter = flights.run("cart", || counted(&calls, 8));

        leader.abort();
        let answer = waiter.await;

        assert_eq!(answer, Ok(7));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_call_that_panics_is_lost_and_frees_its_key() {
        let flights = SingleFlight::<&str, u32>::new();

        let lost = flights
            .run("cart", || async { panic!("the call broke") })
            .await;
        let next = flights.run("cart", || async { 3 }).await;

        assert_eq!(lost, Err(FlightLost));
        assert_eq!(next, Ok(3));
    }

    #[tokio::test]
    async fn a_caller_after_the_answer_starts_a_new_flight() {
        let flights = SingleFlight::<&str, u32>::new();
        let calls = Arc::new(AtomicU32::new(0));

        let first = flights.run("cart", || counted(&calls, 1)).await;
        let second = flights.run("cart", || counted(&calls, 2)).await;

        assert_eq!((first, second), (Ok(1), Ok(2)));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
