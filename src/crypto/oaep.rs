//! WeChat Pay's sensitive-field encryption (敏感信息加解密): RSAES-OAEP with SHA-1, MGF1-SHA-1 and an
//! empty label, base64 (standard alphabet, padded).
//!
//! Fields sent to WeChat Pay (names, ID numbers, bank accounts) are encrypted with the WeChat Pay public key
//! or a platform certificate ([`PublicKey::encrypt_oaep`](super::PublicKey::encrypt_oaep)); fields WeChat
//! Pay sends back are encrypted with the merchant's key and decrypted with its private key
//! ([`PrivateKey::decrypt_oaep`](super::PrivateKey::decrypt_oaep)) into a [`Sensitive`], which never shows
//! its content in `Debug` or `Display`.
//!
//! The RSA operations themselves belong to the crypto backend (aws-lc-rs; or, with the `ring` backend,
//! RustCrypto's `rsa` 0.10, since ring cannot encrypt or decrypt with RSA).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The bytes OAEP with SHA-1 takes out of the modulus: two 20-byte hashes and two marker bytes.
const OAEP_SHA1_OVERHEAD: usize = 2 * 20 + 2;

/// The longest plaintext RSA-OAEP/SHA-1 fits under a key of `bits` bits: 214 bytes for 2048 bits.
///
/// ```
/// assert_eq!(wechatpay_chain::crypto::oaep_max_plaintext(2048), 214);
/// ```
pub fn oaep_max_plaintext(bits: usize) -> usize {
    bits.div_ceil(8).saturating_sub(OAEP_SHA1_OVERHEAD)
}

/// Why an RSA-OAEP encryption or decryption failed. Messages never contain plaintext.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OaepError {
    /// The plaintext is longer than RSA-OAEP/SHA-1 fits under the key.
    TooLong {
        /// Plaintext length in bytes (UTF-8).
        length: usize,
        /// The most the key takes (214 for 2048 bits).
        max: usize,
        /// Modulus size of the key.
        bits: usize,
    },
    /// The ciphertext is not base64.
    Base64,
    /// The ciphertext has the wrong length for the key.
    CiphertextLength {
        /// Decoded length in bytes.
        length: usize,
        /// The modulus length of the key (256 for 2048 bits).
        expected: usize,
    },
    /// OAEP-SHA-1 decoding failed: another padding, another hash, another key, or a damaged ciphertext.
    Decryption,
    /// The decrypted field is not UTF-8 text.
    NotUtf8,
    /// The key cannot be used for RSA-OAEP.
    Key(String),
    /// The system random source failed.
    Random,
}

impl fmt::Display for OaepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OaepError::TooLong { length, max, bits } => write!(
                f,
                "the plaintext is {length} bytes; RSA-OAEP with SHA-1 under a {bits}-bit key takes at most {max} \
                 bytes (UTF-8), so this field cannot be encrypted as one value"
            ),
            OaepError::Base64 => f.write_str("the ciphertext is not base64 (standard alphabet)"),
            OaepError::CiphertextLength { length, expected } => write!(
                f,
                "the ciphertext is {length} bytes, but a ciphertext for this key is {expected} bytes; it was made \
                 for another key or is damaged"
            ),
            OaepError::Decryption => f.write_str(
                "the ciphertext does not decrypt with RSA-OAEP (SHA-1, MGF1-SHA-1, empty label), which is what \
                 WeChat Pay uses for sensitive fields; it may be PKCS#1 v1.5 or OAEP-SHA256, or encrypted for \
                 another key (for fields you sent: the key named by Wechatpay-Serial; for fields WeChat Pay sent: \
                 your merchant key)",
            ),
            OaepError::NotUtf8 => f.write_str("the decrypted field is not UTF-8 text"),
            OaepError::Key(reason) => write!(f, "the key cannot be used for RSA-OAEP: {reason}"),
            OaepError::Random => f.write_str("the system random source failed"),
        }
    }
}

impl std::error::Error for OaepError {}

/// Decrypted personal data (a name, an ID number, a phone number): a string that `Debug` and `Display`
/// never show. Read it with [`expose`](Sensitive::expose) where it is really needed.
///
/// ```
/// use wechatpay_chain::crypto::Sensitive;
/// let name = Sensitive::from("张三".to_owned());
/// assert_eq!(format!("{name:?}"), "Sensitive(<redacted, 6 bytes>)");
/// assert_eq!(name.to_string(), "<redacted, 6 bytes>");
/// assert_eq!(name.expose(), "张三");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Sensitive(String);

impl Sensitive {
    /// The plain text. Keep it out of logs.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The plain text, taking ownership.
    pub fn into_inner(self) -> String {
        self.0
    }

    /// Length in bytes (UTF-8).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Sensitive {
    fn from(text: String) -> Self {
        Sensitive(text)
    }
}

impl From<&str> for Sensitive {
    fn from(text: &str) -> Self {
        Sensitive(text.to_owned())
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sensitive(<redacted, {} bytes>)", self.0.len())
    }
}

impl fmt::Display for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted, {} bytes>", self.0.len())
    }
}

/// Decodes a base64 ciphertext (ASCII whitespace ignored) and checks it has the modulus length.
pub(crate) fn ciphertext_bytes(ciphertext: &str, modulus_len: usize) -> Result<Vec<u8>, OaepError> {
    let compact: Vec<u8> = ciphertext.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let bytes = STANDARD.decode(&compact).map_err(|_| OaepError::Base64)?;
    if bytes.len() != modulus_len {
        return Err(OaepError::CiphertextLength { length: bytes.len(), expected: modulus_len });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plaintext_limits() {
        assert_eq!(oaep_max_plaintext(2048), 214);
        assert_eq!(oaep_max_plaintext(4096), 470);
    }
}
