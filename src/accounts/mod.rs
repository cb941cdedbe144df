//! Shopper accounts: sign-in through BigCommerce's credential check, session rotation, and
//! handing the shopper's cart over to the customer (the rule lives in `cart::sign_in`).

mod customer_login;
mod error;
mod store;

pub use customer_login::CustomerLogin;
pub use error::AccountError;

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use sqlx::PgPool;
use uuid::Uuid;

use crate::bigcommerce::{calls, BigCommerceClient, BigCommerceError, CorrelationId};
use crate::cart::{CartService, CartWarning, SignInCartOutcome};
use crate::configuration::SessionSettings;
use crate::domain::{Cart, CustomerId, EmailAddress};
use crate::fair_shares::{FairShares, ShareError, Spender};
use crate::session::{SessionToken, ShopperSession};
use store::SignInClaim;

/// How often a waiting sign-in looks again.
const SIGN_IN_POLL: Duration = Duration::from_millis(25);

/// A successful sign-in.
pub struct SignedIn {
    pub customer: CustomerId,
    /// The new session (the old one is gone) and the token the browser must now hold.
    pub session_id: Uuid,
    pub token: SessionToken,
    pub cart: Option<Cart>,
    pub outcome: Option<SignInCartOutcome>,
    /// What did not go as the cart rule says (lines that did not move, a cart kept as it was).
    pub warnings: Vec<CartWarning>,
}

/// Sign-in and sign-out.
pub struct Accounts {
    pool: PgPool,
    bigcommerce: BigCommerceClient,
    shares: Arc<FairShares>,
    session_settings: SessionSettings,
    channel_id: u32,
}

impl Accounts {
    pub fn new(
        pool: PgPool,
        bigcommerce: BigCommerceClient,
        shares: Arc<FairShares>,
        session_settings: SessionSettings,
        channel_id: u32,
    ) -> Self {
        Self {
            pool,
            bigcommerce,
            shares,
            session_settings,
            channel_id,
        }
    }

    /// Checks the credentials with BigCommerce, applies the cart rule, and replaces the session
    /// with a signed-in one under a new token. The attempt spends the client's fair shares
    /// first; only wrong credentials count as a failed sign-in for this address and e-mail.
    #[tracing::instrument(name = "Sign in", skip_all, fields(session.id = %session.id(), customer.id))]
    pub async fn sign_in(
        &self,
        session: &ShopperSession,
        client_ip: Option<IpAddr>,
        email: &EmailAddress,
        password: &SecretString,
        carts: &CartService,
        cx: CorrelationId,
    ) -> Result<SignedIn, AccountError> {
        let spender = Spender::new(Some(session.id()), client_ip);
        let charge = self
            .shares
            .spend_sign_in(spender, email)
            .await
            .inspect_err(|refused| {
                if let ShareError::Spent { share, .. } = refused {
                    tracing::info!(target: "audit", event = "sign_in_failed", reason = "throttled", share = share.label(), session.id = %session.id());
                }
            })?;
        let checked = self
            .bigcommerce
            .validate_credentials(email, password, self.channel_id, cx)
            .await;
        let customer = match checked {
            Ok(Some(customer)) => customer,
            Ok(None) => {
                tracing::info!(target: "audit", event = "sign_in_failed", reason = "invalid_credentials", session.id = %session.id());
                return Err(AccountError::InvalidCredentials);
            }
            Err(error @ BigCommerceError::Busy { .. }) => {
                // Never sent (the store's budget shed it): it cost nothing.
                self.shares.refund_sign_in(charge).await;
                return Err(sign_in_refusal(error));
            }
            Err(error) => {
                // BigCommerce could not tell: no guess was judged, so none is counted.
                self.shares.forgive(charge).await;
                return Err(sign_in_refusal(error));
            }
        };
        self.shares.forgive(charge).await;
        tracing::Span::current().record("customer.id", customer.get());
        // Two sign-ins of one session at once hand its cart over once: the second waits for
        // the first, and finds the session gone (rotated) with nothing left to hand over.
        // A session without a row has no guest cart to hand over, and nothing to claim.
        let still_there = session.is_stored() && self.claim(session).await?;
        let finishing =
            Box::pin(self.finish_sign_in(session, still_there, customer, email, carts, cx));
        // Handing the cart over calls BigCommerce too (assigning, merging): those calls are
        // charged to the client's shares like any other, beyond the credential check's one.
        let (result, handed_over) = calls::counted(async {
            if still_there {
                self.holding_lease(session.id(), finishing).await
            } else {
                finishing.await
            }
        })
        .await;
        self.shares.charge_extra(spender, handed_over).await;
        if let Ok(signed_in) = &result {
            tracing::info!(target: "audit", event = "sign_in", customer.id = customer.get(), session.id = %signed_in.session_id);
        }
        if result.is_err() && still_there {
            if let Err(error) = store::release_sign_in_claim(&self.pool, session.id()).await {
                tracing::warn!(error = %error, "could not release a sign-in claim");
            }
        }
        result
    }

