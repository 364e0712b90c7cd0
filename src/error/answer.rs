//! WeChat Pay answered, but not with an authentic success: API errors, failed APIv2 answers, and
//! answers that failed verification.

use std::fmt;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

use super::VerificationFailure;
use crate::response::Response;

/// An APIv2 answer that reports a failure, with every field of its XML.
///
/// * `return_code` is not `SUCCESS` (通信失败: bad sign, bad parameters, …) — such answers are not
///   signed, so [`sign_verified`](V2Error::sign_verified) is `false`;
/// * `result_code` is not `SUCCESS` (业务失败: `err_code` such as `ORDERPAID`, `NOTENOUGH`,
///   `USERPAYING`); the answer's `sign` was checked first, so a forged business failure is a
///   [`VerificationError`] instead;
/// * or the HTTP status is not 2xx (the fields are those of the body, when it is XML).
///
/// Blocking and async calls return exactly the same value.
#[derive(Clone)]
pub struct V2Error {
    pub(crate) status: StatusCode,
    pub(crate) fields: serde_json::Map<String, serde_json::Value>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) sign_verified: bool,
}

impl V2Error {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).and_then(serde_json::Value::as_str)
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// `return_code` (`SUCCESS` or `FAIL`), when present.
    pub fn return_code(&self) -> Option<&str> {
        self.field("return_code")
    }

    /// `return_msg`, WeChat Pay's explanation of a `FAIL` `return_code`.
    pub fn return_msg(&self) -> Option<&str> {
        self.field("return_msg")
    }

    /// `result_code` (`SUCCESS` or `FAIL`), when present.
    pub fn result_code(&self) -> Option<&str> {
        self.field("result_code")
    }

    /// `err_code` (`ORDERPAID`, `SYSTEMERROR`, `USERPAYING`, …), when present.
    pub fn err_code(&self) -> Option<&str> {
        self.field("err_code")
    }

    /// `err_code_des`, the description of `err_code`.
    pub fn err_code_des(&self) -> Option<&str> {
        self.field("err_code_des")
    }

    /// Every field of the answer (nested elements as objects, repeated ones as arrays); empty when the
    /// body is not XML.
    pub fn fields(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.fields
    }

    /// Whether the answer's `sign` verified with the APIv2 key. `false` for `return_code` failures
    /// (WeChat Pay does not sign them), HTTP errors and the endpoints WeChat Pay never signs: such
    /// answers are unauthenticated.
    pub fn sign_verified(&self) -> bool {
        self.sign_verified
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The raw body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }
}

impl fmt::Debug for V2Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The fields may carry personal data (names, open ids): show the error fields only.
        f.debug_struct("V2Error")
            .field("status", &self.status)
            .field("return_code", &self.return_code())
            .field("return_msg", &self.return_msg())
            .field("result_code", &self.result_code())
            .field("err_code", &self.err_code())
            .field("err_code_des", &self.err_code_des())
            .field("sign_verified", &self.sign_verified)
            .field("fields", &self.fields.len())
            .finish()
    }
}

impl fmt::Display for V2Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WeChat Pay (APIv2) answered {}", self.status.as_u16())?;
        match (self.return_code(), self.result_code()) {
            (Some(code), _) if code != "SUCCESS" => {
                write!(f, " return_code {code}")?;
                if let Some(msg) = self.return_msg() {
                    write!(f, ": {msg}")?;
                }
            }
            (_, Some(result)) if result != "SUCCESS" => {
                write!(f, " result_code {result}")?;
                if let Some(code) = self.err_code() {
                    write!(f, " {code}")?;
                }
                if let Some(des) = self.err_code_des() {
                    write!(f, ": {des}")?;
                }
            }
            (None, _) => write!(f, " without a return_code")?,
            _ => {}
        }
        if !self.sign_verified {
            f.write_str(" (unsigned answer)")?;
        }
        f.write_str("; the server received the request, query before retrying")
    }
}

