//! AES-256-ECB with PKCS#7 padding: the cipher of refund notifications' `req_info` (退款结果通知).
//!
//! The key is the **lower-case hex MD5 of the APIv2 key**, its 32 ASCII characters used directly as
//! the 256-bit key ([`EcbKey::from_apiv2_key`]). The ciphertext is standard base64 (line breaks and
//! spaces are skipped).
//!
//! ```
//! use wechatpay_chain::v2::{ApiV2Key, crypto::{self, EcbKey}};
//!
//! let key = EcbKey::from_apiv2_key(&ApiV2Key::new("GcOWSRrXHahnYIF9qpp0u4AMvS9IKGu1")?);
//! assert_eq!(crypto::decrypt(&key, "hUdffK7i333oj15sVs6O2A==")?, b"hi");
//! assert_eq!(crypto::decrypt(&key, &crypto::encrypt(&key, b"<root/>"))?, b"<root/>");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ECB has no integrity protection: the padding check catches a wrong key, but someone who has
//! other ciphertexts under the same key could splice whole blocks. Treat a decrypted refund
//! notification as a prompt and confirm the refund with the refund query API before acting on
//! money.

use std::fmt;

use aes::Aes256;
use aes::cipher::{Array, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{ApiV2Key, EcbError};

/// The AES block size in bytes.
pub const BLOCK: usize = 16;

/// A 32-byte AES-256 key. `Debug` never shows it.
#[derive(Clone)]
pub struct EcbKey([u8; 32]);

impl EcbKey {
    /// Takes 32 raw key bytes.
    pub fn new(key: &[u8]) -> Result<EcbKey, EcbError> {
        let bytes: [u8; 32] = key.try_into().map_err(|_| EcbError::KeyLength { length: key.len() })?;
        Ok(EcbKey(bytes))
    }

    /// The key of `req_info`: the lower-case hex MD5 of the APIv2 key, as 32 ASCII bytes.
    pub fn from_apiv2_key(key: &ApiV2Key) -> EcbKey {
        let hex = md5_hex(key.expose());
        let mut bytes = [0u8; 32];
        for (slot, b) in bytes.iter_mut().zip(hex.bytes()) {
            *slot = b;
        }
        EcbKey(bytes)
    }

    fn cipher(&self) -> Aes256 {
        Aes256::new(&Array::from(self.0))
    }
}

impl fmt::Debug for EcbKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EcbKey(<redacted>)")
    }
}

/// Lower-case hex MD5 of `text` alone (`Hash::md5($text)` without a key).
fn md5_hex(text: &str) -> String {
    use md5::{Digest, Md5};
    let digest = Md5::digest(text.as_bytes());
    let mut out = String::with_capacity(32);
    for b in digest.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Decrypts base64 `ciphertext` and removes the PKCS#7 padding. Errors: [`EcbError::Base64`],
/// [`EcbError::Length`] (empty or not whole blocks), [`EcbError::Padding`] (almost always a wrong
/// key).
pub fn decrypt(key: &EcbKey, ciphertext: &str) -> Result<Vec<u8>, EcbError> {
    let mut data = crate::crypto::base64_lenient(ciphertext).map_err(|e| EcbError::Base64(e.to_string()))?;
    if data.is_empty() || data.len() % BLOCK != 0 {
        return Err(EcbError::Length { length: data.len() });
    }
    let cipher = key.cipher();
    for chunk in data.chunks_exact_mut(BLOCK) {
        let mut block = Array::<u8, _>::default();
        block.copy_from_slice(chunk);
        cipher.decrypt_block(&mut block);
        chunk.copy_from_slice(&block);
    }
    let pad = data.last().copied().map_or(0, usize::from);
    if pad == 0 || pad > BLOCK || !data[data.len() - pad..].iter().all(|&b| usize::from(b) == pad) {
        return Err(EcbError::Padding);
    }
    data.truncate(data.len() - pad);
    Ok(data)
}

/// Encrypts `plaintext` with PKCS#7 padding (a whole padding block when it is block-aligned) and
/// returns standard base64: what WeChat Pay does to `req_info`, for tests and local imitations.
pub fn encrypt(key: &EcbKey, plaintext: &[u8]) -> String {
    let pad = BLOCK - plaintext.len() % BLOCK;
    let mut data = Vec::with_capacity(plaintext.len() + pad);
    data.extend_from_slice(plaintext);
    // `pad` is 1..=16, so it fits a byte.
    data.resize(plaintext.len() + pad, pad as u8);
    let cipher = key.cipher();
    for chunk in data.chunks_exact_mut(BLOCK) {
        let mut block = Array::<u8, _>::default();
        block.copy_from_slice(chunk);
        cipher.encrypt_block(&mut block);
        chunk.copy_from_slice(&block);
    }
    STANDARD.encode(data)
}

/// Decrypts a refund notification's `req_info` with the APIv2 key into its XML text (a `<root>`
/// document; [`decrypt_refund_notification`](super::notify::decrypt_refund_notification) parses it).
pub fn decrypt_req_info(req_info: &str, key: &ApiV2Key) -> Result<String, EcbError> {
    let plain = decrypt(&EcbKey::from_apiv2_key(key), req_info)?;
    String::from_utf8(plain).map_err(|_| EcbError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_known_answer() {
        // tests/Crypto/AesEcbTest.php of the PHP SDK.
        let key = EcbKey::new(b"0123456789abcdef0123456789abcdef").unwrap();
        assert_eq!(encrypt(&key, b"hello"), "pZwJZBLuy3mDACEQT4YTBw==");
        assert_eq!(decrypt(&key, "pZwJZBLuy3mDACEQT4YTBw==").unwrap(), b"hello");
    }

    #[test]
    fn req_info_key_is_hex_md5() {
        let key = EcbKey::from_apiv2_key(&ApiV2Key::new("GcOWSRrXHahnYIF9qpp0u4AMvS9IKGu1").unwrap());
        assert_eq!(&key.0, b"704609e3362f28f329ecc640cce3698e");
        assert_eq!(format!("{key:?}"), "EcbKey(<redacted>)");
    }

    #[test]
    fn errors() {
        let key = EcbKey::new(&[7u8; 32]).unwrap();
        assert_eq!(EcbKey::new(&[0u8; 16]).unwrap_err(), EcbError::KeyLength { length: 16 });
        assert!(matches!(decrypt(&key, "not base64!"), Err(EcbError::Base64(_))));
        assert_eq!(decrypt(&key, ""), Err(EcbError::Length { length: 0 }));
        assert_eq!(decrypt(&key, "AAAA"), Err(EcbError::Length { length: 3 }));
        let other = EcbKey::new(&[8u8; 32]).unwrap();
        assert_eq!(decrypt(&other, &encrypt(&key, b"some plaintext")), Err(EcbError::Padding));
        let aligned = encrypt(&key, &[1u8; 32]);
        assert_eq!(STANDARD.decode(&aligned).unwrap().len(), 48);
        assert_eq!(decrypt(&key, &aligned).unwrap(), vec![1u8; 32]);
    }
}
