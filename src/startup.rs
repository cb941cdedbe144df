//! Builds the application: binds both listeners first (the shoppers' port and the admin port;
//! port 0 works in tests), migrates the database (unless `database.migrate_on_start` is off),
//! wires every dependency and starts the background tasks. Shutdown goes through `Lifecycle`:
//! readiness 503 at once, then the public port drains before any worker stops.

use std::net::TcpListener;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::dev::{Server, Service};
use actix_web::error::{InternalError, JsonPayloadError, PathError, QueryPayloadError};
use actix_web::middleware::{from_fn, ErrorHandlers};
use actix_web::web::{self, Data};
use actix_web::{http, App, HttpRequest, HttpResponse, HttpServer};
use anyhow::Context;
use sqlx::PgPool;
use tracing_actix_web::TracingLogger;

use std::sync::Arc;

use crate::accounts::{Accounts, CustomerLogin};
use crate::bigcommerce::BigCommerceClient;
use crate::cart::CartService;
use crate::catalog::Catalog;
use crate::client_address::ClientAddressPolicy;
use crate::configuration::{ApplicationSettings, Settings};
use crate::cross_site::{refuse_cross_site, AllowedOrigins};
use crate::database::{get_connection_pool, migrate_database};
use crate::errors::{problem_for_plain_errors, ErrorCode, Problem};
use crate::fair_shares::FairShares;
use crate::lifecycle::{shutdown_signal, Lifecycle};
use crate::maintenance::run_maintenance;
use crate::metrics::Metrics;
use crate::routes;
use crate::routes::metrics::count_request;
use crate::session::{run_cache_listener, write_session_cookie, SessionCache, Sessions};
use crate::telemetry::{echo_request_id, ShopperSafeRootSpan};

/// The running service: its HTTP server and its background tasks.
pub struct Application {
    port: u16,
    admin_port: u16,
    server: Server,
    admin_server: Server,
    lifecycle: Arc<Lifecycle>,
    settings: Settings,
    pool: PgPool,
    metrics: Arc<Metrics>,
    session_cache: Arc<SessionCache>,
}

/// The shared services every worker gets a handle on.
struct Dependencies {
    pool: PgPool,
    metrics: Arc<Metrics>,
    shares: Arc<FairShares>,
    carts: CartService,
    catalog: Arc<Catalog>,
    accounts: Accounts,
    sessions: Data<Sessions>,
    bigcommerce: BigCommerceClient,
    lifecycle: Arc<Lifecycle>,
}

