//! Authentication of callbacks: BigCommerce sends back, on every callback, the custom header
//! we registered the hook with, carrying our shared secret.

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// Whether `presented` is the secret. Both sides are hashed first, so the comparison runs
/// over 32 bytes whatever was sent, and it looks at every byte: neither the length nor the
/// position of the first difference shows in the timing.
pub(super) fn secret_matches(presented: Option<&[u8]>, secret: &SecretString) -> bool {
    let Some(presented) = presented else {
        return false;
    };
    let presented = Sha256::digest(presented);
    let expected = Sha256::digest(secret.expose_secret().as_bytes());
    let difference = presented
        .iter()
        .zip(expected.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    difference == 0
}

#[cfg(test)]
mod tests {
    use super::secret_matches;

    #[test]
    fn only_the_exact_secret_matches() {
        let secret = "s3cret".to_owned().into();
        assert!(secret_matches(Some(b"s3cret"), &secret));
        for wrong in [&b""[..], b"s3cre", b"s3cret ", b"S3cret", b"s3cret\0"] {
            assert!(!secret_matches(Some(wrong), &secret), "{wrong:?} matched");
        }
        assert!(!secret_matches(None, &secret));
    }
}
