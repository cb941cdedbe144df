//! `GET /openapi.json`: the API description, generated from the handlers and types.

use actix_web::HttpResponse;
use utoipa::OpenApi;

use super::cart::{self, checkout_dto, dto};
use super::products;
use super::session;
use crate::catalog;
use crate::domain;
use crate::errors;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "checkout-bff",
        description = "Session-bound BigCommerce carts for headless storefronts. Every error is \
                       application/problem+json with a stable `code`. The session is an HttpOnly cookie, \
                       set by the first write (an add, a recovery, a sign-in; reads set none); \
                       browsers on another origin send it with `credentials: \"include\"`."
    ),
    paths(
        cart::get_cart, cart::add_items, cart::update_item, cart::remove_item,
        cart::clear_cart, cart::apply_coupon, cart::remove_coupon, cart::checkout,
        cart::recover_cart, cart::act_on_left_behind, cart::estimate_shipping,
        cart::select_shipping_option, cart::set_note, cart::add_gift_certificate,
        products::list_products,
        session::get_session, session::login, session::logout,
    ),
    components(schemas(
        dto::CartResponse, dto::CheckoutResponse, crate::cart::HandOffTarget, dto::AddItemsRequest, dto::LineItemRequest,
        dto::OptionSelectionRequest, dto::OptionValueRequest, dto::DateValueRequest, dto::UpdateQuantityRequest,
        dto::RecoverRequest, dto::RecoverResponse, crate::cart::RecoveryMode, dto::CouponRequest,
        dto::LeftBehindRequest, dto::LeftBehindResponse, crate::cart::LeftBehindAction,
        crate::cart::LeftBehind, crate::cart::LeftBehindLine,
        crate::cart::CartWarning, crate::cart::WarningCode, crate::cart::WarnedLine, domain::Cart, domain::CartCurrency, domain::CartLineItem,
        domain::LineItemOption, domain::LineItemType, domain::Coupon, domain::CartTotals,
        domain::PromotionBanner, domain::PromotionType, errors::Problem,
        errors::ErrorCode, products::ProductsResponse, catalog::Product,
        catalog::ProductVariant, catalog::TextOption, catalog::ProductModifier, catalog::ModifierValue, session::SessionResponse,
        session::LoginRequest, session::LoginResponse, session::CustomerBody,
        crate::cart::SignInCartOutcome, checkout_dto::ShippingEstimateRequest,
        checkout_dto::ShippingOptionRequest, checkout_dto::NoteRequest,
        checkout_dto::GiftCertificateRequest, checkout_dto::GiftPartyRequest,
        domain::GiftCertificateTheme, domain::CartShipping, domain::ShippingDestination,
        domain::ShippingOption, domain::LineProblem, domain::LineProblemCode, domain::CartProblem,
    )),
    tags(
        (name = "cart", description = "The shopper's cart"),
        (name = "catalog", description = "What the store sells"),
        (name = "session", description = "Signing in and out")
    )
)]
pub struct ApiDoc;

pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
