//! `GET /v3/abandoned-carts/{token}`: 200 `{data: {cart_id}, meta: {}}`, or 404 when the token
//! is unknown or its cart is gone.

use serde_json::json;

use super::errors::ApiError;
use super::response::ApiReply;
use super::Ctx;

pub fn get(ctx: &Ctx<'_>, token: &str) -> Result<ApiReply, ApiError> {
    let now = ctx.state.clock.now();
    let cart_id = ctx
        .state
        .tokens
        .abandoned_cart(token)
        .filter(|id| ctx.state.carts.get(id, now).is_some())
        .ok_or_else(|| ApiError::new(404, "Abandoned cart not found"))?;
    Ok(ApiReply::json(
        200,
        json!({"data": {"cart_id": cart_id}, "meta": {}}),
    ))
}
