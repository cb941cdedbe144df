//! The session cookie: HttpOnly (scripts never see it), SameSite=Lax (not sent on cross-site
//! subrequests), Path=/, Secure with the `__Host-` prefix unless local development opts out.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};

use super::token::SessionToken;
use crate::configuration::SessionSettings;

/// The cookie that hands `token` to the browser.
pub fn session_cookie(settings: &SessionSettings, token: &SessionToken) -> Cookie<'static> {
    let max_age = i64::try_from(settings.absolute_timeout().as_secs()).unwrap_or(i64::MAX);
    Cookie::build(settings.cookie_name.clone(), token.expose().to_owned())
        .http_only(true)
        .secure(settings.cookie_secure)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(CookieDuration::seconds(max_age))
        .finish()
}

/// A cookie that makes the browser forget the session.
pub fn removal_cookie(settings: &SessionSettings) -> Cookie<'static> {
    let mut cookie = Cookie::build(settings.cookie_name.clone(), "")
        .http_only(true)
        .secure(settings.cookie_secure)
        .same_site(SameSite::Lax)
        .path("/")
        .finish();
    cookie.make_removal();
    cookie
}
