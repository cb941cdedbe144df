//! A callback's payload, read minimally: the scope, the dedupe key and the cart id. Nothing
//! else in it is trusted or used; the cart's contents are only ever read from BigCommerce.

use serde::Deserialize;
use serde_json::Value;

use super::WebhookError;
use crate::cart::EchoKind;
use crate::domain::CartId;

/// What a callback asks of us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CartAction {
    /// Converted into an order or deleted: every session and customer lets go of it.
    Forget(CartId),
    /// Changed where we cannot see: the next read asks BigCommerce.
    MarkStale(CartId),
    /// Idle for an hour: counted.
    Abandoned(CartId),
    /// A scope we do not act on.
    Ignore,
}

/// One callback, as far as we read it.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The scope as a fixed label (`other` for scopes we do not know), for metrics.
    pub scope: &'static str,
    /// BigCommerce's `hash`: the SHA-1 of `data`, the same on every retry.
    pub hash: String,
    /// The payload's `created_at` (Unix seconds), when it has one. Whether it is the event's
    /// time or the hook's creation time is unconfirmed, so it is only ever used as a hint.
    pub created_at: Option<i64>,
    pub action: CartAction,
}

/// The scopes we act on, and how. Anything else is answered 200 and ignored.
type ToAction = fn(CartId) -> CartAction;
const ACTIONS: [(&str, ToAction); 8] = [
    ("store/cart/converted", CartAction::Forget),
    ("store/cart/deleted", CartAction::Forget),
    ("store/cart/updated", CartAction::MarkStale),
    ("store/cart/couponApplied", CartAction::MarkStale),
    ("store/cart/lineItem/created", CartAction::MarkStale),
    ("store/cart/lineItem/updated", CartAction::MarkStale),
    ("store/cart/lineItem/deleted", CartAction::MarkStale),
    ("store/cart/abandoned", CartAction::Abandoned),
];

#[derive(Deserialize)]
struct Payload {
    scope: String,
    hash: String,
    /// Documented as an integer, but only a hint: read leniently, never a reason to refuse.
    #[serde(default)]
    created_at: Value,
    #[serde(default)]
    data: Value,
}

/// `created_at` as Unix seconds: an integer, a float (truncated) or a numeric string; anything
/// else (absent, `null`, other text, out of range) is no time at all.
fn unix_seconds(value: &Value) -> Option<i64> {
    let seconds = match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().and_then(whole_seconds)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().and_then(whole_seconds))
        }
        _ => None,
    }?;
    (seconds >= 0).then_some(seconds)
}

fn whole_seconds(seconds: f64) -> Option<i64> {
    // Finite and well within i64 (1e15 seconds is some 30 million years).
    (seconds.is_finite() && seconds.abs() < 1e15).then(|| seconds.trunc() as i64)
}

impl Delivery {
    /// Reads a callback body.
    pub fn parse(body: &[u8]) -> Result<Self, WebhookError> {
        let payload: Payload = serde_json::from_slice(body)
            .map_err(|e| WebhookError::Invalid(format!("not a webhook payload: {e}")))?;
        if payload.hash.is_empty() || payload.hash.len() > 128 {
            return Err(WebhookError::Invalid("`hash` is empty or too long".into()));
        }
        let known = ACTIONS
            .iter()
            .find(|(scope, _)| *scope == payload.scope.as_str());
        let (scope, action) = match known {
            Some((scope, action)) => (*scope, action(cart_id(scope, &payload.data)?)),
            None => ("other", CartAction::Ignore),
        };
        Ok(Self {
            scope,
            hash: payload.hash,
            created_at: unix_seconds(&payload.created_at),
            action,
        })
    }

    /// Which kind of our own changes' callbacks this could be an echo of.
    pub fn echo(&self) -> Option<EchoKind> {
        match self.scope {
            // A coupon we applied is reported as `couponApplied` besides `updated`: both are
            // counted as the change's cart-level echoes.
            "store/cart/updated" | "store/cart/couponApplied" => Some(EchoKind::Updated),
            scope if scope.starts_with("store/cart/lineItem/") => Some(EchoKind::LineItem),
            _ => None,
        }
    }
}

/// The cart a payload names: `data.id` for cart scopes, `data.cartId` for line items
/// (whose `data.id` is the line's id).
fn cart_id(scope: &str, data: &Value) -> Result<CartId, WebhookError> {
    let field = if scope.starts_with("store/cart/lineItem/") {
        "cartId"
    } else {
        "id"
    };
    data.get(field)
        .and_then(Value::as_str)
        .and_then(|id| CartId::parse(id).ok())
        .ok_or_else(|| WebhookError::Invalid(format!("`data.{field}` is not a cart id")))
}