    /// Takes the session's sign-in lease; `false` when the session is gone or the other
    /// sign-in outlived its lease (then there is no guest cart to hand over).
    async fn claim(&self, session: &ShopperSession) -> Result<bool, AccountError> {
        let lease = self.session_settings.sign_in_lease();
        let deadline = Instant::now() + lease;
        loop {
            match store::claim_sign_in(&self.pool, session.id(), lease).await? {
                SignInClaim::Claimed => return Ok(true),
                SignInClaim::Gone => return Ok(false),
                SignInClaim::Busy if Instant::now() < deadline => {
                    tokio::time::sleep(SIGN_IN_POLL).await;
                }
                SignInClaim::Busy => return Ok(false),
            }
        }
    }

    /// Runs `work` while renewing the session's sign-in lease, so a merge slower than the
    /// lease is never joined by a second one. If the request dies, renewal stops with it and
    /// the lease runs out.
    async fn holding_lease<T>(&self, session: Uuid, work: impl Future<Output = T>) -> T {
        tokio::pin!(work);
        let lease = self.session_settings.sign_in_lease();
        let mut renewals = tokio::time::interval(lease / 4);
        renewals.tick().await;
        loop {
            tokio::select! {
                done = &mut work => return done,
                _ = renewals.tick() => {
                    if let Err(error) =
                        store::renew_sign_in_claim(&self.pool, session, lease).await
                    {
                        tracing::warn!(error = %error, "could not renew a sign-in claim");
                    }
                }
            }
        }
    }

    async fn finish_sign_in(
        &self,
        session: &ShopperSession,
        still_there: bool,
        customer: CustomerId,
        email: &EmailAddress,
        carts: &CartService,
        cx: CorrelationId,
    ) -> Result<SignedIn, AccountError> {
        let remembered = store::customer_cart(&self.pool, customer).await?;
        let cart = carts
            .sign_in(still_there.then_some(session), customer, remembered, cx)
            .await?;
        let token = SessionToken::generate().map_err(|e| AccountError::Unexpected(e.into()))?;
        let signed_in = store::SignedInSession {
            customer,
            email: email.as_str(),
            cart: cart.cart_id,
            default_channel: i64::from(self.channel_id),
        };
        let session_id = store::rotate_into_signed_in_session(
            &self.pool,
            session.id(),
            &token.hash(),
            signed_in,
            &self.session_settings,
        )
        .await?;
        tracing::info!(target: "audit", event = "session_rotated", previous_session.id = %session.id(), session.id = %session_id, customer.id = customer.get());
        Ok(SignedIn {
            customer,
            session_id,
            token,
            cart: cart.cart,
            outcome: cart.outcome,
            warnings: cart.warnings,
        })
    }
}

/// BigCommerce limits validate-credentials on its own, more strictly than the store: its 429
/// means too many sign-in attempts, not a store out of quota (cart calls go on).
fn sign_in_refusal(error: crate::bigcommerce::BigCommerceError) -> AccountError {
    match error {
        crate::bigcommerce::BigCommerceError::RateLimited { retry_after } => {
            AccountError::TooManyAttempts(retry_after)
        }
        other => AccountError::Upstream(other),
    }
}
