//! The `Idempotency-Key` request header.

use super::InvalidInput;

/// A client-chosen key, 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(value: &str) -> Result<Self, InvalidInput> {
        if value.is_empty() || value.len() > 255 {
            return Err(InvalidInput::new(
                "Idempotency-Key must be 1 to 255 characters long",
            ));
        }
        if !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(InvalidInput::new(
                "Idempotency-Key must be visible ASCII characters",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_bounded_visible_ascii() {
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
        assert!(IdempotencyKey::parse("with space").is_err());
        assert!(IdempotencyKey::parse("clé").is_err());
        assert!(IdempotencyKey::parse("2f1c0c1e-3b0a-4a54-9c1e-1b5d6e7f8a9b").is_ok());
    }
}
