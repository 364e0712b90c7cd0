//! Verified responses: raw status, headers and bytes, with JSON helpers.

use std::fmt;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::{DecodeError, Error};

/// How a response was authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verification {
    /// The `Wechatpay-Signature` verified with the key of this id (certificate serial or `PUB_KEY_ID_…`).
    Signed {
        /// The key id from `Wechatpay-Serial`.
        key_id: String,
    },
    /// A file download WeChat Pay does not sign (see
    /// [`UNSIGNED_DOWNLOADS`](crate::auth::UNSIGNED_DOWNLOADS)); check it against the digest returned by
    /// the call that issued the download link.
    UnsignedDownload,
    /// An APIv2 answer whose `sign` field verified with the APIv2 key.
    V2Sign {
        /// `MD5` or `HMAC-SHA256`.
        algorithm: &'static str,
    },
    /// An APIv2 answer from an endpoint WeChat Pay does not sign (red packets, transfers, bill
    /// downloads, …: the list in [`crate::v2::response::UNSIGNED_PATHS`]). It passed unchecked.
    V2Unsigned,
    /// Verification failed; such responses are only reachable through
    /// [`VerificationError::response`](crate::error::VerificationError::response).
    Rejected,
}

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
    pub fn text(&self) -> Result<&str, Error> {
        std::str::from_utf8(&self.body)
            .map_err(|e| Error::Decode(DecodeError::new(format!("the response body is not UTF-8 text ({e})"), None)))
    }

    /// The body as JSON. An empty body (`204 No Content`) is `null`.
    pub fn json(&self) -> Result<serde_json::Value, Error> {
        self.json_as()
    }

    /// The body deserialized into `T`. An empty body deserializes from `null`.
    pub fn json_as<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let bytes: &[u8] = if self.body.iter().all(u8::is_ascii_whitespace) { b"null" } else { &self.body };
        serde_json::from_slice(bytes).map_err(|e| {
            Error::Decode(DecodeError::new(
                format!("the response body (status {}) does not decode as {}", self.status, std::any::type_name::<T>()),
                Some(e),
            ))
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
    pub fn xml(&self) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
        crate::v2::xml::parse(&self.body).map_err(|e| {
            Error::Decode(DecodeError::new(format!("the response body (status {}) is not XML: {e}", self.status), None))
        })
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
