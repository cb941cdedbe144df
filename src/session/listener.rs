//! The cache's invalidation listener: one connection of its own that `LISTEN`s for what the
//! database's triggers say changed, and proves, over and over, that it still hears.
//!
//! A LISTEN connection can go deaf without an error: a peer that died without closing, a
//! network that drops packets, a proxy that pools transactions (notifications then go to
//! whichever server connection happens to hold the LISTEN). So every third of
//! `session.cache_liveness_seconds` the listener notifies a channel of its own *on the same
//! connection* and waits for that notification to come back; Postgres delivers it after every
//! notification committed before it, so its return proves the cache has heard of everything
//! up to the moment it was sent. No answer within half the window: the connection is dropped,
//! the cache emptied, and a new one made. Meanwhile the proof runs out on its own, so the cache
//! is bypassed at most `cache_liveness_seconds` after the last moment it was known to hear.

use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use sqlx::postgres::{PgListener, PgNotification, PgPoolOptions};
use uuid::Uuid;

use super::cache::{ListenerHealth, SessionCache, CHANNEL};
use crate::configuration::DatabaseSettings;
use crate::database::is_unavailable;

/// The pause before connecting again after a failure.
const RECONNECT_DELAY: Duration = Duration::from_millis(500);

/// Runs until aborted: listens for changes and applies them. Whenever it cannot vouch for the
/// cache (not connected yet, a lost or silent connection, and any way out of this function,
/// a panic or an abort included) the cache is bypassed and emptied.
pub async fn run_cache_listener(database: DatabaseSettings, cache: Arc<SessionCache>) {
    if !cache.is_enabled() {
        return;
    }
    loop {
        let listening = AssertUnwindSafe(listen_forever(&database, &cache)).catch_unwind();
        // `listen_forever` only ever ends by panicking.
        if listening.await.is_err() {
            tracing::error!("the cache listener panicked; the cache is bypassed until it is back");
        }
        tokio::time::sleep(RECONNECT_DELAY).await;
    }
}

/// Empties and bypasses the cache when dropped: when the listener returns, panics or is
/// aborted, nothing it vouched for is served any more.
struct DeafOnExit<'a>(&'a SessionCache);

impl Drop for DeafOnExit<'_> {
    fn drop(&mut self) {
        self.0.go_deaf();
        self.0.set_health(ListenerHealth::Connecting);
    }
}

async fn listen_forever(database: &DatabaseSettings, cache: &SessionCache) -> Infallible {
    let _deaf_on_exit = DeafOnExit(cache);
    loop {
        let ended = listen(database, cache).await;
        cache.go_deaf();
        match ended {
            Ended::Lost(why) => {
                cache.set_health(ListenerHealth::Connecting);
                tracing::warn!(
                    reason = %why,
                    "lost the cache invalidation channel; the cache is bypassed until it is back"
                );
            }
            Ended::CannotListen { shown, why } => {
                cache.set_health(ListenerHealth::CannotListen(shown));
                tracing::warn!(
                    reason = %why,
                    "cannot listen for cache invalidations ({shown}); the cache is bypassed"
                );
            }
        }
        tokio::time::sleep(RECONNECT_DELAY).await;
    }
}