/// WeChat Pay answered with a non-2xx status (or the server answered with a redirect, which is not
/// followed). The server received the request.
///
/// `Debug` shows the status, `code`, `message`, `Request-ID`, header names and the body's length,
/// never the body or header values (the body may echo personal data); read them with
/// [`body`](ApiError::body) and [`headers`](ApiError::headers).
#[derive(Clone)]
pub struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: Option<String>,
    pub(crate) message: Option<String>,
    pub(crate) detail: Option<serde_json::Value>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) signed_by: Option<String>,
    /// For a 404 to a path no catalogued template matches: the closest catalogued paths.
    pub(crate) suggestions: Vec<&'static str>,
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// WeChat Pay's error `code` (`PARAM_ERROR`, `SIGN_ERROR`, `ORDER_NOT_EXIST`, …), when the body has one.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// WeChat Pay's error `message`, when the body has one.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// WeChat Pay's error `detail` object (often names the offending field), when the body has one.
    pub fn detail(&self) -> Option<&serde_json::Value> {
        self.detail.as_ref()
    }

    /// The `Request-ID` response header, to quote to WeChat Pay support.
    pub fn request_id(&self) -> Option<&str> {
        self.headers.get("request-id").and_then(|v| v.to_str().ok())
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The raw response body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The key id whose signature authenticated this error response, if it carried a valid one.
    /// WeChat Pay signs most error answers but not `401 SIGN_ERROR`; an unsigned or badly signed
    /// error body is unauthenticated and could have been forged by anyone on the path.
    pub fn signed_by(&self) -> Option<&str> {
        self.signed_by.as_deref()
    }

    /// When WeChat Pay answered `404` for a path that matches no catalogued endpoint: the closest
    /// catalogued path templates, best first (e.g. `v3/pay/transactions/out-trade-no/{out_trade_no}` for
    /// a PHP-style `…/outTradeNo/…`); empty otherwise. [`Display`](fmt::Display) names them too. See
    /// [`hint`](crate::hint).
    pub fn suggestions(&self) -> &[&'static str] {
        &self.suggestions
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("status", &self.status)
            .field("code", &self.code)
            .field("message", &self.message)
            .field("detail", &self.detail.as_ref().map(|_| "<redacted>"))
            .field("request_id", &self.request_id())
            .field("headers", &crate::response::header_names(&self.headers))
            .field("body_len", &self.body.len())
            .field("signed_by", &self.signed_by)
            .field("suggestions", &self.suggestions)
            .finish()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WeChat Pay answered {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, " (detail: {detail})")?;
        }
        if let Some(id) = self.request_id() {
            write!(f, " [Request-ID {id}]")?;
        }
        if self.signed_by.is_none() {
            f.write_str(" [unsigned]")?;
        }
        if let Some((first, rest)) = self.suggestions.split_first() {
            write!(f, "; no catalogued endpoint has this path, the closest: `{first}`")?;
            for path in rest {
                write!(f, ", `{path}`")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// A 2xx answer that failed verification. The response is kept for inspection; it is unauthenticated.
/// `Debug` shows the failure and the response's status, `Request-ID`, header names and body length,
/// never the body (see [`Response`]'s `Debug`).
#[derive(Debug)]
pub struct VerificationError {
    pub(crate) failure: VerificationFailure,
    pub(crate) response: Response,
}

impl VerificationError {
    /// Why verification failed.
    pub fn failure(&self) -> &VerificationFailure {
        &self.failure
    }

    /// The unauthenticated response as received.
    pub fn response(&self) -> &Response {
        &self.response
    }
}

impl fmt::Display for VerificationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "response verification failed: {}. The server answered {} and may already have acted on the request; \
             do not treat this call as failed or retry it blindly, query the resource first",
            self.failure,
            self.response.status()
        )?;
        if let Some(id) = self.response.request_id() {
            write!(f, " [Request-ID {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for VerificationError {}
