//! Settings of the standalone binary, read from `SANDBOX_*` environment variables on top of
//! the binary's defaults (port 8090). Every variable is listed in `sandbox/README.md`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::config::{
    ConsignmentsOnLineChange, DateDisplay, DuplicateAddPolicy, SandboxConfig, SeedSource,
    WebhookCreatedAt, ZeroQuantityPolicy,
};

/// Port of the standalone sandbox.
pub const DEFAULT_PORT: u16 = 8090;

/// A variable that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{name}={value:?}: {reason}")]
pub struct EnvError {
    name: String,
    value: String,
    reason: String,
}

fn parse<T: FromStr>(name: &str, value: &str) -> Result<T, EnvError> {
    value.trim().parse().map_err(|_| EnvError {
        name: name.to_owned(),
        value: value.to_owned(),
        reason: format!("expected a {}", std::any::type_name::<T>()),
    })
}

fn parse_bool(name: &str, value: &str) -> Result<bool, EnvError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(EnvError {
            name: name.to_owned(),
            value: value.to_owned(),
            reason: "expected true or false".to_owned(),
        }),
    }
}

fn choice<T: Copy>(name: &str, value: &str, options: &[(&str, T)]) -> Result<T, EnvError> {
    options
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(value.trim()))
        .map(|(_, v)| *v)
        .ok_or_else(|| EnvError {
            name: name.to_owned(),
            value: value.to_owned(),
            reason: format!(
                "expected one of {}",
                options
                    .iter()
                    .map(|(k, _)| *k)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
}

/// The binary's configuration from `lookup` (normally `std::env::var`).
pub fn config_from(lookup: impl Fn(&str) -> Option<String>) -> Result<SandboxConfig, EnvError> {
    let mut c = SandboxConfig::default();
    let host: IpAddr = match lookup("SANDBOX_HOST") {
        Some(v) => parse("SANDBOX_HOST", &v)?,
        None => IpAddr::from([127, 0, 0, 1]),
    };
    let port: u16 = match lookup("SANDBOX_PORT") {
        Some(v) => parse("SANDBOX_PORT", &v)?,
        None => DEFAULT_PORT,
    };
    c.bind = SocketAddr::new(host, port);
    c.workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let text = |name: &str, target: &mut String| {
        if let Some(v) = lookup(name) {
            *target = v;
        }
    };
    text("SANDBOX_STORE_HASH", &mut c.store_hash);
    text("SANDBOX_STORE_ID", &mut c.store_id);
    text("SANDBOX_ACCESS_TOKEN", &mut c.access_token);
    text("SANDBOX_CLIENT_ID", &mut c.client_id);
    text("SANDBOX_CLIENT_SECRET", &mut c.client_secret);
    if let Some(v) = lookup("SANDBOX_SEED") {
        c.seed = SeedSource::Path(PathBuf::from(v));
    }
    c.public_url = lookup("SANDBOX_PUBLIC_URL").filter(|v| !v.is_empty());
    c.storefront_url = lookup("SANDBOX_STOREFRONT_URL").filter(|v| !v.is_empty());
    if let Some(v) = lookup("SANDBOX_WORKERS") {
        c.workers = parse("SANDBOX_WORKERS", &v)?;
    }
    if let Some(v) = lookup("SANDBOX_WEBHOOK_RETRY_DELAYS_MS") {
        c.webhook_retry_delays = v
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| parse::<u64>("SANDBOX_WEBHOOK_RETRY_DELAYS_MS", s).map(Duration::from_millis))
            .collect::<Result<_, _>>()?;
    }
    if let Some(v) = lookup("SANDBOX_WEBHOOK_TIMEOUT_MS") {
        c.webhook_timeout = Duration::from_millis(parse("SANDBOX_WEBHOOK_TIMEOUT_MS", &v)?);
    }
    if let Some(v) = lookup("SANDBOX_WEBHOOK_DELAY_MS") {
        c.webhook_delay = Duration::from_millis(parse("SANDBOX_WEBHOOK_DELAY_MS", &v)?);
    }
    if let Some(v) = lookup("SANDBOX_WEBHOOK_CREATED_AT") {
        c.webhook_created_at = choice(
            "SANDBOX_WEBHOOK_CREATED_AT",
            &v,
            &[
                ("event", WebhookCreatedAt::EventTime),
                ("hook", WebhookCreatedAt::HookCreation),
                ("absent", WebhookCreatedAt::Absent),
            ],
        )?;
    }
    if let Some(v) = lookup("SANDBOX_RATE_LIMIT_ENFORCE") {
        c.rate_limit.enforce = parse_bool("SANDBOX_RATE_LIMIT_ENFORCE", &v)?;
    }
    if let Some(v) = lookup("SANDBOX_RATE_LIMIT_QUOTA") {
        c.rate_limit.quota = parse("SANDBOX_RATE_LIMIT_QUOTA", &v)?;
    }
    if let Some(v) = lookup("SANDBOX_RATE_LIMIT_WINDOW_MS") {
        c.rate_limit.window_ms = parse("SANDBOX_RATE_LIMIT_WINDOW_MS", &v)?;
    }
    if let Some(v) = lookup("SANDBOX_CLOCK_OFFSET_SECONDS") {
        c.clock_offset_seconds = parse("SANDBOX_CLOCK_OFFSET_SECONDS", &v)?;
    }
    if let Some(v) = lookup("SANDBOX_DUPLICATE_ADD") {
        c.behaviours.duplicate_add = choice(
            "SANDBOX_DUPLICATE_ADD",
            &v,
            &[
                ("merge", DuplicateAddPolicy::Merge),
                ("new_line", DuplicateAddPolicy::NewLine),
            ],
        )?;
    }
    if let Some(v) = lookup("SANDBOX_ZERO_QUANTITY") {
        c.behaviours.zero_quantity = choice(
            "SANDBOX_ZERO_QUANTITY",
            &v,
            &[
                ("remove", ZeroQuantityPolicy::Remove),
                ("reject", ZeroQuantityPolicy::Reject),
            ],
        )?;
    }
    if let Some(v) = lookup("SANDBOX_MISSING_CART_WRITE_STATUS") {
        c.behaviours.missing_cart_write_status = choice(
            "SANDBOX_MISSING_CART_WRITE_STATUS",
            &v,
            &[("500", 500), ("404", 404)],
        )?;
    }
    if let Some(v) = lookup("SANDBOX_CART_NOT_FOUND_TITLE") {
        c.behaviours.cart_not_found_title = parse_bool("SANDBOX_CART_NOT_FOUND_TITLE", &v)?;
    }
    if let Some(v) = lookup("SANDBOX_PURCHASE_LIMIT_STATUS") {
        c.behaviours.purchase_limit_status = choice(
            "SANDBOX_PURCHASE_LIMIT_STATUS",
            &v,
            &[("409", 409), ("422", 422)],
        )?;
    }
    if let Some(v) = lookup("SANDBOX_REFUSE_CUSTOMER_CHANGE") {
        c.behaviours.refuse_customer_change = parse_bool("SANDBOX_REFUSE_CUSTOMER_CHANGE", &v)?;
    }
    if let Some(v) = lookup("SANDBOX_REFUSE_VARIANT_ID_WITH_MODIFIERS") {
        c.behaviours.refuse_variant_id_with_modifiers =
            parse_bool("SANDBOX_REFUSE_VARIANT_ID_WITH_MODIFIERS", &v)?;
    }
    if let Some(v) = lookup("SANDBOX_DATE_OPTION_DISPLAY") {
        c.behaviours.date_option_display = choice(
            "SANDBOX_DATE_OPTION_DISPLAY",
            &v,
            &[
                ("iso", DateDisplay::Iso),
                ("formatted", DateDisplay::Formatted),
            ],
        )?;
    }
    if let Some(v) = lookup("SANDBOX_AUTOMATIC_PROMOTIONS") {
        c.automatic_promotions = parse_bool("SANDBOX_AUTOMATIC_PROMOTIONS", &v)?;
    }
    if let Some(v) = lookup("SANDBOX_COUPON_ERROR_STATUS") {
        c.behaviours.coupon_error_status = choice(
            "SANDBOX_COUPON_ERROR_STATUS",
            &v,
            &[("400", 400), ("422", 422)],
        )?;
    }
    if let Some(v) = lookup("SANDBOX_CONSIGNMENT_EMAIL_REQUIRED") {
        c.behaviours.consignment_email_required =
            parse_bool("SANDBOX_CONSIGNMENT_EMAIL_REQUIRED", &v)?;
    }
    if let Some(v) = lookup("SANDBOX_CONSIGNMENTS_ON_LINE_CHANGE") {
        c.behaviours.consignments_on_line_change = choice(
            "SANDBOX_CONSIGNMENTS_ON_LINE_CHANGE",
            &v,
            &[
                ("requote", ConsignmentsOnLineChange::Requote),
                ("keep", ConsignmentsOnLineChange::Keep),
                ("remove", ConsignmentsOnLineChange::Remove),
            ],
        )?;
    }
    if let Some(v) = lookup("SANDBOX_SHIPPING_COST_BEFORE_DISCOUNTS") {
        c.behaviours.shipping_cost_before_discounts =
            parse_bool("SANDBOX_SHIPPING_COST_BEFORE_DISCOUNTS", &v)?;
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_serve_port_8090_with_the_documented_credentials() {
        let c = config_from(|_| None).expect("defaults are valid");
        assert_eq!(c.bind.port(), 8090);
        assert_eq!(c.store_hash, "sandbox");
        assert_eq!(c.access_token, "sandbox-token");
    }

    #[test]
    fn variables_override_defaults_and_bad_values_are_named() {
        let c = config_from(|k| match k {
            "SANDBOX_PORT" => Some("9000".to_owned()),
            "SANDBOX_WEBHOOK_RETRY_DELAYS_MS" => Some("50,100".to_owned()),
            "SANDBOX_ZERO_QUANTITY" => Some("reject".to_owned()),
            _ => None,
        })
        .expect("valid");
        assert_eq!(c.bind.port(), 9000);
        assert_eq!(
            c.webhook_retry_delays,
            vec![Duration::from_millis(50), Duration::from_millis(100)]
        );
        assert_eq!(c.behaviours.zero_quantity, ZeroQuantityPolicy::Reject);
        let err = config_from(|k| (k == "SANDBOX_PORT").then(|| "x".to_owned()))
            .expect_err("invalid port");
        assert!(err.to_string().contains("SANDBOX_PORT"));
    }
}
