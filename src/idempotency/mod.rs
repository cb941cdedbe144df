//! `Idempotency-Key` on cart mutations: a retry with the same key and body gets the stored
//! response, with no second BigCommerce call — also while the first is still in flight.
//!
//! Two short statements around the operation, never a transaction across it: *reserve*
//! (insert the key, or find it), run, *complete* (store the response). A definite answer (2xx,
//! 4xx) is kept. A failure that certainly changed nothing (the store's quota, a shed call)
//! releases the key so the retry can try again.
//!
//! A change that is not safe to repeat (adding lines) comes with a `Settle`: a plan, stored
//! with the key before the change runs, and a check that reads whether it landed. When the
//! outcome is unknown (BigCommerce timed out, the connection broke, a 5xx, the answer could not
//! be stored, the process died), the key stays pinned and is settled, never run again blindly:
//! landed, the retry gets the success; not landed, it gets `409 idempotency_outcome_pending`
//! until the settle window has passed (a change BigCommerce is still applying lands within it),
//! and only then runs again — if the cart is as it was before the change. If the cart changed
//! meanwhile (the line may have landed and been removed), the key's final answer is `409
//! idempotency_outcome_unknown`: running it again could apply it twice.

mod persistence;

use std::future::Future;
use std::time::Duration;

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use futures_util::future::LocalBoxFuture;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use crate::cart::CartError;
use crate::domain::IdempotencyKey;
use crate::errors::{ErrorCode, Problem, PROBLEM_JSON};
use persistence::{
    complete, mark_unknown, release, reserve, store_plan, take_over, Intent, Reservation,
};

pub use persistence::delete_expired_idempotency_keys;

/// How long a duplicate waits for the first request with its key to finish.
const IN_FLIGHT_WAIT: Duration = Duration::from_secs(30);
/// An attempt still without an answer after this long has died or lost it (no request lives
/// this long: every BigCommerce call has a timeout well below it).
const IN_FLIGHT_LEASE: Duration = Duration::from_secs(60);

/// How to settle a change whose outcome got lost.
pub struct Settle<C> {
    /// Makes what `check` needs. Awaited only once the key is this request's to run (it may
    /// cost a BigCommerce read, which a replay must not pay), and stored with the key before
    /// the change runs.
    pub plan: LocalBoxFuture<'static, Result<serde_json::Value, CartError>>,
    /// Reads whether the change landed.
    pub check: C,
    /// How long after the outcome was lost a change may still land.
    pub window: Duration,
}

/// What a settle check found.
pub enum Settled {
    /// The change landed: this is its answer.
    Landed(Answer),
    /// It did not, and the cart is as it was before: running it again applies it once.
    NotLanded,
    /// It did not show, but the cart changed since: it may have landed and been undone, so
    /// running it again could apply it twice.
    Changed,
}

/// No settle: for changes that are safe to repeat.
pub type Repeatable = Settle<fn(serde_json::Value) -> NoCheck>;
pub type NoCheck = std::future::Ready<Result<Settled, CartError>>;

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

