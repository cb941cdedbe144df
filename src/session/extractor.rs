//! `ShopperSession`: the extractor handlers use. A request that names a live session gets it;
//! any other gets a session that is not stored yet, and stays so unless the request writes
//! something (an add, a recovery, an Idempotency-Key): reads store nothing, and a page that
//! only shows forms needs no row either (its CSRF token comes from the pre-session cookie).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::web::Data;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use parking_lot::Mutex;
use uuid::Uuid;

use super::flash::{decode_flash_cookie, Flash};
use super::pre_session::PreSession;
use super::{CartSnapshot, SessionError, SessionRecord, SessionToken, Sessions};

const CSRF_PURPOSE: &str = "checkout-bff csrf v2";

/// The current shopper's session for this request. Clones share everything.
#[derive(Clone)]
pub struct ShopperSession {
    inner: Arc<Inner>,
}

// Tokens and the pre-session stay out of debug output.
impl std::fmt::Debug for ShopperSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopperSession")
            .field("id", &self.id())
            .field("stored", &self.is_stored())
            .finish_non_exhaustive()
    }
}

struct Inner {
    sessions: Data<Sessions>,
    record: SessionRecord,
    token: SessionToken,
    /// Whether a row stands for the session now, and what this request stored in it.
    row: Mutex<Row>,
    /// Serialises storing, so two writes of one request insert one row.
    storing: tokio::sync::Mutex<()>,
    /// Set when this request changed the session or its cart, so the cache entries go before
    /// the answer does.
    changed: AtomicBool,
    /// Loaded from its cookie (its pages' tokens derive from its token), or new to this
    /// request (they derive from the pre-session).
    loaded: bool,
    /// The pre-session: the request's, or for a new session without one, a fresh one.
    pre_session: Option<PreSession>,
    /// This request rendered a pre-session token, so the browser must hold the pre-session.
    pre_session_shown: AtomicBool,
    /// The one-time message the request's cookie carried, and what happens to it.
    flash: Mutex<FlashCookie>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    /// Loaded from the database.
    Loaded,
    /// Nothing stored (yet).
    None,
    /// Stored by this request, holding `cart`.
    StoredHere { cart: Option<Uuid> },
}

/// The message cookie, as the request brought it and as the response must leave it.
#[derive(Debug, Default)]
pub(super) struct FlashCookie {
    pub(super) incoming: Option<Flash>,
    /// A message to send.
    pub(super) outgoing: Option<Flash>,
    /// The incoming message was shown: forget it.
    pub(super) taken: bool,
}

/// What the response must do with the session's cookies (see `write_session_cookie`).
pub(super) struct CookieWork {
    /// Hand the session's token to the browser: the session was stored by this request.
    pub issue_token: Option<SessionToken>,
    /// Send the pre-session cookie: a page showed its token and the browser lacks it.
    pub issue_pre_session: Option<String>,
    /// The request carried a pre-session cookie.
    pub had_pre_session: bool,
    pub flash_out: Option<Flash>,
    pub forget_flash: bool,
}

impl ShopperSession {
    fn new(
        sessions: Data<Sessions>,
        record: SessionRecord,
        token: SessionToken,
        loaded: bool,
        pre_session: Option<PreSession>,
        incoming_flash: Option<Flash>,
    ) -> Self {
        let row = if loaded { Row::Loaded } else { Row::None };
        Self {
            inner: Arc::new(Inner {
                sessions,
                record,
                token,
                loaded,
                row: Mutex::new(row),
                storing: tokio::sync::Mutex::new(()),
                changed: AtomicBool::new(false),
                pre_session,
                pre_session_shown: AtomicBool::new(false),
                flash: Mutex::new(FlashCookie {
                    incoming: incoming_flash,
                    ..FlashCookie::default()
                }),
            }),
        }
    }

    /// Records that this request changed the session or its cart snapshot.
    pub fn mark_changed(&self) {
        self.inner.changed.store(true, Ordering::Release);
    }

    pub(super) fn is_changed(&self) -> bool {
        self.inner.changed.load(Ordering::Acquire)
    }

    /// Whether a row stands for this session (loaded, or stored by this request).
    pub fn is_stored(&self) -> bool {
        *self.inner.row.lock() != Row::None
    }

    /// The anti-CSRF token for this session's forms. It derives (under the signing key) from
    /// what only the shopper's browser holds, in HttpOnly cookies: the session token, or for
    /// a shopper without a session, the pre-session.
    pub fn csrf_token(&self) -> String {
        let signer = self.inner.sessions.signer();
        match (&self.inner.pre_session, self.inner.loaded) {
            (Some(pre_session), false) => {
                self.inner.pre_session_shown.store(true, Ordering::Release);
                pre_session.csrf_token(signer)
            }
            _ => signer.tag(CSRF_PURPOSE, self.inner.token.expose().as_bytes()),
        }
    }

    /// Whether `candidate` is the token of a page this browser was shown (constant time): its
    /// session's, or its pre-session's while the browser still holds it and the session is
    /// the one that pre-session stored (or there is no session yet). Pages shown before the
    /// first write (other tabs, say) keep working after it; a session rotated by signing in
    /// (or ended by signing out) is bound to no pre-session, so those tokens die with it,
    /// whatever cookie a request still carries.
    pub fn verify_csrf_token(&self, candidate: &str) -> bool {
        let signer = self.inner.sessions.signer();
        let by_session = self.inner.loaded
            && signer.verify_tag(
                CSRF_PURPOSE,
                self.inner.token.expose().as_bytes(),
                candidate,
            );
        let bound = |pre_session: &PreSession| {
            !self.inner.loaded
                || self.inner.record.pre_session_hash.as_deref() == Some(&pre_session.binding()[..])
        };
        by_session
            || self.inner.pre_session.as_ref().is_some_and(|pre_session| {
                bound(pre_session) && pre_session.verify_csrf_token(signer, candidate)
            })
    }

