//! `POST /api/session/logout`.

use actix_web::web::Data;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};

use crate::errors::Problem;
use crate::session::{CookieChange, SessionError, Sessions, ShopperSession};

/// End the session: its token stops working. A customer's cart stays with the customer.
#[utoipa::path(
    post, path = "/api/session/logout", tag = "session",
    responses(
        (status = 204, description = "Signed out"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn logout(
    request: HttpRequest,
    session: ShopperSession,
    sessions: Data<Sessions>,
) -> Result<HttpResponse, SessionError> {
    if session.is_stored() {
        sessions.end(session.id()).await?;
    }
    request.extensions_mut().insert(CookieChange::Remove);
    Ok(HttpResponse::NoContent()
        .insert_header(("Cache-Control", "private, no-store"))
        .finish())
}
