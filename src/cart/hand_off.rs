//! Handing the shopper to BigCommerce's hosted pages. The three URLs of one `redirect_urls`
//! answer share one single-use token (reference §1.1), so opening one spends the others: each
//! hand-off mints its own set and gives the shopper only the URL they asked for.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::CartService;
use super::store;
use super::CartError;
use crate::bigcommerce::{CorrelationId, Priority};
use crate::domain::CustomerId;
use crate::session::ShopperSession;

/// Which hosted page the shopper goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HandOffTarget {
    /// Hosted checkout (`checkout_url`).
    #[default]
    Checkout,
    /// Embedded checkout, for `embedCheckout` (`embedded_checkout_url`).
    EmbeddedCheckout,
    /// The hosted cart page (`cart_url`).
    Cart,
}

/// One URL for one hand-off.
#[derive(Debug, Clone)]
pub struct HandOff {
    pub target: HandOffTarget,
    pub url: String,
}

impl CartService {
    /// A fresh single-use URL to `target`. The shopper may change the cart on BigCommerce's
    /// pages, so the snapshot is marked stale.
    #[tracing::instrument(name = "Check out", skip_all, fields(session.id = %session.id()))]
    pub async fn checkout(
        &self,
        session: &ShopperSession,
        target: HandOffTarget,
        cx: CorrelationId,
    ) -> Result<HandOff, CartError> {
        // Lines the store cannot fulfil stop the checkout before any call; the hosted cart
        // is where they can be fixed, so it is always handed out.
        if let (Some(snapshot), true) = (session.snapshot(), target != HandOffTarget::Cart) {
            let problems = self.checkout_problems(&snapshot.cart, cx).await;
            if !problems.is_empty() {
                return Err(CartError::CartHasProblems(problems));
            }
        }
        let Some(cart) = self.verified_cart(session, Priority::Checkout, cx).await? else {
            return Err(CartError::CartEmpty);
        };
        let urls = match self.bigcommerce.create_redirect_urls(cart, cx).await {
            Ok(urls) => urls,
            Err(error) if error.may_mean_cart_gone() => {
                return match self.settle_gone_cart(cart, cx).await? {
                    Some(_) => Err(error.into()),
                    None => Err(CartError::CartEmpty),
                };
            }
            Err(error) => return Err(error.into()),
        };
        store::mark_snapshot_stale(&self.pool, cart).await?;
        let url = match target {
            HandOffTarget::Checkout => urls.checkout_url,
            HandOffTarget::EmbeddedCheckout => urls.embedded_checkout_url,
            HandOffTarget::Cart => urls.cart_url,
        };
        let customer = session
            .customer_id()
            .and_then(|id| CustomerId::parse(id).ok());
        let url = match (customer, &self.customer_login) {
            (Some(customer), Some(login)) => login.sign_in_url(&url, customer, cx).await?,
            _ => url,
        };
        Ok(HandOff { target, url })
    }
}
