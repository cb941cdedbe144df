//! The read-only catalog and customer list built from the seed, with the lookups carts need.

use std::collections::BTreeMap;

use crate::seed::{
    BannerSeed, CouponSeed, CustomerSeed, ModifierSeed, OptionSeed, ProductSeed, PromotionSeed,
    Seed, VariantSeed,
};
use crate::seed_checkout::{ShippingZoneSeed, TaxRateSeed};

/// Products and customers of the store; replaced as a whole on reset (and on a control-plane
/// change to one product, so a cart operation always sees one consistent catalog).
#[derive(Debug, Clone)]
pub struct Catalog {
    pub store_name: String,
    pub currency: String,
    pub channels: Vec<i64>,
    products: BTreeMap<i64, ProductSeed>,
    customers: Vec<CustomerSeed>,
    banners: Vec<BannerSeed>,
    coupons: Vec<CouponSeed>,
    promotions: Vec<PromotionSeed>,
    /// Coupon codes one order may carry.
    pub coupons_per_order: usize,
    shipping_zones: Vec<ShippingZoneSeed>,
    tax_rates: Vec<TaxRateSeed>,
}

impl Catalog {
    /// Builds the catalog from a checked seed.
    pub fn from_seed(seed: Seed) -> Self {
        Self {
            store_name: seed.store.name,
            currency: seed.store.currency,
            channels: seed.store.channels,
            products: seed.products.into_iter().map(|p| (p.id, p)).collect(),
            customers: seed.customers,
            banners: seed.banners,
            coupons: seed.coupons,
            promotions: seed.promotions,
            coupons_per_order: seed.store.coupons_per_order,
            shipping_zones: seed.shipping_zones,
            tax_rates: seed.tax_rates,
        }
    }

    /// All products by ascending id.
    pub fn products(&self) -> impl ExactSizeIterator<Item = &ProductSeed> {
        self.products.values()
    }

    pub fn product(&self, id: i64) -> Option<&ProductSeed> {
        self.products.get(&id)
    }

    /// The product to change in a copy of the catalog (`/__sandbox/products/{id}`).
    pub fn product_mut(&mut self, id: i64) -> Option<&mut ProductSeed> {
        self.products.get_mut(&id)
    }

    pub fn customer(&self, id: i64) -> Option<&CustomerSeed> {
        self.customers.iter().find(|c| c.id == id)
    }

    /// E-mail addresses compare case-insensitively, as BigCommerce's do.
    pub fn customer_by_email(&self, email: &str) -> Option<&CustomerSeed> {
        self.customers
            .iter()
            .find(|c| c.email.eq_ignore_ascii_case(email.trim()))
    }

    pub fn banners(&self) -> &[BannerSeed] {
        &self.banners
    }

    /// A coupon by code; codes compare case-insensitively.
    pub fn coupon(&self, code: &str) -> Option<&CouponSeed> {
        self.coupons
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(code))
    }

    pub fn promotions(&self) -> &[PromotionSeed] {
        &self.promotions
    }

    pub fn promotion(&self, id: &str) -> Option<&PromotionSeed> {
        self.promotions.iter().find(|p| p.id == id)
    }

    pub fn has_channel(&self, channel_id: i64) -> bool {
        self.channels.contains(&channel_id)
    }

    pub fn customers(&self) -> &[CustomerSeed] {
        &self.customers
    }

    /// The first shipping zone that covers `country` (compared case-insensitively).
    pub fn shipping_zone(&self, country: &str) -> Option<&ShippingZoneSeed> {
        self.shipping_zones
            .iter()
            .find(|z| z.countries.iter().any(|c| c.eq_ignore_ascii_case(country)))
    }

    /// The tax rate of `country`, if the store charges tax there.
    pub fn tax_rate(&self, country: &str) -> Option<&TaxRateSeed> {
        self.tax_rates
            .iter()
            .find(|r| r.country.eq_ignore_ascii_case(country))
    }
}

/// Lookups inside one product.
pub trait ProductExt {
    fn variant(&self, id: i64) -> Option<&VariantSeed>;
    fn has_options(&self) -> bool;
    fn option_of_value(&self, value_id: i64) -> Option<(&OptionSeed, &str)>;
    fn modifier(&self, id: i64) -> Option<&ModifierSeed>;
    fn variant_price(&self, variant: &VariantSeed) -> f64;
    fn unit_list_price(&self, variant: &VariantSeed) -> f64;
}

impl ProductExt for ProductSeed {
    fn variant(&self, id: i64) -> Option<&VariantSeed> {
        self.variants.iter().find(|v| v.id == id)
    }

    fn has_options(&self) -> bool {
        !self.options.is_empty()
    }

    /// The option a value id belongs to, with the value's label.
    fn option_of_value(&self, value_id: i64) -> Option<(&OptionSeed, &str)> {
        self.options.iter().find_map(|o| {
            o.values
                .iter()
                .find(|v| v.id == value_id)
                .map(|v| (o, v.label.as_str()))
        })
    }

    fn modifier(&self, id: i64) -> Option<&ModifierSeed> {
        self.modifiers.iter().find(|m| m.id == id)
    }

    /// Catalog price of a variant before any sale.
    fn variant_price(&self, variant: &VariantSeed) -> f64 {
        variant.price.unwrap_or(self.price)
    }

    /// What a cart charges per unit: the sale price when the product is on sale.
    fn unit_list_price(&self, variant: &VariantSeed) -> f64 {
        if self.sale_price > 0.0 && variant.price.is_none() {
            self.sale_price
        } else {
            self.variant_price(variant)
        }
    }
}
