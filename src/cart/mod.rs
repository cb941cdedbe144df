//! The cart service: the rules of session-bound BigCommerce carts.

mod error;
mod hand_off;
mod lines;
mod selections;
mod service;
mod sign_in;
mod store;
mod sweep;

pub use error::{rejection_code, CartError};
pub use hand_off::{HandOff, HandOffTarget};
pub use service::CartService;
pub use sign_in::{SignInCartOutcome, SignedInCart};
pub(crate) use store::{forget_cart, mark_snapshot_stale};
pub use sweep::sweep_orphan_snapshots;
