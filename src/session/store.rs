//! Persistence of shopper sessions. Each function is one statement on a borrowed executor.

use std::time::Duration;

use sqlx::types::Json;
use sqlx::PgExecutor;
use time::OffsetDateTime;
use uuid::Uuid;

use super::token::TokenHash;
use crate::domain::Cart;

/// A live session as stored, with the last known state of its cart.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub id: Uuid,
    pub cart_id: Option<Uuid>,
    pub customer_id: Option<i64>,
    /// The address the customer signed in with, for "Signed in as ...". Never logged.
    pub customer_email: Option<String>,
    pub channel_id: i64,
    pub last_seen_at: OffsetDateTime,
    /// When the session dies (the earlier of its idle and absolute limits).
    pub expires_at: OffsetDateTime,
    pub snapshot: Option<CartSnapshot>,
    /// The pre-session of the request that stored the session (`PreSession::binding`): the
    /// only one whose tokens the session accepts besides its own.
    pub pre_session_hash: Option<Vec<u8>>,
}

/// The cart as BigCommerce last returned it, kept with the session so that a read costs one
/// query and no BigCommerce call while it is fresh.
#[derive(Debug, Clone)]
pub struct CartSnapshot {
    pub cart: Cart,
    /// 0 for a guest cart.
    pub customer_id: i64,
    pub fetched_at: OffsetDateTime,
    /// The cart may have changed where we cannot see it (hosted checkout, a webhook said so).
    pub stale: bool,
}

impl CartSnapshot {
    /// Whether the snapshot may be served without asking BigCommerce.
    pub fn is_fresh(&self, ttl: Duration) -> bool {
        !self.stale && OffsetDateTime::now_utc() - self.fetched_at < ttl
    }
}

fn interval(duration: Duration) -> sqlx::postgres::types::PgInterval {
    sqlx::postgres::types::PgInterval {
        months: 0,
        days: 0,
        microseconds: i64::try_from(duration.as_micros()).unwrap_or(i64::MAX),
    }
}

/// Stores the new session `id` for the token whose hash is `token_hash`, holding `cart` if it
/// has one already (its first cart, or a recovered one), bound to the pre-session the storing
/// request had, if any.
#[tracing::instrument(name = "Insert session", skip_all, fields(session.id = %id))]
pub async fn insert_session(
    executor: impl PgExecutor<'_>,
    id: Uuid,
    token_hash: &TokenHash,
    channel_id: i64,
    cart: Option<Uuid>,
    pre_session_hash: Option<&[u8]>,
    lifetimes: (Duration, Duration),
) -> Result<(), sqlx::Error> {
    let (idle_timeout, absolute_timeout) = lifetimes;
    sqlx::query!(
        r#"
        INSERT INTO sessions (id, token_hash, channel_id, cart_id, idle_expires_at,
                              absolute_expires_at, pre_session_hash)
        VALUES ($1, $2, $3, $4, now() + $5::interval, now() + $6::interval, $7)
        "#,
        id,
        &token_hash.0[..],
        channel_id,
        cart,
        interval(idle_timeout),
        interval(absolute_timeout),
        pre_session_hash,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// The unexpired session whose token hashes to `token_hash`, with its cart snapshot: one
/// query serves a cart read.
#[tracing::instrument(name = "Load session", skip_all)]
pub async fn load_session(
    executor: impl PgExecutor<'_>,
    token_hash: &TokenHash,
) -> Result<Option<SessionRecord>, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT s.id, s.cart_id, s.customer_id, s.customer_email, s.channel_id, s.last_seen_at,
               s.pre_session_hash,
               s.expires_at AS "expires_at!",
               c.body AS "snapshot_body?: Json<Cart>",
               c.customer_id AS "snapshot_customer_id?",
               c.fetched_at AS "snapshot_fetched_at?",
               c.stale AS "snapshot_stale?"
        FROM sessions s
        LEFT JOIN cart_snapshots c ON c.cart_id = s.cart_id
        WHERE s.token_hash = $1 AND s.expires_at > now()
        "#,
        &token_hash.0[..],
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|row| {
        let snapshot = match (row.snapshot_body, row.snapshot_fetched_at) {
            (Some(Json(cart)), Some(fetched_at)) => Some(CartSnapshot {
                cart,
                customer_id: row.snapshot_customer_id.unwrap_or(0),
                fetched_at,
                stale: row.snapshot_stale.unwrap_or(true),
            }),
            _ => None,
        };
        SessionRecord {
            id: row.id,
            cart_id: row.cart_id,
            customer_id: row.customer_id,
            customer_email: row.customer_email,
            channel_id: row.channel_id,
            last_seen_at: row.last_seen_at,
            expires_at: row.expires_at,
            snapshot,
            pre_session_hash: row.pre_session_hash,
        }
    }))
}

/// Records activity: pushes the idle expiry forward, never past the absolute one.
#[tracing::instrument(name = "Touch session", skip_all, fields(session.id = %session_id))]
pub async fn touch_session(
    executor: impl PgExecutor<'_>,
    session_id: Uuid,
    idle_timeout: Duration,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        UPDATE sessions
        SET last_seen_at = now(),
            idle_expires_at = LEAST(now() + $2::interval, absolute_expires_at)
        WHERE id = $1
        "#,
        session_id,
        interval(idle_timeout),
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Deletes the session, making its token dead at once.
#[tracing::instrument(name = "Delete session", skip_all, fields(session.id = %session_id))]
pub async fn delete_session(
    executor: impl PgExecutor<'_>,
    session_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM sessions WHERE id = $1", session_id)
        .execute(executor)
        .await?;
    Ok(())
}

/// Deletes up to `batch_size` expired sessions and reports how many went. Rows another
/// transaction holds are skipped, so the sweeper never waits on, or blocks, a request.
#[tracing::instrument(name = "Delete expired sessions", skip_all)]
pub async fn delete_expired_sessions(
    executor: impl PgExecutor<'_>,
    batch_size: i64,
) -> Result<u64, sqlx::Error> {
    let result = sqlx::query!(
        r#"
        DELETE FROM sessions
        WHERE id IN (
            SELECT id FROM sessions
            WHERE expires_at <= now()
            ORDER BY expires_at
            LIMIT $1
            FOR UPDATE SKIP LOCKED
        )
        "#,
        batch_size,
    )
    .execute(executor)
    .await?;
    Ok(result.rows_affected())
}
