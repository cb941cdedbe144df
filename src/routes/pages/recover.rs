//! The abandoned-cart link: `GET /cart/recover?t=TOKEN` shows the cart and asks; only the
//! CSRF-checked `POST /cart/recover` changes anything. A page on another site can make a
//! browser open the link (SameSite=Lax cookies ride along on a top-level GET), so the GET
//! must not bind, merge or drop a cart.

use actix_web::http::StatusCode;
use actix_web::web::{self, Data};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;

use super::super::cart::correlation_id;
use super::{back_to_cart, charging, flash_for, login_returning_to, spend_share, warnings_text};
use crate::cart::{CartError, CartService, RecoveryMode};
use crate::domain::RecoveryToken;
use crate::fair_shares::FairShares;
use crate::session::{Flash, ShopperSession};
use crate::views::{error_page, render, CartView, RecoverPage};

#[derive(Deserialize)]
pub struct RecoverQuery {
    #[serde(default)]
    t: String,
}

#[derive(Deserialize)]
pub struct RecoverForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    t: String,
    #[serde(default)]
    mode: RecoveryMode,
}

/// What looking a token up costs: resolving it and reading its cart.
const LOOK_UP_CALLS: u32 = 2;

pub async fn show_recovery(
    request: HttpRequest,
    session: ShopperSession,
    query: web::Query<RecoverQuery>,
    carts: Data<CartService>,
    shares: Data<FairShares>,
) -> HttpResponse {
    let Ok(token) = RecoveryToken::parse(&query.t) else {
        return back_to_cart(&session, Flash::error("That cart link is not valid.")).await;
    };
    // Each look-up calls BigCommerce, whatever the token is worth: guessed tokens spend the
    // guesser's share.
    let charged = match spend_share(&request, &session, &shares, LOOK_UP_CALLS).await {
        Ok(charged) => charged,
        Err(refused) => return refused,
    };
    let preview = charging(
        &shares,
        charged,
        carts.preview_recovery(&session, &token, correlation_id(&request)),
    )
    .await;
    let preview = match preview {
        Ok(preview) => preview,
        Err(CartError::RecoveryTokenUnknown) => {
            let flash = Flash::error("That cart link has expired or is no longer valid.");
            return back_to_cart(&session, flash).await;
        }
        Err(error) => return back_to_cart(&session, flash_for(&error)).await,
    };
    let sign_in_url = preview
        .needs_sign_in
        .then(|| login_returning_to(&format!("/cart/recover?t={}", token.as_str())));
    let page = RecoverPage {
        cart: CartView::from(&preview.cart),
        token: token.as_str().to_owned(),
        csrf_token: session.csrf_token(),
        sign_in_url,
        already_yours: preview.already_yours,
        choose: preview.own_cart_has_lines,
    };
    render(&page, StatusCode::OK)
}

pub async fn confirm_recovery(
    request: HttpRequest,
    session: ShopperSession,
    form: web::Form<RecoverForm>,
    carts: Data<CartService>,
    shares: Data<FairShares>,
) -> HttpResponse {
    if !session.verify_csrf_token(&form.csrf_token) {
        return error_page(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "Open the link from your e-mail again.",
        );
    }
    let Ok(token) = RecoveryToken::parse(&form.t) else {
        return back_to_cart(&session, Flash::error("That cart link is not valid.")).await;
    };
    let charged = match spend_share(&request, &session, &shares, LOOK_UP_CALLS).await {
        Ok(charged) => charged,
        Err(refused) => return refused,
    };
    let recovered = charging(
        &shares,
        charged,
        carts.recover(&session, &token, form.mode, correlation_id(&request)),
    )
    .await;
    let flash = match recovered {
        Ok(recovered) if recovered.warnings.is_empty() => {
            Flash::success("Welcome back! Your saved cart is here.")
        }
        Ok(recovered) => Flash::error(format!(
            "Your saved cart is here, with one problem. {}",
            warnings_text(&recovered.warnings)
        )),
        Err(CartError::RecoveryTokenUnknown) => {
            Flash::error("That cart link has expired or is no longer valid.")
        }
        Err(CartError::SignInRequired) => Flash::error("Sign in to restore that cart."),
        Err(error) => flash_for(&error),
    };
    back_to_cart(&session, flash).await
}