/// Why one connection's listening ended.
enum Ended {
    /// A connection that was proven to hear stopped hearing.
    Lost(String),
    /// No connection could be proven to hear: `shown` says why without revealing addresses.
    CannotListen { shown: &'static str, why: String },
}

fn cannot_connect(error: sqlx::Error) -> Ended {
    let shown = match &error {
        sqlx::Error::Database(db) if db.code().as_deref() == Some("25006") => {
            "the database refused LISTEN: a hot standby? LISTEN needs the primary"
        }
        error if is_unavailable(error) => "the database is unreachable",
        _ => "the database refused LISTEN",
    };
    Ended::CannotListen {
        shown,
        why: error.to_string(),
    }
}

/// A notification the listener sent itself and waits to see come back.
struct Ping {
    nonce: String,
    sent_at: Instant,
}

/// Connects, listens, and applies notifications until the connection stops hearing.
async fn listen(database: &DatabaseSettings, cache: &SessionCache) -> Ended {
    let liveness = cache.liveness();
    let interval = liveness / 3;
    let deadline = liveness / 2;
    let ping_channel = format!("{CHANNEL}_ping_{}", Uuid::new_v4().simple());
    // A pool of its own for each connection: dropping a `PgListener` spawns an `UNLISTEN` on
    // its connection, which never finishes on a silent one; in a shared pool of one it would
    // hold the only connection for good.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(database.acquire_timeout())
        .connect_lazy_with(database.listener_connect_options());
    let connecting = async {
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.eager_reconnect(false);
        listener
            .listen_all([CHANNEL, ping_channel.as_str()])
            .await?;
        Ok::<_, sqlx::Error>(listener)
    };
    let mut listener =
        match tokio::time::timeout(database.acquire_timeout() + deadline, connecting).await {
            Ok(Ok(listener)) => listener,
            Ok(Err(error)) => return cannot_connect(error),
            Err(_) => {
                return Ended::CannotListen {
                    shown: "the database did not answer",
                    why: "connecting and LISTEN timed out".into(),
                }
            }
        };
    // Everything cached before now may have missed a notification; from now on none is missed.
    cache.clear();
    let mut proven = false;
    let mut waiting: Option<Ping> = None;
    let mut next_ping = Instant::now();
    loop {
        let wake = waiting
            .as_ref()
            .map_or(next_ping, |ping| ping.sent_at + deadline);
        tokio::select! {
            received = listener.try_recv() => match received {
                Ok(Some(notification)) => {
                    let (channel, payload) = read(&notification);
                    if channel != Some(ping_channel.as_bytes()) {
                        cache.apply(payload.unwrap_or_default());
                    } else if let Some(ping) = waiting.take_if(|ping| Some(ping.nonce.as_bytes()) == payload) {
                        cache.prove(ping.sent_at);
                        if !proven {
                            proven = true;
                            cache.set_health(ListenerHealth::Listening);
                            tracing::info!("listening for cache invalidations");
                        }
                    }
                }
                Ok(None) => return lost(proven, "the connection closed".into()),
                Err(error) => return lost(proven, error.to_string()),
            },
            _ = tokio::time::sleep_until(wake.into()) => {
                if waiting.is_some() {
                    return lost(proven, format!("its own notification did not come back within {deadline:?}"));
                }
                let ping = Ping { nonce: Uuid::new_v4().simple().to_string(), sent_at: Instant::now() };
                let sent = sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(&ping_channel)
                    .bind(&ping.nonce)
                    .execute(&mut listener);
                match tokio::time::timeout(deadline, sent).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(error)) => return lost(proven, error.to_string()),
                    Err(_) => return lost(proven, format!("a NOTIFY got no answer within {deadline:?}")),
                }
                next_ping = ping.sent_at + interval;
                waiting = Some(ping);
            }
        }
    }
}

/// A connection that never proved it hears is one that cannot listen (a transaction-pooling
/// proxy LISTENs on some server connection and delivers nothing back).
fn lost(proven: bool, why: String) -> Ended {
    if proven {
        Ended::Lost(why)
    } else {
        Ended::CannotListen {
            shown: "its own notifications do not come back: a transaction-pooling proxy? \
                    LISTEN needs a direct connection",
            why,
        }
    }
}

/// The channel and payload of `notification`, or `None` for one that is not UTF-8 (sqlx's
/// accessors panic on those, and a database in SQL_ASCII passes any bytes through).
fn read(notification: &PgNotification) -> (Option<&[u8]>, Option<&[u8]>) {
    let field = |get: fn(&PgNotification) -> &str| {
        std::panic::catch_unwind(AssertUnwindSafe(|| get(notification).as_bytes())).ok()
    };
    (
        field(PgNotification::channel),
        field(PgNotification::payload),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proven_cache() -> Arc<SessionCache> {
        let cache = Arc::new(SessionCache::new(
            true,
            10,
            Duration::from_secs(60),
            Duration::from_secs(60),
        ));
        cache.prove(Instant::now());
        cache.set_health(ListenerHealth::Listening);
        assert!(cache.is_listening());
        cache
    }

    #[tokio::test]
    async fn a_listener_that_panics_leaves_the_cache_bypassed() {
        let cache = proven_cache();
        let listening = cache.clone();

        let ended = tokio::spawn(async move {
            let _deaf_on_exit = DeafOnExit(&listening);
            tokio::task::yield_now().await;
            panic!("a bug in the listener");
        })
        .await;

        assert!(ended.is_err_and(|error| error.is_panic()));
        assert!(!cache.is_listening());
        assert_eq!(cache.health(), ListenerHealth::Connecting);
    }

    #[tokio::test]
    async fn a_listener_that_is_aborted_leaves_the_cache_bypassed() {
        let cache = proven_cache();
        let listening = cache.clone();
        let task = tokio::spawn(async move {
            let _deaf_on_exit = DeafOnExit(&listening);
            std::future::pending::<()>().await;
        });
        tokio::task::yield_now().await;

        task.abort();
        let _ = task.await;

        assert!(!cache.is_listening());
    }
}
