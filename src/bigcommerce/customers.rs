//! Customer credentials and BigCommerce's clock.

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;

use super::client::{Call, CorrelationId};
use super::{BigCommerceClient, BigCommerceError};
use crate::domain::{CustomerId, EmailAddress};

#[derive(Deserialize)]
struct Validation {
    is_valid: bool,
    #[serde(default)]
    customer_id: Option<i64>,
}

#[derive(Deserialize)]
struct ServerTime {
    time: i64,
}

impl BigCommerceClient {
    /// `POST /customers/validate-credentials`: the customer these credentials sign in, if any.
    /// (Its answer has no `data` envelope.)
    pub async fn validate_credentials(
        &self,
        email: &EmailAddress,
        password: &SecretString,
        channel_id: u32,
        cx: CorrelationId,
    ) -> Result<Option<CustomerId>, BigCommerceError> {
        let call = Call {
            method: Method::POST,
            path: "v3/customers/validate-credentials".into(),
            endpoint: "POST /v3/customers/validate-credentials",
            query: &[],
            body: Some(json!({
                "email": email.as_str(),
                "password": password.expose_secret(),
                "channel_id": channel_id,
            })),
            idempotent: true,
        };
        let validation: Validation = match self.send(call, cx).await {
            Ok(answer) => answer.json()?,
            // 422: BigCommerce found the input unusable, which for us is a failed sign-in.
            Err(BigCommerceError::Rejected { .. }) => return Ok(None),
            Err(error) => return Err(error),
        };
        if !validation.is_valid {
            return Ok(None);
        }
        validation
            .customer_id
            .map(|id| CustomerId::parse(id).map_err(|e| BigCommerceError::Unexpected(e.into())))
            .transpose()
    }

    /// `GET /v2/time`: BigCommerce's clock, in Unix seconds.
    pub async fn server_time(&self, cx: CorrelationId) -> Result<i64, BigCommerceError> {
        let call = Call {
            method: Method::GET,
            path: "v2/time".into(),
            endpoint: "GET /v2/time",
            query: &[],
            body: None,
            idempotent: true,
        };
        let time: ServerTime = self.send(call, cx).await?.json()?;
        Ok(time.time)
    }
}
