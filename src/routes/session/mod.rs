//! The shopper's session: who is signed in, sign-in, sign-out.

mod get;
mod login;
mod logout;

pub use get::{get_session, SessionResponse};
pub use login::{login, LoginRequest, LoginResponse};
pub use logout::logout;

pub(crate) use get::__path_get_session;
pub(crate) use login::__path_login;
pub(crate) use logout::__path_logout;

use serde::Serialize;
use utoipa::ToSchema;

/// A signed-in customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerBody {
    pub id: i64,
}
