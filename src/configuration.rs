//! Layered configuration: `config/base.yaml` → `config/{APP_ENVIRONMENT}.yaml` → `APP_*`
//! environment variables, parsed once at start-up into one typed tree.
//!
//! Every value that can be wrong is checked here, so a bad deployment fails at boot with a
//! message that names the key, never on the first request.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_aux::field_attributes::{
    deserialize_number_from_string, deserialize_option_number_from_string,
};
use sqlx::postgres::{PgConnectOptions, PgSslMode};
use url::Url;

/// Prefix of environment variables that override configuration keys.
pub const ENV_PREFIX: &str = "APP";
/// Separator between key segments in environment variable names (`APP_DATABASE__PORT`).
pub const ENV_SEPARATOR: &str = "__";
/// The shortest `session.signing_key` accepted: 256 bits of hex or base64 and more.
const MIN_SIGNING_KEY_BYTES: usize = 32;
/// The `application_name` of the cache's invalidation listener's connection.
pub const LISTENER_APPLICATION_NAME: &str = "checkout-bff cache listener";

/// The whole configuration of the service.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub application: ApplicationSettings,
    pub admin: AdminSettings,
    pub database: DatabaseSettings,
    pub session: SessionSettings,
    pub bigcommerce: BigCommerceSettings,
    pub cart: CartSettings,
    pub catalog: CatalogSettings,
    pub rate_limits: RateLimitSettings,
    pub webhooks: WebhookSettings,
    pub quota: QuotaSettings,
}

/// How the store's API quota is shared out (see `bigcommerce::budget`). Percentages are of
/// the store's quota per window, as BigCommerce's headers report it.
#[derive(Debug, Clone, Deserialize)]
pub struct QuotaSettings {
    /// Requests per window assumed until BigCommerce's first answer says otherwise.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub assumed_requests_per_window: u32,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub assumed_window_ms: u64,
    /// Never spent: left for the merchant's other integrations.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub reserve_percent: u8,
    /// Above the reserve, only checkout hand-offs may spend this much.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub checkout_percent: u8,
    /// Above that, cart changes may spend this much but refreshes may not.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub change_percent: u8,
    /// How many instances of the service spend the store's quota at once. Each counts its
    /// calls in flight this many times over, so together they never admit more than what
    /// BigCommerce last said is left (README, "Several instances").
    #[serde(
        default = "one_instance",
        deserialize_with = "deserialize_number_from_string"
    )]
    pub instances: u32,
}

fn one_instance() -> u32 {
    1
}

/// The cart rules that are a matter of policy.
#[derive(Debug, Clone, Deserialize)]
pub struct CartSettings {
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub snapshot_ttl_seconds: u64,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub max_quantity: u32,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub max_line_items_per_request: usize,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub idempotency_key_ttl_hours: u64,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub idempotency_settle_seconds: u64,
    /// The store's limits on a gift certificate's amount (BigCommerce takes 1 to 1000).
    #[serde(
        default = "default_gift_certificate_min",
        deserialize_with = "deserialize_number_from_string"
    )]
    pub gift_certificate_min_amount: f64,
    #[serde(
        default = "default_gift_certificate_max",
        deserialize_with = "deserialize_number_from_string"
    )]
    pub gift_certificate_max_amount: f64,
}

fn default_gift_certificate_min() -> f64 {
    1.0
}

fn default_gift_certificate_max() -> f64 {
    1000.0
}

/// How the product list is cached (see `catalog`).
#[derive(Debug, Clone, Deserialize)]
pub struct CatalogSettings {
    /// How long a product list is served before BigCommerce is asked again.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub ttl_seconds: u64,
}

impl CatalogSettings {
    pub fn ttl(&self) -> Duration {
        Duration::from_secs(self.ttl_seconds)
    }
}

/// Fair shares of the store's API quota (see `fair_shares`), so no one client can drain it.
/// Shares are fractions of the store's quota per window as BigCommerce reports it.
#[derive(Debug, Clone, Deserialize)]
pub struct RateLimitSettings {
    /// What one session may spend of each window.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub session_share: f64,
    /// What one client address (an IPv6 /64) may spend of each window, over all its sessions.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub address_share: f64,
    /// What one client address may spend of each window on sign-in attempts (BigCommerce limits
    /// its credential check on its own, more strictly than the store).
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub address_sign_in_share: f64,
    /// Failed sign-ins allowed per (client address, e-mail address) and failure window.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub sign_in_failures_per_address_and_email: u32,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub sign_in_failure_window_seconds: u64,
    /// Proxies in front of the service that append the client's address to
    /// `X-Forwarded-For` (0: the TCP peer is the client).
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub trusted_proxy_hops: u32,
    /// Read RFC 7239 `Forwarded` instead of `X-Forwarded-For` (same hop counting).
    pub use_forwarded_header: bool,
}

