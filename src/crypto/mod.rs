//! Cryptographic building blocks: key loading (every form the PHP SDK's `Rsa::from` accepts), PEM,
//! the AES-256-GCM of encrypted resources ([`aead`]), and the RSA-OAEP of sensitive fields
//! ([`PublicKey::encrypt_oaep`], [`PrivateKey::decrypt_oaep`], [`Sensitive`]).
//!
//! RSA (RSASSA-PKCS1-v1_5 with SHA-256, RSA-OAEP), digests, HMAC and randomness come from the crypto
//! backend chosen by cargo feature: `aws-lc-rs` (default) or `ring`. Keys are parsed once, when the
//! client is built, never per request.

pub mod aead;
pub(crate) mod backend;
mod der;
pub(crate) mod file;
mod keys;
mod oaep;
pub(crate) mod pem;

pub use aead::{AeadError, ApiV3Key};
pub use backend::NAME as BACKEND;
pub use der::pkcs1_to_spki;
pub(crate) use der::{pkcs8_from_pkcs1, spki_from_pkcs1};
pub use keys::{CertificateInfo, KeyError, KeyErrorKind, PrivateKey, PublicKey};
pub use oaep::{OaepError, Sensitive, oaep_max_plaintext};

/// Decodes standard base64, ignoring ASCII whitespace (line-wrapped ciphertexts from config files or
/// other SDKs).
pub(crate) fn base64_lenient(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    use base64::Engine;
    if text.bytes().any(|b| b.is_ascii_whitespace()) {
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        base64::engine::general_purpose::STANDARD.decode(compact)
    } else {
        base64::engine::general_purpose::STANDARD.decode(text)
    }
}
