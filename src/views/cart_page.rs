//! The view model of `GET /cart`: display-ready strings, nothing from BigCommerce marked safe.

use askama::Template;

use super::checkout_view::{EstimateForm, GiftCertificateForm, ShippingView};
use super::money::format_money;
use crate::cart::LeftBehindLine;
use crate::catalog::{Product, ProductModifier};
use crate::domain::MAX_OPTION_TEXT;
use crate::domain::{Cart, CartLineItem, CartTotals, LineItemType, PromotionType};
use crate::session::{Flash, FlashLevel};

#[derive(Template)]
#[template(path = "cart/show.html")]
pub struct CartPage {
    pub flash: Option<FlashView>,
    /// Why the cart could not be shown, when it could not.
    pub problem: Option<String>,
    pub cart: Option<CartView>,
    pub products: Vec<ProductView>,
    pub csrf_token: String,
    pub signed_in_as: Option<String>,
    /// Guest lines a sign-in could not move into this cart, and why.
    pub left_behind: Vec<LeftBehindView>,
    /// Some of them may be tried again (the others can only be removed).
    pub any_left_behind_movable: bool,
    /// The gift certificate form's choices and limits.
    pub gift_certificate: GiftCertificateForm,
}

/// A line left behind at sign-in.
pub struct LeftBehindView {
    pub name: String,
    pub options: Vec<(String, String)>,
    pub quantity: u64,
    /// BigCommerce's reason (text from upstream: escaped like everything else).
    pub reason: String,
    /// It may be tried again; otherwise it can only be removed.
    pub movable: bool,
}

impl From<&LeftBehindLine> for LeftBehindView {
    fn from(left: &LeftBehindLine) -> Self {
        LeftBehindView {
            name: left.line.name.clone(),
            options: left
                .line
                .options
                .iter()
                .map(|option| (option.name.clone(), option.value.clone()))
                .collect(),
            quantity: left.line.quantity,
            reason: left.reason.clone(),
            movable: left.movable,
        }
    }
}

pub struct FlashView {
    pub text: String,
    /// CSS class and ARIA role.
    pub is_error: bool,
}

pub struct CartView {
    pub lines: Vec<LineView>,
    pub item_count: u64,
    pub base_amount: String,
    pub discount_amount: Option<String>,
    pub cart_amount: String,
    /// Applied codes: code, name, what each takes off.
    pub coupons: Vec<CouponView>,
    /// BigCommerce's banners, as plain text.
    pub promotions: Vec<BannerView>,
    pub totals: TotalsView,
    /// The shopper's note for the order.
    pub note: Option<String>,
    /// The last shipping estimate, if any.
    pub shipping: Option<ShippingView>,
    pub estimate_form: EstimateForm,
    /// Some line needs shipping (otherwise there is nothing to estimate).
    pub ships: bool,
}

pub struct CouponView {
    pub code: String,
    pub name: String,
    pub amount: String,
}

pub struct BannerView {
    /// `upsell`, `eligible`, `applied` or `promotion` (a CSS class).
    pub kind: &'static str,
    pub text: String,
}

/// The summary's figures; `None` for shipping and tax is "calculated at checkout".
pub struct TotalsView {
    pub subtotal: String,
    pub discounts: Option<String>,
    pub coupons: Option<String>,
    pub shipping: Option<String>,
    pub tax: Option<String>,
    pub grand_total: String,
}

pub struct LineView {
    pub id: String,
    pub name: String,
    pub url: Option<String>,
    pub image_url: Option<String>,
    pub options: Vec<(String, String)>,
    pub quantity: u64,
    /// What one costs now ("Free" for a gift).
    pub unit_price: String,
    /// The price struck through: the list price when a discount applies, or the catalog
    /// price when the product is on sale.
    pub was_price: Option<String>,
    pub line_price: String,
    /// Custom items and gift certificates cannot change quantity.
    pub editable: bool,
    /// A promotion added it: no quantity form and no remove button.
    pub from_promotion: bool,
    /// Why it cannot be fulfilled as it is ("Only 3 left."); checkout waits until it is fixed.
    pub problems: Vec<String>,
}

