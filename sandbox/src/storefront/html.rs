//! Tiny HTML helpers for the hosted pages: escaping every dynamic value and one layout.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, HttpResponseBuilder};

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Formats money for display.
pub fn money(currency: &str, amount: f64) -> String {
    format!("{} {amount:.2}", escape(currency))
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;\
padding:0 1rem;color:#1f2937}header{border-bottom:1px solid #e5e7eb;margin-bottom:1.5rem}\
table{width:100%;border-collapse:collapse}td,th{padding:.5rem;border-bottom:1px solid #e5e7eb;\
text-align:left;vertical-align:middle}img{width:48px;height:48px}.error{color:#b91c1c}\
.note{color:#6b7280}button,.button{background:#111827;color:#fff;border:0;padding:.5rem 1rem;\
border-radius:.25rem;text-decoration:none;cursor:pointer}input[type=number]{width:4rem}";

/// A whole page; `title` and `store` are escaped here, `body` must already be safe HTML.
pub fn page(store: &str, title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title} - {store}</title><style>{STYLE}</style></head><body>\
         <header><p><strong>{store}</strong> <span class=\"note\">(BigCommerce sandbox)</span>\
         </p></header><main><h1>{title}</h1>{body}</main></body></html>",
        title = escape(title),
        store = escape(store),
    )
}

/// Starts an HTML response.
pub fn html(status: StatusCode) -> HttpResponseBuilder {
    let mut b = HttpResponse::build(status);
    b.content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"));
    b
}

/// A page explaining why something was refused.
pub fn error_page(store: &str, status: StatusCode, title: &str, message: &str) -> HttpResponse {
    let body = format!("<p class=\"error\">{}</p>", escape(message));
    html(status).body(page(store, title, &body))
}
