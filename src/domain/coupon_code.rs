//! A coupon code as a shopper types it, checked before it goes anywhere near BigCommerce: it
//! becomes a path segment (`DELETE /checkouts/{id}/coupons/{code}`), so only letters, digits,
//! hyphens and underscores pass, and at most BigCommerce's 50 characters.

use std::fmt;

use super::InvalidInput;

/// BigCommerce's limit: "Coupon codes have a 50-character limit."
pub const MAX_COUPON_CODE_LEN: usize = 50;

/// A well-formed coupon code (whether the store knows it is BigCommerce's to say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponCode(String);

impl CouponCode {
    /// Trims surrounding whitespace; refuses anything else than 1 to 50 ASCII letters, digits,
    /// `-` and `_`. The refusal never repeats the input (it may be anything).
    pub fn parse(input: &str) -> Result<Self, InvalidInput> {
        let code = input.trim();
        let well_formed = !code.is_empty()
            && code.len() <= MAX_COUPON_CODE_LEN
            && code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !well_formed {
            return Err(InvalidInput::new(format!(
                "A coupon code is 1 to {MAX_COUPON_CODE_LEN} letters, digits, hyphens or underscores."
            )));
        }
        Ok(Self(code.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` names the same code (BigCommerce's codes are not case-sensitive).
    pub fn matches(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

impl fmt::Display for CouponCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_letters_digits_hyphens_and_underscores() {
        assert_eq!(
            CouponCode::parse(" SAVE10 ").map(|c| c.0),
            Ok("SAVE10".into())
        );
        assert!(CouponCode::parse("summer-sale_2").is_ok());
        assert!(CouponCode::parse(&"A".repeat(50)).is_ok());
        assert!(
            CouponCode::parse("SAVE10\n").is_ok(),
            "surrounding whitespace is trimmed"
        );
        for refused in [
            "",
            "   ",
            "../../v2/orders",
            "a/b",
            "a%2Fb",
            "..",
            "SAVE 10",
            "SAVE\n10",
            "SAVE\u{0}10",
            "ÉTÉ",
            "a?b",
            "a#b",
        ] {
            assert!(CouponCode::parse(refused).is_err(), "{refused:?}");
        }
        assert!(CouponCode::parse(&"A".repeat(51)).is_err());
        assert!(CouponCode::parse(&"A".repeat(10_000)).is_err());
    }

    #[test]
    fn a_refusal_does_not_repeat_the_input() {
        let error = CouponCode::parse("<script>").expect_err("refused");
        assert!(!error.0.contains("script"));
    }
}
