//! Notifications (回调通知): what [`Client::notification`](crate::Client::notification) returns, and
//! the envelope parsing and decryption behind it.
//!
//! WeChat Pay POSTs a signed JSON envelope to the merchant's `notify_url`:
//!
//! ```json
//! {"id":"EV-2018022511223320873","create_time":"2015-05-20T13:29:35+08:00",
//!  "resource_type":"encrypt-resource","event_type":"TRANSACTION.SUCCESS","summary":"支付成功",
//!  "resource":{"original_type":"transaction","algorithm":"AEAD_AES_256_GCM",
//!              "ciphertext":"…","associated_data":"transaction","nonce":"…"}}
//! ```
//!
//! The merchant answers `200`/`204` when it accepted the notification, or a 4xx/5xx status with
//! `{"code":"FAIL","message":"…"}` ([`failure_body`]) so WeChat Pay delivers it again later.

use std::fmt;

use http::HeaderMap;
use serde::Deserialize;

use crate::crypto::{ApiV3Key, aead};
use crate::error::{DecodeError, NotificationError, NotificationErrorKind};

/// Largest notification body accepted, in bytes. Real ones are a few KiB.
pub const MAX_NOTIFICATION_BODY: usize = 256 * 1024;

/// The prefix of the `Wechatpay-Signature` of WeChat Pay's signature probes.
pub const SIGNATURE_PROBE_PREFIX: &str = "WECHATPAY/SIGNTEST/";

/// The only resource algorithm of APIv3.
pub const ALGORITHM: &str = "AEAD_AES_256_GCM";

/// A verified, decrypted notification. `Debug` does not show the decrypted resource (it holds
/// personal data such as payer ids and amounts).
#[derive(Clone)]
pub struct Notification {
    id: String,
    create_time: String,
    event_type: String,
    resource_type: String,
    summary: String,
    original_type: String,
    signed_by: String,
    plaintext: Vec<u8>,
    resource: serde_json::Value,
}

impl fmt::Debug for Notification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notification")
            .field("id", &self.id)
            .field("create_time", &self.create_time)
            .field("event_type", &self.event_type)
            .field("resource_type", &self.resource_type)
            .field("original_type", &self.original_type)
            .field("signed_by", &self.signed_by)
            .field("resource", &"<redacted>")
            .finish()
    }
}

impl Notification {
    /// The notification id (`EV-…`); WeChat Pay may deliver the same id more than once.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `create_time` (RFC 3339).
    pub fn create_time(&self) -> &str {
        &self.create_time
    }

    /// `event_type`, e.g. `TRANSACTION.SUCCESS`, `REFUND.SUCCESS`.
    pub fn event_type(&self) -> &str {
        &self.event_type
    }

    /// `resource_type`, normally `encrypt-resource`.
    pub fn resource_type(&self) -> &str {
        &self.resource_type
    }

    /// `summary`, e.g. `支付成功`.
    pub fn summary(&self) -> &str {
        &self.summary
    }

    /// `resource.original_type`, e.g. `transaction`, `refund`.
    pub fn original_type(&self) -> &str {
        &self.original_type
    }

    /// The id of the key that verified the signature (certificate serial or `PUB_KEY_ID_…`).
    pub fn signed_by(&self) -> &str {
        &self.signed_by
    }

    /// The decrypted resource as JSON.
    pub fn resource(&self) -> &serde_json::Value {
        &self.resource
    }

    /// The decrypted resource bytes, exactly as decrypted.
    pub fn plaintext(&self) -> &[u8] {
        &self.plaintext
    }

    /// The decrypted resource deserialized into `T`.
    pub fn resource_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, DecodeError> {
        serde_json::from_slice(&self.plaintext)
            .map_err(|e| DecodeError::new("the notification resource does not fit the type", Some(e)))
    }
}

