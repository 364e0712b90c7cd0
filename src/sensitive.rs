//! Sensitive fields (敏感信息加解密): personal data in request and response bodies, encrypted with
//! RSA-OAEP (SHA-1, MGF1-SHA-1, empty label) and base64-encoded.
//!
//! * **Sending**: [`Client::sensitive_encryptor`](crate::Client::sensitive_encryptor) picks the WeChat Pay key once (the WeChat Pay public key,
//!   else the newest valid platform certificate) and encrypts every field of the request with it;
//!   [`Options::encrypted_with`](crate::Options::encrypted_with) sends that key's id in `Wechatpay-Serial`,
//!   so the ciphertexts and the header cannot disagree.
//! * **Receiving**: [`Client::decrypt_sensitive`](crate::Client::decrypt_sensitive) decrypts a field WeChat Pay encrypted for the merchant
//!   with the merchant private key, into a [`Sensitive`] that never shows its content in `Debug` or
//!   `Display`.
//!
//! ```
//! use serde_json::json;
//! use wechatpay_chain::Options;
//! use wechatpay_sandbox::Sandbox;
//!
//! let sandbox = Sandbox::start()?;
//! let client = sandbox.client_builder().build()?;
//!
//! let enc = client.sensitive_encryptor()?;
//! let body = json!({
//!     "appid": "wx8888888888888888", "type": "PERSONAL_OPENID", "account": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
//!     "name": enc.encrypt("张三")?, "relation_type": "STAFF",
//! });
//! let res = client.chain("v3/profitsharing/receivers/add").post(Options::new().json(&body).encrypted_with(&enc))?;
//! assert_eq!(res.json()?["account"], "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");
//!
//! let user = client.chain("v3/facemch/users/{face_sid}").get(json!({
//!     "face_sid": "aabbccdd12345",
//!     "query": {"info_type": "ASK_REAL_NAME", "appid": "wx2b029c08a6233333"},
//! }))?;
//! let info = &user.json()?["real_name_info"];
//! let name = client.decrypt_sensitive(info["encrypted_real_name"].as_str().unwrap_or_default())?;
//! assert!(format!("{name:?}").starts_with("Sensitive(<redacted"));
//! assert!(!name.expose().is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use crate::crypto::{OaepError, PublicKey};
use crate::error::{Error, InputErrorKind};

pub use crate::crypto::Sensitive;

/// Encrypts sensitive fields for one request under one WeChat Pay key, and knows that key's id.
///
/// Get one from [`Client::sensitive_encryptor`](crate::Client::sensitive_encryptor) (or build one with [`new`](SensitiveEncryptor::new)),
/// encrypt every field of the request with it, and pass it to
/// [`Options::encrypted_with`](crate::Options::encrypted_with). Cheap to clone; `Debug` shows the key id.
#[derive(Clone)]
pub struct SensitiveEncryptor {
    key_id: String,
    key: PublicKey,
}

impl fmt::Debug for SensitiveEncryptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SensitiveEncryptor").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

impl SensitiveEncryptor {
    /// An encryptor for `key`, announced to WeChat Pay as `key_id` (a `PUB_KEY_ID_…` or a platform
    /// certificate serial).
    ///
    /// ```
    /// use wechatpay_chain::SensitiveEncryptor;
    /// use wechatpay_chain::crypto::PublicKey;
    /// let key = PublicKey::load("file://tests/data/keys/wechatpay_public_key.pem").unwrap();
    /// let enc = SensitiveEncryptor::new("PUB_KEY_ID_0112345678202411240000000000000000", key);
    /// assert_eq!(enc.key_id(), "PUB_KEY_ID_0112345678202411240000000000000000");
    /// assert_eq!(enc.encrypt("张三").unwrap().len(), 344);
    /// ```
    pub fn new(key_id: impl Into<String>, key: PublicKey) -> Self {
        SensitiveEncryptor { key_id: key_id.into(), key }
    }

    /// The id of the key, which goes in `Wechatpay-Serial`.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The key fields are encrypted with.
    pub fn key(&self) -> &PublicKey {
        &self.key
    }

    /// Encrypts one field: RSA-OAEP/SHA-1, base64 (random each time). A field longer than the key fits
    /// (214 bytes of UTF-8 for 2048 bits) is an [`InputErrorKind::InvalidOption`] error.
    pub fn encrypt(&self, plaintext: &str) -> Result<String, Error> {
        self.key.encrypt_oaep(plaintext).map_err(|e| match e {
            OaepError::TooLong { .. } => Error::input(InputErrorKind::InvalidOption, format!("sensitive field: {e}")),
            OaepError::Random => Error::Signing(crate::auth::SigningError::new(
                "the system random source failed while encrypting a sensitive field",
                None,
            )),
            other => Error::config("certs", format!("key `{}`: {other}", self.key_id)),
        })
    }
}
