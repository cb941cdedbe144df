//! Single-use secrets: redirect-URL tokens, abandoned-cart tokens, used JWT `jti`s, and the
//! hosted pages' browser sessions.

use std::collections::{HashMap, HashSet};

use parking_lot::Mutex;
use rand::RngCore;
use uuid::Uuid;

/// Redirect URLs are valid for 30 days, as on BigCommerce.
const REDIRECT_TOKEN_TTL_SECS: i64 = 30 * 24 * 3600;

/// Which hosted page a redirect URL opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectKind {
    Cart,
    Checkout,
    EmbeddedCheckout,
}

/// One call's token: BigCommerce's documented answers put the same token in all three URLs,
/// so opening any of them spends the set (reference §1.1).
#[derive(Debug, Clone)]
struct RedirectToken {
    cart_id: Uuid,
    expires_at: i64,
    used: bool,
}

/// Why a redirect URL was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RedirectTokenError {
    #[error("this link is not valid")]
    Unknown,
    #[error("this link has already been used; ask the store for a new one")]
    AlreadyUsed,
    #[error("this link has expired")]
    Expired,
    #[error("this link does not belong to this cart")]
    Mismatch,
}

/// A browser's state on the hosted pages (set by a redirect URL or `/login/token`).
#[derive(Debug, Clone, Default)]
pub struct BrowserSession {
    pub cart_id: Option<Uuid>,
    pub customer_id: Option<i64>,
}

/// Random lower-case hex of `bytes` bytes.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// All token maps of one store.
#[derive(Debug, Default)]
pub struct Tokens {
    redirect: Mutex<HashMap<String, RedirectToken>>,
    abandoned: Mutex<HashMap<String, Uuid>>,
    jtis: Mutex<HashSet<String>>,
    sessions: Mutex<HashMap<String, BrowserSession>>,
}

impl Tokens {
    /// A new 64-hex-char single-use token for one set of redirect URLs.
    pub fn issue_redirect(&self, cart_id: Uuid, now: i64) -> String {
        let token = random_hex(32);
        self.redirect.lock().insert(
            token.clone(),
            RedirectToken {
                cart_id,
                expires_at: now + REDIRECT_TOKEN_TTL_SECS,
                used: false,
            },
        );
        token
    }

    /// Uses a redirect token once, whichever of its URLs is opened; a second use of any of
    /// them is refused.
    pub fn consume_redirect(
        &self,
        token: &str,
        cart_id: Uuid,
        now: i64,
    ) -> Result<(), RedirectTokenError> {
        let mut map = self.redirect.lock();
        let entry = map.get_mut(token).ok_or(RedirectTokenError::Unknown)?;
        if entry.cart_id != cart_id {
            return Err(RedirectTokenError::Mismatch);
        }
        if entry.used {
            return Err(RedirectTokenError::AlreadyUsed);
        }
        if now > entry.expires_at {
            return Err(RedirectTokenError::Expired);
        }
        entry.used = true;
        Ok(())
    }

    /// A new 32-hex-char abandoned-cart token.
    pub fn issue_abandoned(&self, cart_id: Uuid) -> String {
        let token = random_hex(16);
        self.abandoned.lock().insert(token.clone(), cart_id);
        token
    }

    pub fn abandoned_cart(&self, token: &str) -> Option<Uuid> {
        self.abandoned.lock().get(token).copied()
    }

    pub fn jti_used(&self, jti: &str) -> bool {
        self.jtis.lock().contains(jti)
    }

    /// Records a `jti`; false if it was already there (a concurrent reuse).
    pub fn use_jti(&self, jti: &str) -> bool {
        self.jtis.lock().insert(jti.to_owned())
    }

    pub fn session(&self, id: &str) -> Option<BrowserSession> {
        self.sessions.lock().get(id).cloned()
    }

    /// Updates the session `id` (creating it if needed).
    pub fn update_session(&self, id: &str, f: impl FnOnce(&mut BrowserSession)) {
        f(self.sessions.lock().entry(id.to_owned()).or_default());
    }

    pub fn clear(&self) {
        self.redirect.lock().clear();
        self.abandoned.lock().clear();
        self.jtis.lock().clear();
        self.sessions.lock().clear();
    }
}
