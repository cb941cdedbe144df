//! The seed file format (`seed.toml`) and its checks. The committed seed is compiled in, so
//! the sandbox runs from any directory; a path or inline text can replace it.

use serde::Deserialize;

use crate::config::SeedSource;

/// The committed seed, used by `SeedSource::Embedded`.
pub const EMBEDDED_SEED: &str = include_str!("../seed.toml");

/// Why a seed could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("cannot read seed file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid seed TOML: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("invalid seed: {0}")]
    Invalid(String),
}

impl From<SeedError> for std::io::Error {
    fn from(e: SeedError) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())
    }
}

/// The whole seed file.
#[derive(Debug, Clone, Deserialize)]
pub struct Seed {
    pub store: StoreSeed,
    #[serde(default)]
    pub products: Vec<ProductSeed>,
    #[serde(default)]
    pub customers: Vec<CustomerSeed>,
    /// Promotion banners shown with `include=promotions.banners`.
    #[serde(default)]
    pub banners: Vec<BannerSeed>,
    /// Coupon codes shoppers can apply at checkout.
    #[serde(default)]
    pub coupons: Vec<CouponSeed>,
    /// Automatic promotions: no code needed.
    #[serde(default)]
    pub promotions: Vec<PromotionSeed>,
    /// Where the store ships, and what it costs (`seed_checkout`).
    #[serde(default)]
    pub shipping_zones: Vec<crate::seed_checkout::ShippingZoneSeed>,
    /// A flat tax rate per country (`seed_checkout`).
    #[serde(default)]
    pub tax_rates: Vec<crate::seed_checkout::TaxRateSeed>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreSeed {
    pub name: String,
    #[serde(default = "default_currency")]
    pub currency: String,
    /// The store's channels; carts and customers name one (BigCommerce's default is 1).
    #[serde(default = "default_channels")]
    pub channels: Vec<i64>,
    /// Coupon codes one order may carry (BigCommerce's `number_of_coupons_allowed_at_checkout`:
    /// 1 to 5, default 1).
    #[serde(default = "default_coupons_per_order")]
    pub coupons_per_order: usize,
}

fn default_coupons_per_order() -> usize {
    1
}

fn default_channels() -> Vec<i64> {
    vec![1]
}

fn default_currency() -> String {
    "USD".to_owned()
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ProductType {
    #[default]
    Physical,
    Digital,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum InventoryTracking {
    #[default]
    None,
    Product,
    Variant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Availability {
    #[default]
    Available,
    Disabled,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ProductSeed {
    pub id: i64,
    pub name: String,
    #[serde(default, rename = "type")]
    pub kind: ProductType,
    pub sku: String,
    pub price: f64,
    #[serde(default)]
    pub sale_price: f64,
    #[serde(default)]
    pub inventory_tracking: InventoryTracking,
    #[serde(default)]
    pub inventory_level: i64,
    #[serde(default)]
    pub availability: Availability,
    #[serde(default)]
    pub order_quantity_minimum: u32,
    #[serde(default)]
    pub order_quantity_maximum: u32,
    #[serde(default = "default_true")]
    pub is_visible: bool,
    pub slug: String,
    #[serde(default)]
    pub image_url: Option<String>,
    #[serde(default)]
    pub options: Vec<OptionSeed>,
    #[serde(default)]
    pub variants: Vec<VariantSeed>,
    #[serde(default)]
    pub modifiers: Vec<ModifierSeed>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OptionSeed {
    pub id: i64,
    pub display_name: String,
    pub values: Vec<OptionValueSeed>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OptionValueSeed {
    pub id: i64,
    pub label: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct VariantSeed {
    pub id: i64,
    pub sku: String,
    /// Defaults to the product price.
    #[serde(default)]
    pub price: Option<f64>,
    #[serde(default)]
    pub inventory_level: i64,
    #[serde(default)]
    pub purchasing_disabled: bool,
    #[serde(default)]
    pub option_values: Vec<i64>,
}

/// The modifier types BigCommerce's catalog has (`product-modifiers_catalog.v3.yml`), except
/// `file` and the product lists, which no shopper-facing flow of the service can fill in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ModifierType {
    #[default]
    Text,
    MultiLineText,
    NumbersOnlyText,
    Date,
    Checkbox,
    Dropdown,
    RadioButtons,
    Rectangles,
    Swatch,
}

impl ModifierType {
    /// BigCommerce's name of the type.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::MultiLineText => "multi_line_text",
            Self::NumbersOnlyText => "numbers_only_text",
            Self::Date => "date",
            Self::Checkbox => "checkbox",
            Self::Dropdown => "dropdown",
            Self::RadioButtons => "radio_buttons",
            Self::Rectangles => "rectangles",
            Self::Swatch => "swatch",
        }
    }

    /// Types whose `option_value` is one of the modifier's value ids.
    pub fn has_values(self) -> bool {
        matches!(
            self,
            Self::Checkbox | Self::Dropdown | Self::RadioButtons | Self::Rectangles | Self::Swatch
        )
    }
}

/// A product modifier: free text, a number, a date, or a choice among `values`.
#[derive(Debug, Clone, Deserialize)]
pub struct ModifierSeed {
    pub id: i64,
    pub display_name: String,
    #[serde(default, rename = "type")]
    pub kind: ModifierType,
    #[serde(default)]
    pub required: bool,
    /// Text types: length limits.
    #[serde(default)]
    pub min_length: usize,
    #[serde(default = "default_max_length")]
    pub max_length: usize,
    /// `numbers_only_text`: the range and whether decimals are refused.
    #[serde(default)]
    pub number_min: Option<f64>,
    #[serde(default)]
    pub number_max: Option<f64>,
    #[serde(default)]
    pub integers_only: bool,
    /// `date`: the earliest and latest dates allowed (`YYYY-MM-DD`).
    #[serde(default)]
    pub date_earliest: Option<String>,
    #[serde(default)]
    pub date_latest: Option<String>,
    /// `checkbox`: the text next to the box.
    #[serde(default)]
    pub checkbox_label: Option<String>,
    /// `checkbox`: whether the box starts ticked on the storefront (`checked_by_default`).
    #[serde(default)]
    pub checked_by_default: bool,
    /// Text, number and date types: what the field starts with (`default_value`; a date as
    /// `YYYY-MM-DD`).
    #[serde(default)]
    pub default_value: Option<String>,
    /// Choice types: the values (a checkbox has exactly two, one `checked`).
    #[serde(default)]
    pub values: Vec<ModifierValueSeed>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ModifierValueSeed {
    pub id: i64,
    pub label: String,
    #[serde(default)]
    pub is_default: bool,
    /// `checkbox` only: whether this value is the ticked state.
    #[serde(default)]
    pub checked: bool,
}

fn default_max_length() -> usize {
    255
}

/// A promotion banner (`promotions.banners` of a cart).
#[derive(Debug, Clone, Deserialize)]
pub struct BannerSeed {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub page: Vec<String>,
    pub text: String,
}

/// How a coupon takes money off (BigCommerce's coupon types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CouponKind {
    /// `amount` percent off the order.
    PercentageDiscount,
    /// `amount` off the order's total.
    PerTotalDiscount,
}

impl CouponKind {
    /// The Checkouts API's `coupon_type` (a name).
    pub fn name(self) -> &'static str {
        match self {
            Self::PercentageDiscount => "percentage_discount",
            Self::PerTotalDiscount => "per_total_discount",
        }
    }

    /// The Carts API's `coupon_type` (its enum of numbers as strings).
    pub fn number(self) -> &'static str {
        match self {
            Self::PercentageDiscount => "1",
            Self::PerTotalDiscount => "2",
        }
    }
}

/// A coupon code.
#[derive(Debug, Clone, Deserialize)]
pub struct CouponSeed {
    pub id: i64,
    pub code: String,
    /// The `display_name` shoppers see.
    pub name: String,
    #[serde(rename = "type")]
    pub kind: CouponKind,
    /// Percent (percentage_discount) or money (per_total_discount).
    pub amount: f64,
    /// The items must come to at least this much.
    #[serde(default)]
    pub min_subtotal: f64,
    /// The last day it works (`YYYY-MM-DD`, sandbox time, UTC); none: it never expires.
    #[serde(default)]
    pub expires: Option<String>,
}

/// What an automatic promotion does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromotionKind {
    /// Free shipping once the items come to `min_subtotal` (only banners until shipping is
    /// emulated).
    FreeShipping,
    /// `gift_quantity` of `gift_product_id` free once the cart holds `buy_quantity` of
    /// `buy_product_id`.
    GiftItem,
}

/// An automatic promotion and its banners. In the banner texts `{remaining}` becomes what is
/// missing: an amount for free shipping, a quantity for a gift.
#[derive(Debug, Clone, Deserialize)]
pub struct PromotionSeed {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: PromotionKind,
    #[serde(default)]
    pub min_subtotal: f64,
    #[serde(default)]
    pub buy_product_id: i64,
    #[serde(default)]
    pub buy_quantity: u32,
    #[serde(default)]
    pub gift_product_id: i64,
    #[serde(default = "one")]
    pub gift_quantity: u32,
    /// Where the banners show (`homepage`, `cartpage`, ...).
    #[serde(default)]
    pub page: Vec<String>,
    /// Shown while the condition is partly met.
    #[serde(default)]
    pub upsell_text: Option<String>,
    /// Shown once the promotion applies.
    #[serde(default)]
    pub applied_text: Option<String>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Deserialize)]
pub struct CustomerSeed {
    pub id: i64,
    pub email: String,
    pub password: String,
    pub first_name: String,
    pub last_name: String,
    /// Channels the account belongs to (BigCommerce accounts can be limited to channels).
    #[serde(default = "default_channels")]
    pub channels: Vec<i64>,
}

/// Choice modifiers need values; a checkbox needs exactly one checked and one unchecked value;
/// dates must parse.
fn check_modifiers(p: &ProductSeed) -> Result<(), SeedError> {
    let invalid = |m: &ModifierSeed, why: &str| {
        SeedError::Invalid(format!("modifier {} of product {}: {why}", m.id, p.id))
    };
    for m in &p.modifiers {
        if m.kind.has_values() == m.values.is_empty() {
            return Err(invalid(m, "choice types need values, the others none"));
        }
        if m.kind == ModifierType::Checkbox
            && (m.values.len() != 2 || m.values.iter().filter(|v| v.checked).count() != 1)
        {
            return Err(invalid(
                m,
                "a checkbox has one checked and one unchecked value",
            ));
        }
        for date in [&m.date_earliest, &m.date_latest].into_iter().flatten() {
            if parse_iso_date(date).is_none() {
                return Err(invalid(m, "dates are YYYY-MM-DD"));
            }
        }
    }
    Ok(())
}

/// `YYYY-MM-DD`.
pub fn parse_iso_date(text: &str) -> Option<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &format).ok()
}

