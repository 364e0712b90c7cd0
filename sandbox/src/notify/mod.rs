//! Forged WeChat Pay notifications (回调通知) and their delivery to a local endpoint, plus the
//! AES-256-GCM sealing and `+08:00` timestamps they share with `GET /v3/certificates`.

use aws_lc_rs::aead;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

use super::keys::{random_alnum, random_serial};
use crate::Sandbox;
use crate::error::Error;
use crate::server::sign_message;
use crate::state::State;

/// What a forged notification should look like: the event and the plaintext resource, with WeChat Pay's
/// defaults for the rest. The resource is redacted in `Debug` (in real notifications it is personal data).
///
/// ```
/// use serde_json::json;
/// use wechatpay_sandbox::{NotificationSpec, Tamper};
///
/// let spec = NotificationSpec::new("REFUND.SUCCESS", json!({"out_refund_no": "R1", "refund_status": "SUCCESS"}))
///     .original_type("refund")
///     .associated_data("refund")
///     .summary("退款成功")
///     .tamper(Tamper::Signature);
/// assert!(!format!("{spec:?}").contains("out_refund_no"));
/// ```
#[derive(Clone)]
pub struct NotificationSpec {
    event_type: String,
    resource: Value,
    original_type: String,
    associated_data: String,
    summary: String,
    signed_by: Option<String>,
    tamper: Option<Tamper>,
}

impl std::fmt::Debug for NotificationSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotificationSpec")
            .field("event_type", &self.event_type)
            .field("original_type", &self.original_type)
            .field("associated_data", &self.associated_data)
            .field("summary", &self.summary)
            .field("signed_by", &self.signed_by)
            .field("tamper", &self.tamper)
            .field("resource", &"<redacted>")
            .finish()
    }
}

impl NotificationSpec {
    /// A notification of `event_type` (e.g. `TRANSACTION.SUCCESS`) whose encrypted resource is `resource`
    /// (serialized compactly, in its key order). Defaults: `original_type` and `associated_data`
    /// `transaction`, `summary` `支付成功`, signed with the key the sandbox signs answers with by default,
    /// not tampered with.
    pub fn new(event_type: impl Into<String>, resource: Value) -> Self {
        NotificationSpec {
            event_type: event_type.into(),
            resource,
            original_type: "transaction".to_owned(),
            associated_data: "transaction".to_owned(),
            summary: "支付成功".to_owned(),
            signed_by: None,
            tamper: None,
        }
    }

    /// `resource.original_type` (default `transaction`).
    pub fn original_type(mut self, original_type: impl Into<String>) -> Self {
        self.original_type = original_type.into();
        self
    }

    /// The associated data the resource is encrypted with and `resource.associated_data`
    /// (default `transaction`).
    pub fn associated_data(mut self, associated_data: impl Into<String>) -> Self {
        self.associated_data = associated_data.into();
        self
    }

    /// `summary` (default `支付成功`).
    pub fn summary(mut self, summary: impl Into<String>) -> Self {
        self.summary = summary.into();
        self
    }

    /// Sign with the sandbox key of this id: the public key id (`PUB_KEY_ID_…`) or the serial of any
    /// platform certificate the sandbox holds, expired ones included. Default: the key the sandbox signs
    /// answers with by default (the public key in [`SignMode::PublicKey`](super::SignMode::PublicKey),
    /// otherwise the newest unexpired platform certificate).
    pub fn signed_by(mut self, key_id: impl Into<String>) -> Self {
        self.signed_by = Some(key_id.into());
        self
    }

    /// Introduce one defect (default: none).
    pub fn tamper(mut self, tamper: Tamper) -> Self {
        self.tamper = Some(tamper);
        self
    }
}

/// One deliberate defect in a forged notification, to test that a notification handler rejects it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tamper {
    /// One byte of the body changes after signing (a character of `summary`, or of `id` when `summary`
    /// has none that can change); the body stays valid UTF-8 and JSON. The signature check fails.
    Body,
    /// Bits of the signature are flipped. The signature check fails.
    Signature,
    /// `Wechatpay-Serial` names a random key nobody has. Key lookup fails.
    Serial,
    /// Signed correctly, but with a timestamp 600 s in the past. Only the ±300 s window check fails.
    Timestamp,
    /// A byte of the ciphertext is flipped before encoding, then the body is signed correctly. The
    /// signature verifies; decryption fails.
    Ciphertext,
    /// The resource is encrypted with the real associated data, but the envelope names another one; the
    /// body is signed correctly. The signature verifies; decryption fails.
    AssociatedData,
    /// WeChat Pay's signature probe: `Wechatpay-Signature: WECHATPAY/SIGNTEST/<base64 random>`, which
    /// a handler must reject.
    Probe,
}

