//! The digests WeChat Pay announces for its files, checked as the bytes stream by.

use super::download_error;
use crate::crypto::backend::digest;
use crate::error::{DownloadError, DownloadErrorKind, Error, InputErrorKind};

/// A digest algorithm WeChat Pay names in `hash_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HashType {
    /// `SHA1` (bills, statements).
    Sha1,
    /// `SHA256`.
    Sha256,
}

impl HashType {
    /// Parses WeChat Pay's `hash_type` (`SHA1`, `SHA256`, case-insensitive).
    pub fn parse(name: &str) -> Result<HashType, Error> {
        match name.to_ascii_uppercase().as_str() {
            "SHA1" | "SHA-1" => Ok(HashType::Sha1),
            "SHA256" | "SHA-256" => Ok(HashType::Sha256),
            _ => Err(Error::input(
                InputErrorKind::InvalidOption,
                format!("hash_type `{name}` is not supported (SHA1 and SHA256 are)"),
            )),
        }
    }

    fn algorithm(self) -> &'static digest::Algorithm {
        match self {
            HashType::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            HashType::Sha256 => &digest::SHA256,
        }
    }

    fn name(self) -> &'static str {
        match self {
            HashType::Sha1 => "SHA1",
            HashType::Sha256 => "SHA256",
        }
    }
}

/// A running digest and the value it must reach.
pub(crate) struct DigestCheck {
    hash_type: HashType,
    expected: String,
    context: digest::Context,
}

impl DigestCheck {
    pub(crate) fn new(hash_type: HashType, expected: &str) -> Self {
        DigestCheck {
            hash_type,
            expected: expected.trim().to_ascii_lowercase(),
            context: digest::Context::new(hash_type.algorithm()),
        }
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.context.update(bytes);
    }

    /// Compares at the end; the error names both values.
    pub(crate) fn finish(self) -> Result<(), DownloadError> {
        let actual: String = self.context.finish().as_ref().iter().map(|b| format!("{b:02x}")).collect();
        if actual == self.expected {
            Ok(())
        } else {
            Err(download_error(DownloadErrorKind::DigestMismatch {
                hash_type: self.hash_type.name(),
                expected: self.expected,
                actual,
            }))
        }
    }
}