/// The body to answer WeChat Pay with when a notification is refused: `{"code":"FAIL","message":…}`.
///
/// ```
/// assert_eq!(wechatpay_chain::notify::failure_body("签名错误"), r#"{"code":"FAIL","message":"签名错误"}"#);
/// ```
pub fn failure_body(message: &str) -> String {
    serde_json::json!({"code": "FAIL", "message": message}).to_string()
}

fn reject(kind: NotificationErrorKind, message: impl Into<String>) -> NotificationError {
    NotificationError::new(kind, message)
}

/// The checks before signature verification: size, and WeChat Pay's signature probe.
pub(crate) fn precheck(headers: &HeaderMap, body: &[u8]) -> Result<(), NotificationError> {
    if body.len() > MAX_NOTIFICATION_BODY {
        return Err(reject(
            NotificationErrorKind::TooLarge { size: body.len(), limit: MAX_NOTIFICATION_BODY },
            format!("the body has {} bytes, more than the {MAX_NOTIFICATION_BODY} byte limit", body.len()),
        ));
    }
    let probe = headers
        .get_all("wechatpay-signature")
        .iter()
        .any(|v| v.as_bytes().get(..SIGNATURE_PROBE_PREFIX.len()) == Some(SIGNATURE_PROBE_PREFIX.as_bytes()));
    if probe {
        return Err(reject(
            NotificationErrorKind::SignatureProbe,
            "this is WeChat Pay's signature probe (WECHATPAY/SIGNTEST/…); it expects the endpoint to refuse it",
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
struct Envelope {
    id: String,
    #[serde(default)]
    create_time: String,
    #[serde(default)]
    resource_type: String,
    event_type: String,
    #[serde(default)]
    summary: String,
    resource: Resource,
}

#[derive(Deserialize)]
struct Resource {
    #[serde(default)]
    original_type: String,
    algorithm: String,
    ciphertext: String,
    #[serde(default)]
    associated_data: String,
    nonce: String,
}

/// Parses a verified envelope and decrypts its resource.
pub(crate) fn open(body: &[u8], key: &ApiV3Key, signed_by: String) -> Result<Notification, NotificationError> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| {
        reject(NotificationErrorKind::Malformed, format!("the body is not a notification envelope ({e})"))
    })?;
    let resource = envelope.resource;
    if resource.algorithm != ALGORITHM {
        return Err(reject(
            NotificationErrorKind::Algorithm(resource.algorithm.clone()),
            format!("resource.algorithm is `{}`; only {ALGORITHM} is defined", resource.algorithm),
        ));
    }
    let plaintext =
        aead::decrypt(key, resource.nonce.as_bytes(), resource.associated_data.as_bytes(), &resource.ciphertext)
            .map_err(|e| {
                let message = format!("the resource does not decrypt: {e}");
                reject(NotificationErrorKind::Decrypt(e), message)
            })?;
    let value = serde_json::from_slice(&plaintext)
        .map_err(|e| reject(NotificationErrorKind::Malformed, format!("the decrypted resource is not JSON ({e})")))?;
    Ok(Notification {
        id: envelope.id,
        create_time: envelope.create_time,
        event_type: envelope.event_type,
        resource_type: envelope.resource_type,
        summary: envelope.summary,
        original_type: resource.original_type,
        signed_by,
        plaintext,
        resource: value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_and_size_come_first() {
        let mut headers = HeaderMap::new();
        headers.insert("wechatpay-signature", "WECHATPAY/SIGNTEST/abc".parse().unwrap());
        let e = precheck(&headers, b"{}").unwrap_err();
        assert_eq!(Some(e.kind().clone()), Some(NotificationErrorKind::SignatureProbe));
        let big = vec![b' '; MAX_NOTIFICATION_BODY + 1];
        let e = precheck(&HeaderMap::new(), &big).unwrap_err();
        assert!(matches!(Some(e.kind()), Some(NotificationErrorKind::TooLarge { .. })));
    }
}
