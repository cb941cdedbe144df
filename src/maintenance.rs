//! Periodic housekeeping: expired sessions, expired idempotency keys, cart snapshots nothing
//! refers to any more, lines left behind at sign-in past their 30 days, old webhook delivery
//! records and fair-share counts of ended windows are deleted in small batches.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;

use crate::cart::{sweep_expired_left_behind, sweep_orphan_snapshots};
use crate::configuration::SessionSettings;
use crate::fair_shares::delete_ended_windows;
use crate::idempotency::delete_expired_idempotency_keys;
use crate::metrics::Metrics;
use crate::session::sweep_expired_sessions;
use crate::webhooks::sweep_old_deliveries;

/// Runs forever, once every `session.sweep_interval_seconds`. Failures (the database being
/// down) are logged and retried on the next tick.
pub async fn run_maintenance(pool: PgPool, settings: SessionSettings, metrics: Arc<Metrics>) {
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
        // After the session sweep, so snapshots of sessions that just expired go this tick.
        match sweep_orphan_snapshots(&pool, settings.sweep_batch_size).await {
            Ok(deleted) => metrics.cart_snapshots_swept.inc_by(deleted),
            Err(error) => tracing::warn!(error = %error, "snapshot sweep failed; will retry"),
        }
        match sweep_expired_left_behind(&pool, settings.sweep_batch_size).await {
            Ok(deleted) => metrics.left_behind_lines_swept.inc_by(deleted),
            Err(error) => tracing::warn!(error = %error, "left-behind sweep failed; will retry"),
        }
        match sweep_old_deliveries(&pool, settings.sweep_batch_size).await {
            Ok(deleted) => metrics.webhook_deliveries_swept.inc_by(deleted),
            Err(error) => tracing::warn!(error = %error, "delivery sweep failed; will retry"),
        }
        loop {
            match delete_ended_windows(&pool, settings.sweep_batch_size).await {
                Ok(0) => break,
                Ok(_) => tokio::task::yield_now().await,
                Err(error) => {
                    tracing::warn!(error = %error, "fair-share sweep failed; will retry");
                    break;
                }
            }
        }
    }
}
