//! Persistence of fair shares: one statement to spend, one to take a charge back, one to sweep.

use std::time::Duration;

use sqlx::PgPool;
use time::OffsetDateTime;

/// What one spender's row says after a charge.
pub struct Spent {
    pub spender: Vec<u8>,
    pub spent: i32,
    pub window_ends_at: OffsetDateTime,
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Adds `amount` to each spender's count for its current window, opening a new window (that
/// ends after its entry of `windows`) for a spender whose window has ended. Spenders must be
/// sorted, so that concurrent charges lock rows in the same order.
#[tracing::instrument(name = "Spend fair shares", skip_all)]
pub async fn spend(
    pool: &PgPool,
    spenders: &[Vec<u8>],
    windows: &[Duration],
    amount: i32,
) -> Result<Vec<Spent>, sqlx::Error> {
    let windows: Vec<i64> = windows.iter().copied().map(millis).collect();
    sqlx::query_as!(
        Spent,
        r#"
        INSERT INTO fair_shares AS s (spender, spent, window_ends_at)
        SELECT wanted.spender, $3, now() + wanted.window_ms * interval '1 millisecond'
        FROM unnest($1::bytea[], $2::bigint[]) WITH ORDINALITY AS wanted(spender, window_ms, n)
        ORDER BY wanted.n
        ON CONFLICT (spender) DO UPDATE
        SET spent = CASE WHEN s.window_ends_at <= now() THEN EXCLUDED.spent
                         ELSE s.spent + EXCLUDED.spent END,
            window_ends_at = CASE WHEN s.window_ends_at <= now() THEN EXCLUDED.window_ends_at
                                  ELSE s.window_ends_at END
        RETURNING s.spender, s.spent, s.window_ends_at
        "#,
        spenders,
        &windows,
        amount,
    )
    .fetch_all(pool)
    .await
}

/// Takes back `amount` from each spender's count, if its window is still the one charged.
#[tracing::instrument(name = "Refund fair shares", skip_all)]
pub async fn refund(
    pool: &PgPool,
    spenders: &[Vec<u8>],
    windows_ending: &[OffsetDateTime],
    amount: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        UPDATE fair_shares AS s
        SET spent = GREATEST(0, s.spent - $3)
        FROM unnest($1::bytea[], $2::timestamptz[]) AS charged(spender, window_ends_at)
        WHERE s.spender = charged.spender AND s.window_ends_at = charged.window_ends_at
        "#,
        spenders,
        windows_ending,
        amount,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Deletes up to `batch_size` rows whose window has ended (a new charge would start afresh
/// anyway); returns how many went.
pub async fn delete_ended_windows(pool: &PgPool, batch_size: i64) -> Result<u64, sqlx::Error> {
    let result = sqlx::query!(
        r#"
        DELETE FROM fair_shares
        WHERE spender IN (
            SELECT spender FROM fair_shares
            WHERE window_ends_at <= now()
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
