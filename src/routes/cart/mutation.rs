//! `Mutation`: what every cart-changing handler starts from — the session, the optional
//! Idempotency-Key, the correlation id — and how it runs: at most once per key, spending the
//! client's fair share of the store's quota only when the change really runs (a replayed
//! answer calls nobody, so it costs nothing). The change is charged its estimate up front (the
//! gate), then the BigCommerce calls it really sent (`bigcommerce::calls`).

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::web::Data;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse};
use futures_util::future::{FutureExt, LocalBoxFuture};
use serde::Serialize;
use sqlx::PgPool;
use tracing_actix_web::RequestId;
use uuid::Uuid;

use crate::bigcommerce::{calls, CorrelationId};
use crate::cart::{CartError, CartService};
use crate::cart::{OutcomeCheck, Settlement};
use crate::domain::Cart;
use crate::domain::IdempotencyKey;
use crate::fair_shares::{Charged, FairShares, Spender};
use crate::idempotency::{
    fingerprint, keep_first_write, run_idempotent, Answer, Repeatable, Settle, Settled,
};
use crate::session::ShopperSession;

/// What a change is estimated to cost of the client's fair shares, charged before it runs (the
/// gate); the calls it really makes settle the charge afterwards.
#[derive(Debug, Clone, Copy)]
pub enum Cost {
    /// A change to the session's cart: nothing without a cart, since nothing is called.
    OnCart(u32),
    /// Calls whether or not the session has a cart (an add creates one; a recovery looks its
    /// token up).
    Always(u32),
}

