//! How many BigCommerce calls a piece of work made: a request's fair-share charge is settled
//! against the calls it really sent, not against an estimate taken before it knew (a stale
//! snapshot re-read before a hand-off, a merge's extra add, a shed call after one that went).
//!
//! A count is a task-local set around the work (`counted`); the client's one send path adds to
//! it for every call the budget admits (retries included: each is a call). Work handed to a
//! task of its own (a shared read) takes its spawner's count along (`current`, `counting_for`),
//! so the request that started it pays for it and the requests that only waited for its answer
//! pay nothing. Counts nest: a call counts for every count it runs within.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// A running count of calls, shared by the work it was set around.
#[derive(Debug, Clone, Default)]
pub struct CallCount {
    calls: Arc<AtomicU32>,
    /// The count this one runs within, if any: it counts the same calls.
    outer: Option<Arc<CallCount>>,
}

impl CallCount {
    fn within(outer: Option<CallCount>) -> Self {
        Self {
            calls: Arc::default(),
            outer: outer.map(Arc::new),
        }
    }

    /// The calls made so far.
    pub fn get(&self) -> u32 {
        self.calls.load(Ordering::Acquire)
    }

    fn add_one(&self) {
        self.calls.fetch_add(1, Ordering::AcqRel);
        if let Some(outer) = &self.outer {
            outer.add_one();
        }
    }
}

tokio::task_local! {
    static COUNT: CallCount;
}

/// Runs `work` and says how many BigCommerce calls were sent for it. The work is boxed: the
/// futures counted are whole requests' changes (a sign-in's merge among them), too large to
/// nest on a worker thread's stack in a debug build.
pub async fn counted<F: Future>(work: F) -> (F::Output, u32) {
    let count = CallCount::within(current());
    let output = COUNT.scope(count.clone(), Box::pin(work)).await;
    (output, count.get())
}

/// The count of the work running now, to hand to a task that works for it.
pub fn current() -> Option<CallCount> {
    COUNT.try_with(CallCount::clone).ok()
}

/// Runs `work` (in a task of its own) counting its calls to `count`, the spawner's.
pub async fn counting_for<F: Future>(count: Option<CallCount>, work: F) -> F::Output {
    match count {
        Some(count) => COUNT.scope(count, Box::pin(work)).await,
        None => Box::pin(work).await,
    }
}

/// One call was admitted and is being sent.
pub(super) fn record() {
    // Outside any count (a background job), there is nobody to charge.
    let _ = COUNT.try_with(CallCount::add_one);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_count_for_every_count_they_run_within_and_for_a_spawners() {
        let (inner, outer) = counted(async {
            record();
            let ((), inner) = counted(async { record() }).await;
            tokio::spawn(counting_for(current(), async { record() }))
                .await
                .expect("task");
            inner
        })
        .await;
        assert_eq!(inner, 1);
        assert_eq!(outer, 3);
        // Outside any count nothing is recorded, and nothing fails.
        record();
    }
}