pub struct ProductView {
    pub id: i64,
    pub name: String,
    pub price: String,
    pub available: bool,
    /// Why it cannot be added here, when that is not simply stock or availability.
    pub unavailable_reason: Option<String>,
    pub variants: Vec<(i64, String)>,
    /// What the shopper chooses or types, one form control each.
    pub modifiers: Vec<ModifierView>,
}

/// One modifier's form control. Field names say how the value is sent: `choice_{id}` a value
/// id, `date_{id}` a date, `option_{id}` text.
pub struct ModifierView {
    pub id: i64,
    pub label: String,
    pub required: bool,
    pub control: Control,
}

pub enum Control {
    /// dropdown, rectangles, swatch: value id, label, preselected.
    Select(Vec<(i64, String, bool)>),
    /// radio_buttons.
    Radios(Vec<(i64, String, bool)>),
    /// checkbox: the ticked value's id, the text next to the box, and whether it starts
    /// ticked.
    Checkbox {
        value: i64,
        text: String,
        checked: bool,
    },
    /// date, with optional bounds and starting value (`YYYY-MM-DD`).
    Date {
        min: Option<String>,
        max: Option<String>,
        value: Option<String>,
    },
    /// text (one line), with the modifier's length limits and starting text.
    Text {
        min_length: Option<u64>,
        max_length: u64,
        value: Option<String>,
    },
    /// multi_line_text.
    TextArea {
        min_length: Option<u64>,
        max_length: u64,
        value: Option<String>,
    },
    /// numbers_only_text.
    Number {
        min: Option<f64>,
        max: Option<f64>,
        step: &'static str,
        value: Option<String>,
    },
}

/// `GET /login`.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub flash: Option<FlashView>,
    pub csrf_token: String,
    pub signed_in_as: Option<String>,
    /// Where to go after signing in (a path on this service), carried through the form.
    pub redirect_to: Option<String>,
}

/// `GET /cart/recover?t=…`: the cart an abandoned-cart link names, and the shopper's choice.
#[derive(Template)]
#[template(path = "cart/recover.html")]
pub struct RecoverPage {
    pub cart: CartView,
    /// The token, carried into the confirming form.
    pub token: String,
    pub csrf_token: String,
    /// The cart is a customer's: sign in first (this link brings the shopper back).
    pub sign_in_url: Option<String>,
    pub already_yours: bool,
    /// The shopper has a cart with lines: offer merge and switch.
    pub choose: bool,
}

impl From<Flash> for FlashView {
    fn from(flash: Flash) -> Self {
        FlashView {
            text: flash.text,
            is_error: flash.level == FlashLevel::Error,
        }
    }
}

impl From<&Cart> for CartView {
    fn from(cart: &Cart) -> Self {
        let currency = cart.currency.code.as_str();
        CartView {
            lines: cart
                .line_items
                .iter()
                .map(|line| line_view(line, currency))
                .collect(),
            item_count: cart.item_count,
            base_amount: format_money(cart.base_amount, currency),
            discount_amount: (cart.discount_amount > 0.0)
                .then(|| format_money(cart.discount_amount, currency)),
            cart_amount: format_money(cart.cart_amount, currency),
            coupons: cart
                .coupons
                .iter()
                .map(|coupon| CouponView {
                    code: coupon.code.clone(),
                    name: coupon.name.clone(),
                    amount: format_money(coupon.amount, currency),
                })
                .collect(),
            promotions: cart
                .promotions
                .iter()
                .map(|banner| BannerView {
                    kind: match banner.banner_type {
                        PromotionType::Upsell => "upsell",
                        PromotionType::Eligible => "eligible",
                        PromotionType::Applied => "applied",
                        PromotionType::Promotion => "promotion",
                    },
                    text: banner.text.clone(),
                })
                .collect(),
            totals: totals_view(&cart.totals, currency),
            note: cart.note.clone(),
            shipping: cart
                .shipping
                .as_ref()
                .map(|shipping| ShippingView::of(shipping, currency)),
            estimate_form: EstimateForm::of(cart.shipping.as_ref()),
            ships: cart
                .line_items
                .iter()
                .any(|line| line.item_type == LineItemType::Physical),
        }
    }
}