impl Cost {
    fn calls_for(self, session: &ShopperSession) -> u32 {
        match self {
            Cost::OnCart(calls) if session.cart_id().is_some() => calls,
            Cost::OnCart(_) => 0,
            Cost::Always(calls) => calls,
        }
    }
}

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
        cost: Cost,
        operation: F,
    ) -> Result<HttpResponse, CartError>
    where
        F: FnOnce(ShopperSession, CorrelationId) -> Fut,
        Fut: Future<Output = Result<Answer, CartError>>,
    {
        self.run_with(body, cost, false, None::<Repeatable>, operation)
            .await
    }

    /// Like `run`, for a change that may be the session's first write (a recovery that
    /// switches carts): for a session without a row, the key is kept once the change stored
    /// the session.
    pub async fn run_first_write<F, Fut>(
        self,
        body: &impl Serialize,
        cost: Cost,
        operation: F,
    ) -> Result<HttpResponse, CartError>
    where
        F: FnOnce(ShopperSession, CorrelationId) -> Fut,
        Fut: Future<Output = Result<Answer, CartError>>,
    {
        self.run_with(body, cost, true, None::<Repeatable>, operation)
            .await
    }

    /// Like `run`, for a change that must not be repeated (adding lines): `plan` (run only
    /// once the key is this request's, before the change) makes the check that settles a lost
    /// outcome, and a landed change is answered with `answer_for` of the cart. Without a key,
    /// `plan` never runs.
    pub async fn run_settled<F, Fut, P>(
        self,
        body: &impl Serialize,
        cost: Cost,
        plan: P,
        answer_for: fn(Cart) -> Answer,
        operation: F,
    ) -> Result<HttpResponse, CartError>
    where
        F: FnOnce(ShopperSession, CorrelationId) -> Fut,
        Fut: Future<Output = Result<Answer, CartError>>,
        P: Future<Output = Result<OutcomeCheck, CartError>> + 'static,
    {
        let Some(carts) = self.request.app_data::<Data<CartService>>().cloned() else {
            return self
                .run_with(body, cost, true, None::<Repeatable>, operation)
                .await;
        };
        let window = carts.settings().idempotency_settle_window();
        let cx = self.correlation;
        let session = self.session.id();
        let plan = async move {
            let check = plan.await?;
            serde_json::to_value(&check).map_err(|e| CartError::Unexpected(e.into()))
        };
        let settle = Settle {
            plan: plan.boxed_local(),
            check: move |plan: serde_json::Value| {
                let carts = carts.clone();
                async move {
                    let check: OutcomeCheck = serde_json::from_value(plan)
                        .map_err(|e| CartError::Unexpected(e.into()))?;
                    Ok(match carts.settle(&check, session, cx).await? {
                        Settlement::Landed(cart) => Settled::Landed(answer_for(*cart)),
                        Settlement::NotLanded => Settled::NotLanded,
                        Settlement::Changed => Settled::Changed,
                    })
                }
            },
            window,
        };
        self.run_with(body, cost, true, Some(settle), operation)
            .await
    }

    /// Runs `operation` on every request, never from storage: for an answer that must be
    /// fresh each time (a checkout hand-off is a single-use bearer URL, possibly spent by the
    /// time a retry comes, and must not sit in the idempotency table). An Idempotency-Key is
    /// accepted (it was checked to be well formed) and ignored; the fair share is spent as
    /// for any change.
    pub async fn run_fresh<F, Fut>(
        mut self,
        cost: Cost,
        operation: F,
    ) -> Result<HttpResponse, CartError>
    where
        F: FnOnce(ShopperSession, CorrelationId) -> Fut,
        Fut: Future<Output = Result<Answer, CartError>>,
    {
        self.idempotency_key = None;
        self.run_with(&(), cost, false, None::<Repeatable>, operation)
            .await
    }

    /// `first_write`: the change may be the session's first (an add, a recovery).
    async fn run_with<F, Fut, C, CFut>(
        self,
        body: &impl Serialize,
        cost: Cost,
        first_write: bool,
        settle: Option<Settle<C>>,
        operation: F,
    ) -> Result<HttpResponse, CartError>
    where
        F: FnOnce(ShopperSession, CorrelationId) -> Fut,
        Fut: Future<Output = Result<Answer, CartError>>,
        C: Fn(serde_json::Value) -> CFut,
        CFut: Future<Output = Result<Settled, CartError>>,
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
        let shares = self
            .request
            .app_data::<Data<FairShares>>()
            .cloned()
            .ok_or_else(|| {
                CartError::Unexpected(anyhow::anyhow!("FairShares is not registered"))
            })?;
        let print = fingerprint(self.request.method().as_str(), self.request.path(), body);
        let estimate = cost.calls_for(&self.session);
        let Mutation {
            session,
            idempotency_key,
            correlation,
            request,
        } = self;
        let spender = Spender::new(
            Some(session.id()),
            crate::client_address::client_key(&request),
        );
        let session_id = session.id();
        let stored_before = session.is_stored();
        let after = session.clone();
        // The estimate is the gate, charged when the change runs (a replay costs nothing); what
        // the request costs is every call it made: the change's, and any read made to settle
        // a key's lost outcome or to plan for one.
        let gate = Rc::new(Cell::new(None::<Charged>));
        let charged_run = {
            let (gate, shares) = (Rc::clone(&gate), shares.clone());
            move || async move {
                gate.set(Some(shares.spend(spender, estimate).await?));
                operation(session, correlation).await
            }
        };
        let (response, made) = calls::counted(async {
            match idempotency_key {
                Some(key) if stored_before => {
                    run_idempotent(
                        &pool,
                        session_id,
                        Some(key),
                        print,
                        ttl,
                        settle,
                        charged_run,
                    )
                    .await
                }
                // A session without a row: no other request can send its key (the browser has no
                // cookie yet), so nothing is stored before the change runs. The key is kept only
                // if the change stored the session (a guessed recovery token, a refused add,
                // store nothing), so a retry with the new cookie replays the answer.
                Some(key) if first_write => {
                    let plan = match settle {
                        Some(settle) => Some(settle.plan.await?),
                        None => None,
                    };
                    let outcome = charged_run().await;
                    let stored = after.is_stored();
                    keep_first_write(&pool, session_id, stored, key, print, ttl, plan, outcome)
                        .await
                }
                // A change that needs a cart the session has not got changes nothing and calls
                // nobody, so there is no key to keep.
                _ => run_idempotent(&pool, session_id, None, print, ttl, settle, charged_run).await,
            }
        })
        .await;
        match gate.take() {
            Some(charged) => shares.settle(charged, made).await,
            None => shares.charge_extra(spender, made).await,
        }
        response
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
            Ok(Mutation {
                session,
                idempotency_key,
                correlation: correlation_id(&req),
                request: req,
            })
        })
    }
}
