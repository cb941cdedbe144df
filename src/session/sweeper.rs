//! Deletion of expired sessions, in small batches so no statement holds locks long.

use sqlx::PgPool;

use super::store::delete_expired_sessions;

/// Deletes every expired session, one batch per statement; returns how many went.
pub async fn sweep_expired_sessions(pool: &PgPool, batch_size: i64) -> Result<u64, sqlx::Error> {
    let mut total = 0;
    loop {
        let deleted = delete_expired_sessions(pool, batch_size).await?;
        if deleted == 0 {
            return Ok(total);
        }
        total += deleted;
        // Yield between batches so the sweep never monopolises the pool.
        tokio::task::yield_now().await;
    }
}
