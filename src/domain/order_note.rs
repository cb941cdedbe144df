//! The shopper's note for the order, BigCommerce's checkout `customer_message`: at most 2000
//! characters ("Limits: 2000 characters for customer message", `reference/checkouts.v3.yml`),
//! lines of text without other control characters. An empty note clears it.

use super::InvalidInput;

/// BigCommerce's limit.
pub const MAX_ORDER_NOTE: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderNote(String);

impl OrderNote {
    /// Trims surrounding whitespace; refuses more than 2000 characters or control characters
    /// other than line breaks and tabs. `""` is a valid note: it clears the one set.
    pub fn parse(input: &str) -> Result<Self, InvalidInput> {
        let note = input.trim();
        let control = note
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t');
        if control || note.chars().count() > MAX_ORDER_NOTE {
            return Err(InvalidInput::new(format!(
                "message must be at most {MAX_ORDER_NOTE} characters of text"
            )));
        }
        Ok(Self(note.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_text_of_at_most_2000_characters() {
        assert_eq!(
            OrderNote::parse("  Leave it at the door\n ").map(|n| n.0),
            Ok("Leave it at the door".into())
        );
        assert!(OrderNote::parse(&"é".repeat(2000)).is_ok());
        assert!(OrderNote::parse(&"é".repeat(2001)).is_err());
        assert!(OrderNote::parse("bell\u{7}").is_err());
        assert_eq!(OrderNote::parse("").map(|n| n.0), Ok(String::new()));
    }
}
