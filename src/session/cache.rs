//! A per-instance cache of sessions and cart snapshots, so a cart read costs no database round
//! trip while nothing changed. It stays coherent across instances through Postgres: triggers
//! `NOTIFY bff_cache` with what changed (see the migration that creates them) and every
//! instance `LISTEN`s (`super::listener`).
//!
//! Correctness rules:
//! - the cache is used only while the listener has *proven* it hears everything: a round trip
//!   through its own connection (a notification it sends itself, which comes back after every
//!   notification committed before it) answered less than `session.cache_liveness_seconds`
//!   ago. A silent connection (a dead peer, a network that drops packets) therefore costs at
//!   most that long of possibly stale reads, and then the cache is bypassed;
//! - whenever the listener connects, and whenever it loses its connection or stops for any
//!   reason (a panic included), the cache is emptied;
//! - an entry is only inserted if no invalidation happened since its database read began (an
//!   epoch counter), and the comparison and the insert happen under the same lock as every
//!   invalidation, so an invalidation can never fall between them;
//! - invalidating a session by id cannot miss because of the cache's own eviction: sessions
//!   are keyed by id, and only the token → id index is separate, whose loss costs a miss;
//! - requests that change a session invalidate its entries locally as well, before answering,
//!   so a client never reads its own write stale;
//! - entries live at most `session.cache_ttl_seconds` in any case.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::sync::Cache;
use parking_lot::Mutex;
use prometheus::IntCounterVec;
use time::OffsetDateTime;
use uuid::Uuid;

use super::store::{CartSnapshot, SessionRecord};
use super::token::TokenHash;

/// The channel the database's triggers notify.
pub const CHANNEL: &str = "bff_cache";

/// A session without its snapshot, as cached, with the token it was read under.
#[derive(Debug, Clone)]
struct CachedSession {
    token: [u8; 32],
    record: SessionRecord,
    expires_at: OffsetDateTime,
}

/// How the cache's invalidation listener is doing, for readiness and the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenerHealth {
    /// The cache is switched off (`session.cache_enabled: false`): nothing to listen for.
    Disabled,
    /// Connecting for the first time, or again after losing a connection that worked.
    Connecting,
    /// Listening, and proven to hear.
    Listening,
    /// The last attempt to listen failed; the reason is fit to show (no addresses, no
    /// credentials).
    CannotListen(&'static str),
}

/// The cache's state as the admin surface reports it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CacheState {
    pub enabled: bool,
    /// Whether reads are served from it now (the listener's proof holds).
    pub in_use: bool,
    /// `disabled`, `connecting`, `listening` or `cannot_listen`.
    pub listener: &'static str,
    pub proof_valid_for_ms: u64,
    pub liveness_ms: u64,
    pub sessions: u64,
    pub snapshots: u64,
    pub capacity: u64,
    pub ttl_seconds: u64,
    /// Moves on every invalidation.
    pub epoch: u64,
}

pub struct SessionCache {
    enabled: bool,
    /// Session id → the session (keyed by what notifications carry, so that invalidating by
    /// id always finds the entry).
    sessions: Cache<Uuid, Arc<CachedSession>>,
    /// Token hash → session id. Evicting one only costs a miss: the session entry, looked up
    /// through it, must name the same token.
    ids: Cache<[u8; 32], Uuid>,
    /// Cart id → its snapshot (`None`: known to have none).
    snapshots: Cache<Uuid, Option<Arc<CartSnapshot>>>,
    epoch: AtomicU64,
    /// Held while the epoch moves and entries are invalidated, and while an insert compares
    /// the epoch and writes: an invalidation is either wholly before an insert's comparison
    /// (which then fails) or wholly after its write (which it then removes).
    writes: Mutex<()>,
    /// Where `proven_until_ms` counts from.
    origin: Instant,
    /// Milliseconds after `origin` until which the listener's last proof holds; 0: unproven.
    proven_until_ms: AtomicU64,
    liveness: Duration,
    health: Mutex<ListenerHealth>,
    lookups: Option<IntCounterVec>,
}

