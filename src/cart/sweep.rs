//! Deletion of cart snapshots nothing refers to any more: their session expired, or signed
//! out, or moved to another cart.
//! Batched, so no statement holds locks long.

use sqlx::PgPool;

/// A snapshot is only swept after this long without a write, so one saved a moment before
/// its session is bound to the cart (a first add, a recovery) is never taken for an orphan.
const ORPHAN_GRACE: &str = "1 hour";

/// Deletes up to `batch_size` orphaned snapshots and reports how many went. Rows another
/// transaction holds are skipped, so the sweeper never waits on, or blocks, a request.
#[tracing::instrument(name = "Delete orphan cart snapshots", skip_all)]
async fn delete_orphan_snapshots(pool: &PgPool, batch_size: i64) -> Result<u64, sqlx::Error> {
    let result = sqlx::query!(
        r#"
        DELETE FROM cart_snapshots
        WHERE cart_id IN (
            SELECT c.cart_id FROM cart_snapshots c
            WHERE c.updated_at < now() - $2::text::interval
              AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.cart_id = c.cart_id)
              AND NOT EXISTS (SELECT 1 FROM customer_carts m WHERE m.cart_id = c.cart_id)
            LIMIT $1
            FOR UPDATE OF c SKIP LOCKED
        )
        "#,
        batch_size,
        ORPHAN_GRACE,
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}

/// Callbacks about a cart without a snapshot wait this long for its first snapshot (which
/// follows within seconds when it is ours); after that they are about carts we never hold.
const EARLY_REPORT_GRACE: &str = "10 minutes";

/// Deletes up to `batch_size` callbacks no first snapshot claimed; reports how many went.
#[tracing::instrument(name = "Delete unclaimed early cart reports", skip_all)]
async fn delete_unclaimed_reports(pool: &PgPool, batch_size: i64) -> Result<u64, sqlx::Error> {
    let result = sqlx::query!(
        r#"
        DELETE FROM early_cart_reports
        WHERE cart_id IN (
            SELECT cart_id FROM early_cart_reports
            WHERE last_reported_at < now() - $2::text::interval
            LIMIT $1
            FOR UPDATE SKIP LOCKED
        )
        "#,
        batch_size,
        EARLY_REPORT_GRACE,
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}

/// Deletes every orphaned snapshot, one batch per statement; returns how many went. Callbacks
/// about carts that never got a snapshot go too.
pub async fn sweep_orphan_snapshots(pool: &PgPool, batch_size: i64) -> Result<u64, sqlx::Error> {
    while delete_unclaimed_reports(pool, batch_size).await? > 0 {
        tokio::task::yield_now().await;
    }
    let mut total = 0;
    loop {
        let deleted = delete_orphan_snapshots(pool, batch_size).await?;
        if deleted == 0 {
            return Ok(total);
        }
        total += deleted;
        // Yield between batches so the sweep never monopolises the pool.
        tokio::task::yield_now().await;
    }
}
