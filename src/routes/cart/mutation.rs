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
use crate::cart::OutcomeCheck;
use crate::cart::{CartError, CartService};
use crate::domain::Cart;
use crate::domain::IdempotencyKey;
use crate::idempotency::{fingerprint, run_idempotent, Answer, Repeatable, Settle};
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
    /// `body` replays the stored answer; without a key it simply runs. For changes that are
    /// safe to repeat.
    pub async fn run<F, Fut>(
        self,
        body: &impl Serialize,
        operation: F,
    ) -> Result<HttpResponse, CartError>
    where
        F: FnOnce(ShopperSession, CorrelationId) -> Fut,
        Fut: Future<Output = Result<Answer, CartError>>,
    {
        self.run_with(body, None::<Repeatable>, operation).await
    }

    /// Like `run`, for a change that must not be repeated (adding lines): when its outcome is
    /// lost, `check` (made from the session before the change) settles it, and a landed change
    /// is answered with `answer_for` of the cart.
    pub async fn run_settled<F, Fut>(
        self,
        body: &impl Serialize,
        check: Option<OutcomeCheck>,
        answer_for: fn(Cart) -> Answer,
        operation: F,
    ) -> Result<HttpResponse, CartError>
    where
        F: FnOnce(ShopperSession, CorrelationId) -> Fut,
        Fut: Future<Output = Result<Answer, CartError>>,
    {
        let carts = self.request.app_data::<Data<CartService>>().cloned();
        let settle = match (check, carts) {
            (Some(check), Some(carts)) => {
                let window = carts.settings().idempotency_settle_window();
                let cx = self.correlation;
                let plan =
                    serde_json::to_value(&check).map_err(|e| CartError::Unexpected(e.into()))?;
                Some(Settle {
                    plan,
                    check: move |plan: serde_json::Value| {
                        let carts = carts.clone();
                        async move {
                            let check: OutcomeCheck = serde_json::from_value(plan)
                                .map_err(|e| CartError::Unexpected(e.into()))?;
                            Ok(carts.settle(&check, cx).await?.map(answer_for))
                        }
                    },
                    window,
                })
            }
            _ => None,
        };
        self.run_with(body, settle, operation).await
    }

    /// Runs `operation` on every request, never from storage: for an answer that must be
    /// fresh each time (a checkout hand-off is a single-use bearer URL, possibly spent by the
    /// time a retry comes, and must not sit in the idempotency table). An Idempotency-Key is
    /// accepted (it was checked to be well formed) and ignored.
    pub async fn run_fresh<F, Fut>(self, operation: F) -> Result<HttpResponse, CartError>
    where
        F: FnOnce(ShopperSession, CorrelationId) -> Fut,
        Fut: Future<Output = Result<Answer, CartError>>,
    {
        let answer = operation(self.session, self.correlation).await?;
        Ok(crate::idempotency::json_response(
            answer.status,
            &answer.body,
        ))
    }

    async fn run_with<F, Fut, C, CFut>(
        self,
        body: &impl Serialize,
        settle: Option<Settle<C>>,
        operation: F,
    ) -> Result<HttpResponse, CartError>
    where
        F: FnOnce(ShopperSession, CorrelationId) -> Fut,
        Fut: Future<Output = Result<Answer, CartError>>,
        C: Fn(serde_json::Value) -> CFut,
        CFut: Future<Output = Result<Option<Answer>, CartError>>,
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
        run_idempotent(
            &pool,
            session_id,
            idempotency_key,
            print,
            ttl,
            settle,
            || operation(session, correlation),
        )
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
