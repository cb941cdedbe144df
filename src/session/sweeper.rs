//! Background deletion of expired sessions, in small batches so no statement holds locks long.

use std::time::Duration;

use sqlx::PgPool;

use super::store::delete_expired_sessions;
use crate::configuration::SessionSettings;

/// Runs forever: every `sweep_interval_seconds`, deletes expired sessions batch by batch until
/// none are left. Database errors are logged and retried on the next tick.
pub async fn run_session_sweeper(pool: PgPool, settings: SessionSettings) {
    let mut ticker =
        tokio::time::interval(Duration::from_secs(settings.sweep_interval_seconds.max(1)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        sweep_expired_sessions(&pool, settings.sweep_batch_size).await;
    }
}

/// Deletes every expired session, one batch per statement; returns how many went.
pub async fn sweep_expired_sessions(pool: &PgPool, batch_size: i64) -> u64 {
    let mut total = 0;
    loop {
        match delete_expired_sessions(pool, batch_size).await {
            Ok(0) => break,
            Ok(deleted) => {
                total += deleted;
                // Yield between batches so the sweep never monopolises the pool.
                tokio::task::yield_now().await;
            }
            Err(error) => {
                tracing::warn!(error = %error, "session sweep failed; will retry");
                break;
            }
        }
    }
    if total > 0 {
        tracing::info!(sessions.deleted = total, "swept expired sessions");
    }
    total
}
