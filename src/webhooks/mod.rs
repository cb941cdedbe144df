//! BigCommerce webhooks: how the service hears about cart changes it did not make (an order
//! placed on hosted checkout, an edit on the hosted cart page, a cart deleted or expired).
//!
//! - `receive`: the callback route. It authenticates the shared secret header, reads a small
//!   body, acts on the cart id alone (no BigCommerce call), and answers 200 at once.
//! - `register`: the `checkout-bff webhooks register|list` logic, which subscribes the store
//!   and repairs deactivated hooks and stale secrets.
//! - `store`: the record of deliveries already processed, for deduplication, and its sweep.

mod auth;
mod error;
mod event;
mod receive;
mod register;
mod store;

pub use error::WebhookError;
pub use event::{CartAction, Delivery};
pub use receive::configure;
pub use register::{register_hooks, scopes, Registration, COUPON_SCOPE, SCOPES};
pub use store::sweep_old_deliveries;
