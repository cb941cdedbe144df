//! The actix application: API under `/stores/`, hosted pages, and the control plane.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::{api, control, storefront};

/// Registers every route of the sandbox.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(control_json_config())
        .service(web::scope("/__sandbox").configure(control::configure))
        .service(web::resource("/stores/{tail:.*}").to(api::api_entry))
        .configure(storefront::configure)
        .default_service(web::to(|| async {
            HttpResponse::NotFound()
                .content_type("text/plain; charset=utf-8")
                .body("Not found")
        }));
}

/// JSON errors of the control plane are 400 `{"error": "..."}` instead of actix's text.
fn control_json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(1024 * 1024)
        .error_handler(|err, _req| {
            let response = HttpResponse::BadRequest().json(json!({"error": err.to_string()}));
            actix_web::error::InternalError::from_response(err, response).into()
        })
}
