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

mod db_proxy;
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
    pub db_pool: PgPool,
    pub settings: Settings,
    /// Keeps cookies, never follows redirects.
    pub api_client: reqwest::Client,
    /// The BigCommerce sandbox this application talks to, in-process.
    pub sandbox: Sandbox,
    server: actix_web::dev::ServerHandle,
    _database: TestDatabase,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
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
    let admin = admin_connect_options();
    settings.database.host = admin.get_host().to_owned();
    settings.database.port = admin.get_port();
    settings.database.username = admin.get_username().to_owned();
    settings.database.password = std::env::var("TEST_DATABASE_PASSWORD")
        .unwrap_or_default()
        .into();
    settings
}

/// Spawns the application with the test configuration.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Spawns the application after `customise` has adjusted the test configuration.
pub async fn spawn_app_with(customise: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with_sandbox(SandboxConfig::default(), customise).await
}

/// Spawns a sandbox from `sandbox_config` and the application against it.
pub async fn spawn_app_with_sandbox(
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
    let server = application.server_handle();
    tokio::spawn(application.run_until_stopped());

    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        db_pool,
        settings,
        api_client: client(),
        sandbox,
        server,
        _database: database,
    }
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