/// A notification as WeChat Pay would POST it: its `id`, headers and body.
#[derive(Clone, Debug)]
pub struct ForgedNotification {
    /// The event id (`EV-…`), as in the body (unless [`Tamper::Body`] changed it).
    pub id: String,
    /// `Wechatpay-Timestamp`, `-Nonce`, `-Serial`, `-Signature`, `-Signature-Type` and `Content-Type`.
    pub headers: HeaderMap,
    /// The compact JSON body.
    pub body: Bytes,
}

impl Sandbox {
    /// Forges a notification (回调通知) as WeChat Pay would send it: the resource encrypted with
    /// AES-256-GCM under the sandbox's APIv3 key, the body signed with a sandbox key, the timestamp from
    /// the sandbox clock, and the defect `spec` asks for.
    ///
    /// Fails when `spec` names a key the sandbox does not hold.
    pub fn notification(&self, spec: &NotificationSpec) -> Result<ForgedNotification, Error> {
        self.state.notification(spec)
    }

    /// POSTs `notification` to `url` (`http://127.0.0.1:PORT/path`, `http://localhost:PORT/path` or
    /// `http://[::1]:PORT/path`) as WeChat Pay would, over HTTP/1.1 with `Connection: close`, and returns
    /// the answer's status code and body. Each step (connect, send, every read) may take up to 10 s.
    ///
    /// Fails for other URLs (the sandbox only delivers to this machine) and on I/O errors.
    pub fn deliver(&self, url: &str, notification: &ForgedNotification) -> Result<(u16, Bytes), Error> {
        deliver(url, notification)
    }
}

impl State {
    /// [`Sandbox::notification`], for the sandbox's own use (payments).
    pub(crate) fn notification(&self, spec: &NotificationSpec) -> Result<ForgedNotification, Error> {
        let fail = |e: String| Error::new(e);
        let now = self.clock.now();
        let key = match &spec.signed_by {
            Some(id) => self.key_by_id(id).ok_or_else(|| {
                fail(format!("the sandbox holds no key `{id}` to sign the notification with (it has: {})", {
                    self.key_ids().join(", ")
                }))
            })?,
            None => self.response_key(None, now),
        };
        let tamper = spec.tamper;

        let nonce = random_alnum(12);
        let mut sealed =
            seal(&self.apiv3_key, &nonce, &spec.associated_data, spec.resource.to_string().as_bytes()).map_err(fail)?;
        if tamper == Some(Tamper::Ciphertext)
            && let Some(b) = sealed.first_mut()
        {
            *b ^= 0x01;
        }
        let associated_data = if tamper == Some(Tamper::AssociatedData) {
            format!("{}-tampered", spec.associated_data)
        } else {
            spec.associated_data.clone()
        };
        let id = format!("EV-{}", random_alnum(24));
        let body = json!({
            "id": id,
            "create_time": rfc3339_cst(now),
            "resource_type": "encrypt-resource",
            "event_type": spec.event_type,
            "summary": spec.summary,
            "resource": {
                "original_type": spec.original_type,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": STANDARD.encode(&sealed),
                "associated_data": associated_data,
                "nonce": nonce,
            },
        })
        .to_string();

        let timestamp = if tamper == Some(Tamper::Timestamp) { now.saturating_sub(600) } else { now }.to_string();
        let header_nonce = random_alnum(32);
        let mut signature = sign_message(&key.pair, &timestamp, &header_nonce, body.as_bytes()).map_err(fail)?;
        let mut body = body.into_bytes();
        match tamper {
            Some(Tamper::Body) => alter_one_byte(&mut body),
            Some(Tamper::Signature) => {
                for b in signature.iter_mut().skip(10).take(4) {
                    *b ^= 0x55;
                }
            }
            _ => {}
        }
        let serial = if tamper == Some(Tamper::Serial) { random_serial().map_err(fail)? } else { key.id.clone() };
        let signature = if tamper == Some(Tamper::Probe) {
            let mut probe = [0u8; 64];
            getrandom::fill(&mut probe).map_err(|e| fail(format!("the system random source failed: {e}")))?;
            format!("WECHATPAY/SIGNTEST/{}", STANDARD.encode(probe))
        } else {
            STANDARD.encode(&signature)
        };

        let mut headers = HeaderMap::with_capacity(6);
        for (name, value) in [
            ("wechatpay-timestamp", timestamp),
            ("wechatpay-nonce", header_nonce),
            ("wechatpay-serial", serial),
            ("wechatpay-signature", signature),
            ("wechatpay-signature-type", "WECHATPAY2-SHA256-RSA2048".to_owned()),
            ("content-type", "application/json".to_owned()),
        ] {
            let value = HeaderValue::try_from(value)
                .map_err(|_| fail(format!("the `{name}` header of the notification is not valid header text")))?;
            headers.insert(HeaderName::from_static(name), value);
        }
        Ok(ForgedNotification { id, headers, body: Bytes::from(body) })
    }
}

