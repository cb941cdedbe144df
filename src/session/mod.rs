//! Shopper sessions: an opaque token in an HttpOnly cookie, a row in Postgres keyed by the
//! token's hash, and a typed `ShopperSession` extractor for handlers.
//!
//! A session is created when a request first needs one. An unknown, expired or malformed cookie
//! simply yields a new session: never an error.

mod cache;
mod cookie;
mod error;
mod extractor;
mod flash;
mod listener;
mod store;
mod sweeper;
mod token;

pub use cache::{ListenerHealth, SessionCache};
pub use cookie::{removal_cookie, session_cookie};
pub use error::SessionError;
pub use extractor::{write_session_cookie, CookieChange, ShopperSession};
pub use flash::{set_flash, take_flash, Flash, FlashLevel};
pub use listener::run_cache_listener;
pub use store::{delete_expired_sessions, CartSnapshot, SessionRecord};
pub use sweeper::sweep_expired_sessions;
pub use token::{SessionToken, TokenHash};

use std::sync::Arc;

use sqlx::PgPool;

use crate::configuration::SessionSettings;

/// Everything needed to load, create and end sessions; shared by all workers.
#[derive(Clone)]
pub struct Sessions {
    pool: PgPool,
    settings: SessionSettings,
    channel_id: i64,
    cache: Arc<SessionCache>,
}

impl Sessions {
    pub fn new(
        pool: PgPool,
        settings: SessionSettings,
        channel_id: i64,
        cache: Arc<SessionCache>,
    ) -> Self {
        Self {
            pool,
            settings,
            channel_id,
            cache,
        }
    }

    pub fn cache(&self) -> &SessionCache {
        &self.cache
    }

    pub fn settings(&self) -> &SessionSettings {
        &self.settings
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

    /// A brand-new session and the token that names it.
    pub async fn create(&self) -> Result<(SessionToken, SessionRecord), SessionError> {
        let token = SessionToken::generate().map_err(|e| SessionError::Unexpected(e.into()))?;
        let record = store::insert_session(
            &self.pool,
            &token.hash(),
            self.channel_id,
            self.settings.idle_timeout(),
            self.settings.absolute_timeout(),
        )
        .await?;
        Ok((token, record))
    }

    /// Ends the session: its token is dead from now on.
    pub async fn end(&self, session_id: uuid::Uuid) -> Result<(), SessionError> {
        store::delete_session(&self.pool, session_id).await?;
        Ok(())
    }
}
