//! The BigCommerce Management API under `/stores/{store_hash}/`: one entry point that routes,
//! counts (stats), applies faults and the rate limiter, checks the store hash and
//! `X-Auth-Token`, then dispatches to one module per BigCommerce area.

pub mod abandoned_carts;
pub mod auth;
pub mod body;
pub mod carts;
pub mod catalog;
pub mod checkout_render;
pub mod checkouts;
pub mod consignments;
pub mod customers;
pub mod errors;
pub mod hooks;
pub mod items;
pub mod rate_limit;
pub mod response;
pub mod router;
pub mod time;

use actix_web::{web, HttpRequest, HttpResponse};

use crate::state::AppState;
use errors::ApiError;
use response::{error_response, fault_response, ApiReply};
use router::{match_route, method_name, Matched, Route, UNMATCHED};

/// What a handler sees of the request.
#[derive(Debug)]
pub struct Ctx<'a> {
    pub state: &'a AppState,
    pub query: &'a str,
    pub body: &'a [u8],
}

/// Entry point of every request under `/stores/`.
pub async fn api_entry(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let path = req.path();
    let rest = path.strip_prefix("/stores/").unwrap_or("");
    let (store_hash, sub) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let method = method_name(req.method());
    let matched = match_route(method, sub);
    let template = match matched {
        Matched::Route(_, t) | Matched::MethodNotAllowed(t) => t,
        Matched::NotFound => UNMATCHED,
    };
    state.stats.note_traceparent(
        req.headers()
            .get("traceparent")
            .and_then(|value| value.to_str().ok()),
    );
    let limit = state.rate_limiter.hit();
    let decision = state.faults.decide(method, sub);
    if decision.apply_first && !limit.limited {
        // The change happens; what the caller hears about it is the fault.
        let user_agent = req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let reply = match handle(&req, payload, &state, store_hash, matched).await {
            Ok(reply) => reply.into_response(&limit),
            Err(e) => error_response(&e, &limit),
        };
        tokio::time::sleep(decision.delay).await;
        let response = match decision.inject {
            Some(rule) => fault_response(&rule, &limit),
            None => reply,
        };
        let status = response.status().as_u16();
        state
            .stats
            .record(method, template, status, user_agent.as_deref());
        return response;
    }
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    let response = if let Some(rule) = decision.inject {
        fault_response(&rule, &limit)
    } else if limit.limited {
        error_response(&ApiError::new(429, "Too many requests"), &limit)
    } else {
        match handle(&req, payload, &state, store_hash, matched).await {
            Ok(reply) => reply.into_response(&limit),
            Err(e) => error_response(&e, &limit),
        }
    };
    let user_agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    state
        .stats
        .record(method, template, response.status().as_u16(), user_agent);
    response
}

/// The writes whose Content-Type the spec marks required (`reference/carts.v3.yml`, the
/// `ContentType` parameter), bodiless `redirect_urls` included; of the Checkouts calls, adding
/// a coupon, the customer message and adding or updating a consignment
/// (`reference/checkouts.v3.yml`; the deletes do not list the header).
fn needs_json_content_type(route: Route<'_>) -> bool {
    matches!(
        route,
        Route::CreateCart
            | Route::UpdateCart(_)
            | Route::AddItems(_)
            | Route::UpdateItem(..)
            | Route::RedirectUrls(_)
            | Route::AddCoupon(_)
            | Route::UpdateCheckout(_)
            | Route::AddConsignments(_)
            | Route::UpdateConsignment(..)
            | Route::UpdateProduct(_)
            | Route::UpdateVariant(..)
    )
}

/// BigCommerce lists 415 for a missing or unsupported `Content-Type`.
fn check_content_type(req: &HttpRequest, route: Route<'_>) -> Result<(), ApiError> {
    if !needs_json_content_type(route) {
        return Ok(());
    }
    let media_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    match media_type.as_deref() {
        Some("application/json") => Ok(()),
        _ => Err(ApiError::new(
            415,
            "The Content-Type header must be application/json.",
        )),
    }
}

async fn handle(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    store_hash: &str,
    matched: Matched<'_>,
) -> Result<ApiReply, ApiError> {
    if store_hash != state.config.store_hash {
        return Err(ApiError::not_found());
    }
    auth::check_token(req, &state.config.access_token)?;
    let route = match matched {
        Matched::Route(route, _) => route,
        Matched::MethodNotAllowed(_) => return Err(ApiError::new(405, "Method Not Allowed")),
        Matched::NotFound => return Err(ApiError::not_found()),
    };
    check_content_type(req, route)?;
    let body = if req.method() == actix_web::http::Method::GET {
        web::Bytes::new()
    } else {
        body::read_body(payload, state.config.max_body_bytes).await?
    };
    let ctx = Ctx {
        state,
        query: req.query_string(),
        body: &body,
    };
    dispatch(&ctx, route)
}

fn dispatch(ctx: &Ctx<'_>, route: Route<'_>) -> Result<ApiReply, ApiError> {
    match route {
        Route::CreateCart => carts::create(ctx),
        Route::GetCart(id) => carts::get(ctx, id),
        Route::UpdateCart(id) => carts::update(ctx, id),
        Route::DeleteCart(id) => carts::delete(ctx, id),
        Route::RedirectUrls(id) => carts::redirect_urls(ctx, id),
        Route::AddItems(id) => items::add(ctx, id),
        Route::UpdateItem(id, item) => items::update(ctx, id, item),
        Route::DeleteItem(id, item) => items::delete(ctx, id, item),
        Route::GetCheckout(id) => checkouts::get(ctx, id),
        Route::UpdateCheckout(id) => consignments::update_checkout(ctx, id),
        Route::AddConsignments(id) => consignments::add(ctx, id),
        Route::UpdateConsignment(id, c) => consignments::update(ctx, id, c),
        Route::DeleteConsignment(id, c) => consignments::delete(ctx, id, c),
        Route::AddCoupon(id) => checkouts::add_coupon(ctx, id),
        Route::DeleteCoupon(id, code) => checkouts::delete_coupon(ctx, id, code),
        Route::AbandonedCart(token) => abandoned_carts::get(ctx, token),
        Route::ValidateCredentials => customers::validate_credentials(ctx),
        Route::ListProducts => catalog::list(ctx),
        Route::GetProduct(id) => catalog::get(ctx, id),
        Route::UpdateProduct(id) => catalog::update(ctx, id),
        Route::UpdateVariant(id, variant) => catalog::update_variant(ctx, id, variant),
        Route::ListHooks => hooks::list(ctx),
        Route::CreateHook => hooks::create(ctx),
        Route::GetHook(id) => hooks::get(ctx, id),
        Route::UpdateHook(id) => hooks::update(ctx, id),
        Route::DeleteHook(id) => hooks::delete(ctx, id),
        Route::Time => Ok(time::get(ctx)),
    }
}
