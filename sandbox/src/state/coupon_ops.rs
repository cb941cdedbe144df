//! Applying and removing coupon codes (`POST /checkouts/{id}/coupons`,
//! `DELETE /checkouts/{id}/coupons/{code}`), with BigCommerce's 50-character limit and its
//! per-order number of codes. A refused code changes nothing.

use uuid::Uuid;

use super::cart_ops::{check_version, missing, unprocessable};
use super::carts::Cart;
use super::errors::CartError;
use super::promotions::{coupon_refusal, price, CouponRefusal};
use super::AppState;
use crate::webhooks::events::CartEvent;

/// "Coupon codes have a 50-character limit." (`reference/checkouts.v3.yml`, `CouponCodeRequest`)
pub const MAX_COUPON_CODE: usize = 50;

/// The titles of refused codes. BigCommerce documents no error for Management coupon calls;
/// its storefront checkout answers "Coupon code '…' is invalid" for a disabled code and "…is
/// not eligible for this checkout" for one whose conditions are not met (bigcommerce/checkout-sdk-js
/// issues #386 and #1303; reference §2.3). The expired and one-too-many titles are the
/// sandbox's own.
fn refusal_title(code: &str, why: Refused) -> String {
    match why {
        Refused::Unknown => format!("Coupon code '{code}' is invalid"),
        Refused::Expired => format!("Coupon code '{code}' has expired"),
        Refused::NotEligible => format!("Coupon code '{code}' is not eligible for this checkout"),
        Refused::TooMany(limit) => {
            format!("Only {limit} coupon code can be used per order; remove the one applied first")
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Refused {
    Unknown,
    Expired,
    NotEligible,
    TooMany(usize),
}

/// Checks the request's `coupon_code`: present, a string, at most 50 characters.
pub fn checked_code(code: Option<&str>) -> Result<&str, CartError> {
    let code = code
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| missing("coupon_code"))?;
    if code.chars().count() > MAX_COUPON_CODE {
        return Err(unprocessable(
            "Coupon codes have a 50-character limit.".to_owned(),
        ));
    }
    Ok(code)
}

impl AppState {
    /// Applies `code` to the cart. Applying a code that is already applied changes nothing.
    pub fn apply_coupon(
        &self,
        id: Uuid,
        code: &str,
        version: Option<u64>,
    ) -> Result<Cart, CartError> {
        let catalog = self.catalog();
        let now = self.clock.now();
        let (cart, coupon_id) = self
            .carts
            .update(&id, now, |cart| {
                check_version(cart, version)?;
                let refused = |why| CartError::CouponRefused(refusal_title(code, why));
                let coupon = catalog
                    .coupon(code)
                    .ok_or_else(|| refused(Refused::Unknown))?;
                if cart
                    .coupons
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(&coupon.code))
                {
                    return Ok(((cart.clone(), None), false));
                }
                let subtotal = price(&catalog, cart).items_subtotal;
                match coupon_refusal(coupon, subtotal, now) {
                    Some(CouponRefusal::Expired) => return Err(refused(Refused::Expired)),
                    Some(CouponRefusal::BelowMinimum) => return Err(refused(Refused::NotEligible)),
                    None => {}
                }
                if cart.coupons.len() >= catalog.coupons_per_order {
                    return Err(refused(Refused::TooMany(catalog.coupons_per_order)));
                }
                cart.coupons.push(coupon.code.clone());
                cart.touch(now);
                Ok(((cart.clone(), Some(coupon.id)), false))
            })
            .ok_or(CartError::CartNotFound)??;
        if let Some(coupon_id) = coupon_id {
            self.fire(vec![
                CartEvent::CouponApplied {
                    cart_id: id,
                    coupon_id,
                },
                CartEvent::Updated { cart_id: id },
            ]);
        }
        Ok(cart)
    }

    /// Removes `code` (compared case-insensitively); a code the cart does not carry is
    /// `CouponNotApplied`.
    pub fn remove_coupon(
        &self,
        id: Uuid,
        code: &str,
        version: Option<u64>,
    ) -> Result<Cart, CartError> {
        let now = self.clock.now();
        let cart = self
            .carts
            .update(&id, now, |cart| {
                check_version(cart, version)?;
                let before = cart.coupons.len();
                cart.coupons.retain(|c| !c.eq_ignore_ascii_case(code));
                if cart.coupons.len() == before {
                    return Err(CartError::CouponNotApplied);
                }
                cart.touch(now);
                Ok((cart.clone(), false))
            })
            .ok_or(CartError::CartNotFound)??;
        self.fire(vec![CartEvent::Updated { cart_id: id }]);
        Ok(cart)
    }
}
