//! The crypto backend: `aws-lc-rs` (default) or `ring`, chosen by cargo feature. Both offer the same
//! digest, HMAC, randomness and RSA-signature API (aws-lc-rs was written to match ring's); the RSA
//! key types here hide what differs: aws-lc-rs also does RSA-OAEP, ring leaves it to RustCrypto `rsa`.
//! With both features on, aws-lc-rs is used.

#[cfg(not(any(feature = "aws-lc-rs", feature = "ring")))]
compile_error!("wechatpay-chain needs a crypto backend: enable the `aws-lc-rs` (default) or the `ring` feature");

#[cfg(feature = "aws-lc-rs")]
mod aws;
#[cfg(feature = "aws-lc-rs")]
pub(crate) use aws::{RsaPrivate, RsaPublic};
#[cfg(feature = "aws-lc-rs")]
pub(crate) use aws_lc_rs::{digest, hmac, rand};

#[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
mod ring;
#[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
pub(crate) use self::ring::{RsaPrivate, RsaPublic};
#[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
pub(crate) use ::ring::{digest, hmac, rand};

/// The name of the backend in use, for diagnostics and benchmarks: `"aws-lc-rs"` or `"ring"`.
pub const NAME: &str = if cfg!(feature = "aws-lc-rs") { "aws-lc-rs" } else { "ring" };
