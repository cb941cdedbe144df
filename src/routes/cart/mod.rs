//! The headless cart API under `/api/cart`.

mod checkout;
pub mod checkout_dto;
mod clear;
mod coupons;
pub mod dto;
mod get;
mod gift_certificates;
mod items;
mod left_behind;
mod mutation;
mod note;
mod recover;
mod shipping;

pub use checkout::checkout;
pub use clear::clear_cart;
pub use coupons::{apply_coupon, remove_coupon};
pub use get::get_cart;
pub(crate) use get::read_within_share;
pub use gift_certificates::add_gift_certificate;
pub use items::{add_items, remove_item, update_item};
pub use left_behind::act_on_left_behind;
pub use mutation::{correlation_id, Cost, Mutation};
pub use note::set_note;
pub use recover::recover_cart;
pub use shipping::{estimate_shipping, select_shipping_option};

// utoipa's generated path types, for the OpenAPI document.
pub(crate) use checkout::__path_checkout;
pub(crate) use clear::__path_clear_cart;
pub(crate) use coupons::{__path_apply_coupon, __path_remove_coupon};
pub(crate) use get::__path_get_cart;
pub(crate) use gift_certificates::__path_add_gift_certificate;
pub(crate) use items::{__path_add_items, __path_remove_item, __path_update_item};
pub(crate) use left_behind::__path_act_on_left_behind;
pub(crate) use note::__path_set_note;
pub(crate) use recover::__path_recover_cart;
pub(crate) use shipping::{__path_estimate_shipping, __path_select_shipping_option};
