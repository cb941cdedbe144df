//! The hosted pages' browser session: an opaque random id in a cookie, mapped to the cart a
//! redirect URL opened and the customer `/login/token` signed in.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpRequest, HttpResponse};

use crate::state::tokens::{random_hex, BrowserSession};
use crate::state::AppState;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "bc_sandbox_session";

/// The browser's session id, and whether it must be set as a cookie.
#[derive(Debug, Clone)]
pub struct SessionId {
    pub id: String,
    pub is_new: bool,
}

impl SessionId {
    /// The existing session of the request, or a new id.
    pub fn from_request(req: &HttpRequest) -> Self {
        match req.cookie(SESSION_COOKIE) {
            Some(c) if !c.value().is_empty() => Self {
                id: c.value().to_owned(),
                is_new: false,
            },
            _ => Self {
                id: random_hex(16),
                is_new: true,
            },
        }
    }

    /// Sets the cookie on a response when the session is new.
    pub fn set_cookie(&self, response: &mut HttpResponse) {
        if self.is_new {
            let cookie = Cookie::build(SESSION_COOKIE, self.id.clone())
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .finish();
            // Only fails for cookies that cannot be encoded; ours is plain hex.
            let _ = response.add_cookie(&cookie);
        }
    }
}

/// The stored session of the request, if any.
pub fn current(state: &AppState, req: &HttpRequest) -> BrowserSession {
    req.cookie(SESSION_COOKIE)
        .and_then(|c| state.tokens.session(c.value()))
        .unwrap_or_default()
}
