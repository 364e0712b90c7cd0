//! The error of loading a key or certificate.

use std::fmt;

/// What went wrong loading a key or certificate (see [`KeyError::kind`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyErrorKind {
    /// The input is empty.
    Empty,
    /// The file cannot be read, is not a regular file, or is too large to be a key.
    File,
    /// The input is not in a recognised form: not PEM, not a `file://` path or pseudo-URL, invalid
    /// base64, an unknown PEM label, or bytes that are no known DER structure.
    Format,
    /// The private key is encrypted; decrypt it first.
    Encrypted,
    /// A private key was given where a public key or certificate belongs, or the other way round.
    WrongKind,
    /// The PEM label is right but the DER inside is malformed.
    Malformed,
    /// The key is not RSA, or its modulus is outside 2048–8192 bits.
    Unsupported,
    /// The crypto backend refused the key or failed an operation with it.
    Backend,
}

/// Why a key or certificate could not be loaded or used: a [`KeyErrorKind`] and a message that says
/// what was given and what to load instead. Messages name files but never contain key material.
///
/// ```
/// use wechatpay_chain::crypto::{KeyErrorKind, PrivateKey};
/// let e = PrivateKey::from_pem_file("tests/data/keys/platform_cert.pem").unwrap_err();
/// assert_eq!(e.kind(), KeyErrorKind::WrongKind);
/// assert!(e.to_string().contains("not a private key"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyError {
    kind: KeyErrorKind,
    message: String,
}

impl KeyError {
    pub(crate) fn new(kind: KeyErrorKind, message: impl Into<String>) -> KeyError {
        KeyError { kind, message: message.into() }
    }

    /// The category of the failure.
    pub fn kind(&self) -> KeyErrorKind {
        self.kind
    }

    /// What was wrong and what to do instead (the same text as `Display`).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error with `context` appended in parentheses (the file it came from, say).
    pub(crate) fn within(self, context: impl fmt::Display) -> KeyError {
        KeyError { kind: self.kind, message: format!("{} ({context})", self.message) }
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for KeyError {}
