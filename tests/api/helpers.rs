//! `spawn_app`: the real application against a fresh database of its own, and the helpers the
//! tests share (a database outage proxy, captured logs).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, LazyLock, Mutex};

use std::time::Duration;

use bc_sandbox::{Sandbox, SandboxConfig};
use checkout_bff::configuration::{load_configuration, Environment, Settings};
use checkout_bff::startup::Application;
use checkout_bff::telemetry::{get_subscriber, init_subscriber};
use serde::Deserialize;
use sqlx::postgres::{PgConnectOptions, PgPool};
use sqlx::{Connection, Executor, PgConnection};
use uuid::Uuid;

mod command_line;
mod db_proxy;
pub use command_line::run_binary;
pub use db_proxy::DbProxy;

/// Everything the tests' logs said, so a test can assert what was (not) logged.
pub static CAPTURED_LOGS: LazyLock<Arc<Mutex<Vec<u8>>>> = LazyLock::new(Default::default);

static TRACING: LazyLock<()> = LazyLock::new(|| {
    let echo = std::env::var("TEST_LOG").is_ok();
    let writer = move || CaptureWriter { echo };
    init_subscriber(get_subscriber(
        "info,sqlx=warn",
        checkout_bff::configuration::LogFormat::Json,
        writer,
    ));
});

struct CaptureWriter {
    echo: bool,
}

impl Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.echo {
            std::io::stdout().write_all(buf)?;
        }
        CAPTURED_LOGS
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The logs captured so far, as text.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&CAPTURED_LOGS.lock().expect("log buffer")).into_owned()
}

/// A running application and handles on what it talks to.
pub struct TestApp {
    pub address: String,
    /// The admin listener: `/metrics`, `/readyz`, `/admin/*`.
    pub admin_address: String,
    pub db_pool: PgPool,
    pub settings: Settings,
    /// Keeps cookies, never follows redirects.
    pub api_client: reqwest::Client,
    /// The BigCommerce sandbox this application talks to, in-process.
    pub sandbox: Sandbox,
    server: actix_web::dev::ServerHandle,
    lifecycle: Arc<checkout_bff::lifecycle::Lifecycle>,
    running: Mutex<Option<tokio::task::JoinHandle<std::io::Result<()>>>>,
    _database: TestDatabase,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn admin_url(&self, path: &str) -> String {
        format!("{}{}", self.admin_address, path)
    }

    /// `GET` on the admin listener.
    pub async fn admin_get(&self, path: &str) -> reqwest::Response {
        self.api_client
            .get(self.admin_url(path))
            .send()
            .await
            .expect("admin request failed")
    }

    /// Starts the shutdown SIGTERM starts (readiness 503, drain, stop), without waiting.
    pub fn begin_shutdown(&self) {
        self.lifecycle.begin_shutdown();
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.api_client
            .get(self.url(path))
            .send()
            .await
            .expect("request failed")
    }

    pub async fn get_cart(&self) -> reqwest::Response {
        self.get("/api/cart").await
    }

    /// `POST /api/cart/items` with `body`.
    pub async fn post_items(&self, body: &serde_json::Value) -> reqwest::Response {
        self.api_client
            .post(self.url("/api/cart/items"))
            .json(body)
            .send()
            .await
            .expect("request failed")
    }

    /// Adds `quantity` of a product (and variant) in one request.
    pub async fn add_item(
        &self,
        product_id: i64,
        variant_id: Option<i64>,
        quantity: i64,
    ) -> reqwest::Response {
        let mut item = serde_json::json!({"product_id": product_id, "quantity": quantity});
        if let Some(variant) = variant_id {
            item["variant_id"] = variant.into();
        }
        self.post_items(&serde_json::json!({"line_items": [item]}))
            .await
    }

    pub async fn patch_item(&self, item_id: &str, quantity: i64) -> reqwest::Response {
        self.api_client
            .patch(self.url(&format!("/api/cart/items/{item_id}")))
            .json(&serde_json::json!({"quantity": quantity}))
            .send()
            .await
            .expect("request failed")
    }

