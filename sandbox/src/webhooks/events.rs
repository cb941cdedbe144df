//! Cart events and the `data` each one carries in a store-level webhook payload (§5.3).

use serde_json::{json, Value};
use uuid::Uuid;

/// Something that happened to a cart that a `store/cart/...` hook may want to hear about.
#[derive(Debug, Clone, PartialEq)]
pub enum CartEvent {
    Created { cart_id: Uuid },
    Updated { cart_id: Uuid },
    Deleted { cart_id: Uuid },
    Converted { cart_id: Uuid, order_id: i64 },
    Abandoned { cart_id: Uuid, token: String },
    LineItemCreated { cart_id: Uuid, item_id: Uuid },
    LineItemUpdated { cart_id: Uuid, item_id: Uuid },
    LineItemDeleted { cart_id: Uuid, item_id: Uuid },
    CouponApplied { cart_id: Uuid, coupon_id: i64 },
}

impl CartEvent {
    /// The webhook scope of this event.
    pub fn scope(&self) -> &'static str {
        match self {
            Self::Created { .. } => "store/cart/created",
            Self::Updated { .. } => "store/cart/updated",
            Self::Deleted { .. } => "store/cart/deleted",
            Self::Converted { .. } => "store/cart/converted",
            Self::Abandoned { .. } => "store/cart/abandoned",
            Self::LineItemCreated { .. } => "store/cart/lineItem/created",
            Self::LineItemUpdated { .. } => "store/cart/lineItem/updated",
            Self::LineItemDeleted { .. } => "store/cart/lineItem/deleted",
            Self::CouponApplied { .. } => "store/cart/couponApplied",
        }
    }

    /// The payload's `data` object.
    pub fn data(&self) -> Value {
        match self {
            Self::Created { cart_id } | Self::Updated { cart_id } | Self::Deleted { cart_id } => {
                json!({"type": "cart", "id": cart_id})
            }
            Self::Converted { cart_id, order_id } => {
                json!({"type": "cart", "id": cart_id, "orderId": order_id})
            }
            Self::Abandoned { cart_id, token } => {
                json!({"type": "cart", "id": cart_id, "token": token})
            }
            // docs/webhooks/callbacks/data/store_cart_couponApplied.json
            Self::CouponApplied { cart_id, coupon_id } => {
                json!({"type": "cart", "id": cart_id, "couponId": coupon_id})
            }
            Self::LineItemCreated { cart_id, item_id }
            | Self::LineItemUpdated { cart_id, item_id }
            | Self::LineItemDeleted { cart_id, item_id } => {
                json!({"type": "cart_line_item", "id": item_id, "cartId": cart_id})
            }
        }
    }
}

/// Whether a hook registered for `hook_scope` receives events of `event_scope`:
/// exact match, or a trailing `/*` wildcard (`store/cart/*` also covers lineItem events).
pub fn scope_matches(hook_scope: &str, event_scope: &str) -> bool {
    match hook_scope.strip_suffix('*') {
        Some(prefix) => prefix.ends_with('/') && event_scope.starts_with(prefix),
        None => hook_scope == event_scope,
    }
}

#[cfg(test)]
mod tests {
    use super::scope_matches;

    #[test]
    fn wildcards_cover_nested_scopes() {
        assert!(scope_matches("store/cart/*", "store/cart/created"));
        assert!(scope_matches("store/cart/*", "store/cart/lineItem/created"));
        assert!(scope_matches(
            "store/cart/lineItem/*",
            "store/cart/lineItem/deleted"
        ));
        assert!(!scope_matches(
            "store/cart/lineItem/*",
            "store/cart/created"
        ));
        assert!(!scope_matches("store/cart/created", "store/cart/updated"));
    }
}