/// Runs `operation` at most once per (session, key); without a key, simply runs it. With a
/// `settle`, an unknown outcome is settled rather than repeated.
pub async fn run_idempotent<F, Fut, C, CFut>(
    pool: &PgPool,
    session: Uuid,
    key: Option<IdempotencyKey>,
    fingerprint: [u8; 32],
    ttl: Duration,
    settle: Option<Settle<C>>,
    operation: F,
) -> Result<HttpResponse, CartError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Answer, CartError>>,
    C: Fn(serde_json::Value) -> CFut,
    CFut: Future<Output = Result<Settled, CartError>>,
{
    let Some(key) = key else {
        return operation()
            .await
            .map(|answer| json_response(answer.status, &answer.body));
    };
    let intent = Intent {
        fingerprint: &fingerprint,
        ttl,
        plan: None,
    };
    loop {
        match reserve(
            pool,
            session,
            &key,
            &intent,
            IN_FLIGHT_WAIT,
            IN_FLIGHT_LEASE,
        )
        .await?
        {
            Reservation::Replay { status, body } => return Ok(replay(status, body)),
            Reservation::Reused => {
                return Ok(Problem::from_code(ErrorCode::IdempotencyKeyReused).to_response())
            }
            Reservation::StillInFlight => {
                return Ok(Problem::from_code(ErrorCode::IdempotencyKeyInFlight)
                    .with_retry_after(1)
                    .to_response())
            }
            Reservation::Proceed => break,
            Reservation::Unsettled {
                plan,
                created_at,
                unknown_for,
                ..
            } => {
                if let (Some(plan), Some(settle)) = (plan, settle.as_ref()) {
                    let settled = (settle.check)(plan).await?;
                    if let Settled::Landed(answer) = settled {
                        return store_answer(pool, session, &key, answer).await;
                    }
                    if let Some(left) = settle.window.checked_sub(unknown_for) {
                        let seconds = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                        return Ok(Problem::from_code(ErrorCode::IdempotencyOutcomePending)
                            .with_retry_after(seconds.max(1))
                            .to_response());
                    }
                    if let Settled::Changed = settled {
                        // Never run again blindly: the answer is that nobody can tell.
                        let problem = Problem::from_code(ErrorCode::IdempotencyOutcomeUnknown);
                        let body = serde_json::to_vec(&problem).unwrap_or_default();
                        complete(pool, session, &key, problem.status, &body).await?;
                        return Ok(problem.to_response());
                    }
                }
                // Not landed (or safe to repeat): run it again, unless another retry does.
                if take_over(pool, session, &key, created_at).await? {
                    break;
                }
            }
        }
    }
    // The key is this request's: store how to settle the change before running it.
    let settle = match settle {
        Some(Settle {
            plan,
            check,
            window,
        }) => match plan.await {
            Ok(plan) => {
                store_plan(pool, session, &key, &plan).await?;
                Some((plan, check, window))
            }
            Err(error) => {
                if let Err(release_error) = release(pool, session, &key).await {
                    tracing::warn!(error = %release_error, "could not release an idempotency key");
                }
                return Err(error);
            }
        },
        None => None,
    };
    match operation().await {
        Ok(answer) => store_answer(pool, session, &key, answer).await,
        Err(error) if error.changed_nothing() => {
            if let Err(release_error) = release(pool, session, &key).await {
                tracing::warn!(error = %release_error, "could not release an idempotency key");
            }
            Err(error)
        }
        Err(error) if error.is_transient() => match settle {
            // The change may have landed: pin the key, and look once.
            Some((plan, check, _)) => {
                if let Err(mark_error) = mark_unknown(pool, session, &key).await {
                    tracing::warn!(error = %mark_error, "could not pin an idempotency key");
                }
                match check(plan).await {
                    Ok(Settled::Landed(answer)) => store_answer(pool, session, &key, answer).await,
                    Ok(_) | Err(_) => Err(error),
                }
            }
            None => {
                if let Err(release_error) = release(pool, session, &key).await {
                    tracing::warn!(error = %release_error, "could not release an idempotency key");
                }
                Err(error)
            }
        },
        Err(error) => {
            let problem = error.problem();
            let body = serde_json::to_vec(&problem).unwrap_or_default();
            complete(pool, session, &key, problem.status, &body).await?;
            Err(error)
        }
    }
}

/// The outcome of a first write sent with `key` by a session that had no row: the key is kept
/// with the answer only when the change succeeded and stored the session (`stored`), so a retry
/// with the session's new cookie replays it. A change that stored nothing keeps nothing: the
/// browser got no cookie, and its retry is a new session anyway. `plan` (the settle plan,
/// made before the change: for a session without a row it costs no call) is kept with the
/// key, so an answer that could not be stored is settled, never repeated.
#[allow(clippy::too_many_arguments)]
pub async fn keep_first_write(
    pool: &PgPool,
    session: Uuid,
    stored: bool,
    key: IdempotencyKey,
    fingerprint: [u8; 32],
    ttl: Duration,
    plan: Option<serde_json::Value>,
    outcome: Result<Answer, CartError>,
) -> Result<HttpResponse, CartError> {
    let answer = match outcome {
        Ok(answer) if stored => answer,
        other => return other.map(|answer| json_response(answer.status, &answer.body)),
    };
    let intent = Intent {
        fingerprint: &fingerprint,
        ttl,
        plan: plan.as_ref(),
    };
    match reserve(
        pool,
        session,
        &key,
        &intent,
        Duration::ZERO,
        IN_FLIGHT_LEASE,
    )
    .await
    {
        Ok(Reservation::Proceed) => {
            let body = serde_json::to_vec(&answer.body).unwrap_or_default();
            if let Err(error) = complete(pool, session, &key, answer.status.as_u16(), &body).await {
                tracing::warn!(error = %error, "could not keep the answer of a first write");
            }
            Ok(replay(answer.status.as_u16(), body))
        }
        Ok(_) => Ok(json_response(answer.status, &answer.body)),
        Err(error) => {
            // The change was made: its answer goes out whether or not the key could be kept.
            tracing::warn!(error = %error, "could not keep the key of a first write");
            Ok(json_response(answer.status, &answer.body))
        }
    }
}

/// Stores a success under the key and answers with it. If storing fails, the key stays in
/// flight and a retry settles it after the lease.
async fn store_answer(
    pool: &PgPool,
    session: Uuid,
    key: &IdempotencyKey,
    answer: Answer,
) -> Result<HttpResponse, CartError> {
    let body = serde_json::to_vec(&answer.body).unwrap_or_default();
    complete(pool, session, key, answer.status.as_u16(), &body).await?;
    Ok(replay(answer.status.as_u16(), body))
}

/// A mutation's answer as a response: JSON (none for 204), never cached.
pub fn json_response(status: StatusCode, body: &serde_json::Value) -> HttpResponse {
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
