//! The domain parsers every handler runs its input through: the id, token, key and e-mail
//! types of `checkout_bff::domain`.
//!
//! Input: the whole input as text goes to every string parser (`CartId`, `LineItemId`,
//! `RecoveryToken`, `IdempotencyKey`, `EmailAddress`, `CouponCode`, an `OptionSelection` text
//! value). The
//! first 8 bytes (little-endian, zero-padded) are an `i64` for the integer parsers
//! (`ProductId`, `VariantId`, `CustomerId`, `Quantity`, option ids and value ids) and the next
//! 4 bytes a `u32` used as `Quantity`'s maximum; the integer parsers also get the text parsed
//! as a decimal number when it is one.
//!
//! Checks: nothing panics, and what each parser accepts is exactly what its doc promises (see
//! the asserts below): a UUID id is 36 characters of hex with dashes in the hyphenated places,
//! a recovery token is 8..=128 of `[A-Za-z0-9_-]` (so never `/`, `%` or `.`), an idempotency
//! key is 1..=255 visible ASCII, a coupon code is trimmed and 1..=50 of `[A-Za-z0-9_-]`, an e-mail is trimmed, 3..=254 bytes with one `@` between
//! non-empty parts and no whitespace or control character; integer ids are 1..=i32::MAX and
//! quantities 1..=max; parsing is idempotent and values are kept unchanged.

#![no_main]

use checkout_bff::domain::{
    CartId, CouponCode, CustomerId, EmailAddress, IdempotencyKey, LineItemId, OptionSelection,
    OptionValue, ProductId, Quantity, RecoveryToken, VariantId,
};
use libfuzzer_sys::fuzz_target;

/// `MAX_OPTION_TEXT` in src/domain/new_line_item.rs (not exported).
const MAX_OPTION_TEXT: usize = 2000;

fuzz_target!(|data: &[u8]| {
    let mut word = [0u8; 12];
    let head = data.len().min(12);
    word[..head].copy_from_slice(&data[..head]);
    let number = i64::from_le_bytes(word[..8].try_into().expect("8 bytes"));
    let max = u32::from_le_bytes(word[8..].try_into().expect("4 bytes"));

    check_integers(number, max);
    check_integers(number, 100); // the shipped cart.max_quantity

    let text = String::from_utf8_lossy(data);
    check_text(&text);
    if let Ok(parsed) = text.trim().parse::<i64>() {
        check_integers(parsed, max);
    }
});