    pub fn id(&self) -> Uuid {
        self.inner.record.id
    }

    pub fn cart_id(&self) -> Option<Uuid> {
        match *self.inner.row.lock() {
            Row::Loaded => self.inner.record.cart_id,
            Row::None => None,
            Row::StoredHere { cart } => cart,
        }
    }

    pub fn customer_id(&self) -> Option<i64> {
        self.inner.record.customer_id
    }

    /// The address a signed-in customer used, for display only.
    pub fn customer_email(&self) -> Option<&str> {
        self.inner.record.customer_email.as_deref()
    }

    pub fn channel_id(&self) -> i64 {
        self.inner.record.channel_id
    }

    /// The cart as last seen, loaded with the session.
    pub fn snapshot(&self) -> Option<&CartSnapshot> {
        self.inner.record.snapshot.as_ref()
    }

    /// Stores the session if no row stands for it yet (a write needs one: an
    /// Idempotency-Key, a message). The response then hands the browser its cookie.
    pub async fn store(&self) -> Result<(), SessionError> {
        self.store_with(None).await
    }

    /// Stores a session that has no row yet, holding `cart` (its first cart, or a recovered
    /// one). Without a row, nothing else can be racing for the session: its browser has no
    /// cookie to send.
    pub async fn store_holding(&self, cart: Uuid) -> Result<(), SessionError> {
        self.store_with(Some(cart)).await
    }

    async fn store_with(&self, cart: Option<Uuid>) -> Result<(), SessionError> {
        let _storing = self.inner.storing.lock().await;
        if self.is_stored() {
            return match cart {
                None => Ok(()),
                Some(_) => Err(SessionError::Unexpected(anyhow::anyhow!(
                    "a stored session's cart is bound, not stored"
                ))),
            };
        }
        // The pages this browser was shown before its first write carry the pre-session's
        // token: the session accepts that pre-session's tokens (and no other's).
        let binding = self.inner.pre_session.as_ref().map(PreSession::binding);
        self.inner
            .sessions
            .insert(self.id(), &self.inner.token, cart, binding)
            .await?;
        *self.inner.row.lock() = Row::StoredHere { cart };
        Ok(())
    }

    /// What the response must do with the cookies (see `write_session_cookie`).
    pub(super) fn cookie_work(&self) -> CookieWork {
        let stored_here = matches!(*self.inner.row.lock(), Row::StoredHere { .. });
        let shown = self.inner.pre_session_shown.load(Ordering::Acquire);
        let pre_session = self.inner.pre_session.as_ref();
        let had_pre_session = pre_session.is_some_and(PreSession::came_with_request);
        let issue_pre_session = pre_session
            .filter(|_| shown && !had_pre_session)
            .map(|pre_session| pre_session.cookie_value(self.inner.sessions.signer()));
        let mut flash = self.inner.flash.lock();
        CookieWork {
            issue_token: stored_here.then(|| self.inner.token.clone()),
            issue_pre_session,
            had_pre_session,
            flash_out: flash.outgoing.take(),
            forget_flash: flash.taken,
        }
    }

    pub(super) fn sessions(&self) -> &Sessions {
        &self.inner.sessions
    }

    pub(super) fn flash_cookie(&self) -> parking_lot::MutexGuard<'_, FlashCookie> {
        self.inner.flash.lock()
    }
}

impl FromRequest for ShopperSession {
    type Error = SessionError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Several extractors in one request share the first one's session.
        if let Some(session) = req.extensions().get::<ShopperSession>() {
            let session = session.clone();
            return Box::pin(async move { Ok(session) });
        }
        let sessions = req.app_data::<Data<Sessions>>().cloned();
        let req = req.clone();
        Box::pin(async move {
            let sessions = sessions.ok_or_else(|| {
                SessionError::Unexpected(anyhow::anyhow!("Sessions is not registered"))
            })?;
            let settings = sessions.settings();
            let token = req
                .cookie(&settings.cookie_name)
                .and_then(|cookie| SessionToken::parse(cookie.value()));
            let flash = req
                .cookie(&settings.flash_cookie_name())
                .and_then(|cookie| decode_flash_cookie(sessions.signer(), cookie.value()));
            let loaded = match token {
                Some(token) => sessions.load(&token).await?.map(|record| (token, record)),
                None => None,
            };
            let pre_session = PreSession::from_cookie(
                sessions.signer(),
                req.cookie(&settings.pre_session_cookie_name())
                    .as_ref()
                    .map(|cookie| cookie.value()),
            )
            .map_err(|e| SessionError::Unexpected(e.into()))?;
            let session = match loaded {
                Some((token, record)) => {
                    // A fresh pre-session means nothing to a session that has its own tokens.
                    let carried = pre_session.came_with_request().then_some(pre_session);
                    Self::new(sessions, record, token, true, carried, flash)
                }
                None => {
                    let token =
                        SessionToken::generate().map_err(|e| SessionError::Unexpected(e.into()))?;
                    let record = sessions.unstored_record();
                    Self::new(sessions, record, token, false, Some(pre_session), flash)
                }
            };
            req.extensions_mut().insert(session.clone());
            Ok(session)
        })
    }
}
