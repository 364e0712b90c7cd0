//! Cryptographic building blocks: key loading (every form the PHP SDK's `Rsa::from` accepts), PEM,
//! the AES-256-GCM of encrypted resources ([`aead`]), and the RSA-OAEP of sensitive fields
//! ([`PublicKey::encrypt_oaep`], [`PrivateKey::decrypt_oaep`], [`Sensitive`]).
//!
//! Signing and verification use ring (RSASSA-PKCS1-v1_5 with SHA-256). Keys are parsed once, when the
//! client is built, never per request.

pub mod aead;
pub(crate) mod file;
mod keys;
mod oaep;
pub(crate) mod pem;

pub use aead::{AeadError, ApiV3Key};
pub use keys::{CertificateInfo, PrivateKey, PublicKey};
pub use oaep::{OaepError, Sensitive, oaep_max_plaintext, pkcs1_to_spki};

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
