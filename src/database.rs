//! The Postgres pool, the migrations, and telling an outage apart from a bug.

use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgPool, PgPoolOptions};

use crate::configuration::DatabaseSettings;

/// A pool that connects lazily, so the service starts (and answers /readyz with 503) while the
/// database is still down, and fails fast rather than queueing when it is.
pub fn get_connection_pool(settings: &DatabaseSettings) -> PgPool {
    PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout())
        .connect_lazy_with(settings.connect_options())
}

/// How long `migrate_database` waits for a database that is not reachable yet.
const MIGRATE_WAIT_ATTEMPTS: u32 = 30;

/// Applies the embedded migrations (`migrations/`), waiting up to 30 s for the database to come
/// up. Used at start-up (`database.migrate_on_start`) and by `checkout-bff migrate`.
pub async fn migrate_database(pool: &PgPool) -> anyhow::Result<()> {
    let mut attempt = 0;
    loop {
        match sqlx::migrate!("./migrations").run(pool).await {
            Ok(()) => return Ok(()),
            Err(sqlx::migrate::MigrateError::Execute(error))
                if is_unavailable(&error) && attempt < MIGRATE_WAIT_ATTEMPTS =>
            {
                attempt += 1;
                tracing::warn!(error = %error, "database not reachable yet; retrying migrations");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(error) => return Err(error).context("Failed to migrate the database"),
        }
    }
}

/// Whether `error` means the database is unreachable or restarting (answer 503 and let the
/// client retry), as opposed to a query that is wrong (a bug: 500).
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        // A connection cut during the handshake (a server going down or restarting) surfaces
        // as a protocol error, not an I/O one.
        sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => {
            // Class 57 (operator intervention: shutdown, crash recovery) and class 08
            // (connection exceptions) are outages.
            db.code()
                .is_some_and(|code| code.starts_with("57") || code.starts_with("08"))
        }
        _ => false,
    }
}
