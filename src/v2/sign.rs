//! APIv2 signatures (签名算法): MD5 or HMAC-SHA256 over the sorted `key=value` string of the fields.
//!
//! ```text
//! sign_string = "&".join(k + "=" + v for k, v in sorted(fields)        // byte order of the keys
//!                        if k != "sign" and v is not null and v != "")  // values not URL-encoded
//! MD5:         sign = UPPER(hex(md5(sign_string + "&key=" + apiv2_key)))
//! HMAC-SHA256: sign = UPPER(hex(hmac_sha256(apiv2_key, sign_string + "&key=" + apiv2_key)))
//! ```
//!
//! Values are PHP string casts: `true` → `1`, `false` → empty but *kept* (`k=`), numbers as PHP
//! prints them. Differences from the PHP SDK, on purpose:
//! - a `sign_type` other than exactly `MD5` or `HMAC-SHA256` is an error
//!   ([`SignError::UnknownSignType`]); PHP sends an empty `<sign></sign>` instead;
//! - a nested element or list is an error ([`SignError::NestedValue`]); PHP signs it as the literal
//!   `Array`, so none of its content would be covered by the signature (in a response, that content
//!   could be altered unnoticed).
//!
//! ```
//! use serde_json::json;
//! use wechatpay_chain::v2::{ApiV2Key, SignType, sign};
//!
//! let key = ApiV2Key::new("192006250b4c09247ec02edce69f6a2d")?;
//! let mut fields = json!({
//!     "appid": "wxd930ea5d5a258f4f", "mch_id": "10000100", "device_info": "1000",
//!     "body": "test", "nonce_str": "ibuaiVcKdpRxkhJA",
//! }).as_object().unwrap().clone();
//! assert_eq!(
//!     sign::sign_string(&fields)?,
//!     "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA"
//! );
//! assert_eq!(sign::sign(SignType::Md5, &fields, &key)?, "9A0A8659F005D6984697E2CA0A9CF3B7");
//! sign::sign_fields(&mut fields, &key)?;
//! assert_eq!(sign::verify(&fields, &key)?, SignType::Md5);
//! # Ok::<(), wechatpay_chain::v2::SignError>(())
//! ```

use std::fmt;

use crate::crypto::backend::hmac;
use md5::{Digest, Md5};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use super::error::clip;
use super::{ApiV2Key, SignError, php};

/// The two APIv2 signature algorithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignType {
    /// `MD5`, the default when a request has no `sign_type`.
    Md5,
    /// `HMAC-SHA256`.
    HmacSha256,
}

impl SignType {
    /// The algorithm a request's `sign_type` field selects: absent → [`SignType::Md5`]; exactly
    /// `MD5` or `HMAC-SHA256` (case-sensitive, as WeChat Pay and the PHP SDK compare it); anything
    /// else → [`SignError::UnknownSignType`].
    ///
    /// ```
    /// use wechatpay_chain::v2::SignType;
    ///
    /// assert_eq!(SignType::from_field(None)?, SignType::Md5);
    /// assert_eq!(SignType::from_field(Some("HMAC-SHA256"))?, SignType::HmacSha256);
    /// assert!(SignType::from_field(Some("hmac-sha256")).is_err());
    /// # Ok::<(), wechatpay_chain::v2::SignError>(())
    /// ```
    pub fn from_field(sign_type: Option<&str>) -> Result<SignType, SignError> {
        match sign_type {
            None | Some("MD5") => Ok(SignType::Md5),
            Some("HMAC-SHA256") => Ok(SignType::HmacSha256),
            Some(other) => Err(SignError::UnknownSignType { given: clip(other) }),
        }
    }

    /// The algorithm of a received `sign`, as the PHP SDK infers it: 64 characters (a hex SHA-256)
    /// means HMAC-SHA256, anything else MD5.
    pub fn of_sign(sign: &str) -> SignType {
        if sign.len() == 64 { SignType::HmacSha256 } else { SignType::Md5 }
    }

    /// The `sign_type` value: `MD5` or `HMAC-SHA256`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignType::Md5 => "MD5",
            SignType::HmacSha256 => "HMAC-SHA256",
        }
    }
}

