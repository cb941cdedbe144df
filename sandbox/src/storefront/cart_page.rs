//! `/cart.php`: the landing point of redirect URLs (single-use tokens) and the hosted cart
//! page, where the shopper changes quantities and removes lines through plain HTML forms.
//! Those changes go through the same cart operations as the API, so they fire the same hooks.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::checkout::render_checkout;
use super::html::{error_page, escape, html, money, page};
use super::session::{current, SessionId};
use crate::state::cart_ops::UpdateItemInput;
use crate::state::carts::Cart;
use crate::state::errors::CartError;
use crate::state::promotions::price;
use crate::state::render::{image_url, item_name};
use crate::state::tokens::RedirectKind;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct CartQuery {
    action: Option<String>,
    id: Option<String>,
    token: Option<String>,
    embedded: Option<String>,
}

/// `GET /cart.php[?action=load|loadInCheckout&id=..&token=..[&embedded=1]]`.
pub async fn cart_php(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<CartQuery>,
) -> HttpResponse {
    let store = state.catalog().store_name.clone();
    let Some(token) = query.token.as_deref() else {
        let session = current(&state, &req);
        return render_cart_page(&state, session.cart_id, None, StatusCode::OK);
    };
    let kind = match (query.action.as_deref(), query.embedded.as_deref()) {
        (Some("load"), _) => RedirectKind::Cart,
        (Some("loadInCheckout"), Some("1")) => RedirectKind::EmbeddedCheckout,
        (Some("loadInCheckout"), _) => RedirectKind::Checkout,
        _ => {
            return error_page(
                &store,
                StatusCode::BAD_REQUEST,
                "Invalid link",
                "Unknown action.",
            )
        }
    };
    let Some(cart_id) = query.id.as_deref().and_then(|id| Uuid::parse_str(id).ok()) else {
        return error_page(
            &store,
            StatusCode::BAD_REQUEST,
            "Invalid link",
            "Missing or invalid cart id.",
        );
    };
    if let Err(e) = state
        .tokens
        .consume_redirect(token, cart_id, state.clock.unix())
    {
        use crate::state::tokens::RedirectTokenError as E;
        let status = match e {
            E::AlreadyUsed | E::Expired => StatusCode::GONE,
            E::Unknown => StatusCode::NOT_FOUND,
            E::Mismatch => StatusCode::FORBIDDEN,
        };
        return error_page(&store, status, "Link refused", &e.to_string());
    }
    let session = SessionId::from_request(&req);
    state
        .tokens
        .update_session(&session.id, |s| s.cart_id = Some(cart_id));
    let customer = current_customer(&state, &session.id);
    let mut response = match kind {
        RedirectKind::Cart => render_cart_page(&state, Some(cart_id), None, StatusCode::OK),
        RedirectKind::Checkout => render_checkout(&state, Some(cart_id), customer, false),
        RedirectKind::EmbeddedCheckout => render_checkout(&state, Some(cart_id), customer, true),
    };
    session.set_cookie(&mut response);
    response
}

fn current_customer(state: &AppState, session_id: &str) -> Option<i64> {
    state.tokens.session(session_id).and_then(|s| s.customer_id)
}

/// The hosted cart page for `cart_id` (an empty-cart page when there is none).
pub fn render_cart_page(
    state: &AppState,
    cart_id: Option<Uuid>,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let catalog = state.catalog();
    let cart = cart_id.and_then(|id| state.carts.get(&id, state.clock.now()));
    let Some(cart) = cart else {
        let body = "<p>Your cart is empty or no longer exists.</p>";
        return html(status).body(page(&catalog.store_name, "Your cart", body));
    };
    let mut body = String::new();
    if let Some(error) = error {
        body.push_str(&format!("<p class=\"error\">{}</p>", escape(error)));
    }
    body.push_str(&lines_table(state, &cart, true));
    body.push_str(&summary(state, &cart));
    body.push_str("<p><a class=\"button\" href=\"/checkout\">Proceed to checkout</a></p>");
    html(status).body(page(&catalog.store_name, "Your cart", &body))
}

/// The applied coupons, each with what it takes off, and the total.
pub fn summary(state: &AppState, cart: &Cart) -> String {
    let catalog = state.catalog();
    let pricing = price(&catalog, cart);
    let mut out = String::new();
    for coupon in &pricing.coupons {
        out.push_str(&format!(
            "<p>Coupon {} ({}): -{}</p>",
            escape(&coupon.seed.code),
            escape(&coupon.seed.name),
            money(&cart.currency, coupon.amount)
        ));
    }
    out.push_str(&format!(
        "<p><strong>Total: {}</strong></p>",
        money(&cart.currency, pricing.cart_amount)
    ));
    out
}

