//! A line item to add to a cart, parsed from a client's request.

use super::{InvalidInput, ProductId, Quantity, VariantId};

/// What to put in the cart: a product (and variant), a quantity, and option selections for
/// products with modifiers.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLineItem {
    pub product_id: ProductId,
    pub variant_id: Option<VariantId>,
    pub quantity: Quantity,
    pub option_selections: Vec<OptionSelection>,
}

/// One chosen option: a value id for multiple-choice options, text for text (and number)
/// modifiers, a date for date modifiers.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionSelection {
    pub option_id: i64,
    pub option_value: OptionValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    ValueId(i64),
    Text(String),
    Date(time::Date),
}

impl OptionValue {
    /// A date modifier's value from `YYYY-MM-DD` (what an HTML date input sends).
    pub fn parse_date(text: &str) -> Result<Self, InvalidInput> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(text.trim(), &format)
            .map(OptionValue::Date)
            .map_err(|_| InvalidInput::new("a date option_value must be YYYY-MM-DD"))
    }
}

/// Longest text a shopper may enter in a text modifier: a bound on what one request may carry.
/// A modifier's own limit (its `text_max_length`, from the catalog) is checked when the
/// product is known.
pub const MAX_OPTION_TEXT: usize = 2000;
/// Most option selections on one line item.
pub const MAX_OPTION_SELECTIONS: usize = 20;

impl OptionSelection {
    /// A selection as BigCommerce shows it on a line (`options[].nameId` and its value), to
    /// be sent back unchanged: BigCommerce took it once (it may have been typed on the hosted
    /// cart, or sent by another app), so the rules for a shopper's input do not apply, and
    /// dropping or "fixing" it would describe another line.
    pub fn from_bigcommerce(option_id: i64, value: OptionValue) -> Self {
        Self {
            option_id,
            option_value: value,
        }
    }

    /// A selection from a shopper's input, checked.
    pub fn parse(option_id: i64, value: OptionValue) -> Result<Self, InvalidInput> {
        if !(1..=i64::from(i32::MAX)).contains(&option_id) {
            return Err(InvalidInput::new("option_id must be a positive integer"));
        }
        match &value {
            OptionValue::ValueId(id) if !(1..=i64::from(i32::MAX)).contains(id) => {
                return Err(InvalidInput::new(
                    "option_value must be a positive integer or a string",
                ))
            }
            OptionValue::Text(text) if text.chars().count() > MAX_OPTION_TEXT => {
                return Err(InvalidInput::new(format!(
                    "option_value text must be at most {MAX_OPTION_TEXT} characters"
                )))
            }
            // Line breaks are what a multi-line text modifier is for; nothing else invisible.
            OptionValue::Text(text)
                if text
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\r') =>
            {
                return Err(InvalidInput::new(
                    "option_value text must not contain control characters other than line breaks",
                ))
            }
            _ => {}
        }
        Ok(Self {
            option_id,
            option_value: value,
        })
    }
}

impl NewLineItem {
    /// The key under which BigCommerce would merge two lines: same product, variant, options.
    pub fn merge_key(&self) -> (i64, Option<i64>, Vec<(i64, String)>) {
        let mut options: Vec<(i64, String)> = self
            .option_selections
            .iter()
            .map(|selection| {
                let value = match &selection.option_value {
                    OptionValue::ValueId(id) => id.to_string(),
                    OptionValue::Text(text) => text.clone(),
                    OptionValue::Date(date) => date.to_string(),
                };
                (selection.option_id, value)
            })
            .collect();
        options.sort();
        (
            self.product_id.get(),
            self.variant_id.map(|id| id.get()),
            options,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_selections_are_checked() {
        assert!(OptionSelection::parse(0, OptionValue::ValueId(1)).is_err());
        assert!(OptionSelection::parse(1, OptionValue::ValueId(0)).is_err());
        assert!(OptionSelection::parse(1, OptionValue::Text("x".repeat(2001))).is_err());
        assert!(OptionSelection::parse(1, OptionValue::Text("x".repeat(2000))).is_ok());
        assert!(OptionSelection::parse(1, OptionValue::Text("a\u{0}b".into())).is_err());
        assert!(OptionSelection::parse(1, OptionValue::Text("Hello".into())).is_ok());
        assert!(OptionSelection::parse(1, OptionValue::Text("Two\nlines".into())).is_ok());
        assert!(OptionValue::parse_date("2026-12-24").is_ok());
        assert!(OptionValue::parse_date("2026-02-30").is_err());
        assert!(OptionValue::parse_date("24/12/2026").is_err());
    }
}