/// Coupon codes are unique (case-insensitively), dates parse, and a gift is a product of the
/// catalog.
fn check_coupons_and_promotions(seed: &Seed) -> Result<(), SeedError> {
    let mut codes = std::collections::HashSet::new();
    for c in &seed.coupons {
        if !codes.insert(c.code.to_ascii_uppercase()) {
            return Err(SeedError::Invalid(format!(
                "duplicate coupon code {}",
                c.code
            )));
        }
        if c.expires
            .as_deref()
            .is_some_and(|d| parse_iso_date(d).is_none())
        {
            return Err(SeedError::Invalid(format!(
                "coupon {}: expires is YYYY-MM-DD",
                c.code
            )));
        }
    }
    for p in &seed.promotions {
        let gift_known = seed
            .products
            .iter()
            .any(|product| product.id == p.gift_product_id);
        if p.kind == PromotionKind::GiftItem && (!gift_known || p.buy_quantity == 0) {
            return Err(SeedError::Invalid(format!(
                "promotion {}: a gift needs a known gift_product_id and a buy_quantity",
                p.id
            )));
        }
    }
    if !(1..=5).contains(&seed.store.coupons_per_order) {
        return Err(SeedError::Invalid("coupons_per_order is 1 to 5".to_owned()));
    }
    Ok(())
}