fn check_text(value: &str) {
    check_uuid(
        value,
        CartId::parse(value).map(|id| (id.to_string(), id.as_uuid().to_string())),
    );
    check_uuid(
        value,
        LineItemId::parse(value).map(|id| (id.to_string(), id.as_uuid().to_string())),
    );
    if let Ok(id) = CartId::parse(value) {
        assert_eq!(CartId::parse(&id.to_string()), Ok(id));
    }
    if let Ok(id) = LineItemId::parse(value) {
        assert_eq!(LineItemId::parse(&id.to_string()), Ok(id));
    }

    match RecoveryToken::parse(value) {
        Ok(token) => {
            assert!(
                (8..=128).contains(&value.len()),
                "recovery token length {}",
                value.len()
            );
            assert!(
                value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "recovery token {value:?} is not one safe path segment"
            );
            assert!(!value.contains(['/', '%', '.', '?', '#']));
            assert_eq!(token.as_str(), value);
            assert!(RecoveryToken::parse(token.as_str()) == Ok(token.clone()));
            assert_eq!(format!("{token:?}"), "RecoveryToken(<redacted>)");
        }
        Err(error) => assert!(!error.0.is_empty()),
    }

    match IdempotencyKey::parse(value) {
        Ok(key) => {
            assert!(
                (1..=255).contains(&value.len()),
                "idempotency key length {}",
                value.len()
            );
            assert!(
                value.bytes().all(|b| (0x21..=0x7e).contains(&b)),
                "idempotency key {value:?} is not visible ASCII"
            );
            assert_eq!(key.as_str(), value);
            assert_eq!(IdempotencyKey::parse(key.as_str()), Ok(key.clone()));
        }
        Err(error) => assert!(!error.0.is_empty()),
    }

    match EmailAddress::parse(value) {
        Ok(email) => {
            let address = email.as_str();
            assert_eq!(address, value.trim(), "the e-mail is stored trimmed");
            assert!(
                (3..=254).contains(&address.len()),
                "e-mail length {}",
                address.len()
            );
            assert_eq!(
                address.matches('@').count(),
                1,
                "e-mail {address:?} has not one @"
            );
            let (local, domain) = address.split_once('@').expect("one @");
            assert!(!local.is_empty() && !domain.is_empty());
            assert!(!address.chars().any(|c| c.is_whitespace() || c.is_control()));
            assert!(
                EmailAddress::parse(address) == Ok(email.clone()),
                "parse is not idempotent"
            );
            assert_eq!(email.throttle_key(), address.to_lowercase());
            assert_eq!(format!("{email:?}"), "EmailAddress(<redacted>)");
        }
        Err(error) => assert!(!error.0.is_empty()),
    }

    match CouponCode::parse(value) {
        Ok(code) => {
            let kept = code.as_str();
            assert_eq!(kept, value.trim(), "the code is kept trimmed");
            assert!(
                (1..=50).contains(&kept.len()),
                "coupon code length {}",
                kept.len()
            );
            assert!(
                kept.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "coupon code {kept:?} is not one safe path segment"
            );
            assert!(CouponCode::parse(kept) == Ok(code.clone()));
        }
        Err(error) => assert!(!error.0.is_empty()),
    }

    match OptionSelection::parse(1, OptionValue::Text(value.to_owned())) {
        Ok(selection) => {
            assert!(value.chars().count() <= MAX_OPTION_TEXT);
            assert!(!value
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r'));
            assert_eq!(selection.option_value, OptionValue::Text(value.to_owned()));
        }
        Err(error) => assert!(!error.0.is_empty()),
    }
}

/// A UUID id accepted from `value` is the canonical hyphenated form of it, up to case.
fn check_uuid<E>(value: &str, parsed: Result<(String, String), E>) {
    let Ok((display, uuid)) = parsed else { return };
    assert_eq!(display, uuid);
    assert_eq!(
        value.len(),
        36,
        "accepted a UUID id of length {}",
        value.len()
    );
    for (i, b) in value.bytes().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            assert_eq!(b, b'-', "accepted {value:?}: no dash at {i}");
        } else {
            assert!(
                b.is_ascii_hexdigit(),
                "accepted {value:?}: non-hex byte at {i}"
            );
        }
    }
    assert!(
        display.eq_ignore_ascii_case(value),
        "{display} is not {value:?}"
    );
    assert_eq!(display, display.to_ascii_lowercase());
}

fn check_integers(value: i64, max: u32) {
    let valid_id = (1..=i64::from(i32::MAX)).contains(&value);
    for (parsed, what) in [
        (ProductId::parse(value).map(|id| id.get()), "ProductId"),
        (VariantId::parse(value).map(|id| id.get()), "VariantId"),
        (CustomerId::parse(value).map(|id| id.get()), "CustomerId"),
    ] {
        match parsed {
            Ok(got) => {
                assert!(valid_id, "{what} accepted {value}");
                assert_eq!(got, value);
            }
            Err(_) => assert!(!valid_id, "{what} refused {value}"),
        }
    }

    match Quantity::parse(value, max) {
        Ok(quantity) => {
            assert!(
                value >= 1 && value <= i64::from(max),
                "quantity {value} accepted for max {max}"
            );
            assert_eq!(i64::from(quantity.get()), value);
        }
        Err(error) => {
            assert!(
                value < 1 || value > i64::from(max),
                "quantity {value} refused for max {max}"
            );
            assert!(!error.0.is_empty());
        }
    }

    let option_id = OptionSelection::parse(value, OptionValue::ValueId(1));
    assert_eq!(option_id.is_ok(), valid_id, "option_id {value}");
    let value_id = OptionSelection::parse(1, OptionValue::ValueId(value));
    assert_eq!(value_id.is_ok(), valid_id, "option value id {value}");
}
