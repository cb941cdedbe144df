//! The operators' surface, served on its own listener (`admin.host`/`admin.port`), never on
//! the shoppers' port: `/metrics`, `/healthz`, `/readyz` and the `/admin/*` operations.

use std::sync::Arc;

use actix_web::{web, HttpResponse};
use serde::Serialize;
use sqlx::PgPool;
use time::OffsetDateTime;

use super::{health, metrics};
use crate::bigcommerce::BigCommerceClient;
use crate::configuration::WebhookSettings;
use crate::errors::{ErrorCode, Problem};
use crate::lifecycle::Lifecycle;
use crate::session::Sessions;

/// Registers the admin routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").route(web::get().to(health::healthz)))
        .service(web::resource("/readyz").route(web::get().to(readyz)))
        .service(web::resource("/metrics").route(web::get().to(metrics::metrics)))
        .service(web::resource("/admin/budget").route(web::get().to(budget)))
        .service(web::resource("/admin/webhooks").route(web::get().to(webhooks)))
        .service(web::resource("/admin/cache").route(web::get().to(cache)))
        .service(web::resource("/admin/cache/flush").route(web::post().to(flush_cache)));
}

/// `GET /readyz`: 503 from the moment shutdown starts, so the balancer drains the instance;
/// otherwise the database and the cache listener decide.
async fn readyz(
    lifecycle: web::Data<Arc<Lifecycle>>,
    pool: web::Data<PgPool>,
    sessions: web::Data<Sessions>,
) -> HttpResponse {
    if lifecycle.is_shutting_down() {
        return HttpResponse::ServiceUnavailable().json(serde_json::json!({
            "status": "shutting_down",
            "in_flight": lifecycle.in_flight(),
        }));
    }
    health::readyz(pool, sessions).await
}

#[derive(Serialize)]
struct BudgetView {
    quota: u64,
    window_ms: u128,
    left: u64,
    reserve: u64,
    resets_in_ms: Option<u128>,
}

/// `GET /admin/budget`: the store's BigCommerce quota as this instance knows it.
async fn budget(client: web::Data<BigCommerceClient>) -> HttpResponse {
    let view = client.quota();
    HttpResponse::Ok().json(BudgetView {
        quota: view.quota,
        window_ms: view.window.as_millis(),
        left: view.left,
        reserve: view.reserve,
        resets_in_ms: view.resets_in.map(|wait| wait.as_millis()),
    })
}

#[derive(Serialize)]
struct ScopeView {
    scope: &'static str,
    /// When the last callback for it was received (kept as long as the sweeper keeps
    /// deliveries), `null`: none kept.
    #[serde(with = "time::serde::rfc3339::option")]
    last_delivery_at: Option<OffsetDateTime>,
    deliveries_kept: i64,
}

/// `GET /admin/webhooks`: the hooks this service registers, and the last delivery of each.
async fn webhooks(
    pool: web::Data<PgPool>,
    settings: web::Data<WebhookSettings>,
) -> Result<HttpResponse, actix_web::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT scope AS "scope!", max(received_at) AS "last!", count(*) AS "kept!"
        FROM webhook_deliveries
        GROUP BY scope
        "#
    )
    .fetch_all(pool.get_ref())
    .await
    .map_err(|error| {
        tracing::warn!(error = %error, "admin: webhook deliveries unreadable");
        actix_web::error::InternalError::from_response(
            error,
            Problem::from_code(ErrorCode::DatabaseUnavailable).to_response(),
        )
    })?;
    let hooks: Vec<ScopeView> = crate::webhooks::scopes(&settings)
        .into_iter()
        .map(|scope| {
            let row = rows.iter().find(|row| row.scope == scope);
            ScopeView {
                scope,
                last_delivery_at: row.map(|row| row.last),
                deliveries_kept: row.map_or(0, |row| row.kept),
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "destination_path": settings.path,
        "hooks": hooks,
    })))
}

/// `GET /admin/cache`: the session cache's state.
async fn cache(sessions: web::Data<Sessions>) -> HttpResponse {
    HttpResponse::Ok().json(sessions.cache().state())
}

/// `POST /admin/cache/flush`: empties this instance's session cache (the next reads go to
/// Postgres). Other instances keep theirs.
async fn flush_cache(sessions: web::Data<Sessions>) -> HttpResponse {
    let before = sessions.cache().state();
    sessions.cache().clear();
    tracing::info!(
        target: "audit",
        event = "admin_action",
        action = "cache_flush",
        sessions = before.sessions,
        snapshots = before.snapshots,
    );
    HttpResponse::Ok().json(sessions.cache().state())
}
