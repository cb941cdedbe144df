//! The JSON request bodies, decoded as actix-web's `web::Json` does (`serde_json::from_slice`)
//! and then validated as the handlers do.
//!
//! Input: one request body. Every body type is tried on it: `AddItemsRequest`
//! (`POST /api/cart/items`), `UpdateQuantityRequest` (`PATCH /api/cart/items/{id}`),
//! `RecoverRequest` (`POST /api/cart/recover`) and `LoginRequest` (`POST /api/session/login`).
//!
//! Checks: nothing panics; whatever `AddItemsRequest::parse` accepts has 1..=max_items lines,
//! every quantity in 1..=max_quantity, positive product, variant, option and option-value ids
//! that fit BigCommerce's i32, at most 20 option selections, short option text free of control characters but line breaks, dates as YYYY-MM-DD,
//! and carries the request's values unchanged; a body that passes under some limits passes
//! under larger ones; a decoded body re-encodes to JSON that decodes to the same thing;
//! `UpdateQuantityRequest::parse` gives 0 (remove) only for 0, else a quantity in bounds;
//! the recover token and login e-mail go through their domain parsers as in the handlers.

#![no_main]

use checkout_bff::domain::{
    EmailAddress, NewLineItem, OptionValue, RecoveryToken, MAX_OPTION_SELECTIONS,
};
use checkout_bff::routes::cart::dto::{
    AddItemsRequest, LineItemRequest, OptionValueRequest, RecoverRequest, UpdateQuantityRequest,
};
use checkout_bff::routes::session::LoginRequest;
use libfuzzer_sys::fuzz_target;
use secrecy::ExposeSecret;

/// `MAX_OPTION_TEXT` in src/domain/new_line_item.rs (not exported).
const MAX_OPTION_TEXT: usize = 2000;
const BC_MAX_ID: i64 = i32::MAX as i64;

/// (max_quantity, max_line_items_per_request): the shipped configuration first, then edges.
const LIMITS: [(u32, usize); 4] = [(100, 20), (1, 1), (u32::MAX, 1000), (0, 0)];

fuzz_target!(|body: &[u8]| {
    if let Ok(request) = serde_json::from_slice::<AddItemsRequest>(body) {
        check_add_items(&request);
    }
    if let Ok(request) = serde_json::from_slice::<UpdateQuantityRequest>(body) {
        check_update_quantity(&request);
    }
    if let Ok(request) = serde_json::from_slice::<RecoverRequest>(body) {
        // What the handler does with it.
        if let Ok(token) = RecoveryToken::parse(&request.token) {
            assert_eq!(token.as_str(), request.token);
            assert!(!request.token.contains(['/', '%', '.']));
        }
        roundtrip::<RecoverRequest>(&request);
    }
    if let Ok(request) = serde_json::from_slice::<LoginRequest>(body) {
        if let Ok(email) = EmailAddress::parse(&request.email) {
            assert_eq!(email.as_str(), request.email.trim());
        }
        // The password never shows in debug output.
        let debug = format!("{:?}", request.password);
        let reference = format!("{:?}", secrecy::SecretString::from("x"));
        assert_eq!(debug, reference);
        let _ = request.password.expose_secret().len();
    }
});

fn check_add_items(request: &AddItemsRequest) {
    roundtrip::<AddItemsRequest>(request);
    for (max_quantity, max_items) in LIMITS {
        let Ok(items) = request.parse(max_quantity, max_items) else {
            continue;
        };
        assert!(!items.is_empty(), "accepted an empty add");
        assert!(
            items.len() <= max_items,
            "{} lines accepted for max {max_items}",
            items.len()
        );
        assert_eq!(items.len(), request.line_items.len());
        for (item, line) in items.iter().zip(&request.line_items) {
            check_line(item, line, max_quantity);
            let _ = item.merge_key();
        }
        // Looser limits never refuse what tighter ones accepted.
        assert!(request.parse(u32::MAX, usize::MAX).is_ok());
    }
}

fn check_line(item: &NewLineItem, line: &LineItemRequest, max_quantity: u32) {
    let quantity = item.quantity.get();
    assert!(
        (1..=max_quantity).contains(&quantity),
        "quantity {quantity} accepted for max {max_quantity}"
    );
    assert_eq!(i64::from(quantity), line.quantity);

    let product = item.product_id.get();
    assert!(
        (1..=BC_MAX_ID).contains(&product),
        "product id {product} accepted"
    );
    assert_eq!(product, line.product_id);

    assert_eq!(item.variant_id.map(|id| id.get()), line.variant_id);
    if let Some(variant) = item.variant_id {
        assert!(
            (1..=BC_MAX_ID).contains(&variant.get()),
            "variant id {variant} accepted"
        );
    }

    assert!(item.option_selections.len() <= MAX_OPTION_SELECTIONS);
    assert_eq!(item.option_selections.len(), line.option_selections.len());
    for (selection, requested) in item.option_selections.iter().zip(&line.option_selections) {
        assert!((1..=BC_MAX_ID).contains(&selection.option_id));
        assert_eq!(selection.option_id, requested.option_id);
        match (&selection.option_value, &requested.option_value) {
            (OptionValue::ValueId(id), OptionValueRequest::ValueId(asked)) => {
                assert!(
                    (1..=BC_MAX_ID).contains(id),
                    "option value id {id} accepted"
                );
                assert_eq!(id, asked);
            }
            (OptionValue::Text(text), OptionValueRequest::Text(asked)) => {
                assert!(text.chars().count() <= MAX_OPTION_TEXT);
                assert!(!text
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\r'));
                assert_eq!(text, asked);
            }
            (OptionValue::Date(date), OptionValueRequest::Date(asked)) => {
                assert_eq!(date.to_string(), asked.date.trim());
            }
            (got, asked) => panic!("option value {got:?} parsed from {asked:?}"),
        }
    }
}

fn check_update_quantity(request: &UpdateQuantityRequest) {
    roundtrip::<UpdateQuantityRequest>(request);
    for (max_quantity, _) in LIMITS {
        match request.parse(max_quantity) {
            Ok(0) => assert_eq!(request.quantity, 0, "0 (remove) from {}", request.quantity),
            Ok(quantity) => {
                assert!((1..=max_quantity).contains(&quantity));
                assert_eq!(i64::from(quantity), request.quantity);
            }
            Err(_) => assert!(request.quantity != 0),
        }
    }
}

/// A decoded body re-encodes to JSON that decodes to an equal body.
fn roundtrip<T>(request: &T)
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let first = serde_json::to_value(request).expect("a decoded body encodes");
    let bytes = serde_json::to_vec(request).expect("a decoded body encodes");
    let again: T = serde_json::from_slice(&bytes).expect("re-encoded body decodes");
    let second = serde_json::to_value(&again).expect("a decoded body encodes");
    assert_eq!(first, second);
}
