//! Customer Login JWTs: how a signed-in shopper arrives at hosted checkout already signed in.
//! `https://{store}/login/token/{jwt}`, HS256 with the API account's client secret, `iat` on
//! BigCommerce's clock (it accepts a token for about 30 seconds only).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use jsonwebtoken::{EncodingKey, Header};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use url::Url;

use crate::bigcommerce::{BigCommerceClient, BigCommerceError, CorrelationId};
use crate::configuration::BigCommerceSettings;
use crate::domain::CustomerId;

/// How long the measured offset to BigCommerce's clock is trusted.
const CLOCK_OFFSET_TTL: Duration = Duration::from_secs(3600);

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    iat: i64,
    jti: String,
    operation: &'static str,
    store_hash: &'a str,
    customer_id: i64,
    channel_id: u32,
    redirect_to: &'a str,
}

/// Mints Customer Login URLs.
pub struct CustomerLogin {
    bigcommerce: BigCommerceClient,
    client_id: String,
    client_secret: SecretString,
    store_hash: String,
    channel_id: u32,
    /// BigCommerce's clock minus ours, in seconds, and when it was measured.
    clock_offset: Mutex<Option<(Instant, i64)>>,
}

impl CustomerLogin {
    pub fn new(bigcommerce: BigCommerceClient, settings: &BigCommerceSettings) -> Self {
        Self {
            bigcommerce,
            client_id: settings.client_id.clone(),
            client_secret: settings.client_secret.clone(),
            store_hash: settings.store_hash.clone(),
            channel_id: settings.channel_id,
            clock_offset: Mutex::new(None),
        }
    }

    /// The hand-off URL for `customer`: it goes through `/login/token/{jwt}`, so the shopper
    /// arrives at `url` signed in (BigCommerce's guide: a customer's cart is shown only to a
    /// signed-in shopper).
    pub async fn sign_in_url(
        &self,
        url: &str,
        customer: CustomerId,
        cx: CorrelationId,
    ) -> Result<String, BigCommerceError> {
        let now = self.bigcommerce_now(cx).await?;
        self.login_url(url, customer, now)
    }

    fn login_url(
        &self,
        redirect_to: &str,
        customer: CustomerId,
        iat: i64,
    ) -> Result<String, BigCommerceError> {
        let claims = Claims {
            iss: &self.client_id,
            iat,
            jti: uuid::Uuid::new_v4().simple().to_string(),
            operation: "customer_login",
            store_hash: &self.store_hash,
            customer_id: customer.get(),
            channel_id: self.channel_id,
            redirect_to,
        };
        let key = EncodingKey::from_secret(self.client_secret.expose_secret().as_bytes());
        let jwt = jsonwebtoken::encode(&Header::default(), &claims, &key)
            .map_err(|e| BigCommerceError::Unexpected(e.into()))?;
        // The login endpoint lives on the same storefront domain as the checkout URL.
        let mut url =
            Url::parse(redirect_to).map_err(|e| BigCommerceError::Unexpected(e.into()))?;
        url.set_query(None);
        url.set_fragment(None);
        url.set_path(&format!("/login/token/{jwt}"));
        Ok(url.to_string())
    }

    /// Now on BigCommerce's clock, from an offset measured at most an hour ago.
    async fn bigcommerce_now(&self, cx: CorrelationId) -> Result<i64, BigCommerceError> {
        let local_now = time::OffsetDateTime::now_utc().unix_timestamp();
        let cached = self
            .clock_offset
            .lock()
            .ok()
            .and_then(|offset| *offset)
            .filter(|(measured, _)| measured.elapsed() < CLOCK_OFFSET_TTL);
        let offset = match cached {
            Some((_, offset)) => offset,
            None => {
                let server = self.bigcommerce.server_time(cx).await?;
                let offset = server - time::OffsetDateTime::now_utc().unix_timestamp();
                if let Ok(mut slot) = self.clock_offset.lock() {
                    *slot = Some((Instant::now(), offset));
                }
                offset
            }
        };
        Ok(local_now + offset)
    }
}
