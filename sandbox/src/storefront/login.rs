//! `GET /login/token/{jwt}`: the Customer Login API, checked as BigCommerce documents it
//! (HS256 with the client secret; iss, operation, store_hash, customer, channel, single-use
//! jti, a 30 s iat window). Success signs the browser session in and redirects (302).

use std::collections::HashSet;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::html::{error_page, escape, html, page};
use super::session::{current, SessionId};
use crate::state::cart_ops::CHANNEL_ID;
use crate::state::AppState;

/// Where BigCommerce sends the shopper when `redirect_to` is absent.
const DEFAULT_REDIRECT: &str = "/account.php";

#[derive(Debug, Deserialize)]
struct Claims {
    iss: Option<String>,
    iat: Option<i64>,
    jti: Option<String>,
    operation: Option<String>,
    store_hash: Option<String>,
    customer_id: Option<i64>,
    channel_id: Option<i64>,
    redirect_to: Option<String>,
    request_ip: Option<String>,
}

/// A refused login token; the message names the failed check.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rejection {
    status: StatusCode,
    reason: String,
}

fn reject(reason: &str) -> Rejection {
    Rejection {
        status: StatusCode::FORBIDDEN,
        reason: reason.to_owned(),
    }
}

fn decode_claims(jwt: &str, secret: &str) -> Result<Claims, Rejection> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims = HashSet::new();
    decode::<Claims>(
        jwt,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .map(|data| data.claims)
    .map_err(|e| match e.kind() {
        ErrorKind::InvalidSignature => reject("invalid signature"),
        ErrorKind::InvalidAlgorithm => reject("unsupported algorithm (HS256 required)"),
        _ => Rejection {
            status: StatusCode::BAD_REQUEST,
            reason: format!("malformed token: {e}"),
        },
    })
}

/// Runs every check; returns the customer and the redirect target.
fn verify(state: &AppState, req: &HttpRequest, jwt: &str) -> Result<(i64, String), Rejection> {
    let config = &state.config;
    let claims = decode_claims(jwt, &config.client_secret)?;
    if claims.iss.as_deref() != Some(config.client_id.as_str()) {
        return Err(reject("iss does not match the client id"));
    }
    if claims.operation.as_deref() != Some("customer_login") {
        return Err(reject("operation must be customer_login"));
    }
    if claims.store_hash.as_deref() != Some(config.store_hash.as_str()) {
        return Err(reject("store_hash does not match this store"));
    }
    let iat = claims.iat.ok_or_else(|| reject("iat is missing"))?;
    let now = state.clock.unix();
    if now - iat > config.jwt_max_age_seconds {
        return Err(reject("token expired: iat too old"));
    }
    if iat - now > config.jwt_future_leeway_seconds {
        return Err(reject("iat is in the future"));
    }
    let jti = claims
        .jti
        .filter(|j| !j.is_empty())
        .ok_or_else(|| reject("jti is missing"))?;
    if state.tokens.jti_used(&jti) {
        return Err(reject("jti already used"));
    }
    let customer_id = claims
        .customer_id
        .ok_or_else(|| reject("unknown customer"))?;
    if state.catalog().customer(customer_id).is_none() {
        return Err(reject("unknown customer"));
    }
    if !state
        .catalog()
        .has_channel(claims.channel_id.unwrap_or(CHANNEL_ID))
    {
        return Err(reject("unknown channel"));
    }
    if let Some(ip) = claims.request_ip.filter(|ip| !ip.is_empty()) {
        let peer = req.peer_addr().map(|a| a.ip().to_string());
        if peer.as_deref() != Some(ip.as_str()) {
            return Err(reject("request_ip does not match the browser's address"));
        }
    }
    let target = redirect_target(state, req, claims.redirect_to.as_deref())?;
    if !state.tokens.use_jti(&jti) {
        return Err(reject("jti already used"));
    }
    Ok((customer_id, target))
}

/// `redirect_to` must be a relative path or an absolute URL on this store.
fn redirect_target(
    state: &AppState,
    req: &HttpRequest,
    redirect_to: Option<&str>,
) -> Result<String, Rejection> {
    let target = redirect_to
        .filter(|t| !t.is_empty())
        .unwrap_or(DEFAULT_REDIRECT);
    let refused = || reject("redirect_to must be a relative path or a URL on this store");
    if target.starts_with('/') && !target.starts_with("//") {
        return Ok(target.to_owned());
    }
    let url = url::Url::parse(target).map_err(|_| refused())?;
    let origin = |u: &url::Url| {
        format!(
            "{}:{}",
            u.host_str().unwrap_or(""),
            u.port_or_known_default().unwrap_or(0)
        )
    };
    let public = url::Url::parse(&state.public_url).map(|u| origin(&u)).ok();
    let host = req.connection_info().host().to_owned();
    let same_store = Some(origin(&url)) == public || url.authority() == host;
    if same_store {
        Ok(target.to_owned())
    } else {
        Err(refused())
    }
}

/// `GET /login/token/{jwt}`.
pub async fn login_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    let store = state.catalog().store_name.clone();
    match verify(&state, &req, &path) {
        Ok((customer_id, target)) => {
            let session = SessionId::from_request(&req);
            state
                .tokens
                .update_session(&session.id, |s| s.customer_id = Some(customer_id));
            let mut response = HttpResponse::Found()
                .insert_header(("Location", target))
                .finish();
            session.set_cookie(&mut response);
            response
        }
        Err(r) => error_page(&store, r.status, "Sign-in refused", &r.reason),
    }
}

/// `GET /account.php`: the default `redirect_to`, showing who is signed in.
pub async fn account(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let catalog = state.catalog();
    let session = current(&state, &req);
    let body = match session.customer_id.and_then(|id| catalog.customer(id)) {
        Some(c) => format!(
            "<p>Signed in as {} {} ({})</p>",
            escape(&c.first_name),
            escape(&c.last_name),
            escape(&c.email)
        ),
        None => "<p>You are not signed in.</p>".to_owned(),
    };
    html(StatusCode::OK).body(page(&catalog.store_name, "Your account", &body))
}
