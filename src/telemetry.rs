//! Logging and request tracing.
//!
//! Every request gets a root span carrying its id (echoed as `X-Request-Id`), method, route
//! template and *path* — never the query string, which can carry an abandoned-cart token, and
//! never cookies or bodies. One line is logged when a request completes; a 5xx logs its full
//! cause chain there, once.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{Error, HttpMessage};
use tracing::{Span, Subscriber};
use tracing_actix_web::{RequestId, RootSpanBuilder};
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
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let registry = Registry::default().with(filter);
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
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.path = %request.path(),
            http.status_code = tracing::field::Empty,
            request_id = %request_id,
            duration_ms = tracing::field::Empty,
        )
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
