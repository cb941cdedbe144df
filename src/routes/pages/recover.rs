//! `GET /cart/recover?t=TOKEN`: where BigCommerce's abandoned-cart e-mail link lands.
//! Whatever happens, the shopper lands on /cart with a message, never on an error page.

use actix_web::web::{self, Data};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use sqlx::PgPool;

use super::super::cart::correlation_id;
use super::back_to_cart;
use crate::cart::{CartError, CartService};
use crate::domain::RecoveryToken;
use crate::session::{Flash, ShopperSession};

#[derive(Deserialize)]
pub struct RecoverQuery {
    #[serde(default)]
    t: String,
}

pub async fn recover_cart(
    request: HttpRequest,
    session: ShopperSession,
    query: web::Query<RecoverQuery>,
    carts: Data<CartService>,
    pool: Data<PgPool>,
) -> HttpResponse {
    let flash = match RecoveryToken::parse(&query.t) {
        Err(_) => Flash::error("That cart link is not valid."),
        Ok(token) => match carts
            .recover(&session, &token, correlation_id(&request))
            .await
        {
            Ok(_) => Flash::success("Welcome back! We restored your cart."),
            Err(CartError::RecoveryTokenUnknown) => {
                Flash::error("That cart link has expired or is no longer valid.")
            }
            Err(CartError::SignInRequired) => {
                return super::login::ask_to_sign_in(&pool, &session, &token).await
            }
            Err(error) => super::flash_for(&error),
        },
    };
    back_to_cart(&pool, &session, flash).await
}
