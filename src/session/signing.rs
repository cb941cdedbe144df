//! What the service hands a browser and must get back as it was: the pre-session cookie, a
//! one-time message for a shopper who has no session row, and every CSRF token. All are
//! HMAC-SHA256 under `session.signing_key`, each with a purpose of its own, so a value signed
//! for one use is worthless for another and a value the service never issued is simply no
//! value at all.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// The signing key, ready to use. Cheap to clone.
#[derive(Clone)]
pub struct Signer {
    keyed: Hmac<Sha256>,
}

/// `session.signing_key` could not key an HMAC (it cannot happen: HMAC takes keys of any
/// length, but the API says it may fail, and start-up is the place to find out).
#[derive(Debug, thiserror::Error)]
#[error("session.signing_key cannot key HMAC-SHA256")]
pub struct InvalidSigningKey;

impl Signer {
    pub fn new(key: &SecretString) -> Result<Self, InvalidSigningKey> {
        let keyed = Hmac::<Sha256>::new_from_slice(key.expose_secret().as_bytes())
            .map_err(|_| InvalidSigningKey)?;
        Ok(Self { keyed })
    }

    fn mac(&self, purpose: &str, payload: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(payload);
        mac
    }

    /// A tag for `payload` that only this service can compute, hex-encoded (64 digits): what
    /// CSRF tokens are.
    pub fn tag(&self, purpose: &str, payload: &[u8]) -> String {
        hex::encode(self.mac(purpose, payload).finalize().into_bytes())
    }

    /// Whether `candidate` is the tag of `payload` (compared in constant time).
    pub fn verify_tag(&self, purpose: &str, payload: &[u8], candidate: &str) -> bool {
        let Ok(candidate) = hex::decode(candidate) else {
            return false;
        };
        self.mac(purpose, payload).verify_slice(&candidate).is_ok()
    }

    /// `payload` and its tag, as one cookie-safe value (`hex(payload).hex(tag)`).
    pub fn sign(&self, purpose: &str, payload: &[u8]) -> String {
        format!("{}.{}", hex::encode(payload), self.tag(purpose, payload))
    }

    /// The payload of a value `sign` made for `purpose`; `None` for anything else.
    pub fn verify(&self, purpose: &str, value: &str) -> Option<Vec<u8>> {
        let (payload, tag) = value.split_once('.')?;
        let payload = hex::decode(payload).ok()?;
        self.verify_tag(purpose, &payload, tag).then_some(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(key: &str) -> Signer {
        Signer::new(&SecretString::from(key.to_owned())).expect("a key")
    }

    #[test]
    fn a_signed_value_verifies_only_for_its_purpose_and_key() {
        let signer = signer("a signing key of thirty-two bytes");
        let value = signer.sign("pre-session", b"random");
        assert_eq!(
            signer.verify("pre-session", &value),
            Some(b"random".to_vec())
        );
        assert_eq!(signer.verify("flash", &value), None, "another purpose");
        let other = self::signer("another signing key, thirty-two b");
        assert_eq!(other.verify("pre-session", &value), None, "another key");
    }

    #[test]
    fn altered_or_malformed_values_are_no_values() {
        let signer = signer("a signing key of thirty-two bytes");
        let value = signer.sign("flash", b"hello");
        let (payload, tag) = value.split_once('.').expect("two parts");
        let cases = [
            format!("{}.{tag}", hex::encode(b"hellO")),
            format!("{payload}.{}", "0".repeat(64)),
            payload.to_owned(),
            format!("{payload}.zz"),
            String::new(),
            ".".to_owned(),
        ];
        for case in cases {
            assert_eq!(signer.verify("flash", &case), None, "{case:?}");
        }
    }

    #[test]
    fn tags_are_64_hex_digits_and_checked_in_constant_time() {
        let signer = signer("a signing key of thirty-two bytes");
        let tag = signer.tag("csrf", b"token");
        assert_eq!(tag.len(), 64);
        assert!(signer.verify_tag("csrf", b"token", &tag));
        assert!(!signer.verify_tag("csrf", b"other", &tag));
        assert!(!signer.verify_tag("csrf", b"token", "not hex"));
    }
}