impl RateLimitSettings {
    pub fn sign_in_failure_window(&self) -> Duration {
        Duration::from_secs(self.sign_in_failure_window_seconds)
    }
}

impl CartSettings {
    pub fn snapshot_ttl(&self) -> Duration {
        Duration::from_secs(self.snapshot_ttl_seconds)
    }

    /// How long after a change's outcome was lost it may still land (see `idempotency`).
    pub fn idempotency_settle_window(&self) -> Duration {
        Duration::from_secs(self.idempotency_settle_seconds)
    }

    pub fn idempotency_key_ttl(&self) -> Duration {
        Duration::from_secs(self.idempotency_key_ttl_hours * 3600)
    }
}

/// How the HTTP server runs.
#[derive(Debug, Clone, Deserialize)]
pub struct ApplicationSettings {
    pub host: String,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub port: u16,
    pub base_url: Url,
    pub log_format: LogFormat,
    pub log_filter: String,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub shutdown_timeout_seconds: u64,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub workers: usize,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub max_json_body_bytes: usize,
    #[serde(default)]
    pub cors_allowed_origins: Vec<String>,
    /// Seconds the public listener keeps serving after shutdown starts (readiness already
    /// 503), so the load balancer stops sending before the listener closes.
    #[serde(default, deserialize_with = "deserialize_number_from_string")]
    pub shutdown_drain_seconds: u64,
}

/// The operators' listener: `/metrics`, health, readiness and `/admin/*`, apart from the
/// shoppers' port.
#[derive(Debug, Clone, Deserialize)]
pub struct AdminSettings {
    pub host: String,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub port: u16,
}

/// Log output: one JSON object per line, or a compact human format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Compact,
}

/// Where the Postgres database is.
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub host: String,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub port: u16,
    pub username: String,
    pub password: SecretString,
    pub database_name: String,
    pub require_ssl: bool,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub max_connections: u32,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub acquire_timeout_ms: u64,
    /// Apply the migrations at start-up; off when the deployment runs `checkout-bff migrate`.
    pub migrate_on_start: bool,
    /// Where the cache's invalidation listener connects, when not to `host`/`port` (the pool
    /// may go through a transaction-pooling proxy; LISTEN needs the primary, directly).
    #[serde(default)]
    pub listener_host: Option<String>,
    #[serde(default, deserialize_with = "deserialize_option_number_from_string")]
    pub listener_port: Option<u16>,
}

/// Shopper session cookie and lifetimes.
#[derive(Debug, Clone, Deserialize)]
pub struct SessionSettings {
    pub cookie_name: String,
    pub cookie_secure: bool,
    /// Signs what the browser must hand back unaltered: the pre-session cookie, one-time
    /// messages without a session, CSRF tokens.
    pub signing_key: SecretString,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub idle_timeout_minutes: u64,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub absolute_timeout_hours: u64,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub touch_interval_seconds: u64,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub sweep_interval_seconds: u64,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub sweep_batch_size: i64,
    pub cache_enabled: bool,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub cache_capacity: u64,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub cache_ttl_seconds: u64,
    /// The cache is used only while its listener proved, within this long, that it hears.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub cache_liveness_seconds: u64,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub sign_in_lease_seconds: u64,
}

/// The BigCommerce store this service sells through.
#[derive(Debug, Clone, Deserialize)]
pub struct BigCommerceSettings {
    pub api_base_url: Url,
    pub store_hash: String,
    pub access_token: SecretString,
    pub client_id: String,
    pub client_secret: SecretString,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub channel_id: u32,
    pub currency: String,
    pub locale: String,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub timeout_ms: u64,
}

/// Authentication of BigCommerce's webhook callbacks.
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookSettings {
    pub secret: SecretString,
    pub secret_header: String,
    /// Route that receives the callbacks, e.g. `/webhooks/bigcommerce`.
    pub path: String,
    /// Register `store/cart/couponApplied` too (a coupon applied on BigCommerce's pages).
    #[serde(default)]
    pub coupons_in_use: bool,
}

/// A configuration that cannot be used; the message names the offending key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigurationError {
    #[error("invalid configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("invalid configuration: `{key}` {problem}")]
    Invalid { key: &'static str, problem: String },
    #[error("invalid APP_ENVIRONMENT `{0}`: use `local` or `production`")]
    Environment(String),
}

/// The deployment environment, which picks `config/{environment}.yaml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Local,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Local => "local",
            Environment::Production => "production",
        }
    }
}

impl TryFrom<String> for Environment {
    type Error = ConfigurationError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        match value.to_lowercase().as_str() {
            "local" => Ok(Self::Local),
            "production" => Ok(Self::Production),
            _ => Err(ConfigurationError::Environment(value)),
        }
    }
}