impl Application {
    /// Binds, migrates and wires the service; call `run_until_stopped` to serve.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let address = format!(
            "{}:{}",
            settings.application.host, settings.application.port
        );
        let listener =
            TcpListener::bind(&address).with_context(|| format!("Failed to bind {address}"))?;
        let port = listener.local_addr()?.port();
        let admin_address = format!("{}:{}", settings.admin.host, settings.admin.port);
        let admin_listener = TcpListener::bind(&admin_address)
            .with_context(|| format!("Failed to bind the admin listener {admin_address}"))?;
        let admin_port = admin_listener.local_addr()?.port();
        let pool = get_connection_pool(&settings.database);
        if settings.database.migrate_on_start {
            migrate_database(&pool).await?;
        }
        let metrics = Arc::new(Metrics::new()?);
        let bigcommerce =
            BigCommerceClient::new(&settings.bigcommerce, &settings.quota, metrics.clone())?;
        let shares = Arc::new(FairShares::new(
            pool.clone(),
            settings.rate_limits.clone(),
            bigcommerce.clone(),
            metrics.clone(),
        ));
        let session_cache = Arc::new(
            SessionCache::new(
                settings.session.cache_enabled,
                settings.session.cache_capacity,
                Duration::from_secs(settings.session.cache_ttl_seconds.max(1)),
                settings.session.cache_liveness(),
            )
            .with_metrics(metrics.session_cache_lookups.clone()),
        );
        let catalog = Arc::new(Catalog::new(bigcommerce.clone(), settings.catalog.ttl()));
        let customer_login = Arc::new(CustomerLogin::new(
            bigcommerce.clone(),
            &settings.bigcommerce,
        ));
        let accounts = Accounts::new(
            pool.clone(),
            bigcommerce.clone(),
            shares.clone(),
            settings.session.clone(),
            settings.bigcommerce.channel_id,
        );
        let carts = CartService::new(
            pool.clone(),
            bigcommerce.clone(),
            settings.cart.clone(),
            &settings.bigcommerce,
            metrics.clone(),
        )
        .with_customer_login(customer_login)
        .with_catalog(catalog.clone())
        .with_coupon_callbacks(settings.webhooks.coupons_in_use);
        let sessions = Data::new(Sessions::new(
            pool.clone(),
            settings.session.clone(),
            i64::from(settings.bigcommerce.channel_id),
            session_cache.clone(),
        )?);
        let lifecycle = Lifecycle::new();
        let dependencies = Dependencies {
            pool: pool.clone(),
            metrics: metrics.clone(),
            shares,
            carts,
            catalog,
            accounts,
            sessions,
            bigcommerce,
            lifecycle: lifecycle.clone(),
        };
        let admin_server = run_admin(admin_listener, &dependencies, &settings)?;
        let server = run(listener, dependencies, &settings)?;
        Ok(Self {
            port,
            admin_port,
            server,
            admin_server,
            lifecycle,
            settings,
            pool,
            metrics,
            session_cache,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The admin listener's port.
    pub fn admin_port(&self) -> u16 {
        self.admin_port
    }

    /// A handle on the public server, to stop it at once (`stop(false)`) or after its workers
    /// drained (`stop(true)`; prefer `lifecycle().begin_shutdown()`, the SIGTERM path).
    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// What SIGTERM/SIGINT trigger: `lifecycle().begin_shutdown()` starts the same shutdown.
    pub fn lifecycle(&self) -> Arc<Lifecycle> {
        self.lifecycle.clone()
    }

    /// Serves until SIGTERM/SIGINT (or `Lifecycle::begin_shutdown`, or a stop through the
    /// server handle). Shutdown: readiness answers 503 at once; the public port keeps serving
    /// for `application.shutdown_drain_seconds`; requests in flight finish (for up to
    /// `application.shutdown_timeout_seconds`) before any worker stops; then the admin port
    /// closes.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let sweeper = tokio::spawn(run_maintenance(
            self.pool.clone(),
            self.settings.session.clone(),
            self.metrics.clone(),
        ));
        let listener = tokio::spawn(run_cache_listener(
            self.settings.database.clone(),
            self.session_cache.clone(),
        ));
        let lifecycle = self.lifecycle.clone();
        let signals = tokio::spawn(async move {
            shutdown_signal().await;
            lifecycle.begin_shutdown();
        });
        let app = &self.settings.application;
        let drain = tokio::spawn({
            let lifecycle = self.lifecycle.clone();
            let server = self.server.handle();
            let drain = Duration::from_secs(app.shutdown_drain_seconds);
            let timeout = Duration::from_secs(app.shutdown_timeout_seconds);
            async move { lifecycle.drain_then_stop(server, drain, timeout).await }
        });
        let admin_handle = self.admin_server.handle();
        let admin = tokio::spawn(self.admin_server);
        let result = self.server.await;
        // However the public server stopped, readiness says so until the admin port closes.
        self.lifecycle.begin_shutdown();
        signals.abort();
        drain.abort();
        admin_handle.stop(true).await;
        let _ = admin.await;
        sweeper.abort();
        listener.abort();
        result
    }
}

fn run(
    listener: TcpListener,
    dependencies: Dependencies,
    settings: &Settings,
) -> anyhow::Result<Server> {
    let app_settings = settings.application.clone();
    let sessions = dependencies.sessions;
    let lifecycle = dependencies.lifecycle;
    let pool = Data::new(dependencies.pool);
    let metrics = Data::new(dependencies.metrics);
    let shares = Data::from(dependencies.shares);
    let client_addresses = Data::new(ClientAddressPolicy::new(&settings.rate_limits));
    let allowed_origins = Data::new(AllowedOrigins::new(
        app_settings.base_url.as_str(),
        &app_settings.cors_allowed_origins,
        vec![settings.webhooks.path.clone()],
    ));
    let carts = Data::new(dependencies.carts);
    let catalog = Data::from(dependencies.catalog);
    let accounts = Data::new(dependencies.accounts);
    let json_limit = app_settings.max_json_body_bytes;
    let webhook_settings = settings.webhooks.clone();
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(refuse_cross_site))
            .wrap(ErrorHandlers::new().default_handler(problem_for_plain_errors))
            .wrap_fn(|req, srv| {
                let response = srv.call(req);
                async move { response.await.map(write_session_cookie) }
            })
            .wrap(cors(&app_settings))
            .wrap_fn(|req, srv| {
                let response = srv.call(req);
                async move { response.await.map(echo_request_id) }
            })
            .wrap_fn(|req, srv| {
                let response = srv.call(req);
                async move { response.await.map(count_request) }
            })
            .wrap(TracingLogger::<ShopperSafeRootSpan>::new())
            .wrap_fn({
                let lifecycle = lifecycle.clone();
                move |req, srv| {
                    // Counted from before the root span to the response: shutdown waits for
                    // this to reach zero before it stops any worker.
                    let in_flight = lifecycle.enter();
                    let response = srv.call(req);
                    async move {
                        let response = response.await;
                        drop(in_flight);
                        response
                    }
                }
            })
            .app_data(
                web::JsonConfig::default()
                    .limit(json_limit)
                    .error_handler(json_error),
            )
            .app_data(web::PathConfig::default().error_handler(path_error))
            .app_data(
                web::FormConfig::default()
                    .limit(json_limit)
                    .error_handler(form_error),
            )
            .app_data(web::QueryConfig::default().error_handler(query_error))
            .app_data(pool.clone())
            .app_data(sessions.clone())
            .app_data(metrics.clone())
            .app_data(shares.clone())
            .app_data(client_addresses.clone())
            .app_data(allowed_origins.clone())
            .app_data(carts.clone())
            .app_data(catalog.clone())
            .app_data(accounts.clone())
            .configure(routes::configure)
            .configure(|cfg| crate::webhooks::configure(cfg, &webhook_settings))
            .default_service(web::to(not_found))
    })
    .listen(listener)?
    // Signals go to `Lifecycle`, which drains before it stops the workers.
    .disable_signals()
    .shutdown_timeout(settings.application.shutdown_timeout_seconds);
    if settings.application.workers > 0 {
        server = server.workers(settings.application.workers);
    }
    Ok(server.run())
}

