//! Shopper accounts: sign-in through BigCommerce's credential check, session rotation, and
//! handing the shopper's cart over to the customer (the rule lives in `cart::sign_in`).

mod customer_login;
mod error;
mod store;
mod throttle;

pub use customer_login::CustomerLogin;
pub use error::AccountError;
pub use store::{set_pending_recovery, take_pending_recovery};
pub use throttle::LoginThrottle;

use std::net::IpAddr;

use secrecy::SecretString;
use sqlx::PgPool;
use uuid::Uuid;

use crate::bigcommerce::{BigCommerceClient, CorrelationId};
use crate::cart::{CartService, SignInCartOutcome};
use crate::configuration::SessionSettings;
use crate::domain::{Cart, CustomerId, EmailAddress};
use crate::session::{SessionToken, ShopperSession};

/// A successful sign-in.
pub struct SignedIn {
    pub customer: CustomerId,
    /// The new session (the old one is gone) and the token the browser must now hold.
    pub session_id: Uuid,
    pub token: SessionToken,
    pub cart: Option<Cart>,
    pub outcome: Option<SignInCartOutcome>,
}

/// Sign-in and sign-out.
pub struct Accounts {
    pool: PgPool,
    bigcommerce: BigCommerceClient,
    throttle: LoginThrottle,
    session_settings: SessionSettings,
    channel_id: u32,
}

impl Accounts {
    pub fn new(
        pool: PgPool,
        bigcommerce: BigCommerceClient,
        throttle: LoginThrottle,
        session_settings: SessionSettings,
        channel_id: u32,
    ) -> Self {
        Self {
            pool,
            bigcommerce,
            throttle,
            session_settings,
            channel_id,
        }
    }

    pub fn throttle(&self) -> &LoginThrottle {
        &self.throttle
    }

    /// Checks the credentials with BigCommerce, applies the cart rule, and replaces the session
    /// with a signed-in one under a new token.
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
        self.throttle
            .check(client_ip, email)
            .map_err(AccountError::TooManyAttempts)?;
        let customer = self
            .bigcommerce
            .validate_credentials(email, password, self.channel_id, cx)
            .await
            .map_err(sign_in_refusal)?
            .ok_or(AccountError::InvalidCredentials)?;
        tracing::Span::current().record("customer.id", customer.get());
        let remembered = store::customer_cart(&self.pool, customer).await?;
        let cart = carts.sign_in(session, customer, remembered, cx).await?;
        let token = SessionToken::generate().map_err(|e| AccountError::Unexpected(e.into()))?;
        let session_id = store::rotate_into_signed_in_session(
            &self.pool,
            session.id(),
            &token.hash(),
            customer,
            email.as_str(),
            cart.cart_id,
            &self.session_settings,
        )
        .await?;
        Ok(SignedIn {
            customer,
            session_id,
            token,
            cart: cart.cart,
            outcome: cart.outcome,
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
