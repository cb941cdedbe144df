//! How a call to BigCommerce failed, classified by what the caller can do about it.

use std::time::Duration;

use super::Priority;
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
    /// Not sent: the store's budget has no room for calls of this class until the window
    /// turns (see `budget`).
    #[error("the store's API budget has no room for {priority:?} calls; retry in {retry_after:?}")]
    Busy {
        priority: Priority,
        retry_after: Duration,
    },
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

    /// The same classification without the source (which cannot be cloned), for handing one
    /// outcome to several waiters.
    pub fn clone_kind(&self) -> Self {
        match self {
            BigCommerceError::NotFound => BigCommerceError::NotFound,
            BigCommerceError::Conflict { title } => BigCommerceError::Conflict {
                title: title.clone(),
            },
            BigCommerceError::CustomerChangeRefused { title } => {
                BigCommerceError::CustomerChangeRefused {
                    title: title.clone(),
                }
            }
            BigCommerceError::Rejected { status, title } => BigCommerceError::Rejected {
                status: *status,
                title: title.clone(),
            },
            BigCommerceError::RateLimited { retry_after } => BigCommerceError::RateLimited {
                retry_after: *retry_after,
            },
            BigCommerceError::Busy {
                priority,
                retry_after,
            } => BigCommerceError::Busy {
                priority: *priority,
                retry_after: *retry_after,
            },
            BigCommerceError::Unavailable { status, .. } => BigCommerceError::Unavailable {
                status: *status,
                source: None,
            },
            BigCommerceError::Timeout => BigCommerceError::Timeout,
            BigCommerceError::Unauthorized { status } => {
                BigCommerceError::Unauthorized { status: *status }
            }
            BigCommerceError::Unexpected(error) => {
                BigCommerceError::Unexpected(anyhow::anyhow!("{error:#}"))
            }
        }
    }

    /// Whether the call was not made, or refused by the store's quota: BigCommerce is busy,
    /// not broken, and what we last saw of a cart beats an error page.
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            BigCommerceError::RateLimited { .. } | BigCommerceError::Busy { .. }
        )
    }

    /// Whether a change may have landed though we never heard so: no answer in time, a
    /// broken connection, a 5xx, or a success we could not read.
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            BigCommerceError::Timeout
                | BigCommerceError::Unavailable { .. }
                | BigCommerceError::Unexpected(_)
        )
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
