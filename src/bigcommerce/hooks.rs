//! The Webhooks API (`/v3/hooks`): listing the store's hooks, creating one, and repairing one
//! (`PUT /v3/hooks/{id}`: reactivating it, or setting its secret header again).
//!
//! A hook's `headers` carry our shared secret, so they never leave this module: callers see
//! only whether a hook carries the header and value they expect.

use std::collections::BTreeMap;

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;

use super::client::{Call, CorrelationId};
use super::wire::Envelope;
use super::{BigCommerceClient, BigCommerceError};

/// Hooks asked for per page; BigCommerce's maximum.
const PAGE_SIZE: &str = "250";
/// A guard against a pagination answer that never ends.
const MAX_PAGES: u32 = 100;

/// A webhook registered with the store.
#[derive(Debug, Clone)]
pub struct Hook {
    pub id: i64,
    pub scope: String,
    pub destination: String,
    pub is_active: bool,
    /// Whether the hook sends back exactly the secret header we expect (see
    /// [`BigCommerceClient::list_hooks`]).
    pub carries_secret: bool,
}

/// What a new hook is created with.
pub struct NewHook<'a> {
    pub scope: &'a str,
    pub destination: &'a str,
    /// The custom header BigCommerce sends back on every callback, and its secret value.
    pub secret_header: &'a str,
    pub secret: &'a SecretString,
}

#[derive(Deserialize)]
struct WireHook {
    id: i64,
    scope: String,
    destination: String,
    #[serde(default)]
    is_active: bool,
    #[serde(default)]
    headers: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct HookPage {
    data: Vec<WireHook>,
    #[serde(default)]
    meta: PageMeta,
}

#[derive(Deserialize, Default)]
struct PageMeta {
    pagination: Option<Pagination>,
}

#[derive(Deserialize)]
struct Pagination {
    current_page: u32,
    total_pages: u32,
}

impl WireHook {
    fn into_hook(self, secret_header: &str, secret: &SecretString) -> Hook {
        // Header names are case-insensitive in HTTP; the value must match exactly.
        let carries_secret = self.headers.iter().flatten().any(|(name, value)| {
            name.eq_ignore_ascii_case(secret_header) && value == secret.expose_secret()
        });
        Hook {
            id: self.id,
            scope: self.scope,
            destination: self.destination,
            is_active: self.is_active,
            carries_secret,
        }
    }
}

impl BigCommerceClient {
    /// `GET /v3/hooks`, every page. `carries_secret` is computed against `secret_header` and
    /// `secret`, so the values BigCommerce holds are never handed out.
    pub async fn list_hooks(
        &self,
        secret_header: &str,
        secret: &SecretString,
        cx: CorrelationId,
    ) -> Result<Vec<Hook>, BigCommerceError> {
        let mut hooks = Vec::new();
        for page in 1..=MAX_PAGES {
            let page_number = page.to_string();
            let call = Call {
                method: Method::GET,
                path: "v3/hooks".into(),
                endpoint: "GET /v3/hooks",
                query: &[("page", &page_number), ("limit", PAGE_SIZE)],
                body: None,
                idempotent: true,
            };
            let answer: HookPage = self.send(call, cx).await?.json()?;
            let fetched = answer.data.len();
            hooks.extend(
                answer
                    .data
                    .into_iter()
                    .map(|hook| hook.into_hook(secret_header, secret)),
            );
            let last_page = match answer.meta.pagination {
                Some(p) => p.current_page >= p.total_pages,
                None => true,
            };
            if last_page || fetched == 0 {
                break;
            }
        }
        Ok(hooks)
    }

    /// `POST /v3/hooks`: an active hook that sends `new.secret` in `new.secret_header`.
    pub async fn create_hook(
        &self,
        new: &NewHook<'_>,
        cx: CorrelationId,
    ) -> Result<Hook, BigCommerceError> {
        let call = Call {
            method: Method::POST,
            path: "v3/hooks".into(),
            endpoint: "POST /v3/hooks",
            query: &[],
            body: Some(json!({
                "scope": new.scope,
                "destination": new.destination,
                "is_active": true,
                "headers": {new.secret_header: new.secret.expose_secret()},
            })),
            // BigCommerce refuses a second hook for the same scope and destination, so a
            // blind retry could only fail; the caller lists again instead.
            idempotent: false,
        };
        let envelope: Envelope<WireHook> = self.send(call, cx).await?.json()?;
        Ok(envelope.data.into_hook(new.secret_header, new.secret))
    }
}

/// What a repair of an existing hook sets again.
pub struct HookRepair<'a> {
    pub id: i64,
    /// The custom header BigCommerce sends back on every callback, and its secret value.
    pub secret_header: &'a str,
    pub secret: &'a SecretString,
}

impl BigCommerceClient {
    /// `PUT /v3/hooks/{id}`: active again, sending `repair.secret` in `repair.secret_header`.
    /// BigCommerce deactivates a hook after about 48 hours of failed deliveries, and only
    /// this brings it back.
    pub async fn repair_hook(
        &self,
        repair: &HookRepair<'_>,
        cx: CorrelationId,
    ) -> Result<Hook, BigCommerceError> {
        let call = Call {
            method: Method::PUT,
            path: format!("v3/hooks/{}", repair.id),
            endpoint: "PUT /v3/hooks/{id}",
            query: &[],
            body: Some(json!({
                "is_active": true,
                "headers": {repair.secret_header: repair.secret.expose_secret()},
            })),
            // Setting the same fields twice changes nothing more.
            idempotent: true,
        };
        let envelope: Envelope<WireHook> = self.send(call, cx).await?.json()?;
        Ok(envelope.data.into_hook(repair.secret_header, repair.secret))
    }
}