/// Loads the configuration from `./config` and the process environment.
pub fn get_configuration() -> Result<Settings, ConfigurationError> {
    let environment: Environment = std::env::var("APP_ENVIRONMENT")
        .unwrap_or_else(|_| "local".into())
        .try_into()?;
    let variables: HashMap<String, String> = std::env::vars().collect();
    load_configuration(Path::new("config"), environment, variables)
}

/// Loads the configuration from `directory`, with `variables` standing in for the environment
/// (so tests can exercise the override rules without touching the process environment).
pub fn load_configuration(
    directory: &Path,
    environment: Environment,
    variables: HashMap<String, String>,
) -> Result<Settings, ConfigurationError> {
    let settings: Settings = config::Config::builder()
        .add_source(config::File::from(directory.join("base.yaml")))
        .add_source(
            config::File::from(directory.join(format!("{}.yaml", environment.as_str())))
                .required(false),
        )
        .add_source(
            config::Environment::with_prefix(ENV_PREFIX)
                .prefix_separator("_")
                .separator(ENV_SEPARATOR)
                .list_separator(",")
                .with_list_parse_key("application.cors_allowed_origins")
                .try_parsing(true)
                .source(Some(variables)),
        )
        .build()?
        .try_deserialize()?;
    settings.validate()?;
    Ok(settings)
}

fn invalid(key: &'static str, problem: impl Into<String>) -> ConfigurationError {
    ConfigurationError::Invalid {
        key,
        problem: problem.into(),
    }
}

impl Settings {
    /// Checks what serde cannot: required secrets, ranges and formats.
    fn validate(&self) -> Result<(), ConfigurationError> {
        let bc = &self.bigcommerce;
        if bc.store_hash.is_empty()
            || !bc
                .store_hash
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(invalid(
                "bigcommerce.store_hash",
                "must be the store hash from /stores/{store_hash}/ (letters, digits, - or _)",
            ));
        }
        if bc.access_token.expose_secret().is_empty() {
            return Err(invalid("bigcommerce.access_token", "is required"));
        }
        if bc.client_id.is_empty() {
            return Err(invalid("bigcommerce.client_id", "is required"));
        }
        if bc.client_secret.expose_secret().is_empty() {
            return Err(invalid("bigcommerce.client_secret", "is required"));
        }
        if bc.currency.len() != 3 || !bc.currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(invalid(
                "bigcommerce.currency",
                "must be an ISO 4217 code such as USD",
            ));
        }
        if bc.timeout_ms == 0 {
            return Err(invalid("bigcommerce.timeout_ms", "must be positive"));
        }
        if bc.api_base_url.cannot_be_a_base() {
            return Err(invalid(
                "bigcommerce.api_base_url",
                "must be an http(s) URL",
            ));
        }
        let session = &self.session;
        if session.cookie_name.is_empty()
            || !session
                .cookie_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
        {
            return Err(invalid(
                "session.cookie_name",
                "must be a non-empty cookie token",
            ));
        }
        if session.cookie_name.starts_with("__Host-") && !session.cookie_secure {
            return Err(invalid(
                "session.cookie_name",
                "uses the __Host- prefix, which browsers only accept with session.cookie_secure = true",
            ));
        }
        if session.signing_key.expose_secret().len() < MIN_SIGNING_KEY_BYTES {
            return Err(invalid(
                "session.signing_key",
                format!("is required: at least {MIN_SIGNING_KEY_BYTES} random characters"),
            ));
        }
        if session.idle_timeout_minutes == 0 || session.absolute_timeout_hours == 0 {
            return Err(invalid(
                "session.idle_timeout_minutes",
                "lifetimes must be positive",
            ));
        }
        if session.cache_liveness_seconds == 0 {
            return Err(invalid(
                "session.cache_liveness_seconds",
                "must be positive",
            ));
        }
        if session.sweep_batch_size <= 0 {
            return Err(invalid("session.sweep_batch_size", "must be positive"));
        }
        let (min, max) = (
            self.cart.gift_certificate_min_amount,
            self.cart.gift_certificate_max_amount,
        );
        if !(1.0..=1000.0).contains(&min) || !(min..=1000.0).contains(&max) {
            return Err(invalid(
                "cart.gift_certificate_min_amount",
                "the gift certificate amounts must be 1 <= min <= max <= 1000 (BigCommerce's limits)",
            ));
        }
        if self.cart.max_quantity == 0 {
            return Err(invalid("cart.max_quantity", "must be positive"));
        }
        if self.cart.max_line_items_per_request == 0 {
            return Err(invalid(
                "cart.max_line_items_per_request",
                "must be positive",
            ));
        }
        let limits = &self.rate_limits;
        for (key, share) in [
            ("rate_limits.session_share", limits.session_share),
            ("rate_limits.address_share", limits.address_share),
            (
                "rate_limits.address_sign_in_share",
                limits.address_sign_in_share,
            ),
        ] {
            // Above 1 is more than the whole store's quota: only load tests from one
            // address want that.
            if !(share > 0.0 && share.is_finite()) {
                return Err(invalid(
                    key,
                    "must be a fraction of the store's quota above 0",
                ));
            }
        }
        if limits.sign_in_failures_per_address_and_email == 0 {
            return Err(invalid(
                "rate_limits.sign_in_failures_per_address_and_email",
                "must be positive",
            ));
        }
        if limits.sign_in_failure_window_seconds == 0 {
            return Err(invalid(
                "rate_limits.sign_in_failure_window_seconds",
                "must be positive",
            ));
        }
        let quota = &self.quota;
        if quota.assumed_requests_per_window == 0 || quota.assumed_window_ms == 0 {
            return Err(invalid(
                "quota.assumed_requests_per_window",
                "must be positive",
            ));
        }
        if quota.instances == 0 {
            return Err(invalid(
                "quota.instances",
                "must be at least 1 (the number of instances sharing the store's quota)",
            ));
        }
        let shares = u32::from(quota.reserve_percent)
            + u32::from(quota.checkout_percent)
            + u32::from(quota.change_percent);
        if shares >= 100 {
            return Err(invalid(
                "quota.reserve_percent",
                "reserve, checkout and change percentages must add up to less than 100",
            ));
        }
        if self.webhooks.secret.expose_secret().is_empty() {
            return Err(invalid("webhooks.secret", "is required"));
        }
        if !self.webhooks.path.starts_with('/') {
            return Err(invalid("webhooks.path", "must start with /"));
        }
        if self.webhooks.secret_header.is_empty() {
            return Err(invalid("webhooks.secret_header", "is required"));
        }
        for origin in &self.application.cors_allowed_origins {
            let parsed = Url::parse(origin).map_err(|_| {
                invalid(
                    "application.cors_allowed_origins",
                    format!("contains `{origin}`, which is not an origin"),
                )
            })?;
            if parsed.path() != "/" || origin.ends_with('/') {
                return Err(invalid(
                    "application.cors_allowed_origins",
                    format!("contains `{origin}`: give scheme://host[:port] with no path"),
                ));
            }
        }
        Ok(())
    }
}

