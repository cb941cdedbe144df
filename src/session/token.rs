//! The opaque session token: 256 bits from the operating system's CSPRNG, hex-encoded in the
//! cookie; the database only ever sees its SHA-256.

use rand::rngs::OsRng;
use rand::TryRngCore;
use sha2::{Digest, Sha256};

/// Length of the token's text form: 32 bytes, hex-encoded.
const TOKEN_HEX_LEN: usize = 64;

/// A session token as carried in the cookie.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

/// What the database stores and looks sessions up by.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TokenHash(pub [u8; 32]);

impl SessionToken {
    /// A fresh, unguessable token.
    pub fn generate() -> Result<Self, rand::rand_core::OsError> {
        let mut bytes = [0u8; 32];
        OsRng.try_fill_bytes(&mut bytes)?;
        Ok(Self(hex::encode(bytes)))
    }

    /// Parses a cookie value. Anything but 64 lowercase hex digits is not a token we issued,
    /// so it is refused before any database work.
    pub fn parse(value: &str) -> Option<Self> {
        let well_formed = value.len() == TOKEN_HEX_LEN
            && value
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        well_formed.then(|| Self(value.to_owned()))
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.0.as_bytes()).into())
    }

    /// The value to put in the cookie. Only the cookie writer should call this.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

// Never print a token, even in debug output.
impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_back_and_differ() {
        let a = SessionToken::generate().expect("os rng");
        let b = SessionToken::generate().expect("os rng");
        assert_ne!(a, b);
        assert_eq!(SessionToken::parse(a.expose()), Some(a.clone()));
        assert_ne!(a.hash().0, b.hash().0);
    }

    #[test]
    fn malformed_values_are_refused() {
        let cases = [
            ("", "empty"),
            ("abc", "too short"),
            (&"a".repeat(63), "one short"),
            (&"a".repeat(65), "one long"),
            (&"A".repeat(64), "uppercase"),
            (&"g".repeat(64), "not hex"),
            (&format!("{}é", "a".repeat(62)), "non-ascii"),
            (&"a".repeat(4096), "oversized"),
        ];
        for (value, why) in cases {
            assert!(
                SessionToken::parse(value).is_none(),
                "accepted a token that is {why}"
            );
        }
    }

    #[test]
    fn debug_output_hides_the_token() {
        let token = SessionToken::generate().expect("os rng");
        assert!(!format!("{token:?}").contains(token.expose()));
    }
}
