//! The error contract: every error response is RFC 9457 `application/problem+json` with a stable
//! snake_case `code` from the one table below, so storefronts can branch on it.
//!
//! Each area has its own error enum (sessions, cart, ...) that maps its variants onto this table
//! with an exhaustive `match`. A 500 is opaque to the client; its cause chain is logged once by
//! the request span (see `telemetry`).

use std::fmt;

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::HttpResponse;
use serde::Serialize;

use crate::domain::CartProblem;

/// Media type of problem responses.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Every stable error code the service can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    InvalidJson,
    InvalidInput,
    NotFound,
    MethodNotAllowed,
    NotAcceptable,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    OriginRefused,
    CartEmpty,
    CartHasProblems,
    ItemNotFound,
    LineNotEditable,
    LineAddedByPromotion,
    CouponInvalid,
    CouponNotApplied,
    ShippingNotRequired,
    ShippingEstimateRequired,
    ShippingOptionUnknown,
    RecoveryTokenUnknown,
    SignInRequired,
    InvalidCredentials,
    WebhookUnauthorized,
    IdempotencyKeyReused,
    IdempotencyKeyInFlight,
    IdempotencyOutcomePending,
    IdempotencyOutcomeUnknown,
    ProductUnavailable,
    QuantityLimit,
    OptionRequired,
    UpstreamRejected,
    CartBusy,
    LeftBehindBusy,
    UpstreamRateLimited,
    UpstreamBusy,
    UpstreamUnavailable,
    UpstreamTimeout,
    DatabaseUnavailable,
    InternalError,
}

