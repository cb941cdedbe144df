//! Everything a cart operation can fail with, and the problem each becomes.

use std::time::Duration;

use actix_web::{HttpResponse, ResponseError};

use crate::bigcommerce::BigCommerceError;
use crate::database::is_unavailable;
use crate::domain::{CartProblem, InvalidInput};
use crate::errors::{error_chain_fmt, ErrorCode, Problem};
use crate::fair_shares::ShareError;
use crate::session::SessionError;

#[derive(thiserror::Error)]
pub enum CartError {
    #[error("{0}")]
    InvalidInput(#[from] InvalidInput),
    #[error("the cart has no such line")]
    ItemNotFound,
    #[error("the line cannot be changed")]
    LineNotEditable,
    #[error("a promotion added the line")]
    LineAddedByPromotion,
    /// BigCommerce refused the coupon code; its reason.
    #[error("the coupon code was refused: {0}")]
    CouponInvalid(String),
    #[error("the coupon code is not applied")]
    CouponNotApplied,
    #[error("nothing in the cart needs shipping")]
    ShippingNotRequired,
    #[error("the cart has no current shipping estimate")]
    ShippingEstimateRequired,
    /// The option is not one the estimate quoted, or BigCommerce refused it (its reason).
    #[error("the shipping option is not the cart's")]
    ShippingOptionUnknown(Option<String>),
    #[error("the session has no cart")]
    CartEmpty,
    /// Lines the store cannot fulfil as they are (from the cached catalog).
    #[error("lines of the cart cannot be fulfilled")]
    CartHasProblems(Vec<CartProblem>),
    #[error("the recovery token is unknown")]
    RecoveryTokenUnknown,
    #[error("the cart belongs to a customer who is not signed in")]
    SignInRequired,
    #[error("the session's cart is still being created")]
    CartBusy,
    /// Another move of the lines left behind holds them, for about this long.
    #[error("another request is moving the lines left behind")]
    LeftBehindBusy(Duration),
    /// The client's fair share of the store's quota is spent until then.
    #[error("the client's fair share of the store's API quota is spent")]
    TooManyRequests(Duration),
    #[error("the BigCommerce call failed")]
    Upstream(#[from] BigCommerceError),
    #[error("the database is unreachable")]
    DatabaseUnavailable(#[source] sqlx::Error),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("the cart operation failed")]
    Unexpected(#[source] anyhow::Error),
}

impl From<sqlx::Error> for CartError {
    fn from(error: sqlx::Error) -> Self {
        if is_unavailable(&error) {
            Self::DatabaseUnavailable(error)
        } else {
            Self::Unexpected(anyhow::Error::new(error).context("A cart query failed"))
        }
    }
}

impl From<ShareError> for CartError {
    fn from(error: ShareError) -> Self {
        match error {
            ShareError::Spent { wait, .. } => Self::TooManyRequests(wait),
            ShareError::Database(error) => error.into(),
        }
    }
}

impl std::fmt::Debug for CartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        error_chain_fmt(self, f)
    }
}

impl CartError {
    pub fn problem(&self) -> Problem {
        match self {
            CartError::InvalidInput(invalid) => {
                Problem::new(ErrorCode::InvalidInput, invalid.0.clone())
            }
            CartError::ItemNotFound => Problem::from_code(ErrorCode::ItemNotFound),
            CartError::LineNotEditable => Problem::from_code(ErrorCode::LineNotEditable),
            CartError::LineAddedByPromotion => Problem::from_code(ErrorCode::LineAddedByPromotion),
            CartError::CouponInvalid(reason) => {
                Problem::new(ErrorCode::CouponInvalid, reason.clone())
            }
            CartError::CouponNotApplied => Problem::from_code(ErrorCode::CouponNotApplied),
            CartError::ShippingNotRequired => Problem::from_code(ErrorCode::ShippingNotRequired),
            CartError::ShippingEstimateRequired => {
                Problem::from_code(ErrorCode::ShippingEstimateRequired)
            }
            CartError::ShippingOptionUnknown(reason) => match reason {
                Some(reason) => Problem::new(ErrorCode::ShippingOptionUnknown, reason.clone()),
                None => Problem::from_code(ErrorCode::ShippingOptionUnknown),
            },
            CartError::CartEmpty => Problem::from_code(ErrorCode::CartEmpty),
            CartError::CartHasProblems(problems) => {
                let detail = problems
                    .iter()
                    .map(|p| format!("{}: {}", p.name, p.problem.detail))
                    .collect::<Vec<_>>()
                    .join(" ");
                Problem::new(ErrorCode::CartHasProblems, detail).with_problems(problems.clone())
            }
            CartError::RecoveryTokenUnknown => Problem::from_code(ErrorCode::RecoveryTokenUnknown),
            CartError::SignInRequired => Problem::from_code(ErrorCode::SignInRequired),
            CartError::CartBusy => Problem::from_code(ErrorCode::CartBusy).with_retry_after(1),
            CartError::LeftBehindBusy(wait) => {
                Problem::from_code(ErrorCode::LeftBehindBusy).with_retry_after(seconds(*wait))
            }
            CartError::TooManyRequests(wait) => {
                Problem::from_code(ErrorCode::TooManyRequests).with_retry_after(seconds(*wait))
            }
            CartError::Upstream(error) => upstream_problem(error),
            CartError::DatabaseUnavailable(_) => {
                Problem::from_code(ErrorCode::DatabaseUnavailable).with_retry_after(5)
            }
            CartError::Session(error) => error.problem(),
            CartError::Unexpected(_) => Problem::from_code(ErrorCode::InternalError),
        }
    }

    /// Whether repeating the same request could succeed (the failure was transient), so an
    /// idempotency key must not pin this answer.
    pub fn is_transient(&self) -> bool {
        self.problem().status >= 500
    }

    /// Whether no BigCommerce call was made: the store's budget shed it, the session's cart
    /// was still being created, or another move holds the lines left behind. Such a change
    /// cost the store nothing.
    pub fn called_nobody(&self) -> bool {
        matches!(
            self,
            CartError::Upstream(BigCommerceError::Busy { .. })
                | CartError::CartBusy
                | CartError::CartHasProblems(_)
                | CartError::LeftBehindBusy(_)
        )
    }

    /// Whether the failure certainly left the cart as it was: the call was never sent, or
    /// BigCommerce's rate limit turned it away unprocessed.
    pub fn changed_nothing(&self) -> bool {
        match self {
            CartError::Upstream(error) => error.is_busy(),
            CartError::CartBusy | CartError::TooManyRequests(_) | CartError::LeftBehindBusy(_) => {
                true
            }
            _ => false,
        }
    }
}

fn upstream_problem(error: &BigCommerceError) -> Problem {
    match error {
        BigCommerceError::Rejected { title, .. } => {
            Problem::new(rejection_code(title), title.clone())
        }
        BigCommerceError::CustomerChangeRefused { title } => {
            Problem::new(ErrorCode::UpstreamRejected, title.clone())
        }
        BigCommerceError::RateLimited { retry_after } => {
            Problem::from_code(ErrorCode::UpstreamRateLimited)
                .with_retry_after(seconds(*retry_after))
        }
        // BigCommerce's purchase-limit refusal (see `BigCommerceError::Conflict`).
        BigCommerceError::Conflict { title } => {
            Problem::new(ErrorCode::QuantityLimit, title.clone())
        }
        BigCommerceError::Busy { retry_after, .. } => {
            Problem::from_code(ErrorCode::UpstreamBusy).with_retry_after(seconds(*retry_after))
        }
        BigCommerceError::Timeout => Problem::from_code(ErrorCode::UpstreamTimeout),
        BigCommerceError::NotFound
        | BigCommerceError::Unavailable { .. }
        | BigCommerceError::Unauthorized { .. }
        | BigCommerceError::Unexpected(_) => Problem::from_code(ErrorCode::UpstreamUnavailable),
    }
}

fn seconds(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

/// Sorts BigCommerce's 4xx explanations into codes a storefront can act on. BigCommerce sends
/// only a human title, so this reads it; anything unrecognised is `upstream_rejected`.
pub fn rejection_code(title: &str) -> ErrorCode {
    let title = title.to_lowercase();
    let mentions = |words: &[&str]| words.iter().any(|word| title.contains(word));
    if mentions(&["stock"]) {
        ErrorCode::ProductUnavailable
    } else if mentions(&["maximum", "minimum", "quantity"]) {
        ErrorCode::QuantityLimit
    } else if mentions(&[
        "option",
        "variant id is required",
        "missing line_items",
        "create some text",
        "modifier",
    ]) {
        ErrorCode::OptionRequired
    } else if mentions(&[
        "stock",
        "purchas",
        "not found",
        "does not exist",
        "unknown",
        "invalid product",
        "disabled",
        "unavailable",
        "not available",
    ]) {
        ErrorCode::ProductUnavailable
    } else {
        ErrorCode::UpstreamRejected
    }
}

impl ResponseError for CartError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.problem().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        self.problem().to_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bigcommerce_titles_become_actionable_codes() {
        let cases = [
            (
                "You can only purchase a maximum of 2 of the [Sample] Dustpan & Brush per order.",
                ErrorCode::QuantityLimit,
            ),
            (
                "Please create some text for the API option",
                ErrorCode::OptionRequired,
            ),
            (
                "Missing line_items in request body",
                ErrorCode::OptionRequired,
            ),
            (
                "This product has options; variant ID is required",
                ErrorCode::OptionRequired,
            ),
            (
                "The product is out of stock.",
                ErrorCode::ProductUnavailable,
            ),
            (
                "This product cannot be purchased.",
                ErrorCode::ProductUnavailable,
            ),
            (
                "A shipping address for this order is incomplete",
                ErrorCode::UpstreamRejected,
            ),
        ];
        for (title, code) in cases {
            assert_eq!(rejection_code(title), code, "{title}");
        }
    }
}
