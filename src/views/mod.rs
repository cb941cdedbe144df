//! Server-rendered pages: askama view models, and the one helper that turns them into
//! responses with the pages' security headers.

mod cart_page;
mod checkout_view;
mod error_page;
mod money;

pub use cart_page::{
    CartPage, CartView, Control, FlashView, LeftBehindView, LineView, LoginPage, ModifierView,
    ProductView, RecoverPage,
};
pub use checkout_view::{EstimateForm, GiftCertificateForm, ShippingOptionView, ShippingView};
pub use error_page::ErrorPage;
pub use money::format_money;

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use askama::Template;

/// The Content-Security-Policy of every page: no scripts at all, styles and images only from
/// where we expect them, never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; \
     img-src 'self' https: http: data:; base-uri 'none'; frame-ancestors 'none'";

/// Renders `page` with `status` and the pages' security headers.
pub fn render(page: &impl Template, status: StatusCode) -> HttpResponse {
    match page.render() {
        Ok(html) => with_page_headers(HttpResponse::build(status)).body(html),
        Err(error) => {
            tracing::error!(error = %error, "could not render a page");
            with_page_headers(HttpResponse::InternalServerError())
                .body("<!doctype html><title>Error</title><h1>Something went wrong</h1>")
        }
    }
}

/// Sets the headers every HTML answer carries (also redirects, which may carry cookies).
pub fn with_page_headers(
    mut builder: actix_web::HttpResponseBuilder,
) -> actix_web::HttpResponseBuilder {
    builder
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=()",
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"));
    builder
}

/// The error page for `status`.
pub fn error_page(status: StatusCode, title: &str, detail: &str) -> HttpResponse {
    render(
        &ErrorPage {
            status: status.as_u16(),
            title: title.to_owned(),
            detail: detail.to_owned(),
        },
        status,
    )
}
