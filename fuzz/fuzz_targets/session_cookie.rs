//! The session cookie path: an arbitrary `Cookie:` request header, read the way the
//! `ShopperSession` extractor reads it (`HttpRequest::cookie(name)`, i.e. actix-web's own
//! split-on-`;` + percent-decoding cookie parser), then `SessionToken::parse` on the value.
//!
//! Input: the raw bytes of the header value. Each `\n` starts another `Cookie:` header, so
//! requests with several Cookie headers are covered too. The whole input, as text, is also
//! given to `SessionToken::parse` directly.
//!
//! Checks: nothing panics; an accepted token is exactly 64 lowercase hex digits, round-trips
//! through `expose()` and `parse`, hashes deterministically to the SHA-256 of its text; the
//! Set-Cookie the service would write for it parses back to the same name and value; its
//! Debug output never shows it.

#![no_main]

use actix_web::cookie::Cookie;
use actix_web::http::header::{HeaderValue, COOKIE};
use actix_web::test::TestRequest;
use checkout_bff::configuration::SessionSettings;
use checkout_bff::session::{session_cookie, SessionToken};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// The cookie names the shipped configurations use (config/base.yaml, config/local.yaml).
const COOKIE_NAMES: [&str; 2] = ["__Host-bff_session", "bff_session"];

fuzz_target!(|data: &[u8]| {
    // The bare cookie value, as the token parser sees it.
    if let Ok(text) = std::str::from_utf8(data) {
        check_value(text);
    }

    // The whole request path: one Cookie header per line of input.
    let mut request = TestRequest::default();
    let mut any_header = false;
    for line in data.split(|&b| b == b'\n') {
        // Bytes a header value cannot hold never reach the service: hyper/h1 refuses them.
        if let Ok(value) = HeaderValue::from_bytes(line) {
            request = request.append_header((COOKIE, value));
            any_header = true;
        }
    }
    if !any_header {
        return;
    }
    let request = request.to_http_request();
    for name in COOKIE_NAMES {
        if let Some(cookie) = request.cookie(name) {
            assert_eq!(cookie.name(), name);
            check_value(cookie.value());
        }
    }
});

fn check_value(value: &str) {
    let Some(token) = SessionToken::parse(value) else {
        return;
    };

    // Only what the service itself issues is accepted.
    assert_eq!(
        value.len(),
        64,
        "accepted a token of length {}",
        value.len()
    );
    assert!(
        value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        "accepted a token that is not lowercase hex: {value:?}"
    );

    // Round trip through the cookie writer's view of it.
    assert_eq!(token.expose(), value);
    let reparsed = SessionToken::parse(token.expose()).expect("an exposed token parses back");
    assert!(reparsed == token);

    // The database key is deterministic and is the SHA-256 of the cookie text.
    let hash = token.hash();
    assert!(hash == token.hash(), "hash() is not deterministic");
    assert!(hash == reparsed.hash(), "equal tokens hash differently");
    let expected: [u8; 32] = Sha256::digest(value.as_bytes()).into();
    assert_eq!(hash.0, expected);

    // Never printed.
    assert_eq!(format!("{token:?}"), "SessionToken(<redacted>)");

    // The Set-Cookie the service writes for it reads back to the same cookie.
    for (name, secure) in [(COOKIE_NAMES[0], true), (COOKIE_NAMES[1], false)] {
        let written = session_cookie(&settings(name, secure), &token).to_string();
        let read = Cookie::parse_encoded(written.as_str()).expect("our own Set-Cookie parses");
        assert_eq!(read.name(), name);
        assert_eq!(read.value(), value);
        assert_eq!(read.http_only(), Some(true));
        assert_eq!(read.path(), Some("/"));
    }
}

/// The shipped session settings (config/base.yaml), with the cookie name and Secure flag set
/// for each configuration. Read from the YAML so new settings need no change here.
fn settings(cookie_name: &str, cookie_secure: bool) -> SessionSettings {
    static BASE: OnceLock<SessionSettings> = OnceLock::new();
    let mut settings = BASE
        .get_or_init(|| {
            config::Config::builder()
                .add_source(config::File::from_str(
                    include_str!("../../config/base.yaml"),
                    config::FileFormat::Yaml,
                ))
                .build()
                .and_then(|config| config.get::<SessionSettings>("session"))
                .expect("config/base.yaml has valid session settings")
        })
        .clone();
    settings.cookie_name = cookie_name.to_owned();
    settings.cookie_secure = cookie_secure;
    settings
}
