//! Why a cart operation failed, independent of how it is shown (JSON API or HTML page).

use std::collections::BTreeMap;

/// A refused cart operation.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CartError {
    #[error("cart not found")]
    CartNotFound,
    #[error("line item not found")]
    ItemNotFound,
    #[error("version conflict")]
    VersionConflict,
    /// A bad request that BigCommerce answers with 400 (e.g. a non-transactional currency).
    #[error("{0}")]
    BadRequest(String),
    /// A product's minimum or maximum per order: 409 in BigCommerce's troubleshooting guide,
    /// 422 in a captured answer; the status is `behaviours.purchase_limit_status`.
    #[error("{0}")]
    PurchaseLimit(String),
    /// A coupon code refused (unknown, expired, not eligible, one too many): status
    /// `behaviours.coupon_error_status`.
    #[error("{0}")]
    CouponRefused(String),
    /// Removing a code the checkout does not carry.
    #[error("coupon not applied")]
    CouponNotApplied,
    /// A consignment id the checkout does not have.
    #[error("consignment not found")]
    ConsignmentNotFound,
    /// BigCommerce's 422 with its title and optional per-field errors.
    #[error("{title}")]
    Unprocessable {
        title: String,
        errors: Option<BTreeMap<String, String>>,
    },
}
