//! An e-mail address as typed at sign-in: trimmed, bounded, plausibly shaped. BigCommerce
//! decides whether it names an account.

use super::InvalidInput;

#[derive(Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(value: &str) -> Result<Self, InvalidInput> {
        let value = value.trim();
        let plausible = (3..=254).contains(&value.len())
            && value.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && !domain.is_empty() && !domain.contains('@')
            })
            && !value.chars().any(|c| c.is_whitespace() || c.is_control());
        if plausible {
            Ok(Self(value.to_owned()))
        } else {
            Err(InvalidInput::new("email must be an e-mail address"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key rate limits count attempts under: case-insensitive, as mail systems are.
    pub fn throttle_key(&self) -> String {
        self.0.to_lowercase()
    }
}

// An e-mail address is personal data: keep it out of debug output and logs.
impl std::fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EmailAddress(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_for_shape_only() {
        assert!(EmailAddress::parse(" jane@example.com ").is_ok());
        for bad in [
            "",
            "jane",
            "@example.com",
            "jane@",
            "a@b@c",
            "jane doe@example.com",
            &format!("{}@x.io", "a".repeat(260)),
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "accepted {bad:?}");
        }
    }
}
