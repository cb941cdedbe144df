//! Request bodies: size limit (413), malformed JSON (400), wrong shape (422). Unknown fields
//! are ignored because every input type tolerates them.

use std::collections::BTreeMap;

use actix_web::web;
use serde::de::DeserializeOwned;

use super::errors::ApiError;

/// Reads the whole body, refusing more than `limit` bytes with 413.
pub async fn read_body(payload: web::Payload, limit: usize) -> Result<web::Bytes, ApiError> {
    match payload.to_bytes_limited(limit).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(ApiError::new(400, "Input is invalid.")),
        Err(_) => Err(ApiError::new(413, "The request payload is too large.")),
    }
}

fn detail(message: String) -> BTreeMap<String, String> {
    let mut errors = BTreeMap::new();
    errors.insert("body".to_owned(), message);
    errors
}

/// Parses a JSON body: syntax errors are 400, a valid document of the wrong shape is 422.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::new(400, "Input is invalid.").with_errors(detail(e.to_string())))?;
    serde_json::from_value(value).map_err(|e| {
        ApiError::new(422, "JSON data is missing or is invalid").with_errors(detail(e.to_string()))
    })
}

/// Like `parse_json`, but an empty body means the default (e.g. DELETE with optional version).
pub fn parse_optional_json<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    parse_json(body)
}

/// One query parameter, percent-decoded.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