impl SessionCache {
    /// A cache of at most `capacity` sessions (and as many snapshots), each kept at most
    /// `ttl`, that is used while the listener proved within `liveness` that it hears.
    pub fn new(enabled: bool, capacity: u64, ttl: Duration, liveness: Duration) -> Self {
        Self {
            enabled,
            sessions: bounded(capacity, ttl),
            ids: bounded(capacity, ttl),
            snapshots: bounded(capacity, ttl),
            epoch: AtomicU64::new(0),
            writes: Mutex::new(()),
            origin: Instant::now(),
            proven_until_ms: AtomicU64::new(0),
            liveness,
            health: Mutex::new(if enabled {
                ListenerHealth::Connecting
            } else {
                ListenerHealth::Disabled
            }),
            lookups: None,
        }
    }

    /// Counts lookups by result in `lookups`: `hit`, `miss`, or `bypassed` (the listener has
    /// not proven it hears).
    pub fn with_metrics(mut self, lookups: IntCounterVec) -> Self {
        self.lookups = Some(lookups);
        self
    }

    fn count(&self, result: &str) {
        if let Some(lookups) = &self.lookups {
            lookups.with_label_values(&[result]).inc();
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// How long a proof of hearing holds.
    pub fn liveness(&self) -> Duration {
        self.liveness
    }

    fn millis_since_origin(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.origin).as_millis()).unwrap_or(u64::MAX)
    }

    /// Whether the cache may be used now: enabled, and the listener's proof still holds.
    fn usable(&self) -> bool {
        self.enabled
            && self.millis_since_origin(Instant::now())
                < self.proven_until_ms.load(Ordering::Acquire)
    }

    /// Whether the cache is in use now (the listener is connected and proven to hear).
    pub fn is_listening(&self) -> bool {
        self.usable()
    }

    pub fn health(&self) -> ListenerHealth {
        *self.health.lock()
    }

    pub(super) fn set_health(&self, health: ListenerHealth) {
        if self.enabled {
            *self.health.lock() = health;
        }
    }

    /// Every notification committed before `sent_at` has been applied: the cache may be used
    /// until `sent_at + liveness`.
    pub(super) fn prove(&self, sent_at: Instant) {
        let until = self.millis_since_origin(sent_at + self.liveness);
        self.proven_until_ms.fetch_max(until, Ordering::AcqRel);
    }

    /// The listener can no longer vouch for the cache: bypass it and empty it.
    pub(super) fn go_deaf(&self) {
        self.proven_until_ms.store(0, Ordering::Release);
        self.clear();
    }

    /// The epoch to pass to `insert` for a database read starting now.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// The session for `token`, with its snapshot, if both are cached and the session is live.
    pub fn get(&self, token: &TokenHash) -> Option<SessionRecord> {
        if !self.usable() {
            if self.enabled {
                self.count("bypassed");
            }
            return None;
        }
        let found = self.lookup(token);
        self.count(if found.is_some() { "hit" } else { "miss" });
        found
    }

