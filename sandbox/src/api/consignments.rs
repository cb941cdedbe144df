//! Consignments and the customer message: `POST /checkouts/{id}/consignments` (a JSON
//! array), `PUT` and `DELETE /checkouts/{id}/consignments/{consignmentId}`, and
//! `PUT /checkouts/{id}` `{"customer_message"}`; each answers 200 with the checkout
//! (`reference/checkouts.v3.yml`; reference §2.5, §2.6).

use serde::Deserialize;
use serde_json::Value;

use super::body::{parse_json, parse_optional_json};
use super::carts::parse_cart_id;
use super::checkouts::{checkout_envelope, checkout_error};
use super::errors::ApiError;
use super::response::ApiReply;
use super::Ctx;
use crate::state::checkout_ops::{NewConsignmentInput, UpdateConsignmentInput};

#[derive(Debug, Deserialize, Default)]
struct MessageBody {
    customer_message: Option<Value>,
    version: Option<u64>,
}

#[derive(Debug, Deserialize, Default)]
struct VersionBody {
    version: Option<u64>,
}

fn checkout_id(ctx: &Ctx<'_>, raw: &str) -> Result<uuid::Uuid, ApiError> {
    parse_cart_id(ctx.state, raw).map_err(|_| ApiError::checkout_not_found())
}

/// `POST /checkouts/{checkout_id}/consignments`: the body is an array of consignments.
pub fn add(ctx: &Ctx<'_>, raw_id: &str) -> Result<ApiReply, ApiError> {
    let id = checkout_id(ctx, raw_id)?;
    let inputs: Vec<NewConsignmentInput> = parse_json(ctx.body)?;
    let cart = ctx
        .state
        .add_consignments(id, &inputs)
        .map_err(|e| checkout_error(ctx, e))?;
    Ok(ApiReply::json(200, checkout_envelope(ctx, &cart)))
}

/// `PUT /checkouts/{checkout_id}/consignments/{consignment_id}`.
pub fn update(ctx: &Ctx<'_>, raw_id: &str, consignment: &str) -> Result<ApiReply, ApiError> {
    let id = checkout_id(ctx, raw_id)?;
    let input: UpdateConsignmentInput = parse_json(ctx.body)?;
    let cart = ctx
        .state
        .update_consignment(id, consignment, &input)
        .map_err(|e| checkout_error(ctx, e))?;
    Ok(ApiReply::json(200, checkout_envelope(ctx, &cart)))
}

/// `DELETE /checkouts/{checkout_id}/consignments/{consignment_id}` (optional `{"version"}`).
pub fn delete(ctx: &Ctx<'_>, raw_id: &str, consignment: &str) -> Result<ApiReply, ApiError> {
    let id = checkout_id(ctx, raw_id)?;
    let body: VersionBody = parse_optional_json(ctx.body)?;
    let cart = ctx
        .state
        .delete_consignment(id, consignment, body.version)
        .map_err(|e| checkout_error(ctx, e))?;
    Ok(ApiReply::json(200, checkout_envelope(ctx, &cart)))
}

/// `PUT /checkouts/{checkout_id}` `{"customer_message", "version"?}`.
pub fn update_checkout(ctx: &Ctx<'_>, raw_id: &str) -> Result<ApiReply, ApiError> {
    let id = checkout_id(ctx, raw_id)?;
    let body: MessageBody = parse_json(ctx.body)?;
    let message = match &body.customer_message {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text.as_str()),
        Some(_) => return Err(ApiError::new(422, "JSON data is missing or is invalid")),
    };
    let cart = ctx
        .state
        .set_customer_message(id, message, body.version)
        .map_err(|e| checkout_error(ctx, e))?;
    Ok(ApiReply::json(200, checkout_envelope(ctx, &cart)))
}
