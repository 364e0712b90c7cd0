//! Cryptographic building blocks: key loading (every form the PHP SDK's `Rsa::from` accepts) and PEM.
//!
//! Signing and verification use ring (RSASSA-PKCS1-v1_5 with SHA-256). Keys are parsed once, when the
//! client is built, never per request.

mod keys;
pub(crate) mod pem;

pub use keys::{CertificateInfo, PrivateKey, PublicKey};
