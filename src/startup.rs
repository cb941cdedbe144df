//! Builds the application: binds the listener first (port 0 works in tests), migrates the
//! database (unless `database.migrate_on_start` is off), wires every dependency and starts the
//! background tasks.

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
use crate::maintenance::run_maintenance;
use crate::metrics::Metrics;
use crate::routes;
use crate::routes::metrics::count_request;
use crate::session::{run_cache_listener, write_session_cookie, SessionCache, Sessions};
use crate::telemetry::{echo_request_id, ShopperSafeRootSpan};

/// The running service: its HTTP server and its background tasks.
pub struct Application {
    port: u16,
    server: Server,
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
    session_cache: Arc<SessionCache>,
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
            bigcommerce,
            settings.cart.clone(),
            &settings.bigcommerce,
            metrics.clone(),
        )
        .with_customer_login(customer_login)
        .with_catalog(catalog.clone())
        .with_coupon_callbacks(settings.webhooks.coupons_in_use);
        let dependencies = Dependencies {
            pool: pool.clone(),
            metrics: metrics.clone(),
            shares,
            carts,
            catalog,
            accounts,
            session_cache: session_cache.clone(),
        };
        let server = run(listener, dependencies, &settings)?;
        Ok(Self {
            port,
            server,
            settings,
            pool,
            metrics,
            session_cache,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops the server gracefully (draining requests in flight).
    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/SIGINT (or a stop through the handle); in-flight requests are
    /// drained for up to `application.shutdown_timeout_seconds`.
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
        let result = self.server.await;
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
    let sessions = Data::new(Sessions::new(
        dependencies.pool.clone(),
        settings.session.clone(),
        i64::from(settings.bigcommerce.channel_id),
        dependencies.session_cache,
    )?);
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
    .shutdown_timeout(settings.application.shutdown_timeout_seconds);
    if settings.application.workers > 0 {
        server = server.workers(settings.application.workers);
    }
    Ok(server.run())
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