fn totals_view(totals: &CartTotals, currency: &str) -> TotalsView {
    let positive = |amount: f64| (amount > 0.0).then(|| format_money(amount, currency));
    TotalsView {
        subtotal: format_money(totals.subtotal, currency),
        discounts: positive(totals.discounts),
        coupons: positive(totals.coupons),
        shipping: totals.shipping.map(|amount| format_money(amount, currency)),
        tax: totals.tax.map(|amount| format_money(amount, currency)),
        grand_total: format_money(totals.grand_total, currency),
    }
}

fn line_view(line: &CartLineItem, currency: &str) -> LineView {
    LineView {
        id: line.id.clone(),
        name: line.name.clone(),
        url: line.url.clone().filter(|url| is_web_url(url)),
        image_url: line.image_url.clone().filter(|url| is_web_url(url)),
        options: line
            .options
            .iter()
            .map(|option| (option.name.clone(), option.value.clone()))
            .collect(),
        quantity: line.quantity,
        unit_price: if line.sale_price <= 0.0 && line.list_price > 0.0 {
            "Free".to_owned()
        } else {
            format_money(line.sale_price, currency)
        },
        was_price: was_price(line).map(|price| format_money(price, currency)),
        line_price: format_money(line.extended_sale_price, currency),
        editable: line.product_id.is_some() && !line.added_by_promotion,
        from_promotion: line.added_by_promotion,
        problems: line
            .problems
            .iter()
            .map(|problem| problem.detail.clone())
            .collect(),
    }
}

/// What to strike through, from BigCommerce's own figures (reference §3.4): the list price
/// when the line is discounted below it, else the catalog price when the list price is a sale.
fn was_price(line: &CartLineItem) -> Option<f64> {
    if line.sale_price < line.list_price {
        return Some(line.list_price);
    }
    line.original_price
        .filter(|original| *original > line.list_price)
}

/// Only http(s) links reach an `href` or `src`: a `javascript:` URL from a compromised
/// upstream must never become clickable.
fn is_web_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

impl ProductView {
    pub fn from_product(product: &Product, currency: &str) -> Self {
        ProductView {
            id: product.id,
            name: product.name.clone(),
            price: format_money(product.calculated_price, currency),
            available: product.purchasable && product.in_stock && product.addable,
            unavailable_reason: product.not_addable_reason.clone(),
            variants: product
                .variants
                .iter()
                .filter(|variant| variant.purchasable && variant.in_stock)
                .map(|variant| {
                    let label = if variant.label.is_empty() {
                        product.name.clone()
                    } else {
                        variant.label.clone()
                    };
                    (variant.id, label)
                })
                .collect(),
            modifiers: product.modifiers.iter().filter_map(modifier_view).collect(),
        }
    }
}

/// The control for `modifier`; `None` for types a form cannot fill in (file, product lists).
fn modifier_view(modifier: &ProductModifier) -> Option<ModifierView> {
    let choices = || {
        modifier
            .values
            .iter()
            .map(|value| (value.id, value.label.clone(), value.is_default))
            .collect()
    };
    // The modifier's own limit; the service's bound on what a request may carry otherwise.
    let max_length = modifier
        .max_length
        .unwrap_or(MAX_OPTION_TEXT as u64)
        .min(MAX_OPTION_TEXT as u64);
    let min_length = modifier.min_length.filter(|min| *min <= max_length);
    let value = modifier.default_value.clone();
    let control = match modifier.modifier_type.as_str() {
        "dropdown" | "rectangles" | "swatch" => Control::Select(choices()),
        "radio_buttons" => Control::Radios(choices()),
        "checkbox" => Control::Checkbox {
            value: modifier.checked_value()?,
            text: modifier
                .checkbox_label
                .clone()
                .unwrap_or_else(|| modifier.name.clone()),
            checked: modifier.checked_by_default,
        },
        "date" => Control::Date {
            min: modifier.date_earliest.clone(),
            max: modifier.date_latest.clone(),
            value,
        },
        "text" => Control::Text {
            min_length,
            max_length,
            value,
        },
        "multi_line_text" => Control::TextArea {
            min_length,
            max_length,
            value,
        },
        "numbers_only_text" => Control::Number {
            min: modifier.number_min,
            max: modifier.number_max,
            step: if modifier.integers_only { "1" } else { "any" },
            value,
        },
        _ => return None,
    };
    Some(ModifierView {
        id: modifier.option_id,
        label: modifier.name.clone(),
        required: modifier.required,
        control,
    })
}