impl ErrorCode {
    /// All codes, for documentation and the test that each is reachable.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::BadRequest,
        ErrorCode::InvalidJson,
        ErrorCode::InvalidInput,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::NotAcceptable,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::TooManyRequests,
        ErrorCode::OriginRefused,
        ErrorCode::CartEmpty,
        ErrorCode::CartHasProblems,
        ErrorCode::ItemNotFound,
        ErrorCode::LineNotEditable,
        ErrorCode::LineAddedByPromotion,
        ErrorCode::CouponInvalid,
        ErrorCode::CouponNotApplied,
        ErrorCode::ShippingNotRequired,
        ErrorCode::ShippingEstimateRequired,
        ErrorCode::ShippingOptionUnknown,
        ErrorCode::RecoveryTokenUnknown,
        ErrorCode::SignInRequired,
        ErrorCode::InvalidCredentials,
        ErrorCode::WebhookUnauthorized,
        ErrorCode::IdempotencyKeyReused,
        ErrorCode::IdempotencyKeyInFlight,
        ErrorCode::IdempotencyOutcomePending,
        ErrorCode::IdempotencyOutcomeUnknown,
        ErrorCode::ProductUnavailable,
        ErrorCode::QuantityLimit,
        ErrorCode::OptionRequired,
        ErrorCode::UpstreamRejected,
        ErrorCode::CartBusy,
        ErrorCode::LeftBehindBusy,
        ErrorCode::UpstreamRateLimited,
        ErrorCode::UpstreamBusy,
        ErrorCode::UpstreamUnavailable,
        ErrorCode::UpstreamTimeout,
        ErrorCode::DatabaseUnavailable,
        ErrorCode::InternalError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::NotAcceptable => "not_acceptable",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::TooManyRequests => "too_many_requests",
            ErrorCode::OriginRefused => "origin_refused",
            ErrorCode::CartEmpty => "cart_empty",
            ErrorCode::CartHasProblems => "cart_has_problems",
            ErrorCode::ItemNotFound => "item_not_found",
            ErrorCode::LineNotEditable => "line_not_editable",
            ErrorCode::LineAddedByPromotion => "line_added_by_promotion",
            ErrorCode::CouponInvalid => "coupon_invalid",
            ErrorCode::CouponNotApplied => "coupon_not_applied",
            ErrorCode::ShippingNotRequired => "shipping_not_required",
            ErrorCode::ShippingEstimateRequired => "shipping_estimate_required",
            ErrorCode::ShippingOptionUnknown => "shipping_option_unknown",
            ErrorCode::RecoveryTokenUnknown => "recovery_token_unknown",
            ErrorCode::SignInRequired => "sign_in_required",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::WebhookUnauthorized => "webhook_unauthorized",
            ErrorCode::IdempotencyKeyReused => "idempotency_key_reused",
            ErrorCode::IdempotencyKeyInFlight => "idempotency_key_in_flight",
            ErrorCode::IdempotencyOutcomePending => "idempotency_outcome_pending",
            ErrorCode::IdempotencyOutcomeUnknown => "idempotency_outcome_unknown",
            ErrorCode::ProductUnavailable => "product_unavailable",
            ErrorCode::QuantityLimit => "quantity_limit",
            ErrorCode::OptionRequired => "option_required",
            ErrorCode::UpstreamRejected => "upstream_rejected",
            ErrorCode::CartBusy => "cart_busy",
            ErrorCode::LeftBehindBusy => "left_behind_busy",
            ErrorCode::UpstreamRateLimited => "upstream_rate_limited",
            ErrorCode::UpstreamBusy => "upstream_busy",
            ErrorCode::UpstreamUnavailable => "upstream_unavailable",
            ErrorCode::UpstreamTimeout => "upstream_timeout",
            ErrorCode::DatabaseUnavailable => "database_unavailable",
            ErrorCode::InternalError => "internal_error",
        }
    }

    /// The short, fixed, human summary of the problem type.
    pub fn title(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "The request is malformed.",
            ErrorCode::InvalidJson => "The request body is not valid JSON for this endpoint.",
            ErrorCode::InvalidInput => "The request contains an invalid value.",
            ErrorCode::NotFound => "There is nothing at this path.",
            ErrorCode::MethodNotAllowed => "This method is not allowed on this path.",
            ErrorCode::NotAcceptable => "The requested representation is not available.",
            ErrorCode::PayloadTooLarge => "The request body is too large.",
            ErrorCode::UnsupportedMediaType => "The request body must be application/json.",
            ErrorCode::TooManyRequests => "Too many requests; slow down.",
            ErrorCode::OriginRefused => {
                "State-changing requests are accepted only from this shop's own pages."
            }
            ErrorCode::CartEmpty => "The cart is empty.",
            ErrorCode::CartHasProblems => {
                "Lines of the cart cannot be fulfilled as they are; fix them (see `problems`) \
                 and check out again."
            }
            ErrorCode::ItemNotFound => "There is no such line in the cart.",
            ErrorCode::LineNotEditable => {
                "This line's quantity cannot be changed; remove it instead."
            }
            ErrorCode::LineAddedByPromotion => {
                "A promotion added this line; it cannot be changed or removed, and goes by \
                 itself when the promotion no longer applies."
            }
            ErrorCode::CouponInvalid => "That coupon code cannot be used for this cart.",
            ErrorCode::CouponNotApplied => "That coupon code is not applied to the cart.",
            ErrorCode::ShippingNotRequired => {
                "Nothing in the cart needs shipping: there is nothing to estimate."
            }
            ErrorCode::ShippingEstimateRequired => {
                "There is no current shipping estimate for the cart; estimate shipping first."
            }
            ErrorCode::ShippingOptionUnknown => {
                "That shipping option is not one of the cart's; estimate shipping again."
            }
            ErrorCode::RecoveryTokenUnknown => "That cart recovery link is unknown or has expired.",
            ErrorCode::SignInRequired => "Sign in to see this cart.",
            ErrorCode::InvalidCredentials => "The e-mail address or password is not right.",
            ErrorCode::WebhookUnauthorized => "The webhook callback is not authenticated.",
            ErrorCode::IdempotencyKeyReused => {
                "This Idempotency-Key was used for a different request."
            }
            ErrorCode::IdempotencyKeyInFlight => {
                "A request with this Idempotency-Key is still being processed."
            }
            ErrorCode::IdempotencyOutcomePending => {
                "The outcome of the first request with this Idempotency-Key is still being \
                 settled; retry after the given time."
            }
            ErrorCode::IdempotencyOutcomeUnknown => {
                "The cart changed after the first request with this Idempotency-Key lost its \
                 outcome, so whether it applied cannot be told; check the cart before sending \
                 the change again (with a new key)."
            }
            ErrorCode::ProductUnavailable => "That product cannot be bought right now.",
            ErrorCode::QuantityLimit => "That quantity is more or less than the store allows.",
            ErrorCode::OptionRequired => "That product needs an option chosen.",
            ErrorCode::UpstreamRejected => "The store refused the change.",
            ErrorCode::CartBusy => "The cart is being created by another request; try again.",
            ErrorCode::LeftBehindBusy => {
                "Another request is moving the items left behind at sign-in; try again in a \
                 moment."
            }
            ErrorCode::UpstreamRateLimited => "The store is busy; try again shortly.",
            ErrorCode::UpstreamBusy => {
                "The store's API budget is spent for now; try again shortly."
            }
            ErrorCode::UpstreamUnavailable => "The store is unavailable right now.",
            ErrorCode::UpstreamTimeout => "The store did not answer in time.",
            ErrorCode::DatabaseUnavailable => "The service is temporarily unavailable.",
            ErrorCode::InternalError => "Something went wrong on our side.",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::BadRequest | ErrorCode::InvalidJson => StatusCode::BAD_REQUEST,
            ErrorCode::InvalidInput => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::OriginRefused => StatusCode::FORBIDDEN,
            ErrorCode::CartEmpty => StatusCode::CONFLICT,
            ErrorCode::CartHasProblems => StatusCode::CONFLICT,
            ErrorCode::ItemNotFound => StatusCode::NOT_FOUND,
            ErrorCode::LineNotEditable => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::LineAddedByPromotion => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::CouponInvalid => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::CouponNotApplied => StatusCode::NOT_FOUND,
            ErrorCode::ShippingNotRequired => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ShippingEstimateRequired => StatusCode::CONFLICT,
            ErrorCode::ShippingOptionUnknown => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::RecoveryTokenUnknown => StatusCode::NOT_FOUND,
            ErrorCode::SignInRequired => StatusCode::FORBIDDEN,
            ErrorCode::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ErrorCode::WebhookUnauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::IdempotencyKeyInFlight => StatusCode::CONFLICT,
            ErrorCode::IdempotencyOutcomePending => StatusCode::CONFLICT,
            ErrorCode::IdempotencyOutcomeUnknown => StatusCode::CONFLICT,
            ErrorCode::ProductUnavailable => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::QuantityLimit => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::OptionRequired => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::UpstreamRejected => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::CartBusy => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::LeftBehindBusy => StatusCode::CONFLICT,
            ErrorCode::UpstreamRateLimited => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::UpstreamBusy => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::UpstreamUnavailable => StatusCode::BAD_GATEWAY,
            ErrorCode::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
            ErrorCode::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// URI naming the problem type.
    #[serde(rename = "type")]
    pub type_uri: String,
    #[schema(value_type = String)]
    pub title: &'static str,
    pub status: u16,
    /// What happened this time, for people.
    pub detail: String,
    /// Stable code to branch on.
    pub code: ErrorCode,
    /// Seconds to wait before retrying, for 429 and 503 answers that know it.
    #[serde(skip)]
    pub retry_after: Option<u64>,
    /// For `cart_has_problems`: every line that cannot be fulfilled, and why (an extension
    /// member, RFC 9457 §3.2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problems: Option<Vec<CartProblem>>,
}

