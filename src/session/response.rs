//! The response side of the session: before an answer leaves, the cache entries of a session
//! the request changed go, and the cookies are set as the request left them (a session stored
//! or replaced, a pre-session a page needs, a one-time message sent or shown).

use actix_web::cookie::Cookie;
use actix_web::dev::ServiceResponse;
use actix_web::web::Data;
use actix_web::HttpMessage;

use super::cookie::{
    flash_cookie, flash_removal, pre_session_cookie, pre_session_removal, removal_cookie,
    session_cookie,
};
use super::flash::encode_flash_cookie;
use super::{SessionToken, Sessions, ShopperSession};

/// What the response should do with the session cookie, set in the request's extensions by a
/// handler that replaced or ended the session (sign-in, sign-out).
#[derive(Debug, Clone)]
pub enum CookieChange {
    Issue(SessionToken),
    Remove,
}

/// Finishes a request's session work before the answer leaves: drops the cache entries of a
/// session the request changed (every method but GET and HEAD changes something, and reads
/// that refresh a snapshot say so), and adds the `Set-Cookie` headers the request calls for.
pub fn write_session_cookie<B>(mut response: ServiceResponse<B>) -> ServiceResponse<B> {
    invalidate_changed_session(&response);
    let Some(sessions) = response.request().app_data::<Data<Sessions>>().cloned() else {
        return response;
    };
    let change = response
        .request()
        .extensions()
        .get::<CookieChange>()
        .cloned();
    let session = response
        .request()
        .extensions()
        .get::<ShopperSession>()
        .cloned();
    for cookie in cookies(&sessions, change, session.as_ref()) {
        if let Err(error) = response.response_mut().add_cookie(&cookie) {
            tracing::error!(error = %error, "could not write a session cookie");
        }
    }
    response
}

/// The cookies to set: the session's token when this request stored it or replaced it, its
/// removal when the session ended, the pre-session when a page showed a token the browser
/// cannot match yet (and its removal when the session was replaced or ended: signing in or out
/// rotates every token), and the one-time message.
fn cookies(
    sessions: &Sessions,
    change: Option<CookieChange>,
    session: Option<&ShopperSession>,
) -> Vec<Cookie<'static>> {
    let settings = sessions.settings();
    let mut cookies = Vec::new();
    let work = session.map(ShopperSession::cookie_work);
    let had_pre_session = work.as_ref().is_some_and(|work| work.had_pre_session);
    match change {
        Some(change) => {
            cookies.push(match change {
                CookieChange::Issue(token) => session_cookie(settings, &token),
                CookieChange::Remove => removal_cookie(settings),
            });
            if had_pre_session {
                cookies.push(pre_session_removal(settings));
            }
        }
        None => {
            if let Some(token) = work.as_ref().and_then(|work| work.issue_token.as_ref()) {
                cookies.push(session_cookie(settings, token));
            }
            if let Some(signed) = work
                .as_ref()
                .and_then(|work| work.issue_pre_session.clone())
            {
                cookies.push(pre_session_cookie(settings, signed));
            }
        }
    }
    let Some(work) = work else {
        return cookies;
    };
    match work
        .flash_out
        .and_then(|flash| encode_flash_cookie(sessions.signer(), &flash))
    {
        Some(signed) => cookies.push(flash_cookie(settings, signed)),
        None if work.forget_flash => cookies.push(flash_removal(settings)),
        None => {}
    }
    cookies
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
    if (read_only && !session.is_changed()) || !session.is_stored() {
        return;
    }
    sessions.cache().invalidate_session(session.id());
    if let Some(cart) = session.cart_id() {
        sessions.cache().invalidate_cart(cart);
    }
}
