//! Request signing: the `WECHATPAY2-SHA256-RSA2048` Authorization header.

use std::error::Error as StdError;
use std::fmt;

use crate::crypto::backend::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::crypto::PrivateKey;

/// The signer, or the random source a nonce comes from, failed: nothing was sent. The signer's own
/// error is the [`source`](StdError::source), so an HSM or KMS error type can be downcast.
#[derive(Debug)]
pub struct SigningError {
    message: String,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl SigningError {
    pub(crate) fn new(message: impl Into<String>, source: Option<Box<dyn StdError + Send + Sync>>) -> SigningError {
        SigningError { message: message.into(), source }
    }

    /// What failed.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for SigningError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "signing the request failed, nothing was sent: {}", self.message)?;
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl StdError for SigningError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

/// The authorization scheme of APIv3.
pub const SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";

/// Produces SHA256withRSA signatures (RSASSA-PKCS1-v1_5, SHA-256) with the merchant's API key.
///
/// [`RsaSigner`] (ring) is the default. Implement this trait to sign in an HSM, a KMS or a remote
/// signing service; the SDK calls it once per request from its I/O threads, so a slow signer delays
/// only the call that uses it. The message is
/// `METHOD\nREQUEST_TARGET\nTIMESTAMP\nNONCE\nBODY\n` (see [`sign_message`]).
///
/// ```
/// use wechatpay_chain::auth::Signer;
///
/// struct Remote;
/// impl Signer for Remote {
///     fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
///         Err(format!("remote signer offline ({} bytes not signed)", message.len()).into())
///     }
/// }
/// ```
pub trait Signer: Send + Sync + 'static {
    /// Returns the raw signature bytes (not base64) of `message`.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Box<dyn StdError + Send + Sync>>;

    /// The merchant private key behind this signer, when it is held in this process. The client decrypts
    /// sensitive fields with it ([`Client::decrypt_sensitive`](crate::Client::decrypt_sensitive)). The
    /// default is `None`: an HSM, KMS or remote signer has no key to hand out, and such a client cannot
    /// decrypt (decrypt with the service that holds the key instead).
    fn private_key(&self) -> Option<&PrivateKey> {
        None
    }
}

/// The default [`Signer`]: ring's RSA with the merchant private key, parsed once.
#[derive(Clone, Debug)]
pub struct RsaSigner {
    key: PrivateKey,
}

impl RsaSigner {
    /// Wraps a loaded private key.
    pub fn new(key: PrivateKey) -> Self {
        RsaSigner { key }
    }

    /// The key this signer uses.
    pub fn key(&self) -> &PrivateKey {
        &self.key
    }
}

impl Signer for RsaSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Box<dyn StdError + Send + Sync>> {
        self.key.sign_sha256(message).map_err(Into::into)
    }

    fn private_key(&self) -> Option<&PrivateKey> {
        Some(&self.key)
    }
}

/// The message an APIv3 request signature covers:
/// `METHOD\nREQUEST_TARGET\nTIMESTAMP\nNONCE\nBODY\n` (with the trailing line feed).
///
/// ```
/// let m = wechatpay_chain::auth::sign_message("GET", "/v3/certificates", 1700000000, "N", b"");
/// assert_eq!(m, b"GET\n/v3/certificates\n1700000000\nN\n\n");
/// ```
pub fn sign_message(method: &str, target: &str, timestamp: i64, nonce: &str, body: &[u8]) -> Vec<u8> {
    let ts = timestamp.to_string();
    let mut m = Vec::with_capacity(method.len() + target.len() + ts.len() + nonce.len() + body.len() + 5);
    for part in [method.as_bytes(), target.as_bytes(), ts.as_bytes(), nonce.as_bytes(), body] {
        m.extend_from_slice(part);
        m.push(b'\n');
    }
    m
}

/// Builds the `Authorization` header value of an APIv3 request:
///
/// `WECHATPAY2-SHA256-RSA2048 mchid="…",serial_no="…",timestamp="…",nonce_str="…",signature="…"`
///
/// `target` is the path plus `?query` exactly as sent; `serial` is the merchant API certificate serial.
/// Use it to reproduce a signature WeChat Pay rejected, or in tests.
///
/// ```
/// use wechatpay_chain::auth::{authorization, RsaSigner};
/// use wechatpay_chain::crypto::PrivateKey;
///
/// let key = PrivateKey::load("file://tests/data/keys/merchant_apiclient_key.pem").unwrap();
/// let value = authorization(
///     "1900000001", "1946DD7BDF37823B2192F1DB21574B1D465D9A21", &RsaSigner::new(key),
///     "GET", "/v3/certificates", 1795562040, "1ctwEQXPza9IjXcE4k2CAyJZABm7zmkn", b"",
/// ).unwrap();
/// assert!(value.starts_with("WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\",serial_no=\"1946DD7B"));
/// ```
#[allow(clippy::too_many_arguments)]
pub fn authorization(
    mchid: &str,
    serial: &str,
    signer: &dyn Signer,
    method: &str,
    target: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> Result<String, SigningError> {
    let message = sign_message(method, target, timestamp, nonce, body);
    let signature = signer.sign(&message).map_err(|e| SigningError::new("the signer failed", Some(e)))?;
    let signature = STANDARD.encode(signature);
    Ok(format!(
        "{SCHEME} mchid=\"{mchid}\",serial_no=\"{serial}\",timestamp=\"{timestamp}\",nonce_str=\"{nonce}\",signature=\"{signature}\""
    ))
}

const NONCE_ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A fresh 32-character nonce over `0-9A-Za-z` from the operating system's CSPRNG (uniform: bytes
/// that would bias the modulo are redrawn).
pub fn nonce() -> Result<String, SigningError> {
    let rng = SystemRandom::new();
    let mut out = String::with_capacity(32);
    let mut buf = [0u8; 48];
    while out.len() < 32 {
        rng.fill(&mut buf)
            .map_err(|_| SigningError::new("the system random source failed while making a nonce", None))?;
        for &b in &buf {
            // 248 = 4 * 62: accept only bytes below it so every character is equally likely.
            if b < 248 && out.len() < 32 {
                out.push(NONCE_ALPHABET[usize::from(b % 62)] as char);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_shape() {
        let a = nonce().expect("rng");
        let b = nonce().expect("rng");
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }

    #[test]
    fn message_layout() {
        assert_eq!(sign_message("POST", "/v3/x?a=1", 1, "n", b"{}"), b"POST\n/v3/x?a=1\n1\nn\n{}\n".to_vec());
    }
}
