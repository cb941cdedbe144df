//! The one place that talks HTTP to BigCommerce: authentication, correlation ids, timeouts,
//! rate-limit bookkeeping, retries where repeating is safe, and error classification.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use url::Url;
use uuid::Uuid;

use super::BigCommerceError;
use crate::configuration::BigCommerceSettings;
use crate::metrics::Metrics;

/// A 429 that asks us to wait at most this long is waited out once; longer waits are
/// reported to the shopper as 503 with Retry-After.
const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_millis(1500);
/// How long to back off after a 429 that carries no rate-limit headers: BigCommerce sends
/// those when the platform itself is shedding load, so back off for longer.
const HEADERLESS_429_BACKOFF: Duration = Duration::from_secs(2);

/// How the service names itself to BigCommerce, which asks every integration for a
/// `User-Agent` that identifies it.
const USER_AGENT: &str = concat!("checkout-bff/", env!("CARGO_PKG_VERSION"));

/// Ties BigCommerce calls to the shopper request that caused them (`X-Correlation-Id`).
#[derive(Debug, Clone, Copy)]
pub struct CorrelationId(pub Uuid);

/// A BigCommerce API client for one store.
#[derive(Clone)]
pub struct BigCommerceClient {
    http: reqwest::Client,
    /// `{api_base_url}/stores/{store_hash}/`
    store_url: Url,
    access_token: SecretString,
    metrics: Arc<Metrics>,
    quota: Arc<Mutex<QuotaState>>,
}

/// What BigCommerce's rate-limit headers last told us.
#[derive(Debug, Default)]
struct QuotaState {
    requests_left: Option<u64>,
    window_resets_at: Option<Instant>,
    /// After a 429 we send nothing until then: hammering through 429s is what BigCommerce
    /// calls abusive, and it only burns the store's quota.
    blocked_until: Option<Instant>,
}

/// One request to make.
pub(super) struct Call<'a> {
    pub method: Method,
    /// Path below `/stores/{store_hash}/`, e.g. `v3/carts/{id}/items`.
    pub path: String,
    /// Template of the path for metrics, e.g. `POST /v3/carts/{id}/items`.
    pub endpoint: &'static str,
    pub query: &'a [(&'a str, &'a str)],
    pub body: Option<serde_json::Value>,
    /// Safe to repeat after an unknown outcome (reads and deletes).
    pub idempotent: bool,
}

/// A successful answer: the status and the raw body.
pub(super) struct Answer {
    pub status: StatusCode,
    pub body: bytes::Bytes,
}

impl Answer {
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, BigCommerceError> {
        serde_json::from_slice(&self.body).map_err(|error| {
            BigCommerceError::Unexpected(
                anyhow::Error::new(error).context("Failed to decode BigCommerce's answer"),
            )
        })
    }
}