    fn lookup(&self, token: &TokenHash) -> Option<SessionRecord> {
        let id = self.ids.get(&token.0)?;
        let cached = self.sessions.get(&id)?;
        if cached.token != token.0 || cached.expires_at <= OffsetDateTime::now_utc() {
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
        let mut session = record.clone();
        let snapshot = session.snapshot.take().map(Arc::new);
        let cached = Arc::new(CachedSession {
            token: token.0,
            record: session,
            expires_at,
        });
        let _writes = self.writes.lock();
        if !self.usable() || self.epoch() != epoch {
            return;
        }
        if let Some(cart) = cached.record.cart_id {
            self.snapshots.insert(cart, snapshot);
        }
        self.ids.insert(token.0, cached.record.id);
        self.sessions.insert(cached.record.id, cached);
    }

    pub fn invalidate_session(&self, session: Uuid) {
        let _writes = self.writes.lock();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.sessions.invalidate(&session);
    }

    pub fn invalidate_cart(&self, cart: Uuid) {
        let _writes = self.writes.lock();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.snapshots.invalidate(&cart);
    }

    /// What the admin surface shows (`GET /admin/cache`): entry counts are moka's, which may
    /// lag a few writes behind.
    pub fn state(&self) -> CacheState {
        self.sessions.run_pending_tasks();
        self.snapshots.run_pending_tasks();
        let proven_until = self.proven_until_ms.load(Ordering::Acquire);
        let now = self.millis_since_origin(Instant::now());
        CacheState {
            enabled: self.enabled,
            in_use: self.usable(),
            listener: match self.health() {
                ListenerHealth::Disabled => "disabled",
                ListenerHealth::Connecting => "connecting",
                ListenerHealth::Listening => "listening",
                ListenerHealth::CannotListen(_) => "cannot_listen",
            },
            proof_valid_for_ms: proven_until.saturating_sub(now),
            liveness_ms: u64::try_from(self.liveness.as_millis()).unwrap_or(u64::MAX),
            sessions: self.sessions.entry_count(),
            snapshots: self.snapshots.entry_count(),
            capacity: self.sessions.policy().max_capacity().unwrap_or(0),
            ttl_seconds: self
                .sessions
                .policy()
                .time_to_live()
                .map_or(0, |ttl| ttl.as_secs()),
            epoch: self.epoch(),
        }
    }

    pub fn clear(&self) {
        let _writes = self.writes.lock();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.sessions.invalidate_all();
        self.ids.invalidate_all();
        self.snapshots.invalidate_all();
    }

    /// Applies one notification payload from the database: `s` + a session id or `c` + a
    /// cart id. Anything else (any bytes, any length) says that something changed without
    /// saying what, so everything goes.
    pub(super) fn apply(&self, payload: &[u8]) {
        match parse_payload(payload) {
            Some(Change::Session(session)) => self.invalidate_session(session),
            Some(Change::Cart(cart)) => self.invalidate_cart(cart),
            None => {
                tracing::warn!(
                    payload.len = payload.len(),
                    "a cache notification that cannot be read; the cache is emptied"
                );
                self.clear();
            }
        }
    }
}

fn bounded<K, V>(capacity: u64, ttl: Duration) -> Cache<K, V>
where
    K: std::hash::Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    Cache::builder()
        .max_capacity(capacity)
        .time_to_live(ttl)
        .build()
}

/// What a notification says changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Session(Uuid),
    Cart(Uuid),
}