impl fmt::Display for SignType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The string that is signed: the fields sorted by key (byte order, case-sensitive), without
/// `sign`, `null` and `""` values, as `k=v` joined by `&`, values not URL-encoded. Errors with
/// [`SignError::NestedValue`] on a nested map or list.
pub fn sign_string(fields: &Map<String, Value>) -> Result<String, SignError> {
    let mut entries: Vec<(&str, &Value)> = fields.iter().map(|(k, v)| (k.as_str(), v)).collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut out = String::new();
    for (key, value) in entries {
        if key == "sign" || value.is_null() || value.as_str() == Some("") {
            continue;
        }
        let text = php::scalar_text(value).ok_or_else(|| SignError::NestedValue { key: clip(key) })?;
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(&text);
    }
    Ok(out)
}

fn hex(bytes: &[u8], upper: bool) -> String {
    const LOWER: &[u8; 16] = b"0123456789abcdef";
    const UPPER: &[u8; 16] = b"0123456789ABCDEF";
    let digits = if upper { UPPER } else { LOWER };
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(digits[usize::from(b >> 4)]));
        out.push(char::from(digits[usize::from(b & 0x0f)]));
    }
    out
}

fn digest(sign_type: SignType, thing: &str, key: &ApiV2Key, upper: bool) -> String {
    let key = key.expose();
    match sign_type {
        SignType::Md5 => {
            let mut md5 = Md5::new();
            md5.update(thing.as_bytes());
            md5.update(b"&key=");
            md5.update(key.as_bytes());
            hex(&md5.finalize(), upper)
        }
        SignType::HmacSha256 => {
            let hmac_key = hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes());
            let mut context = hmac::Context::with_key(&hmac_key);
            context.update(thing.as_bytes());
            context.update(b"&key=");
            context.update(key.as_bytes());
            hex(context.sign().as_ref(), upper)
        }
    }
}

/// The signature of an already built sign string (the PHP SDK's `Hash::sign`): upper-case hex of
/// MD5(`sign_string&key=KEY`) or of HMAC-SHA256 keyed with the key over the same text.
pub fn sign_str(sign_type: SignType, sign_string: &str, key: &ApiV2Key) -> String {
    digest(sign_type, sign_string, key, true)
}

/// Lower-case hex of MD5(`thing&key=KEY`) or HMAC-SHA256(KEY, `thing&key=KEY`): the PHP SDK's
/// `Hash::md5($thing, $key)` and `Hash::hmac($thing, $key)`.
pub fn digest_hex(sign_type: SignType, thing: &str, key: &ApiV2Key) -> String {
    digest(sign_type, thing, key, false)
}

/// Lower-case hex of MD5(`thing&secret=SECRET`): the PHP SDK's `Hash::md5($thing, $secret, true)`,
/// the WeCom (企业微信) payment signature.
pub fn agency_md5_hex(thing: &str, secret: &ApiV2Key) -> String {
    let mut md5 = Md5::new();
    md5.update(thing.as_bytes());
    md5.update(b"&secret=");
    md5.update(secret.expose().as_bytes());
    hex(&md5.finalize(), false)
}

/// The signature of `fields` ([`sign_string`] then [`sign_str`]).
pub fn sign(sign_type: SignType, fields: &Map<String, Value>, key: &ApiV2Key) -> Result<String, SignError> {
    Ok(sign_str(sign_type, &sign_string(fields)?, key))
}

/// Signs request fields in place, as the PHP SDK does before sending: the algorithm comes from the
/// `sign_type` field ([`SignType::from_field`]; the field is not added when absent), and `sign` is
/// set to the signature (replacing a caller's value in its place, else appended last). Does not add
/// a `nonce_str`; see [`ensure_nonce`].
pub fn sign_fields(fields: &mut Map<String, Value>, key: &ApiV2Key) -> Result<SignType, SignError> {
    let sign_type = match fields.get("sign_type") {
        None => SignType::Md5,
        Some(Value::String(s)) => SignType::from_field(Some(s))?,
        Some(other) => {
            let given = php::scalar_text(other).map_or_else(|| "Array".to_owned(), |t| clip(&t));
            return Err(SignError::UnknownSignType { given });
        }
    };
    let signature = sign(sign_type, fields, key)?;
    fields.insert("sign".to_owned(), Value::String(signature));
    Ok(sign_type)
}

