//! Checking an APIv2 answer, as a pure function of the request path, the status and the body.
//!
//! In order:
//! 1. a 4xx/5xx status is rejected ([`RejectionKind::HttpStatus`]; the body's fields are attached
//!    when it parses, unverified);
//! 2. the 24 paths of [`UNSIGNED_PATHS`] (exact, case-sensitive) are returned unchecked, unparsed
//!    ([`Checked::Unchecked`]);
//! 3. the body must parse as XML ([`RejectionKind::Decode`]);
//! 4. `return_code` must be `SUCCESS` ([`RejectionKind::ReturnCode`]; WeChat Pay does not sign such
//!    answers, so their `return_msg` is unverified);
//! 5. `sign` must verify ([`RejectionKind::Verification`]);
//! 6. `result_code`, when present, must be `SUCCESS` ([`RejectionKind::ResultCode`], with the
//!    verified `err_code` and `err_code_des`).
//!
//! The PHP SDK checks `result_code` before the signature; checking the signature first means the
//! error codes a caller acts on are authenticated. Both reject the same answers.

use std::fmt;

use http::StatusCode;
use serde_json::{Map, Value};

use super::{ApiV2Key, SignError, SignType, XmlError, sign, xml};

/// The answers the PHP SDK returns without parsing or verifying (exact, case-sensitive match on the
/// request's URL path): downloads, red packets, transfers and a few others that WeChat Pay does not
/// sign the same way.
pub const UNSIGNED_PATHS: [&str; 24] = [
    "/mchrisk/querymchrisk",
    "/mchrisk/setmchriskcallback",
    "/mchrisk/syncmchriskresult",
    "/mmpaymkttransfers/gethbinfo",
    "/mmpaymkttransfers/gettransferinfo",
    "/mmpaymkttransfers/pay_bank",
    "/mmpaymkttransfers/promotion/paywwsptrans2pocket",
    "/mmpaymkttransfers/promotion/querywwsptrans2pocket",
    "/mmpaymkttransfers/promotion/transfers",
    "/mmpaymkttransfers/query_bank",
    "/mmpaymkttransfers/sendgroupredpack",
    "/mmpaymkttransfers/sendminiprogramhb",
    "/mmpaymkttransfers/sendredpack",
    "/papay/entrustweb",
    "/papay/h5entrustweb",
    "/papay/partner/entrustweb",
    "/papay/partner/h5entrustweb",
    "/pay/downloadbill",
    "/pay/downloadfundflow",
    "/payitil/report",
    "/risk/getpublickey",
    "/risk/getviolation",
    "/secapi/mch/submchmanage",
    "/xdc/apiv2getsignkey/sign/getsignkey",
];

/// Whether answers to `path` (the URL path, e.g. `/pay/downloadbill`) are returned unchecked.
pub fn is_unsigned_path(path: &str) -> bool {
    UNSIGNED_PATHS.contains(&path)
}

/// An accepted answer.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Checked {
    /// The path is one of [`UNSIGNED_PATHS`]: the body was neither parsed nor verified.
    Unchecked,
    /// The body parsed, `return_code` (and `result_code`, if present) is `SUCCESS`, and `sign`
    /// verified.
    Verified {
        /// All fields of the answer, `sign` included.
        fields: Map<String, Value>,
        /// The algorithm of the answer's `sign`.
        sign_type: SignType,
    },
}

impl Checked {
    /// The verified fields, `None` for an unchecked path.
    pub fn fields(&self) -> Option<&Map<String, Value>> {
        match self {
            Checked::Unchecked => None,
            Checked::Verified { fields, .. } => Some(fields),
        }
    }
}

/// Why an answer was rejected.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum RejectionKind {
    /// The HTTP status is 4xx or 5xx.
    HttpStatus,
    /// The body is not XML this module accepts.
    Decode(XmlError),
    /// `return_code` is missing or not `SUCCESS`: WeChat Pay refused the call itself (bad
    /// signature, bad parameters, …); `return_msg` says why. Unsigned by WeChat Pay.
    ReturnCode,
    /// `sign` is missing or does not verify.
    Verification(SignError),
    /// `result_code` is not `SUCCESS`: the call was processed and failed; `err_code` and
    /// `err_code_des` say why. The answer's signature verified.
    ResultCode,
}

/// A rejected APIv2 answer: the reason, the status and, when the body parsed, its fields.
#[derive(Clone, Debug, PartialEq)]
pub struct V2Rejection {
    kind: RejectionKind,
    status: StatusCode,
    fields: Option<Map<String, Value>>,
}

impl V2Rejection {
    /// Why the answer was rejected.
    pub fn kind(&self) -> &RejectionKind {
        &self.kind
    }

