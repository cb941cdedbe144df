//! `ShopperSession`: the extractor handlers use, and the response hook that sends a newly
//! issued token to the browser.

use actix_web::dev::{Payload, ServiceResponse};
use actix_web::web::Data;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures_util::future::LocalBoxFuture;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use super::{
    removal_cookie, session_cookie, CartSnapshot, SessionError, SessionRecord, SessionToken,
    Sessions,
};

/// The current shopper's session, loaded or created for this request.
#[derive(Debug, Clone)]
pub struct ShopperSession {
    record: SessionRecord,
    token: SessionToken,
    /// Set when this request changed the session or its cart, so the cache entries go before
    /// the answer does (shared by the copies of this request).
    changed: Arc<AtomicBool>,
}

impl ShopperSession {
    /// Records that this request changed the session or its cart snapshot.
    pub fn mark_changed(&self) {
        self.changed.store(true, Ordering::Release);
    }

    fn is_changed(&self) -> bool {
        self.changed.load(Ordering::Acquire)
    }

    /// The anti-CSRF token for this session's forms: derived from the session token, which
    /// only the shopper's browser holds (HttpOnly), so another site cannot know it.
    pub fn csrf_token(&self) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.token.expose().as_bytes())
            .expect("HMAC accepts keys of any length");
        mac.update(b"checkout-bff csrf v1");
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `candidate` is this session's CSRF token (compared in constant time).
    pub fn verify_csrf_token(&self, candidate: &str) -> bool {
        let Ok(candidate) = hex::decode(candidate) else {
            return false;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(self.token.expose().as_bytes())
            .expect("HMAC accepts keys of any length");
        mac.update(b"checkout-bff csrf v1");
        mac.verify_slice(&candidate).is_ok()
    }

    pub fn id(&self) -> Uuid {
        self.record.id
    }

    pub fn cart_id(&self) -> Option<Uuid> {
        self.record.cart_id
    }

    pub fn customer_id(&self) -> Option<i64> {
        self.record.customer_id
    }

    /// The address a signed-in customer used, for display only.
    pub fn customer_email(&self) -> Option<&str> {
        self.record.customer_email.as_deref()
    }

    /// The cart holding guest lines a sign-in could not merge, if any.
    pub fn left_behind_cart_id(&self) -> Option<Uuid> {
        self.record.left_behind_cart_id
    }

    pub fn channel_id(&self) -> i64 {
        self.record.channel_id
    }

    /// The cart as last seen, loaded with the session.
    pub fn snapshot(&self) -> Option<&CartSnapshot> {
        self.record.snapshot.as_ref()
    }
}

/// What the response should do with the session cookie, set in the request's extensions.
#[derive(Debug, Clone)]
pub enum CookieChange {
    Issue(SessionToken),
    Remove,
}

impl ShopperSession {
    /// The live session named by `token`, without a request (e.g. right after a sign-in).
    pub async fn load(
        sessions: &Sessions,
        token: SessionToken,
    ) -> Result<Option<Self>, SessionError> {
        Ok(sessions.load(&token).await?.map(|record| ShopperSession {
            record,
            token,
            changed: Arc::default(),
        }))
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
            let token = req
                .cookie(&sessions.settings().cookie_name)
                .and_then(|cookie| SessionToken::parse(cookie.value()));
            let loaded = match token {
                Some(token) => sessions.load(&token).await?.map(|record| (token, record)),
                None => None,
            };
            let (token, record) = match loaded {
                Some(loaded) => loaded,
                None => {
                    let (token, record) = sessions.create().await?;
                    req.extensions_mut()
                        .insert(CookieChange::Issue(token.clone()));
                    (token, record)
                }
            };
            let session = ShopperSession {
                record,
                token,
                changed: Arc::default(),
            };
            req.extensions_mut().insert(session.clone());
            Ok(session)
        })
    }
}

/// Finishes a request's session work before the answer leaves: drops the cache entries of a
/// session the request changed (every method but GET and HEAD changes something, and reads
/// that refresh a snapshot say so), and adds the `Set-Cookie` header a handler asked for.
pub fn write_session_cookie<B>(mut response: ServiceResponse<B>) -> ServiceResponse<B> {
    invalidate_changed_session(&response);
    let change = response
        .request()
        .extensions()
        .get::<CookieChange>()
        .cloned();
    let Some(change) = change else {
        return response;
    };
    let Some(sessions) = response.request().app_data::<Data<Sessions>>().cloned() else {
        return response;
    };
    let cookie = match change {
        CookieChange::Issue(token) => session_cookie(sessions.settings(), &token),
        CookieChange::Remove => removal_cookie(sessions.settings()),
    };
    if let Err(error) = response.response_mut().add_cookie(&cookie) {
        tracing::error!(error = %error, "could not write the session cookie");
    }
    response
}

/// Drops this instance's cache entries for a session the request changed, so the client's next
/// request reads its own write (other instances learn of it through the database).
fn invalidate_changed_session<B>(response: &ServiceResponse<B>) {
    let request = response.request();
    let Some(session) = request.extensions().get::<ShopperSession>().cloned() else {
        return;
    };
    let Some(sessions) = request.app_data::<Data<Sessions>>() else {
        return;
    };
    let method = request.method();
    let read_only =
        method == actix_web::http::Method::GET || method == actix_web::http::Method::HEAD;
    if read_only && !session.is_changed() {
        return;
    }
    sessions.cache().invalidate_session(session.id());
    if let Some(cart) = session.cart_id() {
        sessions.cache().invalidate_cart(cart);
    }
}
