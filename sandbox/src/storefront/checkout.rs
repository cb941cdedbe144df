//! The hosted checkout (`/checkout`, also shown by `loadInCheckout` redirect URLs): the cart,
//! who is signed in, shipping, tax and the shopper's note, and "Place order", which converts
//! the cart into an order at the checkout's grand total.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::cart_page::lines_table;
use super::checkout_summary::checkout_summary;
use super::html::{error_page, escape, html, money, page};
use super::session::current;
use crate::state::AppState;

/// The checkout page for a cart; `embedded` renders the embedded-checkout variant.
pub fn render_checkout(
    state: &AppState,
    cart_id: Option<Uuid>,
    customer_id: Option<i64>,
    embedded: bool,
) -> HttpResponse {
    let catalog = state.catalog();
    let title = if embedded {
        "Embedded checkout"
    } else {
        "Checkout"
    };
    let Some(cart) = cart_id.and_then(|id| state.carts.get(&id, state.clock.now())) else {
        return error_page(
            &catalog.store_name,
            StatusCode::NOT_FOUND,
            title,
            "This cart no longer exists.",
        );
    };
    let who = customer_id.and_then(|id| catalog.customer(id)).map_or_else(
        || "<p class=\"note\">Checking out as a guest.</p>".to_owned(),
        |c| {
            format!(
                "<p>Signed in as {} {}</p>",
                escape(&c.first_name),
                escape(&c.last_name)
            )
        },
    );
    let body = format!(
        "{who}{lines}{total}\
         <form method=\"post\" action=\"/checkout/place-order\">\
         <input type=\"hidden\" name=\"cart_id\" value=\"{id}\">\
         <button type=\"submit\">Place order</button></form>",
        lines = lines_table(state, &cart, false),
        total = checkout_summary(state, &cart),
        id = cart.id,
    );
    html(StatusCode::OK).body(page(&catalog.store_name, title, &body))
}

/// `GET /checkout`: the checkout of the browser session's cart.
pub async fn checkout(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let session = current(&state, &req);
    render_checkout(&state, session.cart_id, session.customer_id, false)
}

#[derive(Debug, Deserialize)]
pub struct PlaceOrderForm {
    cart_id: Option<String>,
}

/// `POST /checkout/place-order`: converts the session's cart (store/cart/converted fires).
pub async fn place_order(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<PlaceOrderForm>,
) -> HttpResponse {
    let store = state.catalog().store_name.clone();
    let session = current(&state, &req);
    let form_cart = form
        .cart_id
        .as_deref()
        .and_then(|id| Uuid::parse_str(id).ok());
    // Only the cart this browser opened may be ordered.
    let cart_id = match (session.cart_id, form_cart) {
        (Some(s), Some(f)) if s != f => None,
        (s, _) => s,
    };
    let Some(cart_id) = cart_id else {
        return error_page(
            &store,
            StatusCode::FORBIDDEN,
            "Checkout",
            "There is no cart in this browser session.",
        );
    };
    match state.convert_cart(cart_id, session.customer_id) {
        Ok(order) => {
            if let Some(cookie) = req.cookie(super::session::SESSION_COOKIE) {
                state
                    .tokens
                    .update_session(cookie.value(), |s| s.cart_id = None);
            }
            HttpResponse::SeeOther()
                .insert_header((
                    "Location",
                    format!("/checkout/order-confirmation/{}", order.id),
                ))
                .finish()
        }
        Err(_) => error_page(
            &store,
            StatusCode::NOT_FOUND,
            "Checkout",
            "This cart no longer exists.",
        ),
    }
}

/// `GET /checkout/order-confirmation/{order_id}`.
pub async fn confirmation(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let store = state.catalog().store_name.clone();
    let Some(order) = path.parse::<i64>().ok().and_then(|id| state.orders.get(id)) else {
        return error_page(&store, StatusCode::NOT_FOUND, "Order", "No such order.");
    };
    let continue_link = state
        .config
        .storefront_url
        .as_deref()
        .map_or_else(String::new, |url| {
            format!(
                "<p><a class=\"button\" href=\"{}\">Continue shopping</a></p>",
                escape(url)
            )
        });
    let body = format!(
        "<p>Thank you! Your order <strong>#{id}</strong> has been placed.</p>\
         <p>Total: {total}</p>{continue_link}",
        id = order.id,
        total = money(&order.currency, order.total),
    );
    html(StatusCode::OK).body(page(&store, "Order confirmation", &body))
}
