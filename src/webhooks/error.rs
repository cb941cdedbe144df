//! Why a webhook callback was refused, and the problem each reason becomes.

use actix_web::{HttpResponse, ResponseError};

use crate::database::is_unavailable;
use crate::errors::{error_chain_fmt, ErrorCode, Problem};

#[derive(thiserror::Error)]
pub enum WebhookError {
    /// The secret header is missing or wrong: nothing was read or changed.
    #[error("the webhook secret header is missing or wrong")]
    Unauthorized,
    /// The body is larger than any cart callback could be.
    #[error("the webhook body is larger than {0} bytes")]
    TooLarge(usize),
    /// The body is not a callback we can read (not JSON, no scope, hash or cart id).
    #[error("the webhook body is invalid: {0}")]
    Invalid(String),
    /// The body could not be read from the connection.
    #[error("the webhook body could not be read")]
    Payload(#[source] actix_web::error::PayloadError),
    /// The database failed: BigCommerce will retry the delivery.
    #[error("a webhook query failed")]
    Database(#[from] sqlx::Error),
}

impl std::fmt::Debug for WebhookError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        error_chain_fmt(self, f)
    }
}

impl WebhookError {
    pub fn problem(&self) -> Problem {
        match self {
            WebhookError::Unauthorized => Problem::from_code(ErrorCode::WebhookUnauthorized),
            WebhookError::TooLarge(limit) => Problem::new(
                ErrorCode::PayloadTooLarge,
                format!("The request body is larger than {limit} bytes."),
            ),
            WebhookError::Invalid(detail) => Problem::new(ErrorCode::InvalidJson, detail.clone()),
            WebhookError::Payload(_) => Problem::from_code(ErrorCode::BadRequest),
            WebhookError::Database(error) if is_unavailable(error) => {
                Problem::from_code(ErrorCode::DatabaseUnavailable).with_retry_after(5)
            }
            WebhookError::Database(_) => Problem::from_code(ErrorCode::InternalError),
        }
    }
}

impl ResponseError for WebhookError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.problem().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        self.problem().to_response()
    }
}
