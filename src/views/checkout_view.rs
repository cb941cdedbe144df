//! The cart page's checkout-side views: the shipping estimate and its options, the note, and
//! the gift certificate form. Display-ready strings; nothing from BigCommerce marked safe.

use super::money::format_money;
use crate::domain::{CartShipping, GiftCertificateTheme};

/// Shipping as the page shows it.
pub struct ShippingView {
    /// "Texas, 78701, US".
    pub destination: String,
    pub options: Vec<ShippingOptionView>,
    /// `false` once the cart changed after the quote: "estimate again".
    pub current: bool,
}

pub struct ShippingOptionView {
    pub id: String,
    pub description: String,
    /// "Free" or the cost.
    pub cost: String,
    pub transit_time: Option<String>,
    pub selected: bool,
}

impl ShippingView {
    pub fn of(shipping: &CartShipping, currency: &str) -> Self {
        let destination = &shipping.destination;
        let parts: Vec<&str> = [
            destination.state.as_deref(),
            destination.postal_code.as_deref(),
            Some(destination.country_code.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect();
        ShippingView {
            destination: parts.join(", "),
            options: shipping
                .options
                .iter()
                .map(|option| ShippingOptionView {
                    id: option.id.clone(),
                    description: option.description.clone(),
                    cost: if option.cost <= 0.0 {
                        "Free".to_owned()
                    } else {
                        format_money(option.cost, currency)
                    },
                    transit_time: option.transit_time.clone(),
                    selected: shipping.selected_option_id.as_deref() == Some(&option.id),
                })
                .collect(),
            current: shipping.current,
        }
    }
}

/// The estimate form's starting values: the last destination, if any.
#[derive(Default)]
pub struct EstimateForm {
    pub country_code: String,
    pub state: String,
    pub postal_code: String,
}

impl EstimateForm {
    pub fn of(shipping: Option<&CartShipping>) -> Self {
        shipping.map_or_else(EstimateForm::default, |shipping| {
            let destination = &shipping.destination;
            EstimateForm {
                country_code: destination.country_code.clone(),
                state: destination.state.clone().unwrap_or_default(),
                postal_code: destination.postal_code.clone().unwrap_or_default(),
            }
        })
    }
}

/// What the gift certificate form offers.
pub struct GiftCertificateForm {
    /// `(value, label)` of BigCommerce's themes.
    pub themes: Vec<(&'static str, &'static str)>,
    pub min_amount: String,
    pub max_amount: String,
    /// For the form's hint: "$1.00 to $1,000.00".
    pub range: String,
}

impl GiftCertificateForm {
    pub fn new(min: f64, max: f64, currency: &str) -> Self {
        GiftCertificateForm {
            themes: GiftCertificateTheme::all()
                .into_iter()
                .map(|theme| (theme.as_str(), theme.bigcommerce_name()))
                .collect(),
            min_amount: format!("{min:.2}"),
            max_amount: format!("{max:.2}"),
            range: format!(
                "{} to {}",
                format_money(min, currency),
                format_money(max, currency)
            ),
        }
    }
}
