//! WeChat Pay's sensitive-field encryption (敏感信息加解密): RSAES-OAEP with SHA-1, MGF1-SHA-1 and an
//! empty label, base64 (standard alphabet, padded).
//!
//! Fields sent to WeChat Pay (names, ID numbers, bank accounts) are encrypted with the WeChat Pay public key
//! or a platform certificate ([`PublicKey::encrypt_oaep`](super::PublicKey::encrypt_oaep)); fields WeChat
//! Pay sends back are encrypted with the merchant's key and decrypted with its private key
//! ([`PrivateKey::decrypt_oaep`](super::PrivateKey::decrypt_oaep)) into a [`Sensitive`], which never shows
//! its content in `Debug` or `Display`.
//!
//! ring cannot encrypt or decrypt with RSA, so this uses RustCrypto's `rsa` 0.10 (crypto-bigint based,
//! blinded private-key operations).

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

/// RSA-OAEP/SHA-1 encryption of `plaintext` under `key`, base64.
pub(crate) fn encrypt(key: &rsa::PublicKey, bits: usize, plaintext: &[u8]) -> Result<String, OaepError> {
    let max = oaep_max_plaintext(bits);
    if plaintext.len() > max {
        return Err(OaepError::TooLong { length: plaintext.len(), max, bits });
    }
    let ciphertext =
        key.oaep_encrypt_with_rng::<sha1::Sha1, _>(&mut getrandom::SysRng, plaintext).map_err(|e| match e {
            rsa::Error::MessageTooLong => OaepError::TooLong { length: plaintext.len(), max, bits },
            rsa::Error::Rng => OaepError::Random,
            other => OaepError::Key(other.to_string()),
        })?;
    Ok(STANDARD.encode(ciphertext))
}

/// RSA-OAEP/SHA-1 decryption of base64 `ciphertext` (ASCII whitespace ignored) with `key`.
pub(crate) fn decrypt(key: &rsa::PrivateKey, modulus_len: usize, ciphertext: &str) -> Result<Sensitive, OaepError> {
    let compact: Vec<u8> = ciphertext.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let bytes = STANDARD.decode(&compact).map_err(|_| OaepError::Base64)?;
    if bytes.len() != modulus_len {
        return Err(OaepError::CiphertextLength { length: bytes.len(), expected: modulus_len });
    }
    let plain = key.oaep_decrypt_with_rng::<sha1::Sha1, _>(&mut getrandom::SysRng, &bytes).map_err(|e| match e {
        rsa::Error::Rng => OaepError::Random,
        _ => OaepError::Decryption,
    })?;
    String::from_utf8(plain).map(Sensitive).map_err(|_| OaepError::NotUtf8)
}

/// `rsaEncryption` AlgorithmIdentifier: `SEQUENCE { OID 1.2.840.113549.1.1.1, NULL }`.
const RSA_ALGORITHM_ID: [u8; 15] =
    [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00];

/// Wraps a base64 PKCS#1 `RSAPublicKey` DER into a SubjectPublicKeyInfo, base64 — byte for byte what
/// wechatpay-php's `Rsa::pkcs1ToSpki` produces:
/// `SEQUENCE { SEQUENCE { OID rsaEncryption, NULL }, BIT STRING (0 unused bits) { input } }`, DER lengths
/// in short form up to 127 and `0x81`/`0x82` long form above. The input is wrapped as given, not parsed.
///
/// ```
/// use wechatpay_chain::crypto::pkcs1_to_spki;
/// // Any bytes are wrapped; here 3 bytes `01 02 03`.
/// assert_eq!(pkcs1_to_spki("AQID").unwrap(), "MBUwDQYJKoZIhvcNAQEBBQADBAABAgM=");
/// assert!(pkcs1_to_spki("not base64!").is_err());
/// ```
pub fn pkcs1_to_spki(pkcs1_base64: &str) -> Result<String, String> {
    let compact: Vec<u8> = pkcs1_base64.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let pkcs1 = STANDARD.decode(&compact).map_err(|e| format!("the PKCS#1 public key is not base64 ({e})"))?;
    let mut bit_string = Vec::with_capacity(pkcs1.len() + 4);
    bit_string.push(0x03);
    der_length(pkcs1.len() + 1, &mut bit_string)?;
    bit_string.push(0x00);
    bit_string.extend_from_slice(&pkcs1);
    let mut spki = Vec::with_capacity(bit_string.len() + RSA_ALGORITHM_ID.len() + 4);
    spki.push(0x30);
    der_length(RSA_ALGORITHM_ID.len() + bit_string.len(), &mut spki)?;
    spki.extend_from_slice(&RSA_ALGORITHM_ID);
    spki.extend_from_slice(&bit_string);
    Ok(STANDARD.encode(spki))
}

/// A DER length: short form up to 127, `0x81 nn` up to 255, `0x82 nnnn` up to 65535.
fn der_length(length: usize, out: &mut Vec<u8>) -> Result<(), String> {
    match length {
        0..=0x7f => out.push(length as u8),
        0x80..=0xff => out.extend_from_slice(&[0x81, length as u8]),
        0x100..=0xffff => out.extend_from_slice(&[0x82, (length >> 8) as u8, length as u8]),
        _ => return Err(format!("the key is too long to wrap ({length} bytes; an RSA key is far shorter)")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        let mut out = Vec::new();
        der_length(127, &mut out).expect("short");
        der_length(128, &mut out).expect("0x81");
        der_length(256, &mut out).expect("0x82");
        assert_eq!(out, [0x7f, 0x81, 0x80, 0x82, 0x01, 0x00]);
        assert!(der_length(0x10000, &mut out).is_err());
        assert_eq!(oaep_max_plaintext(2048), 214);
        assert_eq!(oaep_max_plaintext(4096), 470);
    }
}
