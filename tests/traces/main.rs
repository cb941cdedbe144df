//! OTLP export, end to end: an in-process collector receives the span tree of one add.
//!
//! A binary of its own: the OpenTelemetry layer lives in the process-wide subscriber, which
//! must be installed (pointing at this collector) before any application starts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use checkout_bff::configuration::LogFormat;
use checkout_bff::telemetry::{get_subscriber_with_traces, init_subscriber, Tracing};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;
use secrecy::ExposeSecret as _;
use serde_json::{json, Value};

// The API tests' helpers (and their submodules, under `helpers/`).
#[allow(dead_code, unused_imports)]
#[path = "../api"]
mod api {
    pub mod helpers;
}
use api::helpers;

type Received = Arc<Mutex<Vec<Span>>>;

/// Accepts OTLP/HTTP protobuf at `/v1/traces` and keeps every span.
async fn spawn_collector() -> (String, Received) {
    let received: Received = Arc::default();
    let store = received.clone();
    let server = HttpServer::new(move || {
        let store = store.clone();
        App::new().route(
            "/v1/traces",
            web::post().to(move |body: web::Bytes| {
                let store = store.clone();
                async move {
                    let request =
                        ExportTraceServiceRequest::decode(body.as_ref()).expect("OTLP protobuf");
                    let mut spans = store.lock().expect("spans");
                    for resource in request.resource_spans {
                        for scope in resource.scope_spans {
                            spans.extend(scope.spans);
                        }
                    }
                    HttpResponse::Ok()
                        .content_type("application/x-protobuf")
                        .finish()
                }
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")
    .expect("bind the collector");
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    (format!("http://127.0.0.1:{port}/v1/traces"), received)
}

fn attribute(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|value| value.value.as_ref())
        .map(|value| match value {
            AnyValue::StringValue(s) => s.clone(),
            AnyValue::IntValue(i) => i.to_string(),
            AnyValue::BoolValue(b) => b.to_string(),
            AnyValue::DoubleValue(d) => d.to_string(),
            other => format!("{other:?}"),
        })
}

#[tokio::test]
async fn one_add_exports_its_span_tree_continuing_the_callers_trace_without_secrets() {
    // Arrange: the exporter points at our collector, installed before any application.
    let (endpoint, received) = spawn_collector().await;
    std::env::set_var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &endpoint);
    let tracing = Tracing::build().expect("the OTLP pipeline");
    init_subscriber(get_subscriber_with_traces(
        "info",
        LogFormat::Compact,
        std::io::sink,
        Some(tracing.tracer()),
    ));
    let app = helpers::spawn_app().await;
    let cookie = helpers::new_session_cookie(&app).await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";

    // Act: one add, inside the caller's trace.
    let added = helpers::cookieless_client()
        .post(app.url("/api/cart/items?utm_source=mail"))
        .header("cookie", &cookie)
        .header("traceparent", format!("00-{trace_id}-{caller_span}-01"))
        .json(&json!({"line_items": [{"product_id": 101, "quantity": 1}]}))
        .send()
        .await
        .expect("add");
    assert_eq!(added.status().as_u16(), 201);
    let mut spans = Vec::new();
    for _ in 0..50 {
        tracing.flush();
        spans = received.lock().expect("spans").clone();
        if spans.iter().any(|span| span.name == "POST /api/cart/items") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Assert: the request's span continues the caller's trace...
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let root = spans
        .iter()
        .find(|span| span.name == "POST /api/cart/items")
        .unwrap_or_else(|| panic!("no request span among {:?}", names(&spans)));
    assert_eq!(
        hex(&root.trace_id),
        trace_id,
        "the incoming trace is continued"
    );
    assert_eq!(
        hex(&root.parent_span_id),
        caller_span,
        "parent: the caller's span"
    );
    assert_eq!(
        attribute(root, "http.route").as_deref(),
        Some("/api/cart/items")
    );

    // ...and every BigCommerce call is a descendant of it, named by its route template.
    let in_trace: Vec<&Span> = spans
        .iter()
        .filter(|span| hex(&span.trace_id) == trace_id)
        .collect();
    let create = in_trace
        .iter()
        .find(|span| span.name == "POST /v3/carts")
        .unwrap_or_else(|| panic!("no BigCommerce span among {:?}", names(&spans)));
    assert_eq!(
        attribute(create, "url.template").as_deref(),
        Some("/v3/carts")
    );
    assert_eq!(
        attribute(create, "http.request.method").as_deref(),
        Some("POST")
    );
    assert_eq!(
        attribute(create, "http.response.status_code").as_deref(),
        Some("201")
    );
    assert!(attribute(create, "bigcommerce.quota_left").is_some());
    let mut ancestor = create.parent_span_id.clone();
    let mut reached_root = false;
    for _ in 0..16 {
        if ancestor == root.span_id {
            reached_root = true;
            break;
        }
        match in_trace.iter().find(|span| span.span_id == ancestor) {
            Some(parent) => ancestor = parent.parent_span_id.clone(),
            None => break,
        }
    }
    assert!(
        reached_root,
        "the BigCommerce call is a child of the request"
    );

    // BigCommerce received the trace context.
    let stats: Value = reqwest::get(app.sandbox_url("/stats"))
        .await
        .expect("stats")
        .json()
        .await
        .expect("stats body");
    let sent = stats["last_traceparent"]
        .as_str()
        .expect("a traceparent reached BigCommerce");
    assert!(sent.starts_with(&format!("00-{trace_id}-")), "{sent}");

    // No secret and no query string in any attribute of any span.
    let session_token = cookie.split_once('=').expect("cookie").1.to_owned();
    let secrets = [
        session_token.as_str(),
        app.settings.bigcommerce.access_token.expose_secret(),
        "utm_source",
        "@",
    ];
    for span in &spans {
        for kv in &span.attributes {
            let value = attribute(span, &kv.key).unwrap_or_default();
            for secret in secrets {
                assert!(
                    !value.contains(secret),
                    "span {} attribute {} carries {secret:?}",
                    span.name,
                    kv.key
                );
            }
        }
    }
    tracing.shutdown();
}

fn names(spans: &[Span]) -> Vec<&str> {
    spans.iter().map(|span| span.name.as_str()).collect()
}
