//! `bc-sandbox`: an in-memory emulator of the BigCommerce APIs that checkout-bff speaks
//! (Management carts, abandoned carts, customers, a catalog slice, webhooks, `/v2/time`), the
//! shopper-facing hosted pages (redirect URLs, checkout, Customer Login), and a control plane
//! under `/__sandbox` for tests and benchmarks. It shares no code with the service.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sandbox = bc_sandbox::spawn(bc_sandbox::SandboxConfig::default()).await?;
//! println!("{}", sandbox.api_base_url());
//! sandbox.stop().await;
//! # Ok(())
//! # }
//! ```

pub mod api;
pub mod clock;
pub mod config;
pub mod control;
pub mod env;
pub mod faults;
pub mod seed;
pub mod seed_checkout;
pub mod server;
pub mod state;
pub mod stats;
pub mod storefront;
pub mod webhooks;

use std::net::{SocketAddr, TcpListener};

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpServer};
use tokio::task::JoinHandle;

pub use config::{
    Behaviours, ConsignmentsOnLineChange, DateDisplay, DuplicateAddPolicy, RateLimitConfig,
    SandboxConfig, SeedSource, WebhookCreatedAt, ZeroQuantityPolicy,
    BIGCOMMERCE_RETRY_SCHEDULE_SECS,
};
use state::AppState;

/// A running sandbox. Dropping it leaves the server running until the runtime ends; call
/// [`Sandbox::stop`] for a clean shutdown.
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    base_url: String,
    state: web::Data<AppState>,
    handle: ServerHandle,
    server: JoinHandle<std::io::Result<()>>,
    worker: JoinHandle<()>,
}

/// Starts a sandbox on `config.bind` inside the current tokio runtime.
pub async fn spawn(config: SandboxConfig) -> std::io::Result<Sandbox> {
    let listener = TcpListener::bind(config.bind)?;
    let addr = listener.local_addr()?;
    // A wildcard bind is still reached through loopback in URLs we hand out.
    let url_host = if addr.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    };
    let base_url = format!("http://{url_host}");
    let public_url = config
        .public_url
        .as_deref()
        .map_or_else(|| base_url.clone(), |u| u.trim_end_matches('/').to_owned());
    let workers = config.workers.max(1);
    let (state, rx) = AppState::new(config, public_url)?;
    let state = web::Data::new(state);
    let worker = tokio::spawn(webhooks::delivery::run_worker(
        state.clone().into_inner(),
        rx,
    ));
    let app_state = state.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(app_state.clone())
            .configure(server::routes)
    })
    .workers(workers)
    .disable_signals()
    .shutdown_timeout(5)
    .listen(listener)?
    .run();
    let handle = server.handle();
    let server = tokio::spawn(server);
    Ok(Sandbox {
        addr,
        base_url,
        state,
        handle,
        server,
        worker,
    })
}

impl Sandbox {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// `http://127.0.0.1:PORT/stores/{store_hash}` (append `/v3/carts` etc.).
    pub fn api_base_url(&self) -> String {
        format!("{}/stores/{}", self.base_url, self.state.config.store_hash)
    }

    /// Origin used in redirect URLs (`public_url`, or the base URL).
    pub fn public_url(&self) -> String {
        self.state.public_url.clone()
    }

    /// The configuration the sandbox runs with.
    pub fn config(&self) -> &SandboxConfig {
        &self.state.config
    }

    /// Stops accepting requests, finishes in-flight ones, and ends webhook delivery.
    pub async fn stop(self) {
        self.handle.stop(true).await;
        // The server task ends once stopped; its result only repeats bind errors seen earlier.
        let _ = self.server.await;
        self.worker.abort();
    }
}