    /// The HTTP status of the answer.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The parsed fields, when the body parsed. Verified only for [`RejectionKind::ResultCode`].
    pub fn map(&self) -> Option<&Map<String, Value>> {
        self.fields.as_ref()
    }

    fn text(&self, key: &str) -> Option<&str> {
        self.fields.as_ref()?.get(key)?.as_str()
    }

    /// `return_code` (`SUCCESS` or `FAIL`).
    pub fn return_code(&self) -> Option<&str> {
        self.text("return_code")
    }

    /// `return_msg`, e.g. `签名错误`.
    pub fn return_msg(&self) -> Option<&str> {
        self.text("return_msg")
    }

    /// `result_code` (`SUCCESS` or `FAIL`).
    pub fn result_code(&self) -> Option<&str> {
        self.text("result_code")
    }

    /// `err_code`, e.g. `SYSTEMERROR`, `ORDERPAID`.
    pub fn err_code(&self) -> Option<&str> {
        self.text("err_code")
    }

    /// `err_code_des`, the description of `err_code`.
    pub fn err_code_des(&self) -> Option<&str> {
        self.text("err_code_des")
    }
}

impl fmt::Display for V2Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let or_none = |v: Option<&str>| v.map_or_else(|| "(none)".to_owned(), |v| format!("{v:?}"));
        match &self.kind {
            RejectionKind::HttpStatus => {
                write!(f, "the APIv2 answer has HTTP status {}", self.status)?;
                if let Some(msg) = self.return_msg() {
                    write!(f, " (return_msg {msg:?}, unverified)")?;
                }
                Ok(())
            }
            RejectionKind::Decode(e) => write!(f, "the APIv2 answer could not be read: {e}"),
            RejectionKind::ReturnCode => write!(
                f,
                "WeChat Pay refused the APIv2 call: return_code {}, return_msg {}",
                or_none(self.return_code()),
                or_none(self.return_msg())
            ),
            RejectionKind::Verification(e) => write!(f, "the APIv2 answer failed verification: {e}"),
            RejectionKind::ResultCode => write!(
                f,
                "the APIv2 call failed: result_code {}, err_code {}, err_code_des {}",
                or_none(self.result_code()),
                or_none(self.err_code()),
                or_none(self.err_code_des())
            ),
        }
    }
}

/// The message includes the inner [`XmlError`] or [`SignError`] (reach them through
/// [`V2Rejection::kind`]), so `source()` is `None`, as for the crate's other errors.
impl std::error::Error for V2Rejection {}

/// Checks an APIv2 answer (see the module documentation for the order of the checks). `path` is
/// the request's URL path, e.g. `/pay/micropay`.
///
/// ```
/// use wechatpay_chain::http::StatusCode;
/// use wechatpay_chain::v2::{ApiV2Key, RejectionKind, response::check_response};
///
/// let key = ApiV2Key::new("GcOWSRrXHahnYIF9qpp0u4AMvS9IKGu1")?;
/// let body = "<xml><return_code>FAIL</return_code><return_msg>签名错误</return_msg></xml>";
/// let rejection = check_response("/pay/micropay", StatusCode::OK, body.as_bytes(), &key).unwrap_err();
/// assert_eq!(rejection.kind(), &RejectionKind::ReturnCode);
/// assert_eq!(rejection.return_msg(), Some("签名错误"));
/// # Ok::<(), wechatpay_chain::v2::SignError>(())
/// ```
pub fn check_response(path: &str, status: StatusCode, body: &[u8], key: &ApiV2Key) -> Result<Checked, V2Rejection> {
    let reject = |kind, fields| V2Rejection { kind, status, fields };
    if status.is_client_error() || status.is_server_error() {
        return Err(reject(RejectionKind::HttpStatus, xml::parse(body).ok()));
    }
    if is_unsigned_path(path) {
        return Ok(Checked::Unchecked);
    }
    let fields = match xml::parse(body) {
        Ok(fields) => fields,
        Err(e) => return Err(reject(RejectionKind::Decode(e), None)),
    };
    if fields.get("return_code").and_then(Value::as_str) != Some("SUCCESS") {
        return Err(reject(RejectionKind::ReturnCode, Some(fields)));
    }
    let sign_type = match sign::verify(&fields, key) {
        Ok(sign_type) => sign_type,
        Err(e) => return Err(reject(RejectionKind::Verification(e), Some(fields))),
    };
    if fields.get("result_code").is_some_and(|code| code.as_str() != Some("SUCCESS")) {
        return Err(reject(RejectionKind::ResultCode, Some(fields)));
    }
    Ok(Checked::Verified { fields, sign_type })
}
