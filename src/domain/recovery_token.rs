//! The token in BigCommerce's abandoned-cart e-mail link (`?t=`). BigCommerce calls it a UUID
//! but sends 32 hex digits, so it is treated as opaque — yet narrow enough that it can only
//! ever be one path segment.

use super::InvalidInput;

#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryToken(String);

impl RecoveryToken {
    pub fn parse(value: &str) -> Result<Self, InvalidInput> {
        let ok = (8..=128).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(InvalidInput::new(
                "token is not an abandoned-cart recovery token",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// A recovery token grants access to a cart: keep it out of debug output and logs.
impl std::fmt::Debug for RecoveryToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryToken(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_single_safe_path_segments() {
        assert!(RecoveryToken::parse("305c6c15f6f0a3c0929770a538cf1ff7").is_ok());
        assert!(RecoveryToken::parse("74cd7d0a-c748-4efa-b9bf-cf15751e78b2").is_ok());
        for bad in [
            "",
            "short",
            "../carts/x",
            "a/b/c/d/e/f",
            "abc%2f..%2fdefgh",
            &"a".repeat(129),
        ] {
            assert!(RecoveryToken::parse(bad).is_err(), "accepted {bad:?}");
        }
    }
}
