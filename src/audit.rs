//! The audit trail: security- and privacy-relevant events, logged under the tracing target
//! `audit` (select them with a filter such as `RUST_LOG=info,audit=info`, or by `target` in the
//! JSON logs). Each is one `tracing::info!(target: "audit", event = "...", ...)` at the point
//! where it happens: `grep -rn 'target: "audit"' src` lists them all.
//!
//! Event names are stable; fields may be added. No event carries a secret, a token, a cookie
//! or an e-mail address: customers are named by their BigCommerce id, sessions by their id
//! (never by their token).
//!
//! | event | when | fields |
//! |---|---|---|
//! | `sign_in` | credentials accepted, session replaced | `customer.id`, `session.id` |
//! | `sign_in_failed` | credentials refused, or too many attempts | `reason` (`invalid_credentials`, `throttled`), `session.id` |
//! | `session_rotated` | a session replaced by a new one under a new token | `previous_session.id`, `session.id`, `customer.id` |
//! | `cart_assigned`, `cart_merged`, `cart_restored` | the sign-in cart rule (`cart::sign_in`) | `customer.id`, `cart.id` |
//! | `recovery_used` | an abandoned-cart link accepted for a session | `session.id`, `cart.id`, `customer.id` (0: a guest cart) |
//! | `webhook_refused` | a callback refused | `reason` (`secret`, `payload`) |
//! | `admin_action` | a command of the command line, or `POST /admin/cache/flush` | `action` (`migrate`, `webhooks_register`, `privacy_export`, `privacy_erase`, `cache_flush`), its figures |

/// The tracing target of audit events (written out as a literal at each event, which
/// `tracing` requires to be a constant).
pub const TARGET: &str = "audit";
