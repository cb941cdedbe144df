//! `/v3/hooks`: create (200 `{data, meta}` per the spec), list with filters, get, update (PUT),
//! delete. One hook per scope + destination (422 on a duplicate). Plain `http://` destinations
//! on any port are accepted, unlike BigCommerce (https on 443 only).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};

use super::body::{parse_json, query_param};
use super::errors::ApiError;
use super::response::ApiReply;
use super::Ctx;
use crate::state::hooks::{Hook, HookChanges, HookError};

#[derive(Debug, Deserialize)]
struct HookBody {
    scope: Option<String>,
    destination: Option<String>,
    is_active: Option<bool>,
    #[serde(default, deserialize_with = "deserialize_some")]
    headers: Option<Option<BTreeMap<String, String>>>,
}

/// Keeps "absent" (`None`) apart from `"headers": null` (`Some(None)`).
fn deserialize_some<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

fn invalid(field: &str, message: &str) -> ApiError {
    let mut errors = BTreeMap::new();
    errors.insert(field.to_owned(), message.to_owned());
    ApiError::new(422, "JSON data is missing or is invalid").with_errors(errors)
}

fn check_scope(scope: &str) -> Result<(), ApiError> {
    if scope.starts_with("store/") && !scope.contains(char::is_whitespace) {
        Ok(())
    } else {
        Err(invalid("scope", "invalid scope"))
    }
}

fn check_destination(destination: &str) -> Result<(), ApiError> {
    match url::Url::parse(destination) {
        Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.host().is_some() => Ok(()),
        _ => Err(invalid("destination", "must be an absolute http(s) URL")),
    }
}

fn hook_error(e: HookError) -> ApiError {
    match e {
        HookError::NotFound => ApiError::new(404, "Webhook not found"),
        other => ApiError::new(422, other.to_string()),
    }
}

fn parse_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::new(404, "Webhook not found"))
}

fn envelope(hook: &Hook) -> Value {
    json!({"data": hook, "meta": {}})
}

/// `POST /v3/hooks`.
pub fn create(ctx: &Ctx<'_>) -> Result<ApiReply, ApiError> {
    let body: HookBody = parse_json(ctx.body)?;
    let scope = body
        .scope
        .ok_or_else(|| invalid("scope", "error.path.missing"))?;
    let destination = body
        .destination
        .ok_or_else(|| invalid("destination", "error.path.missing"))?;
    check_scope(&scope)?;
    check_destination(&destination)?;
    let now = ctx.state.clock.unix();
    let hook = ctx
        .state
        .hooks
        .create(Hook {
            id: 0,
            client_id: ctx.state.config.client_id.clone(),
            store_hash: ctx.state.config.store_hash.clone(),
            scope,
            destination,
            is_active: body.is_active.unwrap_or(true),
            headers: body.headers.flatten(),
            created_at: now,
            updated_at: now,
        })
        .map_err(hook_error)?;
    Ok(ApiReply::json(200, envelope(&hook)))
}

/// `GET /v3/hooks?is_active=&scope=&destination=&page=&limit=`.
pub fn list(ctx: &Ctx<'_>) -> Result<ApiReply, ApiError> {
    let is_active = query_param(ctx.query, "is_active").map(|v| v == "true");
    let scope = query_param(ctx.query, "scope");
    let destination = query_param(ctx.query, "destination");
    let page: usize = query_param(ctx.query, "page")
        .and_then(|p| p.parse().ok())
        .filter(|p| *p > 0)
        .unwrap_or(1);
    let limit: usize = query_param(ctx.query, "limit")
        .and_then(|p| p.parse().ok())
        .filter(|p| *p > 0)
        .unwrap_or(50);
    let hooks: Vec<Hook> = ctx
        .state
        .hooks
        .list()
        .into_iter()
        .filter(|h| is_active.is_none_or(|a| h.is_active == a))
        .filter(|h| scope.as_ref().is_none_or(|s| &h.scope == s))
        .filter(|h| destination.as_ref().is_none_or(|d| &h.destination == d))
        .collect();
    let total = hooks.len();
    let data: Vec<&Hook> = hooks
        .iter()
        .skip((page - 1).saturating_mul(limit))
        .take(limit)
        .collect();
    let pagination = json!({"total": total, "count": data.len(), "per_page": limit,
        "current_page": page, "total_pages": total.div_ceil(limit)});
    Ok(ApiReply::json(
        200,
        json!({"data": data, "meta": {"pagination": pagination}}),
    ))
}

/// `GET /v3/hooks/{hook_id}`.
pub fn get(ctx: &Ctx<'_>, raw_id: &str) -> Result<ApiReply, ApiError> {
    let id = parse_id(raw_id)?;
    let hook = ctx
        .state
        .hooks
        .get(id)
        .ok_or_else(|| hook_error(HookError::NotFound))?;
    Ok(ApiReply::json(200, envelope(&hook)))
}

/// `PUT /v3/hooks/{hook_id}`: any of scope, destination, is_active, headers.
pub fn update(ctx: &Ctx<'_>, raw_id: &str) -> Result<ApiReply, ApiError> {
    let id = parse_id(raw_id)?;
    let body: HookBody = parse_json(ctx.body)?;
    if let Some(scope) = &body.scope {
        check_scope(scope)?;
    }
    if let Some(destination) = &body.destination {
        check_destination(destination)?;
    }
    let changes = HookChanges {
        scope: body.scope,
        destination: body.destination,
        is_active: body.is_active,
        headers: body.headers,
    };
    let hook = ctx
        .state
        .hooks
        .update(id, changes, ctx.state.clock.unix())
        .map_err(hook_error)?;
    Ok(ApiReply::json(200, envelope(&hook)))
}

/// `DELETE /v3/hooks/{hook_id}`: 200 with the deleted hook.
pub fn delete(ctx: &Ctx<'_>, raw_id: &str) -> Result<ApiReply, ApiError> {
    let id = parse_id(raw_id)?;
    let hook = ctx
        .state
        .hooks
        .delete(id)
        .ok_or_else(|| hook_error(HookError::NotFound))?;
    Ok(ApiReply::json(200, envelope(&hook)))
}