/// The admin listener: one worker, its own routes, the same shared state.
fn run_admin(
    listener: TcpListener,
    dependencies: &Dependencies,
    settings: &Settings,
) -> anyhow::Result<Server> {
    let pool = Data::new(dependencies.pool.clone());
    let metrics = Data::new(dependencies.metrics.clone());
    let sessions = dependencies.sessions.clone();
    let lifecycle = Data::new(dependencies.lifecycle.clone());
    let bigcommerce = Data::new(dependencies.bigcommerce.clone());
    let webhooks = Data::new(settings.webhooks.clone());
    let server = HttpServer::new(move || {
        // No problem+json rewriting here: readiness answers its own 503 body.
        App::new()
            .wrap(TracingLogger::<ShopperSafeRootSpan>::new())
            .app_data(pool.clone())
            .app_data(metrics.clone())
            .app_data(sessions.clone())
            .app_data(lifecycle.clone())
            .app_data(bigcommerce.clone())
            .app_data(webhooks.clone())
            .configure(routes::admin::configure)
            .default_service(web::to(not_found))
    })
    .listen(listener)?
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .run();
    Ok(server)
}

fn cors(settings: &ApplicationSettings) -> Cors {
    let origins = settings.cors_allowed_origins.clone();
    Cors::default()
        .allowed_origin_fn(move |origin, _| {
            origins
                .iter()
                .any(|allowed| origin.as_bytes() == allowed.as_bytes())
        })
        .supports_credentials()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            http::header::CONTENT_TYPE,
            http::header::ACCEPT,
            http::header::HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([
            http::header::RETRY_AFTER,
            http::header::HeaderName::from_static("x-request-id"),
        ])
        .max_age(3600)
}

fn json_error(error: JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    let problem = match &error {
        JsonPayloadError::Overflow { limit }
        | JsonPayloadError::OverflowKnownLength { limit, .. } => Problem::new(
            ErrorCode::PayloadTooLarge,
            format!("The request body is larger than {limit} bytes."),
        ),
        JsonPayloadError::ContentType => Problem::from_code(ErrorCode::UnsupportedMediaType),
        JsonPayloadError::Deserialize(inner) => {
            Problem::new(ErrorCode::InvalidJson, inner.to_string())
        }
        _ => Problem::from_code(ErrorCode::InvalidJson),
    };
    InternalError::from_response(error, problem.to_response()).into()
}

fn form_error(error: actix_web::error::UrlencodedError, _: &HttpRequest) -> actix_web::Error {
    let page = crate::views::error_page(
        http::StatusCode::BAD_REQUEST,
        "That form could not be read",
        "Go back to your cart and try again.",
    );
    InternalError::from_response(error, page).into()
}

fn path_error(error: PathError, _: &HttpRequest) -> actix_web::Error {
    InternalError::from_response(error, Problem::from_code(ErrorCode::NotFound).to_response())
        .into()
}

fn query_error(error: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    let problem = Problem::new(ErrorCode::BadRequest, error.to_string());
    InternalError::from_response(error, problem.to_response()).into()
}

async fn not_found() -> HttpResponse {
    Problem::from_code(ErrorCode::NotFound).to_response()
}
