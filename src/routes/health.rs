//! Liveness and readiness probes.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use sqlx::PgPool;

use crate::errors::{ErrorCode, Problem};
use crate::session::{ListenerHealth, Sessions};

/// `GET /healthz`: the process is up and serving.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// `GET /readyz` (admin listener): ready to serve shoppers, i.e. the database answers and, with the cache on,
/// the cache's listener can listen. 503 when either does not.
pub async fn readyz(pool: web::Data<PgPool>, sessions: web::Data<Sessions>) -> HttpResponse {
    let ping = sqlx::query_scalar!("SELECT 1 AS \"one!\"").fetch_one(pool.get_ref());
    match tokio::time::timeout(Duration::from_secs(2), ping).await {
        Ok(Ok(_)) => match sessions.cache().health() {
            ListenerHealth::CannotListen(reason) => cannot_listen(reason),
            ListenerHealth::Disabled | ListenerHealth::Connecting | ListenerHealth::Listening => {
                HttpResponse::Ok().json(serde_json::json!({"status": "ready"}))
            }
        },
        Ok(Err(error)) => {
            tracing::warn!(error = %error, "readiness check: database unreachable");
            not_ready()
        }
        Err(_) => {
            tracing::warn!("readiness check: database timed out");
            not_ready()
        }
    }
}

/// The instance works without its cache, but a deployment that cannot LISTEN is misconfigured:
/// say so where the rollout looks.
fn cannot_listen(reason: &str) -> HttpResponse {
    tracing::warn!(reason, "readiness check: the cache listener cannot listen");
    Problem::new(
        ErrorCode::DatabaseUnavailable,
        format!(
            "The session cache's listener cannot listen for invalidations: {reason}. It needs \
             a direct connection to the primary (database.listener_host/listener_port); the \
             cache is bypassed meanwhile."
        ),
    )
    .with_retry_after(5)
    .to_response()
}

fn not_ready() -> HttpResponse {
    Problem::new(
        ErrorCode::DatabaseUnavailable,
        "The database is unreachable; the service will recover when it is back.",
    )
    .with_retry_after(5)
    .to_response()
}
