//! APIv2 notifications (支付结果通知, 退款结果通知) from the raw request body, and the XML to answer
//! them with.
//!
//! - Payment (and most other) notifications are signed like API answers: [`verify_notification`]
//!   parses the body, requires `return_code` `SUCCESS` and verifies `sign`.
//! - Refund notifications carry no `sign`; their content is the encrypted `req_info`:
//!   [`decrypt_refund_notification`] decrypts it with the APIv2 key (AES-256-ECB, see
//!   [`crypto`]) and parses the inner `<root>` document. Only `req_info` is
//!   protected (by the key); the outer `appid`/`mch_id` are not, and ECB has no integrity, so
//!   confirm a refund with the refund query API before acting on money.
//!
//! Answer with [`success_reply`] once the notification is handled, or [`failure_reply`] to have
//! WeChat Pay deliver it again later.

use std::fmt;

use serde_json::{Map, Value};

use super::xml::{self, Limits, push_cdata};
use super::{ApiV2Key, NotifyError, crypto, sign};

/// Largest notification body accepted, in bytes. Real ones are about 1 KiB.
pub const MAX_NOTIFICATION_BODY: usize = 256 * 1024;

fn parse_body(body: &[u8]) -> Result<Map<String, Value>, NotifyError> {
    Ok(xml::parse_with_limits(body, Limits { max_bytes: MAX_NOTIFICATION_BODY, ..Limits::default() })?)
}

fn text_field(fields: &Map<String, Value>, key: &str) -> Option<String> {
    fields.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn require_success(fields: &Map<String, Value>) -> Result<(), NotifyError> {
    if fields.get("return_code").and_then(Value::as_str) == Some("SUCCESS") {
        Ok(())
    } else {
        Err(NotifyError::ReturnCode {
            return_code: text_field(fields, "return_code"),
            return_msg: text_field(fields, "return_msg"),
        })
    }
}

/// Parses and verifies a signed APIv2 notification: the body must be XML, `return_code` must be
/// `SUCCESS`, and `sign` must verify with the APIv2 key (algorithm from its length). Returns all
/// fields, `sign` included. `result_code` is not checked: a payment notification with
/// `result_code` `FAIL` is a genuine report of a failed payment.
///
/// ```
/// use wechatpay_chain::v2::{ApiV2Key, notify};
///
/// let key = ApiV2Key::new("GcOWSRrXHahnYIF9qpp0u4AMvS9IKGu1")?;
/// let body = b"<xml><return_code>SUCCESS</return_code><return_msg>OK</return_msg><nonce_str>n2</nonce_str>\
///              <pub_key>x</pub_key><sign>936FBF419DD14AFD5599A13DB8664F25</sign></xml>";
/// let fields = notify::verify_notification(body, &key)?;
/// assert_eq!(fields["pub_key"], "x");
/// assert!(notify::verify_notification(&body[..body.len() - 10], &key).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify_notification(body: &[u8], key: &ApiV2Key) -> Result<Map<String, Value>, NotifyError> {
    let fields = parse_body(body)?;
    require_success(&fields)?;
    if !fields.contains_key("sign") && fields.contains_key("req_info") {
        return Err(NotifyError::RefundNotification);
    }
    sign::verify(&fields, key).map_err(NotifyError::Signature)?;
    Ok(fields)
}

/// A decrypted refund notification. `Debug` shows the outer fields and only the *names* of the
/// decrypted ones (they hold order numbers and amounts).
#[derive(Clone)]
pub struct RefundNotification {
    fields: Map<String, Value>,
    info: Map<String, Value>,
}

impl RefundNotification {
    /// The outer, unauthenticated fields (`return_code`, `appid`, `mch_id`, `nonce_str`, …),
    /// without `req_info`.
    pub fn fields(&self) -> &Map<String, Value> {
        &self.fields
    }

    /// The decrypted `req_info` fields (`refund_status`, `out_refund_no`, `refund_fee`, …).
    pub fn info(&self) -> &Map<String, Value> {
        &self.info
    }

    /// One decrypted text field, e.g. `get("refund_status")`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.info.get(key).and_then(Value::as_str)
    }

    /// The outer fields and the decrypted ones.
    pub fn into_parts(self) -> (Map<String, Value>, Map<String, Value>) {
        (self.fields, self.info)
    }
}

impl fmt::Debug for RefundNotification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefundNotification")
            .field("fields", &self.fields)
            .field("info_keys", &self.info.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Opens a refund notification: parses the body, requires `return_code` `SUCCESS`, decrypts
/// `req_info` with the APIv2 key and parses the inner `<root>` XML.
pub fn decrypt_refund_notification(body: &[u8], key: &ApiV2Key) -> Result<RefundNotification, NotifyError> {
    let mut fields = parse_body(body)?;
    require_success(&fields)?;
    let req_info = match fields.shift_remove("req_info") {
        Some(Value::String(s)) if !s.is_empty() => s,
        _ => return Err(NotifyError::MissingReqInfo),
    };
    let plain = crypto::decrypt_req_info(&req_info, key).map_err(NotifyError::ReqInfo)?;
    let info = xml::parse(plain.as_bytes()).map_err(NotifyError::ReqInfoXml)?;
    Ok(RefundNotification { fields, info })
}

/// The answer that tells WeChat Pay the notification was received:
/// `<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>`.
pub fn success_reply() -> &'static str {
    "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>"
}

/// The answer that asks WeChat Pay to deliver the notification again later, with `message` as
/// `return_msg`. Characters XML cannot carry are replaced with U+FFFD and carriage returns with
/// line feeds, so the reply is always well-formed.
///
/// ```
/// use wechatpay_chain::v2::notify::failure_reply;
///
/// assert_eq!(
///     failure_reply("db down"),
///     "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[db down]]></return_msg></xml>"
/// );
/// ```
pub fn failure_reply(message: &str) -> String {
    let clean: String = message
        .chars()
        .map(|c| match c {
            '\r' => '\n',
            c if xml::is_xml_char(c) => c,
            _ => '\u{FFFD}',
        })
        .collect();
    let mut out = String::from("<xml><return_code><![CDATA[FAIL]]></return_code><return_msg>");
    push_cdata(&mut out, &clean);
    out.push_str("</return_msg></xml>");
    out
}
