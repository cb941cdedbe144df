//! A per-instance cache of sessions and cart snapshots, so a cart read costs no database round
//! trip while nothing changed. It stays coherent across instances through Postgres: triggers
//! `NOTIFY bff_cache` with what changed (see the migration that creates them) and every
//! instance `LISTEN`s.
//!
//! Correctness rules:
//! - an entry is only inserted if no invalidation happened since its database read began (an
//!   epoch counter), so a slow read can never put back what a write just invalidated;
//! - while the listener is not connected, the cache is bypassed and emptied, because
//!   notifications may have been missed;
//! - requests that change a session invalidate its entries locally as well, before answering,
//!   so a client never reads its own write stale;
//! - entries live at most `session.cache_ttl_seconds` in any case.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use moka::sync::Cache;
use prometheus::IntCounterVec;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use super::store::{CartSnapshot, SessionRecord};
use super::token::TokenHash;

/// The channel the database's triggers notify.
pub const CHANNEL: &str = "bff_cache";

/// A session without its snapshot, as cached.
#[derive(Debug, Clone)]
struct CachedSession {
    record: SessionRecord,
    expires_at: OffsetDateTime,
}

pub struct SessionCache {
    enabled: bool,
    sessions: Cache<[u8; 32], Arc<CachedSession>>,
    /// Session id → token hash, to invalidate by id (what notifications carry).
    token_of: Cache<Uuid, [u8; 32]>,
    /// Cart id → its snapshot (`None`: known to have none).
    snapshots: Cache<Uuid, Option<Arc<CartSnapshot>>>,
    epoch: AtomicU64,
    listening: AtomicBool,
    lookups: Option<IntCounterVec>,
}

impl SessionCache {
    pub fn new(enabled: bool, capacity: u64, ttl: Duration) -> Self {
        Self {
            enabled,
            sessions: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .build(),
            token_of: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .build(),
            snapshots: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .build(),
            epoch: AtomicU64::new(0),
            listening: AtomicBool::new(false),
            lookups: None,
        }
    }

    /// Counts lookups by result in `lookups` (`hit` or `miss`).
    pub fn with_metrics(mut self, lookups: IntCounterVec) -> Self {
        self.lookups = Some(lookups);
        self
    }

    fn count(&self, result: &str) {
        if let Some(lookups) = &self.lookups {
            lookups.with_label_values(&[result]).inc();
        }
    }

    fn usable(&self) -> bool {
        self.enabled && self.listening.load(Ordering::Acquire)
    }

    /// The epoch to pass to `insert` for a database read starting now.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// The session for `token`, with its snapshot, if both are cached and the session is live.
    pub fn get(&self, token: &TokenHash) -> Option<SessionRecord> {
        if !self.usable() {
            return None;
        }
        let found = self.lookup(token);
        self.count(if found.is_some() { "hit" } else { "miss" });
        found
    }

    fn lookup(&self, token: &TokenHash) -> Option<SessionRecord> {
        let cached = self.sessions.get(&token.0)?;
        if cached.expires_at <= OffsetDateTime::now_utc() {
            return None;
        }
        let mut record = cached.record.clone();
        if let Some(cart) = record.cart_id {
            record.snapshot = self
                .snapshots
                .get(&cart)?
                .map(|snapshot| (*snapshot).clone());
        }
        Some(record)
    }

    /// Caches what a database read that began at `epoch` returned, unless something was
    /// invalidated since.
    pub fn insert(
        &self,
        token: &TokenHash,
        record: &SessionRecord,
        expires_at: OffsetDateTime,
        epoch: u64,
    ) {
        if !self.usable() || self.epoch() != epoch {
            return;
        }
        let mut session = record.clone();
        let snapshot = session.snapshot.take().map(Arc::new);
        if let Some(cart) = session.cart_id {
            self.snapshots.insert(cart, snapshot);
        }
        self.token_of.insert(session.id, token.0);
        self.sessions.insert(
            token.0,
            Arc::new(CachedSession {
                record: session,
                expires_at,
            }),
        );
    }

    pub fn invalidate_session(&self, session: Uuid) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if let Some(token) = self.token_of.get(&session) {
            self.sessions.invalidate(&token);
        }
    }

    pub fn invalidate_cart(&self, cart: Uuid) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.snapshots.invalidate(&cart);
    }

    pub fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.sessions.invalidate_all();
        self.token_of.invalidate_all();
        self.snapshots.invalidate_all();
    }

    /// Applies one notification payload from the database.
    fn apply(&self, payload: &str) {
        let (kind, id) = payload.split_at(payload.len().min(1));
        match (kind, Uuid::try_parse(id)) {
            ("s", Ok(session)) => self.invalidate_session(session),
            ("c", Ok(cart)) => self.invalidate_cart(cart),
            _ => self.clear(),
        }
    }

    /// Whether the listener is connected (and so the cache in use).
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }
}

/// Runs forever: listens for changes and applies them; on a lost connection, bypasses and
/// empties the cache until listening again.
pub async fn run_cache_listener(pool: PgPool, cache: Arc<SessionCache>) {
    if !cache.enabled {
        return;
    }
    loop {
        match listen(&pool).await {
            Ok(mut listener) => {
                cache.clear();
                cache.listening.store(true, Ordering::Release);
                // `None` or an error: the connection is gone, and notifications with it.
                while let Ok(Some(notification)) = listener.try_recv().await {
                    cache.apply(notification.payload());
                }
                cache.listening.store(false, Ordering::Release);
                cache.clear();
                tracing::warn!(
                    "lost the cache invalidation channel; the cache is bypassed until it is back"
                );
            }
            Err(error) => {
                tracing::debug!(error = %error, "cannot listen for cache invalidations yet");
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn listen(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}