    pub async fn delete_item(&self, item_id: &str) -> reqwest::Response {
        self.api_client
            .delete(self.url(&format!("/api/cart/items/{item_id}")))
            .send()
            .await
            .expect("request failed")
    }

    pub async fn clear_cart(&self) -> reqwest::Response {
        self.api_client
            .delete(self.url("/api/cart"))
            .send()
            .await
            .expect("request failed")
    }

    pub async fn checkout(&self) -> reqwest::Response {
        self.api_client
            .post(self.url("/api/cart/checkout"))
            .send()
            .await
            .expect("request failed")
    }

    /// `POST /api/cart/checkout?target=` (`checkout`, `embedded_checkout` or `cart`).
    pub async fn checkout_to(&self, target: &str) -> reqwest::Response {
        self.api_client
            .post(self.url(&format!("/api/cart/checkout?target={target}")))
            .send()
            .await
            .expect("request failed")
    }

    pub async fn recover(&self, token: &str) -> reqwest::Response {
        self.api_client
            .post(self.url("/api/cart/recover"))
            .json(&serde_json::json!({"token": token}))
            .send()
            .await
            .expect("request failed")
    }

    /// The sandbox's control plane: `path` below `/__sandbox`.
    pub fn sandbox_url(&self, path: &str) -> String {
        format!("{}/__sandbox{}", self.sandbox.base_url(), path)
    }

    /// BigCommerce API calls since the last reset: `(total, by "METHOD /route")`.
    pub async fn sandbox_stats(&self) -> SandboxStats {
        reqwest::get(self.sandbox_url("/stats"))
            .await
            .expect("sandbox stats")
            .json()
            .await
            .expect("sandbox stats body")
    }

    /// Zeroes the sandbox's call counters (and its carts, hooks and faults).
    pub async fn reset_sandbox(&self) {
        let response = reqwest::Client::new()
            .post(self.sandbox_url("/reset"))
            .send()
            .await
            .expect("sandbox reset");
        assert!(response.status().is_success());
    }

    /// Injects faults into the sandbox (see sandbox/README.md for the shape).
    pub async fn inject_faults(&self, faults: serde_json::Value) {
        let response = reqwest::Client::new()
            .post(self.sandbox_url("/faults"))
            .json(&faults)
            .send()
            .await
            .expect("sandbox faults");
        assert!(
            response.status().is_success(),
            "faults refused: {}",
            response.status()
        );
    }

    pub async fn clear_faults(&self) {
        reqwest::Client::new()
            .delete(self.sandbox_url("/faults"))
            .send()
            .await
            .expect("sandbox faults");
    }

    /// Stops the server as SIGTERM does: no new connections, requests in flight finish.
    pub async fn stop_gracefully(&self) {
        self.lifecycle.begin_shutdown();
        let running = self.running.lock().expect("running").take();
        if let Some(running) = running {
            let _ = running.await;
        }
    }

    /// Number of rows in the sessions table.
    pub async fn session_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM sessions")
            .fetch_one(&self.db_pool)
            .await
            .expect("count sessions")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sends the stop command at once; the returned future only waits for completion.
        drop(self.server.stop(false));
    }
}

/// The configuration the tests run with: `config/local.yaml`, a fresh database, port 0.
pub fn test_settings() -> Settings {
    let mut settings = load_configuration(Path::new("config"), Environment::Local, HashMap::new())
        .expect("configuration");
    settings.application.port = 0;
    settings.application.workers = 2;
    settings.application.shutdown_timeout_seconds = 1;
    settings.admin.port = 0;
    let admin = admin_connect_options();
    settings.database.host = admin.get_host().to_owned();
    settings.database.port = admin.get_port();
    settings.database.username = admin.get_username().to_owned();
    settings.database.password = std::env::var("TEST_DATABASE_PASSWORD")
        .unwrap_or_default()
        .into();
    // Fair shares are tested with their configured defaults in fair_shares.rs; elsewhere they
    // are wide open (far above the whole quota: every test client is one address), so tests
    // of other rules, the budget's among them, may make more changes than one shopper would.
    settings.rate_limits.session_share = 1000.0;
    settings.rate_limits.address_share = 1000.0;
    settings.rate_limits.address_sign_in_share = 1000.0;
    settings.rate_limits.sign_in_failures_per_address_and_email = 1000;
    settings
}

