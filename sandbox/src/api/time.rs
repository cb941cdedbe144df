//! `GET /v2/time`: the store's clock in Unix seconds (sandbox time, so skew can be tested).

use serde_json::json;

use super::response::ApiReply;
use super::Ctx;

pub fn get(ctx: &Ctx<'_>) -> ApiReply {
    ApiReply::json(200, json!({"time": ctx.state.clock.unix()}))
}
