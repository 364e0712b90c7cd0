//! AEAD_AES_256_GCM, the cipher of WeChat Pay's encrypted resources: notification `resource`s and
//! the `encrypt_certificate` entries of `GET v3/certificates`.
//!
//! The key is the merchant's APIv3 key (APIv3密钥): its 32 ASCII characters are the 256-bit key. The
//! nonce and the associated data are the bytes of the `nonce` and `associated_data` strings, and the
//! `ciphertext` is standard base64 of the ciphertext followed by the 16-byte tag.
//!
//! ```
//! use wechatpay_chain::crypto::{ApiV3Key, aead};
//!
//! let key = ApiV3Key::new("pJKrljmXR68AHQ5YJK2AaVG8opcVCFfX")?;
//! let sealed = aead::encrypt(&key, b"0123456789ab", b"transaction", br#"{"a":1}"#)?;
//! let opened = aead::decrypt(&key, b"0123456789ab", b"transaction", &sealed)?;
//! assert_eq!(opened, br#"{"a":1}"#);
//! assert!(aead::decrypt(&key, b"0123456789ab", b"refund", &sealed).is_err());
//! # Ok::<(), wechatpay_chain::crypto::AeadError>(())
//! ```
//!
//! Differences from the PHP SDK's `AesGcm`, on purpose:
//! - the key must be exactly 32 bytes (PHP's OpenSSL silently zero-pads or truncates it);
//! - the tag must be the full 16 bytes (PHP accepts inputs shorter than 16 bytes as a truncated tag);
//! - base64 may contain line breaks and spaces, which are skipped, but no other stray characters
//!   (PHP drops anything outside the alphabet, so a URL-safe encoding decodes to wrong bytes).
//!
//! Nonces of any length from 1 to 64 bytes are accepted (WeChat Pay sends 12 characters; GCM derives
//! the counter block from other lengths by GHASH, as OpenSSL does).

use std::fmt;

use aes_gcm::aead::array::{Array, ArraySize};
use aes_gcm::aead::consts::*;
use aes_gcm::aes::Aes256;
use aes_gcm::{AeadInOut, AesGcm, KeyInit};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Length of the GCM tag WeChat Pay appends to every ciphertext.
pub const TAG_LENGTH: usize = 16;

/// Longest nonce accepted.
pub const MAX_NONCE_LENGTH: usize = 64;

/// The APIv3 key (APIv3密钥): 32 bytes, set in the merchant platform. Never shown by `Debug`.
#[derive(Clone)]
pub struct ApiV3Key([u8; 32]);

impl ApiV3Key {
    /// Takes the key as configured in the merchant platform: exactly 32 characters.
    pub fn new(key: &str) -> Result<ApiV3Key, AeadError> {
        let bytes: [u8; 32] = key.as_bytes().try_into().map_err(|_| AeadError::KeyLength { length: key.len() })?;
        Ok(ApiV3Key(bytes))
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for ApiV3Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiV3Key(<redacted>)")
    }
}

/// Why an AES-256-GCM resource could not be opened (or sealed).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AeadError {
    /// The APIv3 key is not 32 bytes.
    #[error(
        "the APIv3 key must be exactly 32 characters, this one has {length} bytes; copy the APIv3 key \
         (APIv3密钥) from the merchant platform, not the APIv2 key or the certificate serial"
    )]
    KeyLength {
        /// Bytes given.
        length: usize,
    },
    /// The nonce is empty or longer than [`MAX_NONCE_LENGTH`].
    #[error("the nonce has {length} bytes; it must have 1 to {MAX_NONCE_LENGTH} (WeChat Pay sends 12)")]
    NonceLength {
        /// Bytes given.
        length: usize,
    },
    /// The ciphertext is not standard base64.
    #[error("the ciphertext is not standard base64: {0}")]
    Base64(String),
    /// The decoded ciphertext is shorter than the 16-byte tag.
    #[error("the ciphertext has {length} bytes, fewer than the {TAG_LENGTH}-byte GCM tag; it is truncated")]
    TooShort {
        /// Decoded bytes.
        length: usize,
    },
    /// The tag did not match: wrong key, nonce or associated data, or tampered ciphertext.
    #[error(
        "decryption failed: the tag does not match (wrong APIv3 key, nonce or associated_data, or the \
         ciphertext was altered)"
    )]
    Authentication,
}

/// Opens `ciphertext` (base64 of ciphertext || tag) and returns the plaintext bytes.
pub fn decrypt(key: &ApiV3Key, nonce: &[u8], associated_data: &[u8], ciphertext: &str) -> Result<Vec<u8>, AeadError> {
    let mut buffer = crate::crypto::base64_lenient(ciphertext).map_err(|e| AeadError::Base64(e.to_string()))?;
    if buffer.len() < TAG_LENGTH {
        return Err(AeadError::TooShort { length: buffer.len() });
    }
    let tag_at = buffer.len() - TAG_LENGTH;
    let mut tag = [0u8; TAG_LENGTH];
    tag.copy_from_slice(&buffer[tag_at..]);
    buffer.truncate(tag_at);
    with_nonce(key, nonce, Op::Open { associated_data, buffer: &mut buffer, tag: &tag })?;
    Ok(buffer)
}

