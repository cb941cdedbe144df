//! Shopper sessions: an opaque token in an HttpOnly cookie, a row in Postgres keyed by the
//! token's hash, and a typed `ShopperSession` extractor for handlers.
//!
//! A session is stored when there is something to store: the first write (an add, a
//! recovery, a sign-in, an Idempotency-Key) creates its row and hands the browser its cookie.
//! A request that only reads stores nothing; a page that shows forms before any write gets its
//! CSRF token from a signed pre-session cookie instead, and a one-time message for such a
//! shopper travels in a signed cookie too. An unknown, expired or malformed cookie simply
//! yields a session that is not stored yet: never an error.

mod cache;
mod cookie;
mod error;
mod extractor;
mod flash;
mod listener;
mod pre_session;
mod response;
mod signing;
mod store;
mod sweeper;
mod token;

pub use cache::{CacheState, ListenerHealth, SessionCache};
pub use cookie::{removal_cookie, session_cookie};
pub use error::SessionError;
pub use extractor::ShopperSession;
pub use flash::{set_flash, Flash, FlashLevel};
pub use listener::run_cache_listener;
pub use response::{write_session_cookie, CookieChange};
pub use signing::{InvalidSigningKey, Signer};
pub use store::{delete_expired_sessions, CartSnapshot, SessionRecord};
pub use sweeper::sweep_expired_sessions;
pub use token::{SessionToken, TokenHash};

use std::sync::Arc;

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::configuration::SessionSettings;

/// Everything needed to load, store and end sessions; shared by all workers.
#[derive(Clone)]
pub struct Sessions {
    pool: PgPool,
    settings: SessionSettings,
    channel_id: i64,
    cache: Arc<SessionCache>,
    signer: Signer,
}

impl Sessions {
    pub fn new(
        pool: PgPool,
        settings: SessionSettings,
        channel_id: i64,
        cache: Arc<SessionCache>,
    ) -> Result<Self, InvalidSigningKey> {
        let signer = Signer::new(&settings.signing_key)?;
        Ok(Self {
            pool,
            settings,
            channel_id,
            cache,
            signer,
        })
    }

    pub fn cache(&self) -> &SessionCache {
        &self.cache
    }

    pub fn settings(&self) -> &SessionSettings {
        &self.settings
    }

    fn signer(&self) -> &Signer {
        &self.signer
    }

    fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The live session for `token`, touching it when it was last seen long enough ago.
    pub async fn load(&self, token: &SessionToken) -> Result<Option<SessionRecord>, SessionError> {
        let hash = token.hash();
        let record = match self.cache.get(&hash) {
            Some(record) => record,
            None => {
                let epoch = self.cache.epoch();
                let Some(record) = store::load_session(&self.pool, &hash).await? else {
                    return Ok(None);
                };
                self.cache.insert(&hash, &record, record.expires_at, epoch);
                record
            }
        };
        let since_seen = time::OffsetDateTime::now_utc() - record.last_seen_at;
        if since_seen >= self.settings.touch_interval() {
            store::touch_session(&self.pool, record.id, self.settings.idle_timeout()).await?;
            self.cache.invalidate_session(record.id);
        }
        Ok(Some(record))
    }

    /// What a session that is not stored yet looks like: a new id, nothing in it.
    fn unstored_record(&self) -> SessionRecord {
        let now = OffsetDateTime::now_utc();
        let lifetime = self
            .settings
            .idle_timeout()
            .min(self.settings.absolute_timeout());
        SessionRecord {
            id: Uuid::new_v4(),
            cart_id: None,
            customer_id: None,
            customer_email: None,
            channel_id: self.channel_id,
            last_seen_at: now,
            expires_at: now + lifetime,
            snapshot: None,
            pre_session_hash: None,
        }
    }

    /// Stores the session `id` under `token`, holding `cart` if it has one already, bound to
    /// the pre-session `pre_session` (its `PreSession::binding`).
    async fn insert(
        &self,
        id: Uuid,
        token: &SessionToken,
        cart: Option<Uuid>,
        pre_session: Option<[u8; 32]>,
    ) -> Result<(), SessionError> {
        store::insert_session(
            &self.pool,
            id,
            &token.hash(),
            self.channel_id,
            cart,
            pre_session.as_ref().map(|hash| &hash[..]),
            (
                self.settings.idle_timeout(),
                self.settings.absolute_timeout(),
            ),
        )
        .await?;
        Ok(())
    }

    /// Ends the session: its token is dead from now on.
    pub async fn end(&self, session_id: uuid::Uuid) -> Result<(), SessionError> {
        store::delete_session(&self.pool, session_id).await?;
        Ok(())
    }
}
