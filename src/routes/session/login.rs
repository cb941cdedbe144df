//! `POST /api/session/login`.

use actix_web::web::{self, Data};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::CustomerBody;
use crate::accounts::{AccountError, Accounts};
use crate::cart::{CartService, CartWarning, SignInCartOutcome};
use crate::domain::{Cart, EmailAddress};
use crate::errors::Problem;
use crate::routes::cart::correlation_id;
use crate::session::{CookieChange, ShopperSession};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    /// Sent to BigCommerce to check, never stored or logged.
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub customer: CustomerBody,
    pub cart: Option<Cart>,
    /// What happened to the carts: the guest cart became the customer's (`cart_assigned`),
    /// was merged into it (`cart_merged`), or the customer's cart came back (`cart_restored`).
    pub cart_outcome: Option<SignInCartOutcome>,
    /// What did not go as the cart rule says: lines BigCommerce would not move into the
    /// customer's cart (`line_not_moved`, with its reason), lines it may or may not have moved
    /// (`line_outcome_unknown`), or a guest cart kept as it was. Lines of the first two kinds
    /// are kept for the customer as `left_behind` in `GET /api/session`. Sign-in succeeds
    /// regardless.
    pub warnings: Vec<CartWarning>,
}

/// Sign in with BigCommerce credentials. The session token is replaced (a new cookie; the old
/// one stops working at once).
#[utoipa::path(
    post, path = "/api/session/login", tag = "session",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = LoginResponse),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong e-mail or password (invalid_credentials)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an e-mail address", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The sign-in share of this session or address is spent, or too many wrong passwords for this e-mail came from it (too_many_requests, with Retry-After)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "BigCommerce is unavailable", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "BigCommerce's rate limit or the database", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn login(
    request: HttpRequest,
    session: ShopperSession,
    body: web::Json<LoginRequest>,
    accounts: Data<Accounts>,
    carts: Data<CartService>,
) -> Result<HttpResponse, AccountError> {
    let email = EmailAddress::parse(&body.email)?;
    let client_ip = crate::client_address::client_key(&request);
    let signed_in = accounts
        .sign_in(
            &session,
            client_ip,
            &email,
            &body.password,
            &carts,
            correlation_id(&request),
        )
        .await?;
    request
        .extensions_mut()
        .insert(CookieChange::Issue(signed_in.token));
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "private, no-store"))
        .json(LoginResponse {
            customer: CustomerBody {
                id: signed_in.customer.get(),
            },
            cart: signed_in.cart,
            cart_outcome: signed_in.outcome,
            warnings: signed_in.warnings,
        }))
}
