//! `Mutation`: what every cart-changing handler starts from — the session, checked against
//! the per-client rate limits, the optional Idempotency-Key, and the correlation id.

use std::future::Future;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::web::Data;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;
use serde::Serialize;
use sqlx::PgPool;
use tracing_actix_web::RequestId;
use uuid::Uuid;

use crate::bigcommerce::CorrelationId;
use crate::cart::{CartError, CartService};
use crate::domain::IdempotencyKey;
use crate::idempotency::{fingerprint, run_idempotent, Answer};
use crate::rate_limit::MutationLimiter;
use crate::session::ShopperSession;

pub struct Mutation {
    pub session: ShopperSession,
    pub idempotency_key: Option<IdempotencyKey>,
    pub correlation: CorrelationId,
    request: HttpRequest,
}

impl Mutation {
    /// Runs `operation` at most once per Idempotency-Key: a retry of the same method, path and
    /// `body` replays the stored answer; without a key it simply runs.
    pub async fn run<F, Fut>(
        self,
        body: &impl Serialize,
        operation: F,
    ) -> Result<HttpResponse, CartError>
    where
        F: FnOnce(ShopperSession, CorrelationId) -> Fut,
        Fut: Future<Output = Result<Answer, CartError>>,
    {
        let pool = self
            .request
            .app_data::<Data<PgPool>>()
            .cloned()
            .ok_or_else(|| CartError::Unexpected(anyhow::anyhow!("PgPool is not registered")))?;
        let ttl = self
            .request
            .app_data::<Data<CartService>>()
            .map_or(DEFAULT_KEY_TTL, |carts| {
                carts.settings().idempotency_key_ttl()
            });
        let print = fingerprint(self.request.method().as_str(), self.request.path(), body);
        let Mutation {
            session,
            idempotency_key,
            correlation,
            ..
        } = self;
        let session_id = session.id();
        run_idempotent(&pool, session_id, idempotency_key, print, ttl, || {
            operation(session, correlation)
        })
        .await
    }
}

/// Used only if the cart service is missing from the app, which `startup` never allows.
const DEFAULT_KEY_TTL: Duration = Duration::from_secs(24 * 3600);

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
                    .check(crate::client_address::client_key(&req), session.id())
                    .map_err(CartError::TooManyRequests)?;
            }
            Ok(Mutation {
                session,
                idempotency_key,
                correlation: correlation_id(&req),
                request: req,
            })
        })
    }
}