/// Reads and checks the seed named by `source`.
pub fn load_seed(source: &SeedSource) -> Result<Seed, SeedError> {
    let text = match source {
        SeedSource::Embedded => EMBEDDED_SEED.to_owned(),
        SeedSource::Inline(text) => text.clone(),
        SeedSource::Path(path) => std::fs::read_to_string(path).map_err(|e| SeedError::Read {
            path: path.display().to_string(),
            source: e,
        })?,
    };
    let seed: Seed = toml::from_str(&text)?;
    check_seed(&seed)?;
    Ok(seed)
}

/// Rejects seeds the emulator could not serve consistently (duplicate ids, dangling values).
fn check_seed(seed: &Seed) -> Result<(), SeedError> {
    let mut product_ids = std::collections::HashSet::new();
    let mut variant_ids = std::collections::HashSet::new();
    for p in &seed.products {
        if !product_ids.insert(p.id) {
            return Err(SeedError::Invalid(format!("duplicate product id {}", p.id)));
        }
        if p.variants.is_empty() {
            return Err(SeedError::Invalid(format!(
                "product {} has no variant",
                p.id
            )));
        }
        let value_ids: Vec<i64> = p
            .options
            .iter()
            .flat_map(|o| o.values.iter().map(|v| v.id))
            .collect();
        check_modifiers(p)?;
        for v in &p.variants {
            if !variant_ids.insert(v.id) {
                return Err(SeedError::Invalid(format!("duplicate variant id {}", v.id)));
            }
            if v.option_values.len() != p.options.len()
                || v.option_values.iter().any(|id| !value_ids.contains(id))
            {
                return Err(SeedError::Invalid(format!(
                    "variant {} must pick one value of each option of product {}",
                    v.id, p.id
                )));
            }
        }
    }
    check_coupons_and_promotions(seed)?;
    crate::seed_checkout::check_checkout_seed(seed)?;
    let mut customer_ids = std::collections::HashSet::new();
    for c in &seed.customers {
        if !customer_ids.insert(c.id) {
            return Err(SeedError::Invalid(format!(
                "duplicate customer id {}",
                c.id
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_seed_is_valid() {
        let seed = load_seed(&SeedSource::Embedded).expect("embedded seed must load");
        assert!(seed.products.len() >= 25);
        assert!(seed.customers.len() >= 2);
    }

    #[test]
    fn a_variant_with_an_unknown_option_value_is_refused() {
        let text = r#"
            [store]
            name = "x"
            [[products]]
            id = 1
            name = "p"
            sku = "p"
            price = 1.0
            slug = "p"
            options = [{ id = 1, display_name = "Size", values = [{ id = 2, label = "S" }] }]
            variants = [{ id = 3, sku = "p", option_values = [99] }]
        "#;
        assert!(load_seed(&SeedSource::Inline(text.to_owned())).is_err());
    }
}
