//! The Abandoned Carts API: the token in a recovery e-mail link → the cart it names.

use reqwest::Method;
use serde::Deserialize;

use super::client::{Call, CorrelationId};
use super::wire::Envelope;
use super::{BigCommerceClient, BigCommerceError};
use crate::domain::{CartId, RecoveryToken};

#[derive(Deserialize)]
struct AbandonedCart {
    cart_id: String,
}

impl BigCommerceClient {
    /// `GET /abandoned-carts/{token}`; `None` for a token BigCommerce does not know.
    pub async fn resolve_abandoned_cart(
        &self,
        token: &RecoveryToken,
        cx: CorrelationId,
    ) -> Result<Option<CartId>, BigCommerceError> {
        let call = Call {
            method: Method::GET,
            path: format!("v3/abandoned-carts/{}", token.as_str()),
            endpoint: "GET /v3/abandoned-carts/{token}",
            query: &[],
            body: None,
            idempotent: true,
        };
        let answer = match self.send(call, cx).await {
            Ok(answer) => answer,
            // BigCommerce answers 400 "Input is invalid." for a malformed token.
            Err(BigCommerceError::NotFound | BigCommerceError::Rejected { .. }) => return Ok(None),
            Err(error) => return Err(error),
        };
        let envelope: Envelope<AbandonedCart> = answer.json()?;
        CartId::parse(&envelope.data.cart_id)
            .map(Some)
            .map_err(|e| {
                BigCommerceError::Unexpected(anyhow::anyhow!(
                    "abandoned cart id is not a UUID: {e}"
                ))
            })
    }
}
