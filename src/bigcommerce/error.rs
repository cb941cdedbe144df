//! How a call to BigCommerce failed, classified by what the caller can do about it.

use std::time::Duration;

use crate::errors::error_chain_fmt;

#[derive(thiserror::Error)]
pub enum BigCommerceError {
    /// 404: the resource does not exist (for carts: gone, converted or expired).
    #[error("BigCommerce: not found")]
    NotFound,
    /// A 409. The service never sends `version`, so this is not a version conflict but
    /// BigCommerce's min/max purchase refusal; `title` is its explanation.
    #[error("BigCommerce refused the request (409): {title}")]
    Conflict { title: String },
    /// 400/422: BigCommerce refused the request; `title` is its explanation.
    #[error("BigCommerce refused the request ({status}): {title}")]
    Rejected { status: u16, title: String },
    /// 422 from `PUT /carts/{id}` with a `customer_id`: BigCommerce's guide says a customer
    /// change can be refused ("A shipping address for this order is incomplete"). It says
    /// nothing about the credentials; the cart simply could not be given to the customer.
    #[error("BigCommerce refused to give the cart to the customer: {title}")]
    CustomerChangeRefused { title: String },
    /// 429, or our own back-off after one: retry after the given time.
    #[error("BigCommerce rate limit reached; retry in {retry_after:?}")]
    RateLimited { retry_after: Duration },
    /// 5xx or a broken connection.
    #[error("BigCommerce is unavailable (status {status:?})")]
    Unavailable {
        status: Option<u16>,
        #[source]
        source: Option<reqwest::Error>,
    },
    /// No answer within the configured timeout.
    #[error("BigCommerce did not answer in time")]
    Timeout,
    /// 401/403: the configured credentials are wrong. An operator problem, not a shopper's.
    #[error("BigCommerce refused our credentials ({status})")]
    Unauthorized { status: u16 },
    /// Anything else, such as a body we cannot decode.
    #[error("unexpected answer from BigCommerce")]
    Unexpected(#[source] anyhow::Error),
}

impl std::fmt::Debug for BigCommerceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        error_chain_fmt(self, f)
    }
}

impl BigCommerceError {
    /// BigCommerce's explanation when it refused the request (a 4xx about the request itself,
    /// not about our credentials or its load).
    pub fn refusal(&self) -> Option<&str> {
        match self {
            BigCommerceError::Rejected { title, .. }
            | BigCommerceError::Conflict { title }
            | BigCommerceError::CustomerChangeRefused { title } => Some(title),
            _ => None,
        }
    }

    /// A 5xx from a change to a stored cart may mean the cart is gone (BigCommerce answers
    /// 500, not 404, when a deleted cart is changed): settle it with one read.
    pub fn may_mean_cart_gone(&self) -> bool {
        matches!(
            self,
            BigCommerceError::NotFound
                | BigCommerceError::Unavailable {
                    status: Some(500..=599),
                    ..
                }
        )
    }
}
