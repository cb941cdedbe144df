//! `POST {webhooks.path}`: BigCommerce's callbacks.
//!
//! The secret header is checked before the body is read. The work is one or two single-row
//! statements and never a BigCommerce call, so it is done before answering: a database failure
//! then answers 503 and BigCommerce retries, instead of a 200 for work that was lost.
//!
//! A callback that authenticates but cannot be read (not JSON, too large, no cart id) is
//! acknowledged with 200 and counted as `malformed`: a retry would be just as unreadable, and
//! every failed delivery brings BigCommerce closer to deactivating the hook.
//!
//! A change report (`updated`, `lineItem/*`, `couponApplied`) is not deduplicated: it only
//! decides whether the snapshot is stale, and that is settled by `note_reported_change`, which
//! tells the echoes of our own changes from changes made elsewhere. Forgetting a cart and
//! counting an abandonment are deduplicated on (scope, hash) without a transaction: the
//! actions are idempotent, so a delivery is acted on first and recorded after; two copies
//! racing may both act, but only the one that records it is counted as processed.

use std::sync::Arc;

use actix_web::web::{self, Data};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt;
use secrecy::SecretString;
use sqlx::PgPool;

use super::auth::secret_matches;
use super::store::{delivery_seen, record_delivery};
use super::{CartAction, Delivery, WebhookError};
use crate::cart::{forget_cart, note_reported_change, ReportedChange};
use crate::configuration::WebhookSettings;
use crate::metrics::Metrics;

/// Largest callback body accepted. Cart payloads are a few hundred bytes.
const MAX_BODY_BYTES: usize = 16 * 1024;

/// What the route needs to authenticate a callback.
struct Receiver {
    secret: SecretString,
    secret_header: String,
}

/// Registers the callback route at `settings.path`.
pub fn configure(cfg: &mut web::ServiceConfig, settings: &WebhookSettings) {
    let receiver = Data::new(Receiver {
        secret: settings.secret.clone(),
        secret_header: settings.secret_header.clone(),
    });
    cfg.service(
        web::resource(settings.path.as_str())
            .app_data(receiver)
            .route(web::post().to(receive)),
    );
}

#[tracing::instrument(
    name = "Receive BigCommerce webhook",
    skip_all,
    fields(webhook.scope = tracing::field::Empty, cart.id = tracing::field::Empty)
)]
async fn receive(
    request: HttpRequest,
    payload: web::Payload,
    receiver: Data<Receiver>,
    pool: Data<PgPool>,
    metrics: Data<Arc<Metrics>>,
) -> Result<HttpResponse, WebhookError> {
    let count = |scope: &str, result: &str| {
        metrics
            .webhook_deliveries
            .with_label_values(&[scope, result])
            .inc();
    };
    let presented = request
        .headers()
        .get(receiver.secret_header.as_str())
        .map(|value| value.as_bytes());
    if !secret_matches(presented, &receiver.secret) {
        tracing::info!(target: "audit", event = "webhook_refused", reason = "secret");
        count("unknown", "rejected");
        return Err(WebhookError::Unauthorized);
    }
    let body = read_body(payload).await;
    let delivery = match body.and_then(|body| Delivery::parse(&body)) {
        Ok(delivery) => delivery,
        Err(error @ WebhookError::Payload(_)) => {
            tracing::info!(target: "audit", event = "webhook_refused", reason = "payload");
            count("unknown", "rejected");
            return Err(error);
        }
        Err(error) => {
            tracing::warn!(error = %error, "acknowledged a callback that cannot be read");
            count("unknown", "malformed");
            return Ok(HttpResponse::Ok().finish());
        }
    };
    let span = tracing::Span::current();
    span.record("webhook.scope", delivery.scope);
    if delivery.action == CartAction::Ignore {
        count(delivery.scope, "ignored");
        return Ok(HttpResponse::Ok().finish());
    }
    if let CartAction::MarkStale(cart) = delivery.action {
        span.record("cart.id", tracing::field::display(cart));
        let change = ReportedChange {
            cart,
            echo: delivery.echo(),
            created_at: delivery.created_at,
        };
        let result = match note_reported_change(&pool, change).await? {
            Some(true) => "already_known",
            Some(false) | None => "processed",
        };
        count(delivery.scope, result);
        return Ok(HttpResponse::Ok().finish());
    }
    if delivery_seen(&pool, &delivery).await? {
        count(delivery.scope, "duplicate");
        return Ok(HttpResponse::Ok().finish());
    }
    match delivery.action {
        CartAction::Forget(cart) => {
            span.record("cart.id", tracing::field::display(cart));
            forget_cart(&pool, cart).await?;
        }
        CartAction::MarkStale(_) | CartAction::Abandoned(_) | CartAction::Ignore => {}
    }
    if record_delivery(&pool, &delivery).await? {
        count(delivery.scope, "processed");
        if matches!(delivery.action, CartAction::Abandoned(_)) {
            metrics.carts_abandoned.inc();
        }
    } else {
        count(delivery.scope, "duplicate");
    }
    Ok(HttpResponse::Ok().finish())
}

/// The body, refused beyond `MAX_BODY_BYTES` without reading the rest.
async fn read_body(mut payload: web::Payload) -> Result<web::BytesMut, WebhookError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(WebhookError::Payload)?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(WebhookError::TooLarge(MAX_BODY_BYTES));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
