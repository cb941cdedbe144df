//! Server-rendered cart pages that work without JavaScript: a thin HTML face over the same
//! `CartService` the JSON API uses. Every form post is CSRF-checked and answered with
//! 303 See Other back to /cart, carrying a one-time message.

mod cart;
mod checkout_forms;
mod coupons;
mod forms;
mod login;
mod recover;

use actix_web::http::{header, StatusCode};
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};

use crate::bigcommerce::calls;
use crate::cart::{CartError, CartWarning};
use crate::client_address::client_key;
use crate::errors::ErrorCode;
use crate::fair_shares::{Charged, FairShares, ShareError, Spender};
use crate::session::{Flash, ShopperSession};
use crate::views::{error_page, with_page_headers};

/// Registers the pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/cart", web::get().to(cart::show_cart))
        .route("/cart/items", web::post().to(forms::add_item))
        .route("/cart/items/{item_id}", web::post().to(forms::update_item))
        .route(
            "/cart/items/{item_id}/remove",
            web::post().to(forms::remove_item),
        )
        .route("/cart/clear", web::post().to(forms::clear_cart))
        .route("/cart/coupons", web::post().to(coupons::apply_coupon))
        .route(
            "/cart/coupons/remove",
            web::post().to(coupons::remove_coupon),
        )
        .route(
            "/cart/shipping-estimate",
            web::post().to(checkout_forms::estimate_shipping),
        )
        .route(
            "/cart/shipping-option",
            web::post().to(checkout_forms::select_shipping_option),
        )
        .route("/cart/note", web::post().to(checkout_forms::set_note))
        .route(
            "/cart/gift-certificates",
            web::post().to(checkout_forms::add_gift_certificate),
        )
        .route("/cart/checkout", web::post().to(forms::checkout))
        .route("/cart/left-behind", web::post().to(forms::left_behind))
        .route("/cart/recover", web::get().to(recover::show_recovery))
        .route("/cart/recover", web::post().to(recover::confirm_recovery))
        .route("/login", web::get().to(login::show_login))
        .route("/login", web::post().to(login::submit_login))
        .route("/logout", web::post().to(login::submit_logout))
        .route("/static/cart.css", web::get().to(stylesheet));
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../../static/cart.css"))
}

/// 303 to `location` (the cart page, or a checkout URL): a reload never resubmits a form.
fn see_other(location: &str) -> HttpResponse {
    with_page_headers(HttpResponse::SeeOther())
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Leaves `flash` for the cart page and sends the shopper there.
async fn back_to_cart(session: &ShopperSession, flash: Flash) -> HttpResponse {
    if let Err(error) = session.leave_flash(flash).await {
        tracing::warn!(error = %error, "could not store a flash message");
    }
    see_other("/cart")
}

/// What to tell a shopper when a cart operation fails: BigCommerce's own explanation for what
/// it refused ("You can only purchase a maximum of 2 of the Mug per order."), a plain sentence
/// otherwise.
fn flash_for(error: &CartError) -> Flash {
    let problem = error.problem();
    if problem.status == 422 || problem.code == ErrorCode::CartHasProblems {
        Flash::error(problem.detail)
    } else {
        Flash::error(problem.title)
    }
}

/// `done`, followed by what BigCommerce changed that was not asked for.
fn with_warnings(done: String, warnings: &[CartWarning]) -> Flash {
    match warnings.is_empty() {
        true => Flash::success(done),
        false => Flash::success(format!("{done} {}", warnings_text(warnings))),
    }
}

/// Warnings about lines, as one sentence per line for a message.
fn warnings_text(warnings: &[CartWarning]) -> String {
    warnings
        .iter()
        .map(|warning| match &warning.line {
            Some(line) => format!("{} × {}: {}", line.quantity, line.name, warning.detail),
            None => warning.detail.clone(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Spends `calls` of the client's fair shares of the store's quota before a form calls
/// BigCommerce; the page to answer instead when a share is spent (429) or cannot be counted.
async fn spend_share(
    request: &HttpRequest,
    session: &ShopperSession,
    shares: &FairShares,
    calls: u32,
) -> Result<Charged, HttpResponse> {
    let spender = Spender::new(Some(session.id()), client_key(request));
    match shares.spend(spender, calls).await {
        Ok(charged) => Ok(charged),
        Err(ShareError::Spent { wait, .. }) => Err(too_many(wait)),
        Err(ShareError::Database(error)) => {
            tracing::warn!(error = %error, "could not count a client's fair share");
            Err(error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The shop is busy",
                "Please try again in a moment.",
            ))
        }
    }
}

/// Runs a form's change, counting the BigCommerce calls it sends, and settles the charge
/// with them: given back when none went, calls beyond the estimate charged too.
async fn charging<T>(
    shares: &FairShares,
    charged: Charged,
    change: impl std::future::Future<Output = T>,
) -> T {
    let (result, made) = calls::counted(change).await;
    shares.settle(charged, made).await;
    result
}

/// Spends `calls` (none without a cart: nothing is called), runs `change`, gives the charge
/// back when nobody was called, and goes back to the cart saying `done` or what went wrong.
async fn charged_change<F, Fut, T>(
    request: &HttpRequest,
    session: &ShopperSession,
    shares: &FairShares,
    calls: u32,
    done: &str,
    change: F,
) -> HttpResponse
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<T, CartError>>,
{
    let calls = calls * forms::on_cart(session);
    let charged = match spend_share(request, session, shares, calls).await {
        Ok(charged) => charged,
        Err(refused) => return refused,
    };
    let changed = charging(shares, charged, change()).await;
    let flash = match changed {
        Ok(_) => Flash::success(done),
        Err(error) => flash_for(&error),
    };
    back_to_cart(session, flash).await
}

/// 429 page for a client whose fair share is spent.
fn too_many(wait: std::time::Duration) -> HttpResponse {
    let mut response = error_page(
        actix_web::http::StatusCode::TOO_MANY_REQUESTS,
        "Too many requests",
        "Wait a moment, then try again.",
    );
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    if let Ok(value) = seconds.max(1).to_string().parse() {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The login page, sending the shopper on to `path` (on this service) once signed in.
fn login_returning_to(path: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
    format!("/login?redirect_to={encoded}")
}

/// A `redirect_to` the shopper may be sent to: a path on this service, nothing else (no
/// scheme, no `//host`, no backslash tricks), so the parameter is no open redirect.
fn local_path(target: &str) -> Option<&str> {
    let is_local = target.starts_with('/')
        && !target.starts_with("//")
        && !target.contains('\\')
        && !target.chars().any(char::is_control);
    is_local.then_some(target)
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_paths_on_this_service_are_redirect_targets() {
        assert_eq!(
            local_path("/cart/recover?t=abc"),
            Some("/cart/recover?t=abc")
        );
        for refused in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "cart",
            "/\ncart",
        ] {
            assert_eq!(local_path(refused), None, "{refused}");
        }
    }
}
