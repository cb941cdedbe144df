//! The cart service: the rules of session-bound BigCommerce carts.

mod changes;
mod coupons;
mod echoes;
mod error;
mod gift_certificates;
mod hand_off;
mod left_behind;
mod lines;
mod moving;
mod note;
mod recovery;
mod selections;
mod service;
mod settle;
mod shared_read;
mod shipping;
mod sign_in;
mod store;
mod sweep;

pub use changes::{Asked, CartChange};
pub use error::{rejection_code, CartError};
pub use hand_off::{HandOff, HandOffTarget};
pub use left_behind::{
    sweep_expired_left_behind, LeftBehind, LeftBehindAction, LeftBehindLine, MovedBack,
};
pub use moving::{CartWarning, WarnedLine, WarningCode};
pub use recovery::{Recovered, RecoveryMode, RecoveryPreview};
pub use service::CartService;
pub use settle::{OutcomeCheck, Settlement};
pub use sign_in::{SignInCartOutcome, SignedInCart};
pub(crate) use store::{forget_cart, note_reported_change};
pub use store::{EchoKind, ReportedChange, OWN_CHANGE_WINDOW};
pub use sweep::sweep_orphan_snapshots;
