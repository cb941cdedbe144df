//! `Idempotency-Key` on cart mutations: a retry with the same key and body gets the stored
//! response, with no second BigCommerce call — also while the first is still in flight.
//!
//! Two short statements around the operation, never a transaction across it: *reserve*
//! (insert the key, or find it), run, *complete* (store the response). A transient failure
//! (5xx) releases the key so the retry can try again; a definite answer (2xx, 4xx) is kept.

mod persistence;

use std::future::Future;
use std::time::Duration;

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use crate::cart::CartError;
use crate::domain::IdempotencyKey;
use crate::errors::{ErrorCode, Problem, PROBLEM_JSON};
use persistence::{complete, release, reserve, Reservation};

pub use persistence::delete_expired_idempotency_keys;

/// How long a duplicate waits for the first request with its key to finish.
const IN_FLIGHT_WAIT: Duration = Duration::from_secs(30);

/// The request an idempotency key stands for: method, path and the parsed body.
pub fn fingerprint(method: &str, path: &str, body: &impl Serialize) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update([0]);
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(serde_json::to_vec(body).unwrap_or_default());
    hasher.finalize().into()
}

/// A mutation's successful answer: its status and JSON body.
pub struct Answer {
    pub status: StatusCode,
    pub body: serde_json::Value,
}

impl Answer {
    pub fn ok(body: impl Serialize) -> Self {
        Self {
            status: StatusCode::OK,
            body: serde_json::to_value(body).unwrap_or_default(),
        }
    }

    pub fn created(body: impl Serialize) -> Self {
        Self {
            status: StatusCode::CREATED,
            body: serde_json::to_value(body).unwrap_or_default(),
        }
    }

    pub fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            body: serde_json::Value::Null,
        }
    }
}

/// Runs `operation` at most once per (session, key); without a key, simply runs it.
pub async fn run_idempotent<F, Fut>(
    pool: &PgPool,
    session: Uuid,
    key: Option<IdempotencyKey>,
    fingerprint: [u8; 32],
    ttl: Duration,
    operation: F,
) -> Result<HttpResponse, CartError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Answer, CartError>>,
{
    let Some(key) = key else {
        return operation()
            .await
            .map(|answer| json_response(answer.status, &answer.body));
    };
    match reserve(pool, session, &key, &fingerprint, ttl, IN_FLIGHT_WAIT).await? {
        Reservation::Replay { status, body } => return Ok(replay(status, body)),
        Reservation::Reused => {
            return Ok(Problem::from_code(ErrorCode::IdempotencyKeyReused).to_response())
        }
        Reservation::StillInFlight => {
            return Ok(Problem::from_code(ErrorCode::IdempotencyKeyInFlight)
                .with_retry_after(1)
                .to_response())
        }
        Reservation::Proceed => {}
    }
    match operation().await {
        Ok(answer) => {
            let body = serde_json::to_vec(&answer.body).unwrap_or_default();
            complete(pool, session, &key, answer.status.as_u16(), &body).await?;
            Ok(replay(answer.status.as_u16(), body))
        }
        Err(error) if error.is_transient() => {
            if let Err(release_error) = release(pool, session, &key).await {
                tracing::warn!(error = %release_error, "could not release an idempotency key");
            }
            Err(error)
        }
        Err(error) => {
            let problem = error.problem();
            let body = serde_json::to_vec(&problem).unwrap_or_default();
            complete(pool, session, &key, problem.status, &body).await?;
            Err(error)
        }
    }
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CACHE_CONTROL, "private, no-store"));
    if status == StatusCode::NO_CONTENT {
        return response.finish();
    }
    response.json(body)
}

/// Rebuilds a stored response.
fn replay(status: u16, body: Vec<u8>) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let content_type = if status.is_success() {
        "application/json"
    } else {
        PROBLEM_JSON
    };
    let mut response = HttpResponse::build(status);
    response
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((header::CONTENT_TYPE, content_type));
    if status == StatusCode::NO_CONTENT {
        return response.finish();
    }
    response.body(body)
}
