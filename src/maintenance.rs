//! Periodic housekeeping: expired sessions and idempotency keys are deleted in small batches,
//! and idle clients' rate-limit state is dropped.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;

use crate::configuration::SessionSettings;
use crate::idempotency::delete_expired_idempotency_keys;
use crate::metrics::Metrics;
use crate::rate_limit::MutationLimiter;
use crate::session::sweep_expired_sessions;

/// Runs forever, once every `session.sweep_interval_seconds`. Failures (the database being
/// down) are logged and retried on the next tick.
pub async fn run_maintenance(
    pool: PgPool,
    settings: SessionSettings,
    metrics: Arc<Metrics>,
    limiter: Arc<MutationLimiter>,
) {
    let period = Duration::from_secs(settings.sweep_interval_seconds.max(1));
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match sweep_expired_sessions(&pool, settings.sweep_batch_size).await {
            Ok(0) => {}
            Ok(deleted) => {
                metrics.sessions_swept.inc_by(deleted);
                tracing::info!(sessions.deleted = deleted, "swept expired sessions");
            }
            Err(error) => tracing::warn!(error = %error, "session sweep failed; will retry"),
        }
        loop {
            match delete_expired_idempotency_keys(&pool, settings.sweep_batch_size).await {
                Ok(0) => break,
                Ok(_) => tokio::task::yield_now().await,
                Err(error) => {
                    tracing::warn!(error = %error, "idempotency key sweep failed; will retry");
                    break;
                }
            }
        }
        limiter.forget_idle_clients();
    }
}
