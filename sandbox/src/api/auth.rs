//! `X-Auth-Token` check: missing or wrong gives BigCommerce's 401.

use actix_web::HttpRequest;

use super::errors::ApiError;

/// Accepts the request only with the store's access token.
pub fn check_token(req: &HttpRequest, expected: &str) -> Result<(), ApiError> {
    let given = req
        .headers()
        .get("X-Auth-Token")
        .and_then(|v| v.to_str().ok());
    match given {
        Some(token) if token == expected => Ok(()),
        _ => Err(ApiError::unauthorized()),
    }
}
