//! Why a session could not be loaded or created.

use actix_web::{HttpResponse, ResponseError};

use crate::database::is_unavailable;
use crate::errors::{error_chain_fmt, ErrorCode, Problem};

#[derive(thiserror::Error)]
pub enum SessionError {
    #[error("the session store is unreachable")]
    DatabaseUnavailable(#[source] sqlx::Error),
    #[error("the session could not be loaded or saved")]
    Unexpected(#[source] anyhow::Error),
}

impl From<sqlx::Error> for SessionError {
    fn from(error: sqlx::Error) -> Self {
        if is_unavailable(&error) {
            Self::DatabaseUnavailable(error)
        } else {
            Self::Unexpected(error.into())
        }
    }
}

impl std::fmt::Debug for SessionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        error_chain_fmt(self, f)
    }
}

impl SessionError {
    pub fn problem(&self) -> Problem {
        match self {
            SessionError::DatabaseUnavailable(_) => {
                Problem::from_code(ErrorCode::DatabaseUnavailable).with_retry_after(5)
            }
            SessionError::Unexpected(_) => Problem::from_code(ErrorCode::InternalError),
        }
    }
}

impl ResponseError for SessionError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.problem().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        self.problem().to_response()
    }
}
