//! The one place that talks HTTP to BigCommerce: authentication, correlation ids, timeouts,
//! admission against the store's budget, retries where repeating is safe, and error
//! classification.
//!
//! Every call is a `BigCommerce call` span (a child of the shopper's request, exported over
//! OTLP when tracing is on) carrying the method, the route *template* (never the real path,
//! which carries cart ids and recovery tokens), the status and the quota left, and the call
//! sends the span's W3C `traceparent` on. The HTTP exchange itself runs on a runtime of its
//! own (`io_runtime`): a connection opened there outlives any one actix worker, so a request
//! in flight while the workers shut down keeps its connection.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use url::Url;
use uuid::Uuid;

use super::budget::{jittered, rate_limit_wait, Budget, Permit, Priority, QuotaView, Refusal};
use super::BigCommerceError;
use crate::configuration::{BigCommerceSettings, QuotaSettings};
use crate::metrics::Metrics;

/// A 429 that asks us to wait at most this long is waited out once; longer waits are
/// reported to the shopper as 503 with Retry-After.
const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_millis(1500);
/// How often a call waiting for the store's first answer asks the budget again.
const LEARNING_POLL: Duration = Duration::from_millis(10);

/// How the service names itself to BigCommerce, which asks every integration for a
/// `User-Agent` that identifies it.
const USER_AGENT: &str = concat!("checkout-bff/", env!("CARGO_PKG_VERSION"));

/// The runtime the HTTP exchanges with BigCommerce run on, shared by every client of the
/// process. actix runs each worker on a runtime of its own, and a pooled connection's task
/// lives on the runtime that opened it: opened on a worker, it died when that worker stopped
/// (shutdown stops idle workers first), failing a request still in flight on another worker
/// with 502. Here connections live as long as the process.
fn io_runtime() -> &'static tokio::runtime::Handle {
    static IO: OnceLock<tokio::runtime::Handle> = OnceLock::new();
    IO.get_or_init(|| {
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("bigcommerce-io".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("bigcommerce-io")
                    .enable_all()
                    .build()
                    .expect("the BigCommerce I/O runtime starts");
                let _ = handle_tx.send(runtime.handle().clone());
                runtime.block_on(std::future::pending::<()>());
            })
            .expect("the BigCommerce I/O thread starts");
        handle_rx
            .recv()
            .expect("the BigCommerce I/O runtime hands over its handle")
    })
}

/// Writes the W3C trace context of the current span into a request's headers.
struct HeaderInjector<'a>(&'a mut HeaderMap);

impl opentelemetry::propagation::Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            reqwest::header::HeaderName::from_bytes(key.as_bytes()),
            reqwest::header::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

