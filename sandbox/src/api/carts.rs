//! `/v3/carts` and `/v3/carts/{cart_id}` (+ `redirect_urls`): create 201, get 200/404,
//! put 200, delete 204, redirect URLs 201.

use serde::Deserialize;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::body::{parse_json, parse_optional_json, query_param};
use super::errors::{cart_not_found, from_cart_error, ApiError};
use super::response::ApiReply;
use super::Ctx;
use crate::state::cart_ops::CreateCartInput;
use crate::state::carts::Cart;
use crate::state::render::{render_cart, Includes};
use crate::state::AppState;

/// Parses a cart id; BigCommerce answers a non-UUID id with 404.
pub fn parse_cart_id(state: &AppState, raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| cart_not_found(state))
}

/// `{data: cart, meta: {}}`, with `redirect_urls` when asked for and allowed.
pub fn cart_envelope(ctx: &Ctx<'_>, cart: &Cart, allow_redirect_urls: bool) -> Value {
    let mut includes = Includes::parse(query_param(ctx.query, "include").as_deref());
    includes.date_display = ctx.state.config.behaviours.date_option_display;
    let catalog = ctx.state.catalog();
    let mut data = render_cart(&catalog, cart, &ctx.state.public_url, includes);
    if includes.redirect_urls && allow_redirect_urls {
        if let Some(obj) = data.as_object_mut() {
            obj.insert(
                "redirect_urls".to_owned(),
                issue_redirect_urls(ctx.state, cart.id, None),
            );
        }
    }
    json!({"data": data, "meta": {}})
}

/// Three URLs to the sandbox's hosted cart and checkout pages sharing one fresh single-use
/// token, as in every answer BigCommerce documents.
pub fn issue_redirect_urls(
    state: &AppState,
    cart_id: Uuid,
    query_params: Option<&Map<String, Value>>,
) -> Value {
    let now = state.clock.unix();
    let extra: String = query_params
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let value = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            let pair: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair(k, &value)
                .finish();
            format!("&{pair}")
        })
        .collect();
    let token = state.tokens.issue_redirect(cart_id, now);
    let url = |prefix: &str| {
        format!(
            "{}/cart.php?{prefix}id={cart_id}&token={token}{extra}",
            state.public_url
        )
    };
    json!({
        "cart_url": url("action=load&"),
        "checkout_url": url("action=loadInCheckout&"),
        "embedded_checkout_url": url("embedded=1&action=loadInCheckout&"),
    })
}

/// `POST /carts`.
pub fn create(ctx: &Ctx<'_>) -> Result<ApiReply, ApiError> {
    let input: CreateCartInput = parse_json(ctx.body)?;
    let cart = ctx
        .state
        .create_cart(&input)
        .map_err(|e| from_cart_error(ctx.state, e, false))?;
    Ok(ApiReply::json(201, cart_envelope(ctx, &cart, true)))
}

/// `GET /carts/{cart_id}`.
pub fn get(ctx: &Ctx<'_>, raw_id: &str) -> Result<ApiReply, ApiError> {
    let id = parse_cart_id(ctx.state, raw_id)?;
    let cart = ctx
        .state
        .carts
        .get(&id, ctx.state.clock.now())
        .ok_or_else(|| cart_not_found(ctx.state))?;
    let allow = ctx.state.config.behaviours.redirect_urls_on_read;
    Ok(ApiReply::json(200, cart_envelope(ctx, &cart, allow)))
}

#[derive(Debug, Deserialize, Default)]
struct UpdateCartBody {
    customer_id: Option<i64>,
    version: Option<u64>,
}

/// `PUT /carts/{cart_id}`: 200 (the spec's 201 is wrong, per BigCommerce).
pub fn update(ctx: &Ctx<'_>, raw_id: &str) -> Result<ApiReply, ApiError> {
    let id = parse_cart_id(ctx.state, raw_id)?;
    let body: UpdateCartBody = parse_json(ctx.body)?;
    let cart = ctx
        .state
        .update_cart(id, body.customer_id, body.version)
        .map_err(|e| from_cart_error(ctx.state, e, true))?;
    let allow = ctx.state.config.behaviours.redirect_urls_on_read;
    Ok(ApiReply::json(200, cart_envelope(ctx, &cart, allow)))
}

/// `DELETE /carts/{cart_id}`: 204 with an empty body.
pub fn delete(ctx: &Ctx<'_>, raw_id: &str) -> Result<ApiReply, ApiError> {
    let id = parse_cart_id(ctx.state, raw_id)?;
    ctx.state
        .delete_cart(id)
        .map_err(|e| from_cart_error(ctx.state, e, true))?;
    Ok(ApiReply::empty())
}

#[derive(Debug, Deserialize, Default)]
struct RedirectUrlsBody {
    query_params: Option<Map<String, Value>>,
}

/// `POST /carts/{cart_id}/redirect_urls`: 201; a missing cart is 404 (nothing is changed).
pub fn redirect_urls(ctx: &Ctx<'_>, raw_id: &str) -> Result<ApiReply, ApiError> {
    let id = parse_cart_id(ctx.state, raw_id)?;
    let body: RedirectUrlsBody = parse_optional_json(ctx.body)?;
    ctx.state
        .carts
        .get(&id, ctx.state.clock.now())
        .ok_or_else(|| cart_not_found(ctx.state))?;
    let urls = issue_redirect_urls(ctx.state, id, body.query_params.as_ref());
    Ok(ApiReply::json(201, json!({"data": urls, "meta": {}})))
}
