//! Liveness and readiness probes.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use sqlx::PgPool;

use crate::errors::{ErrorCode, Problem};

/// `GET /healthz`: the process is up and serving.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// `GET /readyz`: ready to serve shoppers, i.e. the database answers. 503 when it does not.
pub async fn readyz(pool: web::Data<PgPool>) -> HttpResponse {
    let ping = sqlx::query_scalar!("SELECT 1 AS \"one!\"").fetch_one(pool.get_ref());
    match tokio::time::timeout(Duration::from_secs(2), ping).await {
        Ok(Ok(_)) => HttpResponse::Ok().json(serde_json::json!({"status": "ready"})),
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

fn not_ready() -> HttpResponse {
    Problem::new(
        ErrorCode::DatabaseUnavailable,
        "The database is unreachable; the service will recover when it is back.",
    )
    .with_retry_after(5)
    .to_response()
}