impl Problem {
    /// A problem of type `code` explaining this occurrence in `detail`.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            type_uri: format!("urn:checkout-bff:problem:{}", code.as_str()),
            title: code.title(),
            status: code.status().as_u16(),
            detail: detail.into(),
            code,
            retry_after: None,
            problems: None,
        }
    }

    /// The generic problem for `code`, with its title as detail.
    pub fn from_code(code: ErrorCode) -> Self {
        Self::new(code, code.title())
    }

    pub fn with_problems(mut self, problems: Vec<CartProblem>) -> Self {
        self.problems = Some(problems);
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }

    pub fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    pub fn to_response(&self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.code.status());
        builder.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        // Problems are about one client's request: no cache may keep them.
        builder.insert_header((header::CACHE_CONTROL, "private, no-store"));
        if let Some(seconds) = self.retry_after {
            builder.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        builder.body(serde_json::to_string(self).unwrap_or_default())
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.detail)
    }
}

/// Formats an error and every `source()` below it, one per line: the `Debug` of our error enums,
/// which is what gets logged.
pub fn error_chain_fmt(error: &impl std::error::Error, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    writeln!(f, "{error}")?;
    let mut current = error.source();
    while let Some(cause) = current {
        writeln!(f, "Caused by:\n\t{cause}")?;
        current = cause.source();
    }
    Ok(())
}

/// Turns any error response that is not already a problem document (actix's own 404, 405, and
/// extractor errors) into one, so clients see a single error format.
pub fn problem_for_plain_errors<B>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value == HeaderValue::from_static(PROBLEM_JSON));
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if is_problem || is_html {
        // Problem documents pass untouched; HTML pages render their own error page.
        return Ok(ErrorHandlerResponse::Response(
            response.map_into_left_body(),
        ));
    }
    let problem = match response.status() {
        StatusCode::NOT_FOUND => Problem::from_code(ErrorCode::NotFound),
        StatusCode::METHOD_NOT_ALLOWED => Problem::from_code(ErrorCode::MethodNotAllowed),
        StatusCode::PAYLOAD_TOO_LARGE => Problem::from_code(ErrorCode::PayloadTooLarge),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Problem::from_code(ErrorCode::UnsupportedMediaType),
        StatusCode::NOT_ACCEPTABLE => Problem::from_code(ErrorCode::NotAcceptable),
        status if status.is_client_error() => Problem::from_code(ErrorCode::BadRequest),
        _ => Problem::from_code(ErrorCode::InternalError),
    };
    let (request, original) = response.into_parts();
    let mut replacement: HttpResponse<BoxBody> = problem.to_response();
    // Keep headers such as Allow and Retry-After that the original answer carried.
    for (name, value) in original.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            replacement
                .headers_mut()
                .insert(name.clone(), value.clone());
        }
    }
    let replaced: ServiceResponse<EitherBody<B, BoxBody>> =
        ServiceResponse::new(request, replacement).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(replaced))
}
