//! Graceful shutdown: readiness turns 503 the moment shutdown starts, the public port keeps
//! serving while the load balancer drains the instance, and no worker stops while a shopper's
//! request is still in flight.
//!
//! Why not simply `ServerHandle::stop(true)`: actix stops each worker on its own once *that*
//! worker is idle, and an idle worker's runtime takes with it every connection it opened (a
//! pooled HTTP connection to BigCommerce, a database connection) that a request in flight on
//! another worker may be using. So the workers stop only after every request has finished.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Shared by the public app (which counts requests), the admin app (whose readiness reads it)
/// and the shutdown path.
#[derive(Debug, Default)]
pub struct Lifecycle {
    shutting_down: AtomicBool,
    in_flight: AtomicUsize,
    requested: Notify,
}

/// Held while one public request is being handled.
pub struct InFlight(Arc<Lifecycle>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Lifecycle {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Counts a request until the returned guard is dropped.
    pub fn enter(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(Arc::clone(self))
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    /// Starts the shutdown (idempotent): readiness answers 503 from now on.
    pub fn begin_shutdown(&self) {
        if !self.shutting_down.swap(true, Ordering::AcqRel) {
            tracing::info!(
                in_flight = self.in_flight(),
                "shutdown started: readiness answers 503"
            );
        }
        self.requested.notify_waiters();
        self.requested.notify_one();
    }

    /// Resolves once shutdown has started.
    pub async fn requested(&self) {
        loop {
            let notified = self.requested.notified();
            if self.is_shutting_down() {
                return;
            }
            notified.await;
        }
    }

    /// The shutdown path: waits for shutdown to start, keeps serving for `drain`, waits until
    /// no request is in flight (at most `timeout`), then stops `server` gracefully.
    pub async fn drain_then_stop(&self, server: ServerHandle, drain: Duration, timeout: Duration) {
        self.requested().await;
        tokio::time::sleep(drain).await;
        let deadline = Instant::now() + timeout;
        while self.in_flight() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tracing::info!(in_flight = self.in_flight(), "stopping the public listener");
        server.stop(true).await;
    }
}

/// Resolves on SIGTERM or SIGINT (ctrl-c).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