/// The sandbox's quota per window (what fair shares are fractions of).
pub const SANDBOX_QUOTA: u32 = 150;

/// The fraction of the sandbox's quota that is `calls` calls per window.
pub fn share_of(calls: u32) -> f64 {
    f64::from(calls) / f64::from(SANDBOX_QUOTA)
}

/// The fair shares as `config/` sets them, for tests of the defaults.
pub fn configured_rate_limits() -> checkout_bff::configuration::RateLimitSettings {
    load_configuration(Path::new("config"), Environment::Local, HashMap::new())
        .expect("configuration")
        .rate_limits
}

/// Spawns the application with the test configuration.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Spawns the application after `customise` has adjusted the test configuration.
pub async fn spawn_app_with(customise: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with_sandbox(SandboxConfig::default(), customise).await
}

/// Spawns a sandbox from `sandbox_config` and the application against it. The seed's
/// automatic promotions (a free pin with two mugs, free-shipping banners) are off: these tests
/// count lines and items; `spawn_app_with_promotions` turns them on.
pub async fn spawn_app_with_sandbox(
    sandbox_config: SandboxConfig,
    customise: impl FnOnce(&mut Settings),
) -> TestApp {
    spawn_app_and_sandbox(
        SandboxConfig {
            automatic_promotions: false,
            ..sandbox_config
        },
        customise,
    )
    .await
}

/// Spawns the application against a sandbox that runs the seed's automatic promotions.
pub async fn spawn_app_with_promotions() -> TestApp {
    spawn_app_and_sandbox(SandboxConfig::default(), |_| {}).await
}

/// `spawn_app_with_promotions` after `customise` has adjusted the test configuration.
pub async fn spawn_app_with_promotions_and(customise: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_and_sandbox(SandboxConfig::default(), customise).await
}

async fn spawn_app_and_sandbox(
    mut sandbox_config: SandboxConfig,
    customise: impl FnOnce(&mut Settings),
) -> TestApp {
    LazyLock::force(&TRACING);
    sandbox_config.webhook_retry_delays =
        vec![Duration::from_millis(50), Duration::from_millis(100)];
    let sandbox = bc_sandbox::spawn(sandbox_config)
        .await
        .expect("spawn the sandbox");
    let mut settings = test_settings();
    settings.bigcommerce.api_base_url = sandbox.base_url().parse().expect("sandbox url");
    settings.bigcommerce.store_hash = sandbox.config().store_hash.clone();
    settings.bigcommerce.access_token = sandbox.config().access_token.clone().into();
    settings.bigcommerce.client_id = sandbox.config().client_id.clone();
    settings.bigcommerce.client_secret = sandbox.config().client_secret.clone().into();
    let database = TestDatabase::create().await;
    settings.database.database_name = database.name.clone();
    customise(&mut settings);

    let db_pool = PgPool::connect_with(admin_connect_options().database(&database.name))
        .await
        .expect("connect to the test database");
    let application = Application::build(settings.clone())
        .await
        .expect("build application");
    let port = application.port();
    let admin_port = application.admin_port();
    let server = application.server_handle();
    let lifecycle = application.lifecycle();
    let running = tokio::spawn(application.run_until_stopped());

    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        admin_address: format!("http://127.0.0.1:{admin_port}"),
        db_pool,
        settings,
        api_client: client(),
        sandbox,
        server,
        lifecycle,
        running: Mutex::new(Some(running)),
        _database: database,
    }
}

/// Spawns the application reaching Postgres through a `DbProxy`, so a test can take the
/// database away and bring it back; requests wait at most `acquire_timeout_ms` for a connection.
pub async fn spawn_app_behind_db_proxy(acquire_timeout_ms: u64) -> (TestApp, DbProxy) {
    let admin = admin_connect_options();
    let upstream = format!("{}:{}", admin.get_host(), admin.get_port())
        .parse()
        .expect("database address");
    let proxy = DbProxy::start(upstream).await;
    let port = proxy.port;
    let app = spawn_app_with(|settings| {
        settings.database.port = port;
        settings.database.acquire_timeout_ms = acquire_timeout_ms;
    })
    .await;
    (app, proxy)
}

