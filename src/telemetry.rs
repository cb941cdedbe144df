//! Logging and request tracing.
//!
//! Every request gets a root span carrying its id (echoed as `X-Request-Id`), method, route
//! template and *path* — never the query string, which can carry an abandoned-cart token, and
//! never cookies or bodies. One line is logged when a request completes; a 5xx logs its full
//! cause chain there, once.
//!
//! Traces: with `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` set (and
//! `OTEL_SDK_DISABLED`/`OTEL_TRACES_EXPORTER=none` not saying otherwise), the same spans are
//! exported over OTLP/HTTP protobuf (`init_tracing`). A request carrying a W3C `traceparent`
//! continues that trace; BigCommerce calls are its children and send `traceparent` on. The
//! spans carry what the logs carry: no query string, cookie, token or e-mail address.

use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{Error, HttpMessage};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing::{Span, Subscriber};
use tracing_actix_web::{RequestId, RootSpanBuilder};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, Registry};

use crate::configuration::LogFormat;

/// Builds the subscriber: `RUST_LOG` wins over `default_filter`; `sink` receives the output
/// (stdout in production, a test writer in tests).
pub fn get_subscriber<Sink>(
    default_filter: &str,
    format: LogFormat,
    sink: Sink,
) -> Box<dyn Subscriber + Send + Sync>
where
    Sink: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    get_subscriber_with_traces(default_filter, format, sink, None)
}

/// `get_subscriber`, also exporting spans through `tracer` (from `Tracing::tracer`).
pub fn get_subscriber_with_traces<Sink>(
    default_filter: &str,
    format: LogFormat,
    sink: Sink,
    tracer: Option<SdkTracer>,
) -> Box<dyn Subscriber + Send + Sync>
where
    Sink: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let registry = Registry::default()
        .with(filter)
        .with(tracer.map(|tracer| tracing_opentelemetry::layer().with_tracer(tracer)));
    match format {
        LogFormat::Json => Box::new(
            registry.with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(sink),
            ),
        ),
        LogFormat::Compact => {
            Box::new(registry.with(tracing_subscriber::fmt::layer().compact().with_writer(sink)))
        }
    }
}

/// Installs `subscriber` as the global default. Call once.
pub fn init_subscriber(subscriber: Box<dyn Subscriber + Send + Sync>) {
    // A second initialisation (several test apps in one process) is harmless: keep the first.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// The OTLP trace pipeline, when configured; `shutdown` flushes what is left.
pub struct Tracing {
    provider: SdkTracerProvider,
}

/// Whether the environment asks for traces: an OTLP endpoint is set and the SDK is not
/// switched off.
pub fn traces_configured(env: impl Fn(&str) -> Option<String>) -> bool {
    let set = |key: &str| env(key).is_some_and(|value| !value.trim().is_empty());
    let disabled = env("OTEL_SDK_DISABLED").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        || env("OTEL_TRACES_EXPORTER").is_some_and(|v| v.trim().eq_ignore_ascii_case("none"));
    !disabled && (set("OTEL_EXPORTER_OTLP_ENDPOINT") || set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
}

impl Tracing {
    /// Builds the exporter from the standard `OTEL_*` variables (endpoint, headers, timeout,
    /// `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_BSP_*`) when
    /// `traces_configured`, and installs the W3C trace-context propagator. `None`: off.
    pub fn from_env() -> anyhow::Result<Option<Self>> {
        if !traces_configured(|key| std::env::var(key).ok()) {
            return Ok(None);
        }
        Self::build().map(Some)
    }

    /// Builds the pipeline; the OTLP endpoint comes from the environment.
    pub fn build() -> anyhow::Result<Self> {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .build()?;
        let mut resource = opentelemetry_sdk::Resource::builder();
        if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
            resource = resource.with_service_name("checkout-bff");
        }
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource.build())
            .build();
        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
        Ok(Self { provider })
    }

    pub fn tracer(&self) -> SdkTracer {
        self.provider.tracer("checkout-bff")
    }

    /// Exports every finished span now (blocking; on a thread of its own, so it may be
    /// called from async code).
    pub fn flush(&self) {
        let provider = self.provider.clone();
        let _ = std::thread::spawn(move || provider.force_flush()).join();
    }

    /// Exports what is left and stops the exporter (blocking, at most 5 s).
    pub fn shutdown(self) {
        let provider = self.provider;
        let outcome =
            std::thread::spawn(move || provider.shutdown_with_timeout(Duration::from_secs(5)))
                .join();
        if let Ok(Err(error)) = outcome {
            eprintln!("checkout-bff: flushing traces failed: {error}");
        }
    }
}

/// Reads a W3C trace context from an incoming request's headers.
struct RequestHeaders<'a>(&'a actix_web::http::header::HeaderMap);

impl opentelemetry::propagation::Extractor for RequestHeaders<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|name| name.as_str()).collect()
    }
}

/// When a request started, kept in its extensions to log the duration at the end.
struct RequestStart(Instant);

/// Root span of every request, without the query string.
pub struct ShopperSafeRootSpan;

impl RootSpanBuilder for ShopperSafeRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        request
            .extensions_mut()
            .insert(RequestStart(Instant::now()));
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        let route = request.match_pattern().unwrap_or_else(|| "default".into());
        let span = tracing::info_span!(
            "HTTP request",
            otel.name = %format_args!("{} {}", request.method(), route),
            otel.kind = "server",
            http.method = %request.method(),
            http.route = %route,
            http.path = %request.path(),
            http.status_code = tracing::field::Empty,
            request_id = %request_id,
            duration_ms = tracing::field::Empty,
        );
        // Continue the caller's trace (a no-op without the propagator, i.e. traces off).
        let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.extract(&RequestHeaders(request.headers()))
        });
        let _ = span.set_parent(parent);
        span
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let _entered = span.enter();
        match outcome {
            Ok(response) => {
                let status = response.status();
                span.record("http.status_code", status.as_u16());
                if let Some(start) = response.request().extensions().get::<RequestStart>() {
                    span.record("duration_ms", start.0.elapsed().as_millis() as u64);
                }
                match response.response().error() {
                    Some(error) if status.is_server_error() => tracing::error!(
                        error.message = %error,
                        error.cause_chain = ?error,
                        "request failed"
                    ),
                    _ => tracing::info!("request completed"),
                }
            }
            Err(error) => tracing::error!(
                error.message = %error,
                error.cause_chain = ?error,
                "request failed"
            ),
        }
    }
}

/// Response header that carries the request id.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Copies the request id that `TracingLogger` assigned into the `X-Request-Id` response header.
pub fn echo_request_id<B>(mut response: ServiceResponse<B>) -> ServiceResponse<B> {
    let id = response
        .request()
        .extensions()
        .get::<RequestId>()
        .and_then(|id| HeaderValue::from_str(&id.to_string()).ok());
    if let Some(id) = id {
        response.headers_mut().insert(REQUEST_ID_HEADER, id);
    }
    response
}
