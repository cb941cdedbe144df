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
}

/// Reserves `key` for this request, or reports what became of its earlier use (waiting up to
/// `wait` for one still in flight).
#[tracing::instrument(name = "Reserve idempotency key", skip_all, fields(session.id = %session))]
pub async fn reserve(
    pool: &PgPool,
    session: Uuid,
    key: &IdempotencyKey,
    fingerprint: &[u8; 32],
    ttl: Duration,
    wait: Duration,
) -> Result<Reservation, sqlx::Error> {
    let deadline = Instant::now() + wait;
    loop {
        // Insert, or take over a row whose time is up.
        let inserted = sqlx::query!(
            r#"
            INSERT INTO idempotency_keys (session_id, idempotency_key, fingerprint, expires_at)
            VALUES ($1, $2, $3, now() + $4::interval)
            ON CONFLICT (session_id, idempotency_key) DO UPDATE
            SET fingerprint = EXCLUDED.fingerprint,
                response_status = NULL,
                response_body = NULL,
                created_at = now(),
                expires_at = EXCLUDED.expires_at
            -- An expired key, or a first attempt that died without an answer, is reusable.
            WHERE idempotency_keys.expires_at <= now()
               OR (idempotency_keys.response_status IS NULL
                   AND idempotency_keys.created_at < now() - interval '2 minutes')
            RETURNING session_id
            "#,
            session,
            key.as_str(),
            &fingerprint[..],
            PgInterval {
                months: 0,
                days: 0,
                microseconds: i64::try_from(ttl.as_micros()).unwrap_or(i64::MAX),
            },
        )
        .fetch_optional(pool)
        .await?;
        if inserted.is_some() {
            return Ok(Reservation::Proceed);
        }
        let existing = sqlx::query!(
            r#"
            SELECT fingerprint, response_status, response_body
            FROM idempotency_keys
            WHERE session_id = $1 AND idempotency_key = $2
            "#,
            session,
            key.as_str(),
        )
        .fetch_optional(pool)
        .await?;
        match existing {
            // Released by a failed first attempt in between: try to reserve again.
            None => continue,
            Some(row) if row.fingerprint != fingerprint[..] => return Ok(Reservation::Reused),
            Some(row) => {
                if let Some(status) = row.response_status {
                    return Ok(Reservation::Replay {
                        status: u16::try_from(status).unwrap_or(500),
                        body: row.response_body.unwrap_or_default(),
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
