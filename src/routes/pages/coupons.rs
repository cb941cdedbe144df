//! The cart page's coupon forms: apply a code, remove one. CSRF-checked like every form, and
//! answered 303 back to the cart with a message.

use actix_web::web::{self, Data};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use sqlx::PgPool;

use super::super::cart::correlation_id;
use super::forms::refusal;
use super::{back_to_cart, flash_for};
use crate::cart::CartService;
use crate::domain::CouponCode;
use crate::rate_limit::MutationLimiter;
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
    limiter: Data<MutationLimiter>,
    pool: Data<PgPool>,
) -> HttpResponse {
    if let Some(refused) = refusal(&request, &session, &form.csrf_token, &limiter) {
        return refused;
    }
    let flash = match CouponCode::parse(&form.code) {
        Err(invalid) => Flash::error(invalid.0),
        Ok(code) => match carts
            .apply_coupon(&session, &code, correlation_id(&request))
            .await
        {
            Ok(_) => Flash::success(format!("Coupon {code} applied.")),
            Err(error) => flash_for(&error),
        },
    };
    back_to_cart(&pool, &session, flash).await
}

pub async fn remove_coupon(
    request: HttpRequest,
    session: ShopperSession,
    form: web::Form<CouponForm>,
    carts: Data<CartService>,
    limiter: Data<MutationLimiter>,
    pool: Data<PgPool>,
) -> HttpResponse {
    if let Some(refused) = refusal(&request, &session, &form.csrf_token, &limiter) {
        return refused;
    }
    let flash = match CouponCode::parse(&form.code) {
        Err(_) => Flash::error("That coupon code is not applied to the cart."),
        Ok(code) => match carts
            .remove_coupon(&session, &code, correlation_id(&request))
            .await
        {
            Ok(_) => Flash::success(format!("Coupon {code} removed.")),
            Err(error) => flash_for(&error),
        },
    };
    back_to_cart(&pool, &session, flash).await
}
