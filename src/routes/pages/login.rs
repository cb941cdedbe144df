//! `GET /login`, `POST /login`, `POST /logout`: signing in without JavaScript. A
//! `redirect_to` (a path on this service, e.g. an abandoned-cart link that needs the customer
//! signed in) is carried through the form and followed after the sign-in.

use actix_web::http::StatusCode;
use actix_web::web::{self, Data};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use secrecy::SecretString;
use serde::Deserialize;
use sqlx::PgPool;

use super::super::cart::correlation_id;
use super::{local_path, login_returning_to, see_other, warnings_text};
use crate::accounts::{AccountError, Accounts};
use crate::cart::{CartService, SignInCartOutcome};
use crate::domain::EmailAddress;
use crate::session::{set_flash, CookieChange, Flash, Sessions, ShopperSession};
use crate::views::{error_page, render, LoginPage};

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    redirect_to: String,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    redirect_to: String,
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf_token: String,
}

pub async fn show_login(session: ShopperSession, query: web::Query<LoginQuery>) -> HttpResponse {
    let flash = session.take_flash().await.unwrap_or_default();
    let page = LoginPage {
        flash: flash.map(Into::into),
        csrf_token: session.csrf_token(),
        signed_in_as: session.customer_email().map(str::to_owned),
        redirect_to: local_path(&query.redirect_to).map(str::to_owned),
    };
    render(&page, StatusCode::OK)
}

pub async fn submit_login(
    request: HttpRequest,
    session: ShopperSession,
    form: web::Form<LoginForm>,
    accounts: Data<Accounts>,
    carts: Data<CartService>,
    pool: Data<PgPool>,
) -> HttpResponse {
    if !session.verify_csrf_token(&form.csrf_token) {
        return expired_form();
    }
    let again = |text: &str| Flash::error(text);
    let Ok(email) = EmailAddress::parse(&form.email) else {
        return back_to_login(
            &session,
            again("Enter the e-mail address of your account."),
            &form.redirect_to,
        )
        .await;
    };
    let password = SecretString::from(form.password.clone());
    let cx = correlation_id(&request);
    let client_ip = crate::client_address::client_key(&request);
    let signed_in = match accounts
        .sign_in(&session, client_ip, &email, &password, &carts, cx)
        .await
    {
        Ok(signed_in) => signed_in,
        Err(AccountError::InvalidCredentials) => {
            return back_to_login(
                &session,
                again("That e-mail address or password is not right."),
                &form.redirect_to,
            )
            .await
        }
        Err(AccountError::TooManyAttempts(wait)) => {
            let text = format!(
                "Too many attempts. Try again in {} seconds.",
                wait.as_secs().max(1)
            );
            return back_to_login(&session, Flash::error(text), &form.redirect_to).await;
        }
        Err(error) => {
            let flash = Flash::error(error.problem().title);
            return back_to_login(&session, flash, &form.redirect_to).await;
        }
    };
    request
        .extensions_mut()
        .insert(CookieChange::Issue(signed_in.token.clone()));

    let mut message = match signed_in.outcome {
        Some(SignInCartOutcome::CartMerged) => "Signed in. We added your items to your saved cart.",
        Some(SignInCartOutcome::CartRestored) => "Signed in. Your saved cart is back.",
        _ => "Signed in.",
    }
    .to_owned();
    if !signed_in.warnings.is_empty() {
        message = format!("Signed in. {}", warnings_text(&signed_in.warnings));
    }
    let flash = if signed_in.warnings.is_empty() {
        Flash::success(message)
    } else {
        Flash::error(message)
    };
    if let Err(error) = set_flash(&pool, signed_in.session_id, &flash).await {
        tracing::warn!(error = %error, "could not store a flash message");
    }
    see_other(local_path(&form.redirect_to).unwrap_or("/cart"))
}

pub async fn submit_logout(
    session: ShopperSession,
    form: web::Form<LogoutForm>,
    sessions: Data<Sessions>,
    request: HttpRequest,
) -> HttpResponse {
    if !session.verify_csrf_token(&form.csrf_token) {
        return expired_form();
    }
    let ended = match session.is_stored() {
        true => sessions.end(session.id()).await,
        false => Ok(()),
    };
    if let Err(error) = ended {
        tracing::error!(error = %error, "could not end a session");
        return error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Could not sign you out",
            "Please try again in a moment.",
        );
    }
    request.extensions_mut().insert(CookieChange::Remove);
    see_other("/cart")
}

/// Back to the form with a message, keeping where the shopper was headed.
async fn back_to_login(session: &ShopperSession, flash: Flash, redirect_to: &str) -> HttpResponse {
    if let Err(error) = session.leave_flash(flash).await {
        tracing::warn!(error = %error, "could not store a flash message");
    }
    match local_path(redirect_to) {
        Some(target) => see_other(&login_returning_to(target)),
        None => see_other("/login"),
    }
}

fn expired_form() -> HttpResponse {
    error_page(
        StatusCode::FORBIDDEN,
        "This form has expired",
        "Reload the page and try again.",
    )
}
