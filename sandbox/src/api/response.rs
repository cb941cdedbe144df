//! Building API responses: JSON or empty bodies, always with the rate-limit headers (except
//! an injected fault that asks for none), and injected faults themselves.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse, HttpResponseBuilder};
use serde_json::Value;

use super::errors::ApiError;
use super::rate_limit::RateLimitSnapshot;
use crate::faults::FaultRule;

/// A successful handler result.
#[derive(Debug)]
pub struct ApiReply {
    pub status: u16,
    pub body: Option<Value>,
}

impl ApiReply {
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
        }
    }

    /// 204 No Content.
    pub fn empty() -> Self {
        Self {
            status: 204,
            body: None,
        }
    }

    pub fn into_response(self, limit: &RateLimitSnapshot) -> HttpResponse {
        let mut builder = builder(self.status);
        limit.apply(&mut builder);
        match self.body {
            Some(body) => json_body(builder, &body),
            None => builder.finish(),
        }
    }
}

fn builder(status: u16) -> HttpResponseBuilder {
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
}

fn json_body(mut builder: HttpResponseBuilder, body: &Value) -> HttpResponse {
    builder
        .content_type("application/json")
        .body(serde_json::to_vec(body).unwrap_or_default())
}

/// A BigCommerce error; 429s also carry `X-Retry-After`.
pub fn error_response(error: &ApiError, limit: &RateLimitSnapshot) -> HttpResponse {
    let mut b = builder(error.status);
    if error.status == 429 {
        limit.apply_limited(&mut b);
    } else {
        limit.apply(&mut b);
    }
    json_body(b, &error.body())
}

/// The answer a fault rule injects.
pub fn fault_response(rule: &FaultRule, limit: &RateLimitSnapshot) -> HttpResponse {
    let status = rule.status.unwrap_or(500);
    let mut b = builder(status);
    if rule.with_rate_limit_headers {
        if status == 429 {
            limit.apply_limited(&mut b);
        } else {
            limit.apply(&mut b);
        }
    }
    for (name, value) in &rule.headers {
        b.insert_header((name.as_str(), value.as_str()));
    }
    if rule.drop_connection {
        return b.body(DroppedBody);
    }
    let body = rule.body.clone().unwrap_or_else(|| {
        let title = match status {
            429 => "Too many requests",
            s if s >= 500 => "Internal Server Error",
            _ => "Injected fault",
        };
        ApiError::new(status, title).body()
    });
    json_body(b, &body)
}

/// A body that fails at once: actix sends the head, then closes the connection, so clients
/// see the response cut off (the closest actix gets to dropping the connection).
struct DroppedBody;

impl MessageBody for DroppedBody {
    type Error = std::io::Error;

    fn size(&self) -> BodySize {
        BodySize::Sized(64)
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<web::Bytes, Self::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::other(
            "connection dropped by fault",
        ))))
    }
}
