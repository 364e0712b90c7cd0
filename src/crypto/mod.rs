//! Cryptographic building blocks: key loading (every form the PHP SDK's `Rsa::from` accepts), PEM,
//! the AES-256-GCM of encrypted resources ([`aead`]), and the RSA-OAEP of sensitive fields
//! ([`PublicKey::encrypt_oaep`], [`PrivateKey::decrypt_oaep`], [`Sensitive`]).
//!
//! Signing and verification use ring (RSASSA-PKCS1-v1_5 with SHA-256). Keys are parsed once, when the
//! client is built, never per request.

pub mod aead;
mod keys;
mod oaep;
pub(crate) mod pem;

pub use aead::{AeadError, ApiV3Key};
pub use keys::{CertificateInfo, PrivateKey, PublicKey};
pub use oaep::{OaepError, Sensitive, oaep_max_plaintext, pkcs1_to_spki};