impl DatabaseSettings {
    /// Connection options for the server, without choosing a database.
    pub fn without_db(&self) -> PgConnectOptions {
        let ssl_mode = if self.require_ssl {
            PgSslMode::Require
        } else {
            PgSslMode::Prefer
        };
        PgConnectOptions::new()
            .host(&self.host)
            .port(self.port)
            .username(&self.username)
            .password(self.password.expose_secret())
            .ssl_mode(ssl_mode)
    }

    /// Connection options for the service's database.
    pub fn connect_options(&self) -> PgConnectOptions {
        self.without_db().database(&self.database_name)
    }

    /// Connection options for the cache's invalidation listener: the same database, at
    /// `listener_host`/`listener_port` when set, named so an operator can find it in
    /// `pg_stat_activity`.
    pub fn listener_connect_options(&self) -> PgConnectOptions {
        let mut options = self
            .connect_options()
            .application_name(LISTENER_APPLICATION_NAME);
        if let Some(host) = self
            .listener_host
            .as_deref()
            .filter(|host| !host.is_empty())
        {
            options = options.host(host);
        }
        if let Some(port) = self.listener_port.filter(|port| *port != 0) {
            options = options.port(port);
        }
        options
    }

    pub fn acquire_timeout(&self) -> Duration {
        Duration::from_millis(self.acquire_timeout_ms)
    }
}

impl SessionSettings {
    pub fn sign_in_lease(&self) -> Duration {
        Duration::from_secs(self.sign_in_lease_seconds.max(1))
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_minutes * 60)
    }

    pub fn absolute_timeout(&self) -> Duration {
        Duration::from_secs(self.absolute_timeout_hours * 3600)
    }

    pub fn touch_interval(&self) -> Duration {
        Duration::from_secs(self.touch_interval_seconds)
    }

    /// The pre-session cookie: what a shopper without a session row holds for CSRF tokens.
    /// Named after the session cookie, so it shares its `__Host-` prefix.
    pub fn pre_session_cookie_name(&self) -> String {
        format!("{}_pre", self.cookie_name)
    }

    /// The cookie that carries a one-time message to a shopper without a session row.
    pub fn flash_cookie_name(&self) -> String {
        format!("{}_flash", self.cookie_name)
    }

    pub fn cache_liveness(&self) -> Duration {
        Duration::from_secs(self.cache_liveness_seconds)
    }
}
