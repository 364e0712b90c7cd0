//! The APIv2 key (API密钥): the shared secret of APIv2 MD5 and HMAC-SHA256 signatures, and (through
//! its MD5) the AES key of refund notifications' `req_info`.

use std::fmt;

use super::SignError;

/// The APIv2 key, as set in the merchant platform (32 letters and digits). `Debug` never shows it and
/// no error of this module repeats it.
///
/// ```
/// use wechatpay_chain::v2::ApiV2Key;
///
/// let key = ApiV2Key::new("GcOWSRrXHahnYIF9qpp0u4AMvS9IKGu1")?;
/// assert_eq!(format!("{key:?}"), "ApiV2Key(<redacted>)");
/// assert!(ApiV2Key::new("").is_err());
/// assert!(ApiV2Key::new("GcOWSRrXHahnYIF9qpp0u4AMvS9IKGu1\n").is_err());
/// # Ok::<(), wechatpay_chain::v2::SignError>(())
/// ```
#[derive(Clone)]
pub struct ApiV2Key(String);

impl ApiV2Key {
    /// Takes the key as configured. Refuses an empty key and one with whitespace or control
    /// characters (a line break read from a file along with the key is the usual cause). The length
    /// is not checked: WeChat Pay issues 32 characters, but the signature works with any.
    pub fn new(key: &str) -> Result<ApiV2Key, SignError> {
        if key.is_empty() {
            return Err(SignError::EmptyKey);
        }
        if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(SignError::KeyWhitespace);
        }
        Ok(ApiV2Key(key.to_owned()))
    }

    /// The key's characters, for the signature computations of this module.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiV2Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiV2Key(<redacted>)")
    }
}