impl BigCommerceClient {
    pub fn new(settings: &BigCommerceSettings, metrics: Arc<Metrics>) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(Duration::from_millis(settings.timeout_ms))
            .connect_timeout(Duration::from_millis(settings.timeout_ms.min(3000)))
            .pool_max_idle_per_host(64)
            .build()?;
        let mut base = settings.api_base_url.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let store_url = base.join(&format!("stores/{}/", settings.store_hash))?;
        Ok(Self {
            http,
            store_url,
            access_token: settings.access_token.clone(),
            metrics,
            quota: Arc::default(),
        })
    }

    /// Whether BigCommerce's quota for this window is nearly spent (fewer than `threshold`
    /// requests left), so reads should prefer what we already know.
    pub fn quota_is_low(&self, threshold: u64) -> bool {
        let Ok(quota) = self.quota.lock() else {
            return false;
        };
        let now = Instant::now();
        if quota.blocked_until.is_some_and(|until| until > now) {
            return true;
        }
        let window_open = quota.window_resets_at.is_some_and(|at| at > now);
        window_open && quota.requests_left.is_some_and(|left| left < threshold)
    }

    /// Sends `call`, retrying only where it is safe, and classifies the answer.
    pub(super) async fn send(
        &self,
        call: Call<'_>,
        correlation: CorrelationId,
    ) -> Result<Answer, BigCommerceError> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            // Honour a 429 that any caller received: wait it out when it is short, otherwise
            // answer at once without spending a call.
            if let Some(wait) = self.blocked_for() {
                if wait > MAX_RATE_LIMIT_WAIT {
                    return Err(BigCommerceError::RateLimited { retry_after: wait });
                }
                tokio::time::sleep(wait).await;
            }
            let outcome = self.send_once(&call, correlation).await;
            let retry = match &outcome {
                // A 429 was not processed, so any method may be repeated once (the wait
                // happens at the top of the loop).
                Err(BigCommerceError::RateLimited { retry_after }) => {
                    *retry_after <= MAX_RATE_LIMIT_WAIT
                }
                Err(BigCommerceError::Unavailable { .. } | BigCommerceError::Timeout) => {
                    call.idempotent
                }
                _ => false,
            };
            if !retry || attempt >= 2 {
                return outcome;
            }
            tracing::info!(
                upstream.endpoint = call.endpoint,
                "retrying BigCommerce call"
            );
            if !matches!(outcome, Err(BigCommerceError::RateLimited { .. })) {
                tokio::time::sleep(jittered(Duration::from_millis(100))).await;
            }
        }
    }

    #[tracing::instrument(
        name = "BigCommerce call",
        skip_all,
        fields(upstream.endpoint = call.endpoint, upstream.status, upstream.duration_ms)
    )]
    async fn send_once(
        &self,
        call: &Call<'_>,
        correlation: CorrelationId,
    ) -> Result<Answer, BigCommerceError> {
        let url = self
            .store_url
            .join(&call.path)
            .map_err(|e| BigCommerceError::Unexpected(e.into()))?;
        let mut request = self
            .http
            .request(call.method.clone(), url)
            .header("X-Auth-Token", self.access_token.expose_secret())
            .header("Accept", "application/json")
            // The spec marks Content-Type required even on bodiless writes such as
            // `redirect_urls`, and BigCommerce answers 415 without it: send it on every call.
            .header("Content-Type", "application/json")
            .header("X-Correlation-Id", correlation.0.to_string());
        if !call.query.is_empty() {
            request = request.query(call.query);
        }
        if let Some(body) = &call.body {
            let bytes =
                serde_json::to_vec(body).map_err(|e| BigCommerceError::Unexpected(e.into()))?;
            request = request.body(bytes);
        }
        let started = Instant::now();
        let result = request.send().await;
        let elapsed = started.elapsed();
        let span = tracing::Span::current();
        span.record("upstream.duration_ms", elapsed.as_millis() as u64);
        self.metrics
            .bigcommerce_duration
            .with_label_values(&[call.endpoint])
            .observe(elapsed.as_secs_f64());

        let response = match result {
            Ok(response) => response,
            Err(error) => {
                self.count(call.endpoint, "error");
                return Err(if error.is_timeout() {
                    BigCommerceError::Timeout
                } else {
                    // The URL can carry a credential (an abandoned-cart token is a path
                    // segment) and reqwest prints it: errors leave without it.
                    BigCommerceError::Unavailable {
                        status: None,
                        source: Some(error.without_url()),
                    }
                });
            }
        };
        let status = response.status();
        span.record("upstream.status", status.as_u16());
        self.count(call.endpoint, status.as_str());
        self.remember_quota(response.headers(), status);
        let headers = response.headers().clone();
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(error) if error.is_timeout() => return Err(BigCommerceError::Timeout),
            Err(error) => {
                return Err(BigCommerceError::Unavailable {
                    status: Some(status.as_u16()),
                    source: Some(error.without_url()),
                })
            }
        };
        classify(status, &headers, body, &self.metrics)
    }

    fn count(&self, endpoint: &str, status: &str) {
        self.metrics
            .bigcommerce_requests
            .with_label_values(&[endpoint, status])
            .inc();
    }

    /// If a recent 429 told us to hold off, how much longer.
    fn blocked_for(&self) -> Option<Duration> {
        let quota = self.quota.lock().ok()?;
        let until = quota.blocked_until?;
        until.checked_duration_since(Instant::now())
    }

    fn remember_quota(&self, headers: &HeaderMap, status: StatusCode) {
        let left = header_u64(headers, "x-rate-limit-requests-left");
        let reset = header_u64(headers, "x-rate-limit-time-reset-ms").map(Duration::from_millis);
        let Ok(mut quota) = self.quota.lock() else {
            return;
        };
        let now = Instant::now();
        if let Some(left) = left {
            quota.requests_left = Some(left);
            self.metrics
                .bigcommerce_requests_left
                .set(i64::try_from(left).unwrap_or(i64::MAX));
        }
        if let Some(reset) = reset {
            quota.window_resets_at = Some(now + reset);
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            let wait = rate_limit_wait(headers);
            quota.blocked_until = Some(now + wait);
        }
    }
}

/// How long a 429 asks us to wait: its reset header, else X-Retry-After, else our own
/// jittered back-off (BigCommerce sends a bare 429 when the platform is shedding load).
fn rate_limit_wait(headers: &HeaderMap) -> Duration {
    if let Some(ms) = header_u64(headers, "x-rate-limit-time-reset-ms") {
        return Duration::from_millis(ms);
    }
    if let Some(seconds) = header_u64(headers, "x-retry-after") {
        return Duration::from_secs(seconds);
    }
    jittered(HEADERLESS_429_BACKOFF)
}

fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    body: bytes::Bytes,
    metrics: &Metrics,
) -> Result<Answer, BigCommerceError> {
    if status.is_success() {
        return Ok(Answer { status, body });
    }
    match status.as_u16() {
        404 => Err(BigCommerceError::NotFound),
        // We never send `version`, so a 409 cannot be a version conflict: it is BigCommerce's
        // purchase-limit refusal ("You can only purchase a maximum of …").
        409 => Err(BigCommerceError::Conflict {
            title: error_title(&body),
        }),
        429 => {
            metrics.bigcommerce_rate_limited.inc();
            Err(BigCommerceError::RateLimited {
                retry_after: rate_limit_wait(headers),
            })
        }
        401 | 403 => Err(BigCommerceError::Unauthorized {
            status: status.as_u16(),
        }),
        400..=499 => Err(BigCommerceError::Rejected {
            status: status.as_u16(),
            title: error_title(&body),
        }),
        code => Err(BigCommerceError::Unavailable {
            status: Some(code),
            source: None,
        }),
    }
}

/// The `title` of BigCommerce's error body, or a generic text when it has none.
fn error_title(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        title: Option<String>,
    }
    serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .and_then(|body| body.title)
        .filter(|title| !title.trim().is_empty())
        .unwrap_or_else(|| "BigCommerce refused the request.".to_owned())
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers
        .get(name)
        .and_then(|value: &HeaderValue| value.to_str().ok())
        .and_then(|value| value.trim().parse().ok())
}

/// `base` plus up to 100% random jitter, so many waiting clients do not retry in lockstep.
fn jittered(base: Duration) -> Duration {
    let jitter = rand::rng().random_range(0..=base.as_millis() as u64);
    base + Duration::from_millis(jitter)
}
