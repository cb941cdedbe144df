//! `Mutation`: what every cart-changing handler starts from — the session, checked against
//! the per-client rate limits, the optional Idempotency-Key, and the correlation id.

use actix_web::dev::Payload;
use actix_web::web::Data;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use tracing_actix_web::RequestId;
use uuid::Uuid;

use crate::bigcommerce::CorrelationId;
use crate::cart::CartError;
use crate::domain::IdempotencyKey;
use crate::rate_limit::MutationLimiter;
use crate::session::ShopperSession;

pub struct Mutation {
    pub session: ShopperSession,
    pub idempotency_key: Option<IdempotencyKey>,
    pub correlation: CorrelationId,
}

/// The id BigCommerce calls of this request carry: the request id.
pub fn correlation_id(request: &HttpRequest) -> CorrelationId {
    let id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| Uuid::from(*id))
        .unwrap_or_else(Uuid::new_v4);
    CorrelationId(id)
}

impl FromRequest for Mutation {
    type Error = CartError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = ShopperSession::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let idempotency_key = match req.headers().get("idempotency-key") {
                None => None,
                Some(value) => {
                    let text = value.to_str().map_err(|_| {
                        crate::domain::InvalidInput::new(
                            "Idempotency-Key must be visible ASCII characters",
                        )
                    })?;
                    Some(IdempotencyKey::parse(text)?)
                }
            };
            let session = session.await?;
            if let Some(limiter) = req.app_data::<Data<MutationLimiter>>() {
                limiter
                    .check(&req, session.id())
                    .map_err(CartError::TooManyRequests)?;
            }
            Ok(Mutation {
                session,
                idempotency_key,
                correlation: correlation_id(&req),
            })
        })
    }
}
