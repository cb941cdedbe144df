//! `POST /v3/customers/validate-credentials`: `{is_valid, customer_id}` with no envelope;
//! 422 when `email` or `password` is missing; `channel_id` (default 1) picks the accounts.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;

use super::body::parse_json;
use super::errors::ApiError;
use super::response::ApiReply;
use super::Ctx;
use crate::state::cart_ops::CHANNEL_ID;

#[derive(Debug, Deserialize)]
struct Credentials {
    email: Option<String>,
    password: Option<String>,
    channel_id: Option<i64>,
}

pub fn validate_credentials(ctx: &Ctx<'_>) -> Result<ApiReply, ApiError> {
    let body: Credentials = parse_json(ctx.body)?;
    let mut errors = BTreeMap::new();
    if body.email.as_deref().is_none_or(str::is_empty) {
        errors.insert("email".to_owned(), "error.path.missing".to_owned());
    }
    if body.password.as_deref().is_none_or(str::is_empty) {
        errors.insert("password".to_owned(), "error.path.missing".to_owned());
    }
    let (Some(email), Some(password), true) = (body.email, body.password, errors.is_empty()) else {
        return Err(ApiError::new(422, "JSON data is missing or is invalid").with_errors(errors));
    };
    let catalog = ctx.state.catalog();
    // An account belongs to channels: valid credentials on another channel are not valid.
    let channel_id = body.channel_id.unwrap_or(CHANNEL_ID);
    if !catalog.has_channel(channel_id) {
        return Err(ApiError::new(
            422,
            format!("Channel {channel_id} does not exist."),
        ));
    }
    let customer = catalog
        .customer_by_email(&email)
        .filter(|c| c.password == password && c.channels.contains(&channel_id));
    Ok(ApiReply::json(
        200,
        json!({"is_valid": customer.is_some(), "customer_id": customer.map(|c| c.id)}),
    ))
}
