//! The session's cookies: HttpOnly (scripts never see them), SameSite=Lax (not sent on
//! cross-site subrequests), Path=/, Secure with the `__Host-` prefix unless local development
//! opts out. Besides the session cookie there are two for a shopper without a session row:
//! the pre-session (what their forms' CSRF tokens derive from) and a one-time message.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};

use super::token::SessionToken;
use crate::configuration::SessionSettings;

/// How long a one-time message waits for the page that shows it.
const FLASH_MAX_AGE_SECONDS: i64 = 300;

fn build(settings: &SessionSettings, name: String, value: String) -> Cookie<'static> {
    Cookie::build(name, value)
        .http_only(true)
        .secure(settings.cookie_secure)
        .same_site(SameSite::Lax)
        .path("/")
        .finish()
}

fn removal(settings: &SessionSettings, name: String) -> Cookie<'static> {
    let mut cookie = build(settings, name, String::new());
    cookie.make_removal();
    cookie
}

/// The cookie that hands `token` to the browser.
pub fn session_cookie(settings: &SessionSettings, token: &SessionToken) -> Cookie<'static> {
    let max_age = i64::try_from(settings.absolute_timeout().as_secs()).unwrap_or(i64::MAX);
    let mut cookie = build(
        settings,
        settings.cookie_name.clone(),
        token.expose().to_owned(),
    );
    cookie.set_max_age(CookieDuration::seconds(max_age));
    cookie
}

/// A cookie that makes the browser forget the session.
pub fn removal_cookie(settings: &SessionSettings) -> Cookie<'static> {
    removal(settings, settings.cookie_name.clone())
}

/// The pre-session cookie (`signed`: see `PreSession`). It lasts as long as the browser
/// session: a cart page left open keeps working until the browser closes.
pub fn pre_session_cookie(settings: &SessionSettings, signed: String) -> Cookie<'static> {
    build(settings, settings.pre_session_cookie_name(), signed)
}

/// Forgets the pre-session: the shopper has a session now, and forms use its tokens.
pub fn pre_session_removal(settings: &SessionSettings) -> Cookie<'static> {
    removal(settings, settings.pre_session_cookie_name())
}

/// A one-time message (`signed`) for the next page of a shopper without a session row.
pub fn flash_cookie(settings: &SessionSettings, signed: String) -> Cookie<'static> {
    let mut cookie = build(settings, settings.flash_cookie_name(), signed);
    cookie.set_max_age(CookieDuration::seconds(FLASH_MAX_AGE_SECONDS));
    cookie
}

/// Forgets a one-time message that was shown.
pub fn flash_removal(settings: &SessionSettings) -> Cookie<'static> {
    removal(settings, settings.flash_cookie_name())
}
