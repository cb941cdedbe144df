//! What the seed says about checkouts: shipping zones with their methods, and a flat tax rate
//! per country (`[[shipping_zones]]`, `[[tax_rates]]` in `seed.toml`).
//!
//! BigCommerce's shipping zones are countries (or states, or postal codes) with methods such as
//! flat rate, by weight, or pickup (`shipping_flatrate`, `shipping_byweight`,
//! `shipping_pickupinstore` in the end-to-end guide's answer); the sandbox's zones are lists of
//! countries with flat-rate methods. A method may be made free by an automatic
//! `free_shipping` promotion of the seed.

use serde::Deserialize;

use crate::seed::{PromotionKind, Seed, SeedError};

/// A zone: the countries it covers and the methods it offers there.
#[derive(Debug, Clone, Deserialize)]
pub struct ShippingZoneSeed {
    pub name: String,
    /// ISO 3166-1 alpha-2 codes (compared case-insensitively).
    pub countries: Vec<String>,
    #[serde(default)]
    pub methods: Vec<ShippingMethodSeed>,
}

/// A shipping method of a zone, quoted as one of a consignment's `available_shipping_options`.
#[derive(Debug, Clone, Deserialize)]
pub struct ShippingMethodSeed {
    /// Unique within the seed; option ids are derived from it and the consignment.
    pub id: i64,
    /// The option's `description` ("Standard shipping").
    pub name: String,
    /// BigCommerce's option `type`.
    #[serde(rename = "type", default = "flat_rate")]
    pub kind: String,
    pub cost: f64,
    #[serde(default)]
    pub transit_time: String,
    /// The id of a `free_shipping` promotion: while it applies, this method costs nothing.
    #[serde(default)]
    pub free_with_promotion: Option<String>,
}

fn flat_rate() -> String {
    "shipping_flatrate".to_owned()
}

/// A flat tax rate for one country: what the checkout charges once a consignment's address is
/// in that country.
#[derive(Debug, Clone, Deserialize)]
pub struct TaxRateSeed {
    pub country: String,
    /// The tax's `name` in the checkout's `taxes[]`.
    pub name: String,
    /// Percent.
    pub rate: f64,
    /// Shipping is taxed at the same rate.
    #[serde(default = "yes")]
    pub shipping_taxable: bool,
}

fn yes() -> bool {
    true
}

/// Method ids are unique, countries are two letters, rates and costs are not negative, and a
/// method made free names a `free_shipping` promotion of the seed.
pub fn check_checkout_seed(seed: &Seed) -> Result<(), SeedError> {
    let invalid = |why: String| Err(SeedError::Invalid(why));
    let mut ids = std::collections::HashSet::new();
    for zone in &seed.shipping_zones {
        if let Some(bad) = zone.countries.iter().find(|c| !is_country(c)) {
            return invalid(format!("shipping zone {}: country {bad}", zone.name));
        }
        for method in &zone.methods {
            if !ids.insert(method.id) {
                return invalid(format!("duplicate shipping method id {}", method.id));
            }
            if !(method.cost.is_finite() && method.cost >= 0.0) {
                return invalid(format!("shipping method {}: cost", method.id));
            }
            let promotion_known = |id: &String| {
                seed.promotions
                    .iter()
                    .any(|p| &p.id == id && p.kind == PromotionKind::FreeShipping)
            };
            if method
                .free_with_promotion
                .as_ref()
                .is_some_and(|id| !promotion_known(id))
            {
                return invalid(format!(
                    "shipping method {}: free_with_promotion names no free_shipping promotion",
                    method.id
                ));
            }
        }
    }
    for rate in &seed.tax_rates {
        if !(is_country(&rate.country) && rate.rate.is_finite() && rate.rate >= 0.0) {
            return invalid(format!("tax rate {}: country or rate", rate.name));
        }
    }
    Ok(())
}

fn is_country(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic())
}