/// Adds a fresh [`nonce_str`] under `nonce_str` when the field is missing or `null` (the PHP SDK's
/// default; its `nonceless` option skips this step).
pub fn ensure_nonce(fields: &mut Map<String, Value>) -> Result<(), SignError> {
    if fields.get("nonce_str").is_none_or(Value::is_null) {
        fields.insert("nonce_str".to_owned(), Value::String(nonce_str()?));
    }
    Ok(())
}

/// Verifies the `sign` of a received document (an API answer or a notification). The algorithm is
/// inferred from the sign's length ([`SignType::of_sign`]); the comparison is exact (upper-case hex)
/// and constant-time. Returns the algorithm used.
pub fn verify(fields: &Map<String, Value>, key: &ApiV2Key) -> Result<SignType, SignError> {
    let given = match fields.get("sign") {
        None | Some(Value::Null) => return Err(SignError::MissingSign),
        Some(Value::String(s)) if s.is_empty() => return Err(SignError::MissingSign),
        Some(Value::String(s)) => s,
        Some(_) => return Err(SignError::MalformedSign),
    };
    let sign_type = SignType::of_sign(given);
    let expected = sign(sign_type, fields, key)?;
    if bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
        Ok(sign_type)
    } else {
        Err(SignError::Mismatch { sign_type })
    }
}

/// A fresh 32-character `nonce_str` over `0-9A-Za-z` from the operating system's CSPRNG.
pub fn nonce_str() -> Result<String, SignError> {
    crate::auth::nonce().map_err(|_| SignError::Random)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn key() -> ApiV2Key {
        ApiV2Key::new("key").unwrap()
    }

    #[test]
    fn hash_sign_known_answers() {
        // Hash::sign('MD5'|'HMAC-SHA256', 'a=1', 'key'), recorded from the PHP SDK.
        assert_eq!(sign_str(SignType::Md5, "a=1", &key()), "F28166FCBC34A47307495AFB0DA59B77");
        assert_eq!(
            sign_str(SignType::HmacSha256, "a=1", &key()),
            "42C1EF90877DDF36529BE6710324A890E4B586C4D37CDE0030286CB8318436C8"
        );
    }

    #[test]
    fn false_is_kept_true_is_one() {
        let fields = json!({"b": false, "a": true, "c": null, "d": "", "e": 0, "f": 1.5});
        assert_eq!(sign_string(fields.as_object().unwrap()).unwrap(), "a=1&b=&e=0&f=1.5");
    }

    #[test]
    fn byte_order_sort() {
        let fields = json!({"remark": 1, "re_openid": 2, "RE_OPENID": 3, "REMARK": 4});
        assert_eq!(sign_string(fields.as_object().unwrap()).unwrap(), "REMARK=4&RE_OPENID=3&re_openid=2&remark=1");
    }

    #[test]
    fn sign_type_must_be_a_string() {
        let mut fields = json!({"sign_type": 1}).as_object().unwrap().clone();
        assert!(matches!(sign_fields(&mut fields, &key()), Err(SignError::UnknownSignType { .. })));
    }

    #[test]
    fn verify_refuses_lowercase_and_missing() {
        let mut fields = json!({"a": "b"}).as_object().unwrap().clone();
        assert_eq!(verify(&fields, &key()), Err(SignError::MissingSign));
        sign_fields(&mut fields, &key()).unwrap();
        let upper = fields["sign"].as_str().unwrap().to_owned();
        fields.insert("sign".into(), Value::String(upper.to_lowercase()));
        assert_eq!(verify(&fields, &key()), Err(SignError::Mismatch { sign_type: SignType::Md5 }));
        fields.insert("sign".into(), json!({"x": "y"}));
        assert_eq!(verify(&fields, &key()), Err(SignError::MalformedSign));
    }

    #[test]
    fn nonce_shape() {
        let nonce = nonce_str().unwrap();
        assert_eq!(nonce.len(), 32);
        assert!(nonce.bytes().all(|b| b.is_ascii_alphanumeric()));
        let mut fields = Map::new();
        ensure_nonce(&mut fields).unwrap();
        assert_eq!(fields["nonce_str"].as_str().map(str::len), Some(32));
        let mut fields = json!({"nonce_str": "keep"}).as_object().unwrap().clone();
        ensure_nonce(&mut fields).unwrap();
        assert_eq!(fields["nonce_str"], "keep");
    }
}
