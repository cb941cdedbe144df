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

/// One chosen option: a value id for multiple-choice options, text for text modifiers.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionSelection {
    pub option_id: i64,
    pub option_value: OptionValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    ValueId(i64),
    Text(String),
}

/// Longest text a shopper may enter in a text modifier.
pub const MAX_OPTION_TEXT: usize = 255;
/// Most option selections on one line item.
pub const MAX_OPTION_SELECTIONS: usize = 20;

impl OptionSelection {
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
            OptionValue::Text(text) if text.chars().any(char::is_control) => {
                return Err(InvalidInput::new(
                    "option_value text must not contain control characters",
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
        assert!(OptionSelection::parse(1, OptionValue::Text("x".repeat(256))).is_err());
        assert!(OptionSelection::parse(1, OptionValue::Text("a\u{0}b".into())).is_err());
        assert!(OptionSelection::parse(1, OptionValue::Text("Hello".into())).is_ok());
    }
}
