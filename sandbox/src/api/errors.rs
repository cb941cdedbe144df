//! BigCommerce's v3 error body `{status, title, type, errors?}` and the mapping of cart errors
//! onto it (including the 500-on-missing-cart-write quirk).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::state::errors::CartError;
use crate::state::AppState;

/// The `type` every BigCommerce v3 error carries.
pub const ERROR_TYPE: &str =
    "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes";

/// A BigCommerce error response.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub title: Option<String>,
    pub errors: Option<BTreeMap<String, String>>,
    /// The Checkouts API's 404 shape: `{"errors": [{status, title, type, detail}]}`.
    pub listed: bool,
}

impl ApiError {
    pub fn new(status: u16, title: impl Into<String>) -> Self {
        Self {
            status,
            title: Some(title.into()),
            errors: None,
            listed: false,
        }
    }

    /// A body with only `status` and `type`, as real 404s for carts look.
    pub fn untitled(status: u16) -> Self {
        Self {
            status,
            title: None,
            errors: None,
            listed: false,
        }
    }

    pub fn with_errors(mut self, errors: BTreeMap<String, String>) -> Self {
        self.errors = Some(errors);
        self
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "You are not authorized to access this resource.")
    }

    pub fn not_found() -> Self {
        Self::new(404, "The resource at that URL is not found.")
    }

    /// A checkout that does not exist, as the Checkouts spec types it (`reference/checkouts.v3.yml`,
    /// `GET /checkouts/{checkoutId}` 404; real bodies are unconfirmed, so is the title).
    pub fn checkout_not_found() -> Self {
        Self {
            status: 404,
            title: Some("Checkout not found".to_owned()),
            errors: None,
            listed: true,
        }
    }

    pub fn body(&self) -> Value {
        if self.listed {
            let title = self.title.clone().unwrap_or_default();
            return json!({"errors": [{
                "status": self.status, "title": title, "type": ERROR_TYPE, "detail": title,
            }]});
        }
        let mut v = json!({"status": self.status, "type": ERROR_TYPE});
        if let Some(obj) = v.as_object_mut() {
            if let Some(title) = &self.title {
                obj.insert("title".to_owned(), Value::String(title.clone()));
            }
            if let Some(errors) = &self.errors {
                obj.insert("errors".to_owned(), json!(errors));
            }
        }
        v
    }
}

/// 404 for a cart that does not exist (read), titled only if configured so.
pub fn cart_not_found(state: &AppState) -> ApiError {
    if state.config.behaviours.cart_not_found_title {
        ApiError::new(404, "Cart not found")
    } else {
        ApiError::untitled(404)
    }
}

/// Maps a cart error; `write` selects the configured status for changing a missing cart.
pub fn from_cart_error(state: &AppState, error: CartError, write: bool) -> ApiError {
    match error {
        CartError::CartNotFound if write => {
            match state.config.behaviours.missing_cart_write_status {
                404 => cart_not_found(state),
                status => ApiError::new(status, "Internal Server Error"),
            }
        }
        CartError::CartNotFound => cart_not_found(state),
        CartError::ItemNotFound => ApiError::new(404, "Line item not found"),
        CartError::VersionConflict => ApiError::new(
            409,
            "The request cannot be processed due to a possible conflict. Please review the changes and try again.",
        ),
        CartError::BadRequest(title) => ApiError::new(400, title),
        CartError::PurchaseLimit(title) => {
            ApiError::new(state.config.behaviours.purchase_limit_status, title)
        }
        CartError::CouponRefused(title) => {
            ApiError::new(state.config.behaviours.coupon_error_status, title)
        }
        CartError::CouponNotApplied => ApiError {
            title: Some("Coupon code not found".to_owned()),
            ..ApiError::checkout_not_found()
        },
        CartError::ConsignmentNotFound => ApiError {
            title: Some("Consignment not found".to_owned()),
            ..ApiError::checkout_not_found()
        },
        CartError::Unprocessable { title, errors } => ApiError {
            status: 422,
            title: Some(title),
            errors,
            listed: false,
        },
    }
}
