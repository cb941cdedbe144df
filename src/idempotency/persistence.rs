//! The `idempotency_keys` table.

use std::time::{Duration, Instant};

use sqlx::postgres::types::PgInterval;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::IdempotencyKey;

const POLL: Duration = Duration::from_millis(20);

pub enum Reservation {
    /// First use of the key: run the operation, then `complete`.
    Proceed,
    /// Seen before and finished: answer with this.
    Replay { status: u16, body: Vec<u8> },
    /// Seen before with a different request.
    Reused,
    /// The first request is still running after the wait.
    StillInFlight,
    /// The first attempt ended without a known outcome (or died, or could not store its
    /// answer): settle it with `plan` before anything runs again.
    Unsettled {
        plan: Option<serde_json::Value>,
        /// Identifies the attempt, for `take_over`.
        created_at: time::OffsetDateTime,
        /// How long its outcome has been unknown.
        unknown_for: Duration,
    },
}

/// What a reservation stores about the change, before it runs.
pub struct Intent<'a> {
    pub fingerprint: &'a [u8; 32],
    pub ttl: Duration,
    pub plan: Option<&'a serde_json::Value>,
}

fn interval(duration: Duration) -> PgInterval {
    PgInterval {
        months: 0,
        days: 0,
        microseconds: i64::try_from(duration.as_micros()).unwrap_or(i64::MAX),
    }
}

/// Reserves `key` for this request, or reports what became of its earlier use (waiting up to
/// `wait` for one still in flight). An attempt in flight for longer than `lease` has died or
/// lost its answer: it is reported `Unsettled`, never simply run again.
#[tracing::instrument(name = "Reserve idempotency key", skip_all, fields(session.id = %session))]
pub async fn reserve(
    pool: &PgPool,
    session: Uuid,
    key: &IdempotencyKey,
    intent: &Intent<'_>,
    wait: Duration,
    lease: Duration,
) -> Result<Reservation, sqlx::Error> {
    let deadline = Instant::now() + wait;
    loop {
        // Insert, or take over a row whose time is up.
        let inserted = sqlx::query!(
            r#"
            INSERT INTO idempotency_keys (session_id, idempotency_key, fingerprint, expires_at,
                                          settle_plan)
            VALUES ($1, $2, $3, now() + $4::interval, $5)
            ON CONFLICT (session_id, idempotency_key) DO UPDATE
            SET fingerprint = EXCLUDED.fingerprint,
                response_status = NULL,
                response_body = NULL,
                created_at = now(),
                expires_at = EXCLUDED.expires_at,
                settle_plan = EXCLUDED.settle_plan,
                outcome_unknown_since = NULL
            WHERE idempotency_keys.expires_at <= now()
            RETURNING session_id
            "#,
            session,
            key.as_str(),
            &intent.fingerprint[..],
            interval(intent.ttl),
            intent.plan,
        )
        .fetch_optional(pool)
        .await?;
        if inserted.is_some() {
            return Ok(Reservation::Proceed);
        }
        let existing = sqlx::query!(
            r#"
            SELECT fingerprint, response_status, response_body, settle_plan, created_at,
                   (outcome_unknown_since IS NOT NULL OR created_at < now() - $3::interval)
                       AS "unsettled!",
                   EXTRACT(EPOCH FROM now() - COALESCE(outcome_unknown_since, created_at))::float8
                       AS "unknown_for_seconds!"
            FROM idempotency_keys
            WHERE session_id = $1 AND idempotency_key = $2
            "#,
            session,
            key.as_str(),
            interval(lease),
        )
        .fetch_optional(pool)
        .await?;
        match existing {
            // Released by a failed first attempt in between: try to reserve again.
            None => continue,
            Some(row) if row.fingerprint != intent.fingerprint[..] => {
                return Ok(Reservation::Reused)
            }
            Some(row) => {
                if let Some(status) = row.response_status {
                    return Ok(Reservation::Replay {
                        status: u16::try_from(status).unwrap_or(500),
                        body: row.response_body.unwrap_or_default(),
                    });
                }
                if row.unsettled {
                    return Ok(Reservation::Unsettled {
                        plan: row.settle_plan,
                        created_at: row.created_at,
                        unknown_for: Duration::from_secs_f64(row.unknown_for_seconds.max(0.0)),
                    });
                }
            }
        }
        if Instant::now() >= deadline {
            return Ok(Reservation::StillInFlight);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Takes over an unsettled attempt (identified by its `created_at`) to run the change again;
/// `false` when another retry took it first.
pub async fn take_over(
    pool: &PgPool,
    session: Uuid,
    key: &IdempotencyKey,
    created_at: time::OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        UPDATE idempotency_keys SET created_at = now(), outcome_unknown_since = NULL
        WHERE session_id = $1 AND idempotency_key = $2 AND created_at = $3
          AND response_status IS NULL
        RETURNING session_id
        "#,
        session,
        key.as_str(),
        created_at,
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.is_some())
}

/// Stores how to settle the change this request is about to run.
pub async fn store_plan(
    pool: &PgPool,
    session: Uuid,
    key: &IdempotencyKey,
    plan: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        UPDATE idempotency_keys SET settle_plan = $3
        WHERE session_id = $1 AND idempotency_key = $2 AND response_status IS NULL
        "#,
        session,
        key.as_str(),
        plan,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Records that the attempt lost track of its outcome: the key stays pinned until settled.
pub async fn mark_unknown(
    pool: &PgPool,
    session: Uuid,
    key: &IdempotencyKey,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        UPDATE idempotency_keys
        SET outcome_unknown_since = COALESCE(outcome_unknown_since, now())
        WHERE session_id = $1 AND idempotency_key = $2 AND response_status IS NULL
        "#,
        session,
        key.as_str(),
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Stores the response of the request that reserved `key`.
pub async fn complete(
    pool: &PgPool,
    session: Uuid,
    key: &IdempotencyKey,
    status: u16,
    body: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        UPDATE idempotency_keys SET response_status = $3, response_body = $4
        WHERE session_id = $1 AND idempotency_key = $2
        "#,
        session,
        key.as_str(),
        i16::try_from(status).unwrap_or(500),
        body,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Forgets `key` after a transient failure, so a retry runs the operation again.
pub async fn release(
    pool: &PgPool,
    session: Uuid,
    key: &IdempotencyKey,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        DELETE FROM idempotency_keys
        WHERE session_id = $1 AND idempotency_key = $2 AND response_status IS NULL
        "#,
        session,
        key.as_str(),
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Deletes up to `batch_size` expired keys; returns how many went.
pub async fn delete_expired_idempotency_keys(
    pool: &PgPool,
    batch_size: i64,
) -> Result<u64, sqlx::Error> {
    let result = sqlx::query!(
        r#"
        DELETE FROM idempotency_keys
        WHERE (session_id, idempotency_key) IN (
            SELECT session_id, idempotency_key FROM idempotency_keys
            WHERE expires_at <= now()
            LIMIT $1
            FOR UPDATE SKIP LOCKED
        )
        "#,
        batch_size,
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}