/// Reads a payload as bytes, so no input can fall between two characters of a string.
fn parse_payload(payload: &[u8]) -> Option<Change> {
    let (kind, id) = payload.split_first()?;
    let id = Uuid::try_parse_ascii(id).ok()?;
    match kind {
        b's' => Some(Change::Session(id)),
        b'c' => Some(Change::Cart(id)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, RngCore, SeedableRng};

    use super::*;
    use crate::session::token::SessionToken;

    fn cache() -> SessionCache {
        let cache = SessionCache::new(true, 100, Duration::from_secs(60), Duration::from_secs(60));
        cache.prove(Instant::now());
        cache
    }

    fn record(cart: Option<Uuid>) -> SessionRecord {
        SessionRecord {
            id: Uuid::new_v4(),
            cart_id: cart,
            customer_id: None,
            customer_email: None,
            channel_id: 1,
            last_seen_at: OffsetDateTime::now_utc(),
            expires_at: OffsetDateTime::now_utc() + time::Duration::hours(1),
            snapshot: None,
            pre_session_hash: None,
        }
    }

    fn token() -> TokenHash {
        SessionToken::generate().expect("token").hash()
    }

    fn cached(cache: &SessionCache, token: &TokenHash, record: &SessionRecord) {
        cache.insert(token, record, record.expires_at, cache.epoch());
        assert!(cache.get(token).is_some(), "not cached");
    }

    #[test]
    fn payloads_name_a_session_or_a_cart() {
        let id = Uuid::new_v4();
        assert_eq!(
            parse_payload(format!("s{id}").as_bytes()),
            Some(Change::Session(id))
        );
        assert_eq!(
            parse_payload(format!("c{id}").as_bytes()),
            Some(Change::Cart(id))
        );
        for bad in [
            String::new(),
            "s".into(),
            format!("x{id}"),
            format!("s{id}x"),
            format!("é{id}"),
            format!("sé{}", &id.to_string()[2..]),
            "ss".repeat(10_000),
        ] {
            assert_eq!(parse_payload(bad.as_bytes()), None, "{bad:?}");
        }
    }

    #[test]
    fn a_notification_of_any_bytes_never_panics_and_unreadable_ones_empty_the_cache() {
        let cache = cache();
        let mut rng = rand::rngs::StdRng::seed_from_u64(17);
        let prefixes: [&[u8]; 4] = [b"", b"s", b"c", "é".as_bytes()];
        for round in 0..20_000 {
            let token = token();
            let session = record(None);
            cached(&cache, &token, &session);
            let length = match round % 4 {
                0 => rng.random_range(0..4),
                1 => rng.random_range(30..40),
                _ => rng.random_range(0..300),
            };
            let mut payload = prefixes[round % prefixes.len()].to_vec();
            let start = payload.len();
            payload.resize(start + length, 0);
            rng.fill_bytes(&mut payload[start..]);
            if round % 3 == 0 {
                // Mostly ASCII hex, closer to what could almost parse.
                for byte in &mut payload[start..] {
                    *byte = b"0123456789abcdef-"[usize::from(*byte) % 17];
                }
            }

            cache.apply(&payload);

            let parsed = parse_payload(&payload);
            let still_cached = cache.get(&token).is_some();
            match parsed {
                None => assert!(!still_cached, "{payload:?} left the cache as it was"),
                Some(Change::Session(id)) | Some(Change::Cart(id)) => {
                    assert_ne!(id, session.id);
                    assert!(still_cached, "{payload:?} emptied the cache");
                }
            }
        }
    }

    #[test]
    fn invalidating_a_session_finds_it_even_when_its_token_index_was_evicted() {
        let cache = cache();
        let token = token();
        let session = record(None);
        cached(&cache, &token, &session);

        cache.ids.invalidate(&token.0); // as the index's own eviction would
        cache.invalidate_session(session.id);
        // The index comes back (another read of the same token)...
        cache.ids.insert(token.0, session.id);

        // ...and still finds nothing stale.
        assert!(cache.get(&token).is_none());
    }

    #[test]
    fn an_entry_is_only_served_for_the_token_it_was_read_under() {
        let cache = cache();
        let (token, other) = (token(), token());
        let session = record(None);
        cached(&cache, &token, &session);

        cache.ids.insert(other.0, session.id);

        assert!(cache.get(&other).is_none());
    }

    #[test]
    fn a_read_that_began_before_an_invalidation_is_not_cached() {
        let cache = cache();
        let token = token();
        let session = record(None);
        let epoch = cache.epoch();

        cache.invalidate_session(session.id);
        cache.insert(&token, &session, session.expires_at, epoch);

        assert!(cache.get(&token).is_none());
    }

    #[test]
    fn invalidations_racing_inserts_never_leave_a_stale_entry() {
        let cache = Arc::new(cache());
        for _ in 0..200 {
            let token = token();
            let session = record(Some(Uuid::new_v4()));
            let epoch = cache.epoch();
            let inserter = {
                let (cache, token, session) = (cache.clone(), token, session.clone());
                std::thread::spawn(move || {
                    cache.insert(&token, &session, session.expires_at, epoch)
                })
            };
            cache.invalidate_session(session.id);
            inserter.join().expect("insert");
            // The invalidation came after the read began: whichever ran first, nothing of
            // that read may be served.
            assert!(cache.get(&token).is_none(), "a stale entry survived");
        }
    }

    #[test]
    fn without_a_recent_proof_the_cache_is_bypassed() {
        let cache = SessionCache::new(
            true,
            100,
            Duration::from_secs(60),
            Duration::from_millis(50),
        );
        let token = token();
        let session = record(None);
        assert!(!cache.is_listening(), "used before any proof");

        cache.prove(Instant::now());
        cached(&cache, &token, &session);
        std::thread::sleep(Duration::from_millis(60));
        assert!(cache.get(&token).is_none(), "used after the proof ran out");

        cache.prove(Instant::now());
        assert!(cache.get(&token).is_some());
        cache.go_deaf();
        assert!(cache.get(&token).is_none());
        cache.prove(Instant::now());
        assert!(
            cache.get(&token).is_none(),
            "kept entries across going deaf"
        );
    }
}