#[cfg(test)]
mod tests {
    use super::{CartAction, Delivery};
    use serde_json::json;

    const CART: &str = "d30016e2-23c0-4a90-884f-2e92ac135476";

    fn parse(value: serde_json::Value) -> Result<Delivery, super::WebhookError> {
        Delivery::parse(value.to_string().as_bytes())
    }

    fn payload(scope: &str, data: serde_json::Value) -> serde_json::Value {
        json!({"scope": scope, "store_id": "1", "data": data, "hash": "abc",
               "created_at": 1561486893, "producer": "stores/x"})
    }

    #[test]
    fn each_scope_maps_to_its_action() {
        let cart = json!({"type": "cart", "id": CART});
        let line = json!({"type": "cart_line_item", "id": "7c7e1e3e-0000-4000-8000-000000000000", "cartId": CART});
        let cases = [
            ("store/cart/converted", cart.clone(), "forget"),
            ("store/cart/deleted", cart.clone(), "forget"),
            ("store/cart/updated", cart.clone(), "stale"),
            ("store/cart/lineItem/updated", line.clone(), "stale"),
            ("store/cart/lineItem/deleted", line, "stale"),
            ("store/cart/abandoned", cart.clone(), "abandoned"),
            ("store/cart/created", cart.clone(), "ignore"),
            ("store/product/updated", json!({"id": 5}), "ignore"),
        ];
        for (scope, data, expected) in cases {
            let delivery = parse(payload(scope, data)).expect(scope);
            let got = match delivery.action {
                CartAction::Forget(id) => {
                    assert_eq!(id.to_string(), CART, "{scope}");
                    "forget"
                }
                CartAction::MarkStale(id) => {
                    assert_eq!(id.to_string(), CART, "{scope}");
                    "stale"
                }
                CartAction::Abandoned(_) => "abandoned",
                CartAction::Ignore => "ignore",
            };
            assert_eq!(got, expected, "{scope}");
        }
    }

    #[test]
    fn a_payload_without_created_at_is_read() {
        let mut body = payload("store/cart/updated", json!({"type": "cart", "id": CART}));
        body.as_object_mut().expect("object").remove("created_at");
        let delivery = parse(body).expect("parses");
        assert_eq!(delivery.created_at, None);
        assert!(matches!(delivery.action, CartAction::MarkStale(_)));
    }

    #[test]
    fn created_at_is_read_leniently_and_never_refuses_a_payload() {
        let cases = [
            (json!(1561486893), Some(1561486893)),
            (json!("1561486893"), Some(1561486893)),
            (json!(" 1561486893 "), Some(1561486893)),
            (json!(1561486893.7), Some(1561486893)),
            (json!("1561486893.7"), Some(1561486893)),
            (json!("2019-06-25T18:21:33Z"), None),
            (json!("NaN"), None),
            (json!(1e300), None),
            (json!(-5), None),
            (json!(null), None),
            (json!({"seconds": 1}), None),
            (json!(true), None),
        ];
        for (created_at, expected) in cases {
            let mut body = payload("store/cart/updated", json!({"type": "cart", "id": CART}));
            body["created_at"] = created_at.clone();
            let delivery = parse(body).unwrap_or_else(|_| panic!("refused {created_at}"));
            assert_eq!(delivery.created_at, expected, "{created_at}");
        }
    }

    #[test]
    fn unknown_scopes_get_a_fixed_metrics_label() {
        let delivery = parse(payload("store/made/up", json!({}))).expect("parses");
        assert_eq!(delivery.scope, "other");
    }

    #[test]
    fn malformed_payloads_are_refused() {
        let cases = [
            (json!([1, 2]), "not an object"),
            (
                json!({"scope": "store/cart/updated", "data": {"id": CART}}),
                "no hash",
            ),
            (
                payload("store/cart/updated", json!({"id": "not-a-uuid"})),
                "bad cart id",
            ),
            (
                payload("store/cart/lineItem/updated", json!({"id": CART})),
                "line without cartId",
            ),
            (payload("store/cart/deleted", json!(null)), "no data"),
        ];
        for (body, why) in cases {
            assert!(parse(body).is_err(), "accepted a payload with {why}");
        }
        assert!(Delivery::parse(b"not json").is_err());
    }
}
