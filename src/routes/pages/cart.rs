//! `GET /cart`.

use actix_web::http::StatusCode;
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};

use super::super::cart::{correlation_id, read_within_share};
use crate::cart::CartService;
use crate::catalog::Catalog;
use crate::fair_shares::FairShares;
use crate::session::ShopperSession;
use crate::views::{render, CartPage, CartView, GiftCertificateForm, LeftBehindView, ProductView};

pub async fn show_cart(
    request: HttpRequest,
    session: ShopperSession,
    carts: Data<CartService>,
    catalog: Data<Catalog>,
    shares: Data<FairShares>,
) -> HttpResponse {
    let cx = correlation_id(&request);
    let flash = session.take_flash().await.unwrap_or_else(|error| {
        tracing::warn!(error = %error, "could not read a flash message");
        None
    });
    let (cart, problem) = match read_within_share(&request, &session, &carts, &shares).await {
        Ok(cart) => (cart.map(|cart| carts.with_problems(cart)), None),
        Err(error) => (None, Some(error.problem().title.to_owned())),
    };
    // From the database: no BigCommerce call. Without the database it simply is not shown;
    // the cart above says what went wrong.
    let left_behind: Vec<LeftBehindView> = match carts.left_behind(&session).await {
        Ok(left) => left.map_or_else(Vec::new, |left| {
            left.lines.iter().map(LeftBehindView::from).collect()
        }),
        Err(error) => {
            tracing::warn!(error = %error, "could not read the lines left behind");
            Vec::new()
        }
    };
    let currency = cart
        .as_ref()
        .map(|cart| cart.currency.code.clone())
        .unwrap_or_else(|| carts.currency().to_owned());
    // The product list is a convenience: the page works without it.
    let products = match catalog.products(cx).await {
        Ok(products) => products
            .iter()
            .map(|product| ProductView::from_product(product, &currency))
            .collect(),
        Err(error) => {
            tracing::warn!(error = %error, "could not list products for the cart page");
            Vec::new()
        }
    };
    let page = CartPage {
        flash: flash.map(Into::into),
        problem,
        cart: cart.as_ref().map(CartView::from),
        products,
        csrf_token: session.csrf_token(),
        signed_in_as: session.customer_email().map(str::to_owned),
        any_left_behind_movable: left_behind.iter().any(|line| line.movable),
        left_behind,
        gift_certificate: GiftCertificateForm::new(
            carts.settings().gift_certificate_min_amount,
            carts.settings().gift_certificate_max_amount,
            &currency,
        ),
    };
    render(&page, StatusCode::OK)
}