/// A client that keeps cookies and does not follow redirects, as a test browser.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("http client")
}

/// Where the test Postgres server is: DATABASE_URL (set by scripts/test), as a superuser.
pub fn admin_connect_options() -> PgConnectOptions {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| {
        panic!("DATABASE_URL is not set: run the tests through scripts/test, which starts Postgres")
    });
    PgConnectOptions::from_str(&url).expect("DATABASE_URL")
}

/// A database of one test's own, migrated by the application and dropped afterwards.
pub struct TestDatabase {
    pub name: String,
}

impl TestDatabase {
    pub async fn create() -> Self {
        let name = format!("test_{}", Uuid::new_v4().simple());
        let mut connection =
            PgConnection::connect_with(&admin_connect_options().database("postgres"))
                .await
                .expect("connect to Postgres");
        connection
            .execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
            .await
            .expect("create test database");
        Self { name }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot block on itself: use a thread.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let mut connection =
                    PgConnection::connect_with(&admin_connect_options().database("postgres"))
                        .await
                        .map_err(std::io::Error::other)?;
                connection
                    .execute(format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#).as_str())
                    .await
                    .map_err(std::io::Error::other)?;
                Ok::<_, std::io::Error>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}

/// The sandbox's request counters.
#[derive(Debug, Deserialize)]
pub struct SandboxStats {
    pub total: u64,
    pub by_route: HashMap<String, u64>,
}

impl SandboxStats {
    /// Calls to one route, e.g. `"POST /v3/carts"`.
    pub fn calls(&self, route: &str) -> u64 {
        self.by_route.get(route).copied().unwrap_or(0)
    }
}

// ---------------------------------------------------------------------------------------------
// Cart API test helpers: sessions shared across clients and instances, the sandbox's control
// plane, raw HTTP for paths a URL library would normalise, metrics and the OpenAPI document.
// ---------------------------------------------------------------------------------------------

/// Another instance of the application on the same database and the same sandbox as an
/// existing `TestApp`, as a second replica behind a load balancer would be.
pub struct AppInstance {
    pub address: String,
    pub admin_address: String,
    server: actix_web::dev::ServerHandle,
}

impl AppInstance {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }
}

impl Drop for AppInstance {
    fn drop(&mut self) {
        drop(self.server.stop(false));
    }
}

/// Spawns a second `Application` with `app`'s settings: same database, same sandbox.
pub async fn spawn_second_instance(app: &TestApp) -> AppInstance {
    let application = Application::build(app.settings.clone())
        .await
        .expect("build the second instance");
    let port = application.port();
    let admin_port = application.admin_port();
    let server = application.server_handle();
    tokio::spawn(application.run_until_stopped());
    AppInstance {
        address: format!("http://127.0.0.1:{port}"),
        admin_address: format!("http://127.0.0.1:{admin_port}"),
        server,
    }
}

/// A client without a cookie store: requests carry the session only through an explicit
/// `Cookie` header, so one session can be shared by many clients and instances.
pub fn cookieless_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

/// A stored session without a cart (as a browser holds after its first write) and its
/// `Cookie` header value (`name=value`). Reads store no session, so the row is written here.
pub async fn new_session_cookie(app: &TestApp) -> String {
    use sha2::{Digest, Sha256};
    let token = hex::encode(rand::random::<[u8; 32]>());
    sqlx::query(
        r#"INSERT INTO sessions (id, token_hash, channel_id, idle_expires_at, absolute_expires_at)
           VALUES (gen_random_uuid(), $1, $2, now() + interval '1 day', now() + interval '30 days')"#,
    )
    .bind(Sha256::digest(token.as_bytes()).to_vec())
    .bind(i64::from(app.settings.bigcommerce.channel_id))
    .execute(&app.db_pool)
    .await
    .expect("store a session");
    format!("{}={token}", app.settings.session.cookie_name)
}

/// The `name=value` of the cookie `name` a response sets, if it sets one.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .and_then(|value| value.split(';').next())
        .map(|pair| pair.trim().to_owned())
}

