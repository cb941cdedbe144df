//! `GET /login`, `POST /login`, `POST /logout`: signing in without JavaScript. After a
//! sign-in, an abandoned-cart link that needed it is finished.

use actix_web::http::StatusCode;
use actix_web::web::{self, Data};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use secrecy::SecretString;
use serde::Deserialize;
use sqlx::PgPool;

use super::super::cart::correlation_id;
use super::{back_to_cart, see_other};
use crate::accounts::{set_pending_recovery, take_pending_recovery, AccountError, Accounts};
use crate::cart::{CartService, SignInCartOutcome};
use crate::domain::{EmailAddress, RecoveryToken};
use crate::session::{set_flash, take_flash, CookieChange, Flash, Sessions, ShopperSession};
use crate::views::{error_page, render, LoginPage};

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf_token: String,
}

pub async fn show_login(session: ShopperSession, pool: Data<PgPool>) -> HttpResponse {
    let flash = take_flash(&pool, session.id()).await.unwrap_or_default();
    let page = LoginPage {
        flash: flash.map(Into::into),
        csrf_token: session.csrf_token(),
        signed_in_as: session.customer_email().map(str::to_owned),
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
            &pool,
            &session,
            again("Enter the e-mail address of your account."),
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
                &pool,
                &session,
                again("That e-mail address or password is not right."),
            )
            .await
        }
        Err(AccountError::TooManyAttempts(wait)) => {
            let text = format!(
                "Too many attempts. Try again in {} seconds.",
                wait.as_secs().max(1)
            );
            return back_to_login(&pool, &session, Flash::error(text)).await;
        }
        Err(error) => {
            return back_to_login(&pool, &session, Flash::error(error.problem().title)).await
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
    // An abandoned-cart link that was waiting for this sign-in.
    if let Ok(Some(pending)) = take_pending_recovery(&pool, signed_in.session_id).await {
        if let (Ok(token), Some(new_session)) = (
            RecoveryToken::parse(&pending),
            reload(&request, &signed_in).await,
        ) {
            message = match carts.recover(&new_session, &token, cx).await {
                Ok(_) => "Signed in. We restored your cart.".to_owned(),
                Err(_) => "Signed in, but that cart link is no longer valid.".to_owned(),
            };
        }
    }
    if let Err(error) = set_flash(&pool, signed_in.session_id, &Flash::success(message)).await {
        tracing::warn!(error = %error, "could not store a flash message");
    }
    see_other("/cart")
}

/// The signed-in session just created, as the extractor would load it.
async fn reload(
    request: &HttpRequest,
    signed_in: &crate::accounts::SignedIn,
) -> Option<ShopperSession> {
    let sessions = request.app_data::<Data<Sessions>>()?;
    ShopperSession::load(sessions, signed_in.token.clone())
        .await
        .ok()
        .flatten()
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
    if let Err(error) = sessions.end(session.id()).await {
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

/// Sends a shopper whose abandoned-cart link needs a sign-in to the login page, remembering
/// the link to finish afterwards.
pub async fn ask_to_sign_in(
    pool: &PgPool,
    session: &ShopperSession,
    token: &RecoveryToken,
) -> HttpResponse {
    if let Err(error) = set_pending_recovery(pool, session.id(), Some(token.as_str())).await {
        tracing::warn!(error = %error, "could not remember a recovery link");
        return back_to_cart(pool, session, Flash::error("Sign in to restore that cart.")).await;
    }
    back_to_login(pool, session, Flash::error("Sign in to restore your cart.")).await
}

async fn back_to_login(pool: &PgPool, session: &ShopperSession, flash: Flash) -> HttpResponse {
    if let Err(error) = set_flash(pool, session.id(), &flash).await {
        tracing::warn!(error = %error, "could not store a flash message");
    }
    see_other("/login")
}

fn expired_form() -> HttpResponse {
    error_page(
        StatusCode::FORBIDDEN,
        "This form has expired",
        "Reload the page and try again.",
    )
}
