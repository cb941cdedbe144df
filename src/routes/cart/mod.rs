//! The headless cart API under `/api/cart`.

mod checkout;
mod clear;
mod coupons;
pub mod dto;
mod get;
mod items;
mod left_behind;
mod mutation;
mod recover;

pub use checkout::checkout;
pub use clear::clear_cart;
pub use coupons::{apply_coupon, remove_coupon};
pub use get::get_cart;
pub(crate) use get::read_within_share;
pub use items::{add_items, remove_item, update_item};
pub use left_behind::act_on_left_behind;
pub use mutation::{correlation_id, Cost, Mutation};
pub use recover::recover_cart;

// utoipa's generated path types, for the OpenAPI document.
pub(crate) use checkout::__path_checkout;
pub(crate) use clear::__path_clear_cart;
pub(crate) use coupons::{__path_apply_coupon, __path_remove_coupon};
pub(crate) use get::__path_get_cart;
pub(crate) use items::{__path_add_items, __path_remove_item, __path_update_item};
pub(crate) use left_behind::__path_act_on_left_behind;
pub(crate) use recover::__path_recover_cart;