/// Seals `plaintext` and returns base64 of ciphertext || tag, the form WeChat Pay sends.
pub fn encrypt(key: &ApiV3Key, nonce: &[u8], associated_data: &[u8], plaintext: &[u8]) -> Result<String, AeadError> {
    let mut buffer = plaintext.to_vec();
    let mut tag = [0u8; TAG_LENGTH];
    with_nonce(key, nonce, Op::Seal { associated_data, buffer: &mut buffer, tag: &mut tag })?;
    buffer.extend_from_slice(&tag);
    Ok(STANDARD.encode(buffer))
}

enum Op<'a> {
    Open { associated_data: &'a [u8], buffer: &'a mut Vec<u8>, tag: &'a [u8; TAG_LENGTH] },
    Seal { associated_data: &'a [u8], buffer: &'a mut Vec<u8>, tag: &'a mut [u8; TAG_LENGTH] },
}

fn run<N: ArraySize>(key: &ApiV3Key, nonce: &[u8], op: Op<'_>) -> Result<(), AeadError> {
    let cipher = AesGcm::<Aes256, N>::new(&Array::from(*key.bytes()));
    let nonce = Array::<u8, N>::try_from(nonce).map_err(|_| AeadError::NonceLength { length: nonce.len() })?;
    match op {
        Op::Open { associated_data, buffer, tag } => cipher
            .decrypt_inout_detached(&nonce, associated_data, buffer.as_mut_slice().into(), &Array::from(*tag))
            .map_err(|_| AeadError::Authentication),
        Op::Seal { associated_data, buffer, tag } => {
            let sealed = cipher
                .encrypt_inout_detached(&nonce, associated_data, buffer.as_mut_slice().into())
                .map_err(|_| AeadError::Authentication)?;
            tag.copy_from_slice(&sealed);
            Ok(())
        }
    }
}

/// GCM's nonce length is a type parameter; pick the instance for this nonce.
fn with_nonce(key: &ApiV3Key, nonce: &[u8], op: Op<'_>) -> Result<(), AeadError> {
    macro_rules! dispatch {
        ($($n:literal => $t:ty),* $(,)?) => {
            match nonce.len() {
                $($n => run::<$t>(key, nonce, op),)*
                length => Err(AeadError::NonceLength { length }),
            }
        };
    }
    dispatch!(
        1 => U1, 2 => U2, 3 => U3, 4 => U4, 5 => U5, 6 => U6, 7 => U7, 8 => U8,
        9 => U9, 10 => U10, 11 => U11, 12 => U12, 13 => U13, 14 => U14, 15 => U15, 16 => U16,
        17 => U17, 18 => U18, 19 => U19, 20 => U20, 21 => U21, 22 => U22, 23 => U23, 24 => U24,
        25 => U25, 26 => U26, 27 => U27, 28 => U28, 29 => U29, 30 => U30, 31 => U31, 32 => U32,
        33 => U33, 34 => U34, 35 => U35, 36 => U36, 37 => U37, 38 => U38, 39 => U39, 40 => U40,
        41 => U41, 42 => U42, 43 => U43, 44 => U44, 45 => U45, 46 => U46, 47 => U47, 48 => U48,
        49 => U49, 50 => U50, 51 => U51, 52 => U52, 53 => U53, 54 => U54, 55 => U55, 56 => U56,
        57 => U57, 58 => U58, 59 => U59, 60 => U60, 61 => U61, 62 => U62, 63 => U63, 64 => U64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_lengths_round_trip() {
        let key = ApiV3Key::new("pJKrljmXR68AHQ5YJK2AaVG8opcVCFfX").unwrap();
        for n in [1usize, 12, 16, 64] {
            let nonce = vec![b'n'; n];
            let sealed = encrypt(&key, &nonce, b"aad", b"hello").unwrap();
            assert_eq!(decrypt(&key, &nonce, b"aad", &sealed).unwrap(), b"hello");
        }
        assert_eq!(encrypt(&key, b"", b"", b"x"), Err(AeadError::NonceLength { length: 0 }));
        assert_eq!(encrypt(&key, &[0; 65], b"", b"x"), Err(AeadError::NonceLength { length: 65 }));
    }

    #[test]
    fn key_must_be_32_bytes() {
        assert_eq!(ApiV3Key::new("short").unwrap_err(), AeadError::KeyLength { length: 5 });
        assert!(format!("{:?}", ApiV3Key::new("pJKrljmXR68AHQ5YJK2AaVG8opcVCFfX").unwrap()).contains("redacted"));
    }
}
