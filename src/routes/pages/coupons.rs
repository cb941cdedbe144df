//! The cart page's coupon forms: apply a code, remove one. CSRF-checked like every form, and
//! answered 303 back to the cart with a message.

use actix_web::web::{self, Data};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;

use super::super::cart::correlation_id;
use super::forms::forged;
use super::{back_to_cart, charged_change};
use crate::cart::CartService;
use crate::domain::CouponCode;
use crate::fair_shares::FairShares;
use crate::session::{Flash, ShopperSession};

#[derive(Deserialize)]
pub struct CouponForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    code: String,
}

pub async fn apply_coupon(
    request: HttpRequest,
    session: ShopperSession,
    form: web::Form<CouponForm>,
    carts: Data<CartService>,
    shares: Data<FairShares>,
) -> HttpResponse {
    if let Some(refused) = forged(&session, &form.csrf_token) {
        return refused;
    }
    let code = match CouponCode::parse(&form.code) {
        Ok(code) => code,
        Err(invalid) => return back_to_cart(&session, Flash::error(invalid.0)).await,
    };
    let done = format!("Coupon {code} applied.");
    let cx = correlation_id(&request);
    charged_change(&request, &session, &shares, 1, &done, || {
        carts.apply_coupon(&session, &code, cx)
    })
    .await
}

pub async fn remove_coupon(
    request: HttpRequest,
    session: ShopperSession,
    form: web::Form<CouponForm>,
    carts: Data<CartService>,
    shares: Data<FairShares>,
) -> HttpResponse {
    if let Some(refused) = forged(&session, &form.csrf_token) {
        return refused;
    }
    let code = match CouponCode::parse(&form.code) {
        Ok(code) => code,
        Err(_) => {
            return back_to_cart(
                &session,
                Flash::error("That coupon code is not applied to the cart."),
            )
            .await
        }
    };
    let done = format!("Coupon {code} removed.");
    let cx = correlation_id(&request);
    charged_change(&request, &session, &shares, 1, &done, || {
        carts.remove_coupon(&session, &code, cx)
    })
    .await
}
