//! Refuses state-changing requests that another site made the shopper's browser send.
//!
//! SameSite=Lax keeps the session cookie off cross-site sub-requests, but not off a sibling
//! subdomain's (`same-site`) requests, and a body-less `POST` needs no CORS preflight: so every
//! `POST`, `PUT`, `PATCH` and `DELETE` must come from this service's own origin or a configured
//! storefront origin. Browsers name the origin in `Origin` (every `POST` since 2020); where it
//! is absent, `Sec-Fetch-Site` tells. A request with neither comes from no browser, carries no
//! shopper's cookie by accident, and goes through. The CSRF tokens of the pages stay on top.
//!
//! BigCommerce's webhook callbacks are server-to-server and authenticated by their secret, so
//! their path is exempt.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Data;
use actix_web::HttpResponse;
use url::Url;

use crate::errors::{ErrorCode, Problem};

/// Where state-changing requests may come from.
#[derive(Debug, Clone)]
pub struct AllowedOrigins {
    /// ASCII-serialised origins (`https://shop.example`), default ports dropped.
    origins: Vec<String>,
    /// Paths not checked (the webhook receiver).
    exempt_paths: Vec<String>,
    /// The scheme this service is served under (`base_url`'s): a page of the same host under
    /// another scheme (plain `http`, which anyone on the network can forge) is another origin.
    own_scheme: Option<String>,
}

impl AllowedOrigins {
    /// This service's public origin (`base_url`) and the storefront origins allowed by CORS.
    pub fn new(base_url: &str, storefronts: &[String], exempt_paths: Vec<String>) -> Self {
        let origins = std::iter::once(base_url)
            .chain(storefronts.iter().map(String::as_str))
            .filter_map(normalise)
            .collect();
        let own_scheme = Url::parse(base_url).ok().map(|url| url.scheme().to_owned());
        Self {
            origins,
            exempt_paths,
            own_scheme,
        }
    }

    /// Why `request` must be refused, if it must.
    fn refuses(&self, request: &ServiceRequest) -> bool {
        if matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
        ) || self.exempt_paths.iter().any(|path| path == request.path())
        {
            return false;
        }
        let headers = request.headers();
        let fetch_site = headers
            .get("sec-fetch-site")
            .and_then(|value| value.to_str().ok());
        match headers.get(header::ORIGIN).map(|value| value.to_str()) {
            // A page under a strict referrer policy posts its forms with `Origin: null`; the
            // browser's own `Sec-Fetch-Site` then says whether it was this site.
            Some(Ok("null")) => fetch_site != Some("same-origin"),
            Some(Ok(origin)) => !self.allows(origin, request),
            // Not ASCII: no browser sends that.
            Some(Err(_)) => true,
            None => matches!(fetch_site, Some("cross-site" | "same-site")),
        }
    }

    fn allows(&self, origin: &str, request: &ServiceRequest) -> bool {
        // `Origin: null` (sandboxed frames, privacy redirects) names nobody we trust.
        let Some(origin_url) = Url::parse(origin).ok().filter(|url| url.has_host()) else {
            return false;
        };
        let serialised = origin_url.origin().ascii_serialization();
        if self.origins.contains(&serialised) {
            return true;
        }
        // The page this service itself served: the origin's authority is the request's Host.
        // A browser sets Host to where it sends the request, so another site cannot fake it.
        if self.own_scheme.as_deref() != Some(origin_url.scheme()) {
            return false;
        }
        let Some(host) = headers_host(request) else {
            return false;
        };
        let expected_port = origin_url.port_or_known_default();
        match Url::parse(&format!("{}://{host}", origin_url.scheme())) {
            Ok(host_url) => {
                host_url.host_str() == origin_url.host_str()
                    && host_url.port_or_known_default() == expected_port
            }
            Err(_) => false,
        }
    }
}

fn headers_host(request: &ServiceRequest) -> Option<&str> {
    request
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
}

fn normalise(origin: &str) -> Option<String> {
    let url = Url::parse(origin).ok().filter(|url| url.has_host())?;
    Some(url.origin().ascii_serialization())
}

/// The middleware: answers 403 before any handler (or session) runs.
pub async fn refuse_cross_site(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let refused = request
        .app_data::<Data<AllowedOrigins>>()
        .is_some_and(|allowed| allowed.refuses(&request));
    if !refused {
        return next
            .call(request)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    tracing::info!("refused a state-changing request from another origin");
    let response = if request.path().starts_with("/api/") {
        Problem::from_code(ErrorCode::OriginRefused).to_response()
    } else {
        refused_page()
    };
    Ok(request.into_response(response).map_into_right_body())
}

fn refused_page() -> HttpResponse {
    crate::views::error_page(
        StatusCode::FORBIDDEN,
        "This form came from another site",
        "Nothing was changed. Go to your cart on this site and try again there.",
    )
}