/// `POST /v3/carts/{id}/items` → (`POST`, `/v3/carts/{id}/items`).
fn split_endpoint(endpoint: &'static str) -> (&'static str, &'static str) {
    endpoint.split_once(' ').unwrap_or(("", endpoint))
}

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
    /// Shared by every clone: one budget per store and process.
    budget: Arc<Budget>,
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
    /// When the request this answers was sent (its last attempt).
    pub sent_at: time::OffsetDateTime,
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
    pub fn new(
        settings: &BigCommerceSettings,
        quota: &QuotaSettings,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Self> {
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
            budget: Arc::new(Budget::new(quota.clone(), Arc::clone(&metrics))),
            metrics,
        })
    }

    /// The store's quota, window and what is left, as far as this instance knows.
    pub fn quota(&self) -> QuotaView {
        self.budget.view()
    }

    /// Sends `call` in the priority class of its endpoint.
    pub(super) async fn send(
        &self,
        call: Call<'_>,
        correlation: CorrelationId,
    ) -> Result<Answer, BigCommerceError> {
        let priority = Priority::of_endpoint(call.endpoint);
        self.send_as(call, priority, correlation).await
    }

    /// Sends `call` once the budget admits it in `priority`, retrying only where it is safe,
    /// and classifies the answer.
    pub(super) async fn send_as(
        &self,
        call: Call<'_>,
        priority: Priority,
        correlation: CorrelationId,
    ) -> Result<Answer, BigCommerceError> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let permit = match self.budget.admit(call.endpoint, priority) {
                Ok(permit) => permit,
                // Honour a 429 that any caller received: wait it out once when it is short,
                // otherwise answer at once without spending a call.
                Err(Refusal::RateLimited(wait)) if wait <= MAX_RATE_LIMIT_WAIT && attempt < 3 => {
                    tokio::time::sleep(wait).await;
                    continue;
                }
                Err(Refusal::Learning) => {
                    tokio::time::sleep(LEARNING_POLL).await;
                    attempt -= 1;
                    continue;
                }
                Err(refusal) => {
                    tracing::debug!(upstream.endpoint = call.endpoint, ?refusal, "call not sent");
                    return Err(refusal.into_error(priority));
                }
            };
            super::calls::record();
            let outcome = self.send_once(&call, permit, correlation).await;
            let retry = match &outcome {
                // A 429 was not processed, so any method may be repeated once (the wait
                // happens at admission).
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
        fields(
            otel.name = call.endpoint,
            otel.kind = "client",
            http.request.method = split_endpoint(call.endpoint).0,
            url.template = split_endpoint(call.endpoint).1,
            server.address = self.store_url.host_str().unwrap_or_default(),
            upstream.endpoint = call.endpoint,
            upstream.status,
            http.response.status_code,
            upstream.duration_ms,
            bigcommerce.quota_left,
            bigcommerce.quota,
        )
    )]
    async fn send_once(
        &self,
        call: &Call<'_>,
        permit: Permit<'_>,
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
        let span = tracing::Span::current();
        let mut trace_headers = HeaderMap::new();
        opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.inject_context(&span.context(), &mut HeaderInjector(&mut trace_headers));
        });
        request = request.headers(trace_headers);
        let sent_at = time::OffsetDateTime::now_utc();
        let started = Instant::now();
        let exchange = io_runtime().spawn(async move {
            let response = request.send().await?;
            let status = response.status();
            let headers = response.headers().clone();
            Ok::<_, reqwest::Error>((status, headers, response.bytes().await))
        });
        let result = match exchange.await {
            Ok(result) => result,
            Err(error) => {
                permit.settle_unanswered();
                self.count(call.endpoint, "error");
                return Err(BigCommerceError::Unexpected(
                    anyhow::Error::new(error).context("The BigCommerce I/O task failed"),
                ));
            }
        };
        let elapsed = started.elapsed();
        span.record("upstream.duration_ms", elapsed.as_millis() as u64);
        self.metrics
            .bigcommerce_duration
            .with_label_values(&[call.endpoint])
            .observe(elapsed.as_secs_f64());

        let (status, headers, body) = match result {
            Ok(answer) => answer,
            Err(error) => {
                permit.settle_unanswered();
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
        span.record("upstream.status", status.as_u16());
        span.record("http.response.status_code", status.as_u16());
        self.count(call.endpoint, status.as_str());
        let held_off = permit.settle(status, &headers);
        let quota = self.budget.view();
        span.record("bigcommerce.quota_left", quota.left);
        span.record("bigcommerce.quota", quota.quota);
        let body = match body {
            Ok(body) => body,
            Err(error) if error.is_timeout() => return Err(BigCommerceError::Timeout),
            Err(error) => {
                return Err(BigCommerceError::Unavailable {
                    status: Some(status.as_u16()),
                    source: Some(error.without_url()),
                })
            }
        };
        classify(status, &headers, body, held_off, &self.metrics).map(|(status, body)| Answer {
            status,
            body,
            sent_at,
        })
    }

    fn count(&self, endpoint: &str, status: &str) {
        self.metrics
            .bigcommerce_requests
            .with_label_values(&[endpoint, status])
            .inc();
    }
}

/// `held_off`: for a 429, how long the budget now holds calls off (the wait to report).
fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    body: bytes::Bytes,
    held_off: Option<Duration>,
    metrics: &Metrics,
) -> Result<(StatusCode, bytes::Bytes), BigCommerceError> {
    if status.is_success() {
        return Ok((status, body));
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
                retry_after: held_off.unwrap_or_else(|| rate_limit_wait(headers)),
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