/// The body of an add request for one line.
pub fn one_line(product_id: i64, variant_id: Option<i64>, quantity: i64) -> serde_json::Value {
    let mut item = serde_json::json!({"product_id": product_id, "quantity": quantity});
    if let Some(variant) = variant_id {
        item["variant_id"] = variant.into();
    }
    serde_json::json!({"line_items": [item]})
}

/// `POST {address}/api/cart/items` in the session named by `cookie`.
pub async fn post_items_as(
    address: &str,
    cookie: &str,
    body: &serde_json::Value,
    idempotency_key: Option<&str>,
) -> reqwest::Response {
    let mut request = cookieless_client()
        .post(format!("{address}/api/cart/items"))
        .header("Cookie", cookie)
        .json(body);
    if let Some(key) = idempotency_key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.expect("request failed")
}

/// `GET {address}/api/cart` in the session named by `cookie`.
pub async fn get_cart_as(address: &str, cookie: &str) -> reqwest::Response {
    cookieless_client()
        .get(format!("{address}/api/cart"))
        .header("Cookie", cookie)
        .send()
        .await
        .expect("request failed")
}

/// The `cart` of a cart answer (`null` when the session has none).
pub async fn cart_body(response: reqwest::Response) -> serde_json::Value {
    response
        .json::<serde_json::Value>()
        .await
        .expect("json body")["cart"]
        .clone()
}

/// The id of the first line of `cart` whose product is `product_id`.
pub fn line_id(cart: &serde_json::Value, product_id: i64) -> String {
    cart["line_items"]
        .as_array()
        .expect("line_items")
        .iter()
        .find(|line| line["product_id"] == product_id)
        .and_then(|line| line["id"].as_str())
        .unwrap_or_else(|| panic!("no line for product {product_id} in {cart}"))
        .to_owned()
}

/// A raw HTTP/1.1 exchange: the request target goes on the wire exactly as given (no URL
/// normalisation of `..`, `%2e%2e` or `%2F`). Returns the status code.
pub async fn raw_request(
    address: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .expect("connect to the application");
    let mut request =
        format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("Content-Length: 0\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send the request");
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .await
        .expect("read the answer");
    let answer = String::from_utf8_lossy(&answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"))
}

impl TestApp {
    /// The sandbox's carts: `[{"id", "customer_id", "line_count", "item_count", ...}]`.
    pub async fn sandbox_carts(&self) -> Vec<serde_json::Value> {
        reqwest::get(self.sandbox_url("/carts"))
            .await
            .expect("sandbox carts")
            .json()
            .await
            .expect("sandbox carts body")
    }

    /// The BigCommerce cart ids the sessions table holds.
    pub async fn stored_cart_ids(&self) -> Vec<Uuid> {
        sqlx::query_scalar("SELECT cart_id FROM sessions WHERE cart_id IS NOT NULL")
            .fetch_all(&self.db_pool)
            .await
            .expect("read sessions.cart_id")
    }

    /// The one cart id the sessions table holds.
    pub async fn stored_cart_id(&self) -> Uuid {
        let ids = self.stored_cart_ids().await;
        assert_eq!(ids.len(), 1, "expected exactly one stored cart: {ids:?}");
        ids[0]
    }

    /// Places an order for `cart` on the sandbox: the cart is gone from BigCommerce.
    pub async fn convert_cart(&self, cart: Uuid) {
        let response = reqwest::Client::new()
            .post(self.sandbox_url(&format!("/carts/{cart}/convert")))
            .send()
            .await
            .expect("convert the cart");
        assert!(
            response.status().is_success(),
            "convert: {}",
            response.status()
        );
    }

    /// Marks `cart` abandoned on the sandbox and returns the recovery token of its e-mail.
    pub async fn abandon_cart(&self, cart: &str) -> String {
        let response: serde_json::Value = reqwest::Client::new()
            .post(self.sandbox_url("/abandoned-carts"))
            .json(&serde_json::json!({"cart_id": cart}))
            .send()
            .await
            .expect("abandon the cart")
            .json()
            .await
            .expect("abandon body");
        response["token"].as_str().expect("token").to_owned()
    }

    /// Calls the sandbox's Management API directly (as another system would), e.g. to
    /// create a customer's cart.
    pub async fn bigcommerce_api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut request = reqwest::Client::new()
            .request(method, format!("{}{}", self.sandbox.api_base_url(), path))
            .header("X-Auth-Token", self.sandbox.config().access_token.clone());
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("sandbox api")
    }

    /// `GET /metrics`, parsed.
    pub async fn metrics(&self) -> Metrics {
        let response = self.admin_get("/metrics").await;
        assert_eq!(response.status().as_u16(), 200);
        Metrics::parse(&response.text().await.expect("metrics text"))
    }

    /// `GET /openapi.json`.
    pub async fn openapi(&self) -> serde_json::Value {
        let response = self.get("/openapi.json").await;
        assert_eq!(response.status().as_u16(), 200);
        response.json().await.expect("openapi json")
    }
}

