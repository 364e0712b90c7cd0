//! Verified responses: raw status, headers and bytes, with JSON helpers.

use std::error::Error as StdError;
use std::fmt;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

pub use crate::auth::Verification;

/// A 2xx response that passed verification.
///
/// `Debug` shows the status, `Request-ID`, header names, the body's length and how it was verified,
/// never the body or header values: answers carry personal data (`openid`, names, ciphertexts). Read
/// them with [`body`](Response::body), [`json`](Response::json) and [`headers`](Response::headers).
#[derive(Clone)]
pub struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    verification: Verification,
}

/// The names of `headers`, each once, in order: what `Debug` shows instead of values.
pub(crate) fn header_names(headers: &HeaderMap) -> Vec<&str> {
    headers.keys().map(http::HeaderName::as_str).collect()
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("request_id", &self.request_id())
            .field("headers", &header_names(&self.headers))
            .field("body_len", &self.body.len())
            .field("verification", &self.verification)
            .finish()
    }
}

impl Response {
    pub(crate) fn new(status: StatusCode, headers: HeaderMap, body: Bytes, verification: Verification) -> Self {
        Response { status, headers, body, verification }
    }

    /// Status, headers and body, taken apart.
    pub(crate) fn into_parts(self) -> (StatusCode, HeaderMap, Bytes) {
        (self.status, self.headers, self.body)
    }

    /// The HTTP status (`200`, `202`, `204`…).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The raw body bytes, exactly as received (and verified).
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body, consuming the response.
    pub fn into_body(self) -> Bytes {
        self.body
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> Result<&str, DecodeError> {
        std::str::from_utf8(&self.body)
            .map_err(|e| DecodeError::new(format!("the response body is not UTF-8 text ({e})"), None))
    }

    /// The body as JSON. An empty body (`204 No Content`) is `null`.
    pub fn json(&self) -> Result<serde_json::Value, DecodeError> {
        self.json_as()
    }

    /// The body deserialized into `T`. An empty body deserializes from `null`.
    pub fn json_as<T: DeserializeOwned>(&self) -> Result<T, DecodeError> {
        let bytes: &[u8] = if self.body.iter().all(u8::is_ascii_whitespace) { b"null" } else { &self.body };
        serde_json::from_slice(bytes).map_err(|e| {
            DecodeError::new(
                format!("the response body (status {}) does not decode as {}", self.status, std::any::type_name::<T>()),
                Some(e),
            )
        })
    }

    /// An APIv2 body as fields: elements as strings, nested elements as objects, repeated ones as
    /// arrays (see [`v2::xml::parse`](crate::v2::xml::parse); DTDs are refused).
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start()?;
    /// # let client = sandbox.client_builder().build()?;
    /// use serde_json::json;
    /// let answer = client.v2().pay().orderquery().post(json!({
    ///     "xml": {"appid": "wx2421b1c4370ec43b", "mch_id": sandbox.mchid(), "out_trade_no": "none-such"}
    /// }));
    /// // An unknown order is a business failure: Error::V2 with err_code ORDERNOTEXIST.
    /// assert_eq!(answer.unwrap_err().v2().unwrap().err_code(), Some("ORDERNOTEXIST"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn xml(&self) -> Result<serde_json::Map<String, serde_json::Value>, DecodeError> {
        crate::v2::xml::parse(&self.body)
            .map_err(|e| DecodeError::new(format!("the response body (status {}) is not XML: {e}", self.status), None))
    }

    /// The `Request-ID` header, to quote to WeChat Pay support.
    pub fn request_id(&self) -> Option<&str> {
        self.headers.get("request-id").and_then(|v| v.to_str().ok())
    }

    /// How this response was authenticated.
    pub fn verification(&self) -> &Verification {
        &self.verification
    }
}

/// A verified response body could not be decoded.
#[derive(Debug)]
pub struct DecodeError {
    message: String,
    source: Option<serde_json::Error>,
}

impl DecodeError {
    pub(crate) fn new(message: impl Into<String>, source: Option<serde_json::Error>) -> Self {
        DecodeError { message: message.into(), source }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl StdError for DecodeError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_ref().map(|e| e as &(dyn StdError + 'static))
    }
}
