//! Why signing in failed.

use std::time::Duration;

use actix_web::{HttpResponse, ResponseError};

use crate::bigcommerce::BigCommerceError;
use crate::cart::CartError;
use crate::database::is_unavailable;
use crate::domain::InvalidInput;
use crate::errors::{error_chain_fmt, ErrorCode, Problem};
use crate::fair_shares::ShareError;
use crate::session::SessionError;

#[derive(thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    InvalidInput(#[from] InvalidInput),
    /// The same whichever part was wrong: never tell an attacker which.
    #[error("the credentials are not valid")]
    InvalidCredentials,
    #[error("too many sign-in attempts")]
    TooManyAttempts(Duration),
    #[error("the credential check failed")]
    Upstream(#[from] BigCommerceError),
    #[error(transparent)]
    Cart(#[from] CartError),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("the database is unreachable")]
    DatabaseUnavailable(#[source] sqlx::Error),
    #[error("signing in failed")]
    Unexpected(#[source] anyhow::Error),
}

impl From<sqlx::Error> for AccountError {
    fn from(error: sqlx::Error) -> Self {
        if is_unavailable(&error) {
            Self::DatabaseUnavailable(error)
        } else {
            Self::Unexpected(anyhow::Error::new(error).context("A sign-in query failed"))
        }
    }
}

impl From<ShareError> for AccountError {
    fn from(error: ShareError) -> Self {
        match error {
            ShareError::Spent { wait, .. } => Self::TooManyAttempts(wait),
            ShareError::Database(error) => error.into(),
        }
    }
}

impl std::fmt::Debug for AccountError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        error_chain_fmt(self, f)
    }
}

impl AccountError {
    pub fn problem(&self) -> Problem {
        match self {
            AccountError::InvalidInput(invalid) => {
                Problem::new(ErrorCode::InvalidInput, invalid.0.clone())
            }
            AccountError::InvalidCredentials => Problem::from_code(ErrorCode::InvalidCredentials),
            AccountError::TooManyAttempts(wait) => Problem::from_code(ErrorCode::TooManyRequests)
                .with_retry_after(wait.as_secs() + u64::from(wait.subsec_nanos() > 0)),
            AccountError::Upstream(error) => CartError::Upstream(error.clone_kind()).problem(),
            AccountError::Cart(error) => error.problem(),
            AccountError::Session(error) => error.problem(),
            AccountError::DatabaseUnavailable(_) => {
                Problem::from_code(ErrorCode::DatabaseUnavailable).with_retry_after(5)
            }
            AccountError::Unexpected(_) => Problem::from_code(ErrorCode::InternalError),
        }
    }
}

impl ResponseError for AccountError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.problem().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        self.problem().to_response()
    }
}