/// One Prometheus text exposition: samples by name and labels.
#[derive(Debug)]
pub struct Metrics {
    pub samples: Vec<(String, std::collections::BTreeMap<String, String>, f64)>,
}

impl Metrics {
    pub fn parse(text: &str) -> Self {
        let mut samples = Vec::new();
        for line in text.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let (series, value) = line.rsplit_once(' ').expect("sample line");
            let value: f64 = value.parse().expect("sample value");
            let (name, labels) = match series.split_once('{') {
                None => (series.to_owned(), Default::default()),
                Some((name, rest)) => {
                    let rest = rest.trim_end_matches('}');
                    let labels = rest
                        .split("\",")
                        .filter(|pair| !pair.is_empty())
                        .map(|pair| {
                            let (key, value) = pair.split_once('=').expect("label pair");
                            (key.to_owned(), value.trim_matches('"').to_owned())
                        })
                        .collect();
                    (name.to_owned(), labels)
                }
            };
            samples.push((name, labels, value));
        }
        Self { samples }
    }

    /// The value of the sample `name` whose labels include `labels` (summed over the rest);
    /// 0 when there is none.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|(sample, sample_labels, _)| {
                sample == name
                    && labels.iter().all(|(key, value)| {
                        sample_labels.get(*key).map(String::as_str) == Some(*value)
                    })
            })
            .map(|(_, _, value)| value)
            .sum()
    }

    /// Whether a sample named `name` is exported at all.
    pub fn has(&self, name: &str) -> bool {
        self.samples.iter().any(|(sample, _, _)| sample == name)
    }
}

impl SandboxStats {
    /// The calls made since `earlier` was taken.
    pub fn since(&self, earlier: &SandboxStats) -> SandboxStats {
        let by_route = self
            .by_route
            .iter()
            .map(|(route, calls)| (route.clone(), calls - earlier.calls(route)))
            .filter(|(_, calls)| *calls > 0)
            .collect();
        SandboxStats {
            total: self.total - earlier.total,
            by_route,
        }
    }
}

impl TestApp {
    /// Moves the sandbox's clock `seconds` further forward (carts expire 30 days after their
    /// last change).
    pub async fn advance_sandbox_clock(&self, seconds: i64) {
        let http = reqwest::Client::new();
        let clock: serde_json::Value = http
            .get(self.sandbox_url("/clock"))
            .send()
            .await
            .expect("sandbox clock")
            .json()
            .await
            .expect("sandbox clock body");
        let offset = clock["offset_seconds"].as_i64().expect("offset") + seconds;
        let response = http
            .post(self.sandbox_url("/clock"))
            .json(&serde_json::json!({"offset_seconds": offset}))
            .send()
            .await
            .expect("move the sandbox clock");
        assert!(response.status().is_success());
    }
}
