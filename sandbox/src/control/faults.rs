//! `GET/POST/DELETE /__sandbox/faults`: latency, injected statuses and the 429 quota.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::config::RateLimitConfig;
use crate::faults::FaultRule;
use crate::state::AppState;

/// `POST /__sandbox/faults` body; every field is optional.
#[derive(Debug, Deserialize)]
pub struct FaultsBody {
    latency_ms: Option<u64>,
    jitter_ms: Option<u64>,
    #[serde(default)]
    rules: Vec<FaultRule>,
    rate_limit: Option<RateLimitBody>,
}

#[derive(Debug, Deserialize)]
struct RateLimitBody {
    #[serde(alias = "enabled")]
    enforce: Option<bool>,
    quota: Option<u32>,
    window_ms: Option<u64>,
}

pub async fn get(state: web::Data<AppState>) -> HttpResponse {
    let faults = state.faults.state();
    let rl = state.rate_limiter.config();
    HttpResponse::Ok().json(json!({
        "latency_ms": faults.latency_ms,
        "jitter_ms": faults.jitter_ms,
        "rules": faults.rules,
        "rate_limit": {"enforce": rl.enforce, "quota": rl.quota, "window_ms": rl.window_ms},
    }))
}

pub async fn post(state: web::Data<AppState>, body: web::Json<FaultsBody>) -> HttpResponse {
    let body = body.into_inner();
    state
        .faults
        .apply(body.latency_ms, body.jitter_ms, body.rules);
    if let Some(rl) = body.rate_limit {
        let current = state.rate_limiter.config();
        state.rate_limiter.configure(RateLimitConfig {
            enforce: rl.enforce.unwrap_or(true),
            quota: rl.quota.unwrap_or(current.quota),
            window_ms: rl.window_ms.unwrap_or(current.window_ms),
        });
    }
    get(state).await
}

pub async fn delete(state: web::Data<AppState>) -> HttpResponse {
    state.faults.clear();
    state.rate_limiter.configure(state.config.rate_limit);
    get(state).await
}
