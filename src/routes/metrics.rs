//! `GET /metrics` in Prometheus' text format, and the middleware that counts requests.

use std::sync::Arc;

use actix_web::dev::ServiceResponse;
use actix_web::web::Data;
use actix_web::HttpResponse;

use crate::metrics::Metrics;

pub async fn metrics(metrics: Data<Arc<Metrics>>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(metrics.render())
}

/// Counts a finished request by route template (never the raw path: unbounded labels), method
/// and status.
pub fn count_request<B>(response: ServiceResponse<B>) -> ServiceResponse<B> {
    if let Some(metrics) = response.request().app_data::<Data<Arc<Metrics>>>() {
        let route = response
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".into());
        metrics
            .http_requests
            .with_label_values(&[
                route.as_str(),
                response.request().method().as_str(),
                response.status().as_str(),
            ])
            .inc();
    }
    response
}