/// Changes exactly one byte of the body so that it stays valid UTF-8 and JSON: the first letter or digit
/// (or non-ASCII character) of the `summary` value, else of the `id` value.
fn alter_one_byte(body: &mut [u8]) {
    for key in [&b"\"summary\":\""[..], b"\"id\":\""] {
        let Some(mut i) = body.windows(key.len()).position(|w| w == key).map(|i| i + key.len()) else {
            continue;
        };
        while let Some(&b) = body.get(i) {
            match b {
                b'"' => break,
                // Escapes (`\n`, `\"`, `\u1234`) are skipped whole.
                b'\\' => i += if body.get(i + 1) == Some(&b'u') { 6 } else { 2 },
                b if b.is_ascii_alphanumeric() => {
                    body[i] = if b == b'A' { b'B' } else { b'A' };
                    return;
                }
                b if b.is_ascii() => i += 1,
                // The lead byte of a multi-byte character: flipping the lowest bit of its last byte keeps
                // that byte a continuation byte, so the text stays valid UTF-8 (another character).
                b => {
                    let len = if b >= 0xF0 {
                        4
                    } else if b >= 0xE0 {
                        3
                    } else {
                        2
                    };
                    if let Some(last) = body.get_mut(i + len - 1) {
                        *last ^= 0x01;
                    }
                    return;
                }
            }
        }
    }
}

/// AES-256-GCM as WeChat Pay uses it for resources: `key` is the 32-character APIv3 key, `nonce` the
/// 12-character nonce string, `aad` the associated data. Returns the ciphertext with the 16-byte tag.
pub(crate) fn seal(key: &str, nonce: &str, aad: &str, plaintext: &[u8]) -> Result<Vec<u8>, String> {
    let key = aead::UnboundKey::new(&aead::AES_256_GCM, key.as_bytes())
        .map_err(|_| "the APIv3 key must be 32 bytes for AES-256-GCM".to_owned())?;
    let nonce = aead::Nonce::try_assume_unique_for_key(nonce.as_bytes())
        .map_err(|_| "the AES-256-GCM nonce must be 12 bytes".to_owned())?;
    let mut sealed = plaintext.to_vec();
    aead::LessSafeKey::new(key)
        .seal_in_place_append_tag(nonce, aead::Aad::from(aad.as_bytes()), &mut sealed)
        .map_err(|_| "AES-256-GCM encryption failed".to_owned())?;
    Ok(sealed)
}

/// Unix seconds as RFC 3339 in China Standard Time, the way WeChat Pay writes times:
/// `2024-11-24T13:29:35+08:00`.
pub(crate) fn rfc3339_cst(unix: i64) -> String {
    let local = unix.saturating_add(8 * 3600);
    let (year, month, day) = civil_from_days(local.div_euclid(86_400));
    let secs = local.rem_euclid(86_400);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}+08:00", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// The proleptic Gregorian date of a day count from 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153; // March = 0
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

mod deliver;

pub(crate) use deliver::deliver;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_china_standard_time() {
        assert_eq!(rfc3339_cst(0), "1970-01-01T08:00:00+08:00");
        assert_eq!(rfc3339_cst(1_732_426_175), "2024-11-24T13:29:35+08:00");
        assert_eq!(rfc3339_cst(951_782_400 - 8 * 3600), "2000-02-29T00:00:00+08:00");
        assert_eq!(rfc3339_cst(-8 * 3600 - 1), "1969-12-31T23:59:59+08:00");
        assert_eq!(rfc3339_cst(4_107_542_399 - 8 * 3600), "2100-02-28T23:59:59+08:00");
    }

    #[test]
    fn one_byte_changes_and_text_stays_json() {
        for summary in ["支付成功", "paid", "  ", "\\n", "\u{1F600}"] {
            let body = json!({"id": "EV-abc", "summary": summary}).to_string().into_bytes();
            let mut altered = body.clone();
            alter_one_byte(&mut altered);
            assert_eq!(body.iter().zip(&altered).filter(|(a, b)| a != b).count(), 1, "{summary}");
            let text = String::from_utf8(altered).expect("UTF-8");
            serde_json::from_str::<Value>(&text).expect("JSON");
        }
    }

    #[test]
    fn sealing_matches_the_gcm_layout() {
        let sealed = seal("0123456789abcdef0123456789abcdef", "abcdefghijkl", "x", b"hello").expect("seal");
        assert_eq!(sealed.len(), 5 + 16);
        assert!(seal("short", "abcdefghijkl", "", b"").is_err());
        assert!(seal("0123456789abcdef0123456789abcdef", "short", "", b"").is_err());
    }
}
