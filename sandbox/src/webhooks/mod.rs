//! Webhook callbacks: building BigCommerce's payload and handing it to the delivery worker,
//! which posts it asynchronously (never on the API's request path) and retries failures.

pub mod delivery;
pub mod events;

use serde_json::{json, Value};
use sha1::{Digest, Sha1};

/// The store-level callback body of §5.3; `hash` is the SHA-1 of the serialized `data`,
/// so duplicate deliveries of one event carry the same hash. `created_at` is left out when
/// `None` (some documented payloads have none).
pub fn build_payload(
    scope: &str,
    store_id: &str,
    store_hash: &str,
    data: &Value,
    created_at: Option<i64>,
) -> Value {
    let data_json = serde_json::to_string(data).unwrap_or_default();
    let hash = hex::encode(Sha1::digest(data_json.as_bytes()));
    let mut payload = json!({
        "scope": scope,
        "store_id": store_id,
        "data": data,
        "hash": hash,
        "producer": format!("stores/{store_hash}"),
    });
    if let Some(created_at) = created_at {
        payload["created_at"] = json!(created_at);
    }
    payload
}