/// The cart lines as a table; `editable` adds quantity and remove forms (never on a gift).
pub fn lines_table(state: &AppState, cart: &Cart, editable: bool) -> String {
    let catalog = state.catalog();
    let pricing = price(&catalog, cart);
    let mut rows = String::new();
    for (item, priced) in cart.items.iter().zip(&pricing.lines) {
        let options: Vec<String> = item
            .options
            .iter()
            .map(|o| format!("{}: {}", escape(&o.name), escape(&o.value)))
            .collect();
        let image = catalog
            .product(item.product_id)
            .map(|p| image_url(p, &state.public_url))
            .unwrap_or_default();
        let quantity = if item.is_gift() {
            format!("{} (free gift)", item.quantity)
        } else if editable {
            format!(
                "<form method=\"post\" action=\"/cart.php/items/{id}/update\">\
                 <input type=\"number\" name=\"quantity\" min=\"0\" value=\"{q}\" aria-label=\"Quantity\"> \
                 <button type=\"submit\">Update</button></form>\
                 <form method=\"post\" action=\"/cart.php/items/{id}/remove\">\
                 <button type=\"submit\">Remove</button></form>",
                id = item.id,
                q = item.quantity
            )
        } else {
            item.quantity.to_string()
        };
        rows.push_str(&format!(
            "<tr><td><img src=\"{img}\" alt=\"\"></td><td>{name}<br><span class=\"note\">{opts}</span></td>\
             <td>{price}</td><td>{quantity}</td></tr>",
            img = escape(&image),
            name = escape(&item_name(&catalog, item)),
            opts = options.join(", "),
            price = money(&cart.currency, priced.sale),
        ));
    }
    // Custom items and gift certificates: shown, never editable here (they cannot be updated).
    let extras = cart
        .custom_items
        .iter()
        .map(|c| (c.name.clone(), c.list_price, c.quantity))
        .chain(cart.gift_certificates.iter().map(|g| {
            (
                format!("Gift certificate: {}", g.name),
                g.amount,
                g.quantity,
            )
        }));
    for (name, price, quantity) in extras {
        rows.push_str(&format!(
            "<tr><td></td><td>{}</td><td>{}</td><td>{quantity}</td></tr>",
            escape(&name),
            money(&cart.currency, price),
        ));
    }
    format!("<table><thead><tr><th></th><th>Item</th><th>Price</th><th>Quantity</th></tr></thead><tbody>{rows}</tbody></table>")
}

#[derive(Debug, Deserialize)]
pub struct QuantityForm {
    quantity: String,
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .finish()
}

/// `POST /cart.php/items/{item_id}/update` (form field `quantity`; 0 removes the line).
pub async fn update_item(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<QuantityForm>,
) -> HttpResponse {
    let session = current(&state, &req);
    let (Some(cart_id), Ok(item_id)) = (session.cart_id, Uuid::parse_str(&path)) else {
        return render_cart_page(
            &state,
            session.cart_id,
            Some("That item is not in your cart."),
            StatusCode::NOT_FOUND,
        );
    };
    let Ok(quantity) = form.quantity.trim().parse::<i64>() else {
        return render_cart_page(
            &state,
            Some(cart_id),
            Some("Please enter a whole number."),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let product_id = state.carts.get(&cart_id, state.clock.now()).and_then(|c| {
        c.items
            .iter()
            .find(|i| i.id == item_id)
            .map(|i| i.product_id)
    });
    let result = if product_id.is_none() {
        Err(CartError::ItemNotFound)
    } else if quantity == 0 {
        state.remove_item(cart_id, item_id, None).map(|_| ())
    } else {
        let input = UpdateItemInput {
            quantity: Some(quantity),
            product_id,
            same_line: true,
            ..UpdateItemInput::default()
        };
        state
            .update_item(cart_id, item_id, &input, None)
            .map(|_| ())
    };
    finish_change(&state, cart_id, result)
}

/// `POST /cart.php/items/{item_id}/remove`.
pub async fn remove_item(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    let session = current(&state, &req);
    let (Some(cart_id), Ok(item_id)) = (session.cart_id, Uuid::parse_str(&path)) else {
        return render_cart_page(
            &state,
            session.cart_id,
            Some("That item is not in your cart."),
            StatusCode::NOT_FOUND,
        );
    };
    let result = state.remove_item(cart_id, item_id, None).map(|_| ());
    finish_change(&state, cart_id, result)
}

fn finish_change(state: &AppState, cart_id: Uuid, result: Result<(), CartError>) -> HttpResponse {
    match result {
        Ok(()) => see_other("/cart.php"),
        Err(e) => {
            let status = match e {
                CartError::CartNotFound | CartError::ItemNotFound => StatusCode::NOT_FOUND,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            render_cart_page(state, Some(cart_id), Some(&e.to_string()), status)
        }
    }
}
