//! The record of callbacks already processed, keyed on what every payload carries (hash and
//! scope; `created_at` may be missing or the same for every event), and its sweep. Each
//! function is one short statement on the pool.

use sqlx::PgPool;

use super::Delivery;

/// How long a processed delivery is remembered. BigCommerce retries a callback for about
/// 48 hours, so a retry can never outlive its record.
const RETENTION: &str = "72 hours";

/// Whether this delivery was already processed.
#[tracing::instrument(name = "Check webhook delivery", skip_all)]
pub(super) async fn delivery_seen(pool: &PgPool, delivery: &Delivery) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        SELECT EXISTS (
            SELECT 1 FROM webhook_deliveries
            WHERE hash = $1 AND scope = $2
        ) AS "seen!"
        "#,
        delivery.hash,
        delivery.scope,
    )
    .fetch_one(pool)
    .await
}

/// Records the delivery as processed; false when a concurrent copy recorded it first.
#[tracing::instrument(name = "Record webhook delivery", skip_all)]
pub(super) async fn record_delivery(
    pool: &PgPool,
    delivery: &Delivery,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query!(
        r#"
        INSERT INTO webhook_deliveries (hash, scope, event_created_at)
        VALUES ($1, $2, $3)
        ON CONFLICT DO NOTHING
        "#,
        delivery.hash,
        delivery.scope,
        delivery.created_at,
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Deletes up to `batch_size` records past their retention; reports how many went.
#[tracing::instrument(name = "Delete old webhook deliveries", skip_all)]
async fn delete_old_deliveries(pool: &PgPool, batch_size: i64) -> Result<u64, sqlx::Error> {
    let result = sqlx::query!(
        r#"
        DELETE FROM webhook_deliveries
        WHERE (hash, scope) IN (
            SELECT hash, scope FROM webhook_deliveries
            WHERE received_at < now() - $2::text::interval
            ORDER BY received_at
            LIMIT $1
            FOR UPDATE SKIP LOCKED
        )
        "#,
        batch_size,
        RETENTION,
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}

/// Deletes every record past its retention, one batch per statement; returns how many went.
pub async fn sweep_old_deliveries(pool: &PgPool, batch_size: i64) -> Result<u64, sqlx::Error> {
    let mut total = 0;
    loop {
        let deleted = delete_old_deliveries(pool, batch_size).await?;
        if deleted == 0 {
            return Ok(total);
        }
        total += deleted;
        tokio::task::yield_now().await;
    }
}
