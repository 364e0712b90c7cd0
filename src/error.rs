//! The one error type of the SDK, and whether a failed call may have reached WeChat Pay.
//!
//! Every failure answers the question a payment engineer asks first: *could WeChat Pay have acted
//! on this request?* [`Error::sent`] says [`Sent::No`] (safe to retry as is), [`Sent::Maybe`] (the
//! request may have been written; query the resource before retrying a non-idempotent call) or
//! [`Sent::Yes`] (WeChat Pay answered).

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

use crate::response::Response;

/// Whether the request of a failed call may have reached WeChat Pay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    /// Nothing left this process (bad input, bad configuration, signer failure, connect failure).
    No,
    /// The request may have been written before the failure (reset connection, timeout after connect).
    Maybe,
    /// A response came back, so the server received the request and may have acted on it.
    Yes,
}

/// Everything that can go wrong in a call. Match on the variant for the category; every variant
/// keeps what is needed to act on it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// [`ClientBuilder::build`](crate::ClientBuilder::build) refused the configuration. Nothing was sent.
    #[error("{0}")]
    Config(ConfigError),
    /// The chain, its template or the request options are invalid. Nothing was sent.
    #[error("{0}")]
    Input(InputError),
    /// The [`Signer`](crate::auth::Signer) failed. Nothing was sent.
    #[error("signing the request failed, nothing was sent: {0}")]
    Signing(String),
    /// The connection failed or broke. [`TransportError::sent`] says whether the request may have left.
    #[error("{0}")]
    Transport(TransportError),
    /// The call did not finish within its time limit.
    #[error("{0}")]
    Timeout(TimeoutError),
    /// WeChat Pay answered with a status other than 2xx.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// A 2xx answer failed signature verification. The raw response is kept, and the server may
    /// already have acted on the request.
    #[error("{0}")]
    Verification(Box<VerificationError>),
    /// A verified response body could not be decoded as requested.
    #[error("{0}")]
    Decode(DecodeError),
    /// Platform certificates could not be downloaded or installed. [`Error::sent`] is [`Sent::No`]: a
    /// call held back for want of keys was not sent, and the download itself is an idempotent `GET`
    /// that is safe to repeat.
    #[error("{0}")]
    Certificates(CertificateError),
    /// An incoming notification (回调通知) was rejected: answer WeChat Pay with a failure status.
    #[error("{0}")]
    Notification(Box<NotificationError>),
    /// A sensitive field (敏感信息) could not be decrypted (or encrypted): a local operation, no request is
    /// involved.
    #[error("sensitive field: {0}")]
    Sensitive(crate::crypto::OaepError),
    /// A download's bytes do not match their digest, did not decompress, or could not be written out, or
    /// the download broke one of its limits (deadline, idle timeout, size cap). What was read or written
    /// must be discarded.
    #[error("{0}")]
    Download(DownloadError),
    /// An APIv2 answer reported a failure: `return_code` or `result_code` is not `SUCCESS`, or the HTTP
    /// status is not 2xx. The server received the request (and, for a `result_code` failure, processed
    /// it): query before retrying anything that moves money.
    #[error("{0}")]
    V2(Box<V2Error>),
}

impl Error {
    /// Whether the request may have reached WeChat Pay (see [`Sent`]).
    pub fn sent(&self) -> Sent {
        match self {
            Error::Config(_) | Error::Input(_) | Error::Signing(_) => Sent::No,
            Error::Transport(e) => e.sent,
            Error::Timeout(e) => e.sent,
            Error::Api(_) | Error::Verification(_) | Error::Decode(_) => Sent::Yes,
            // Downloads are idempotent GETs; the call they guarded was not sent.
            Error::Certificates(_) => Sent::No,
            // A notification is received, not sent.
            Error::Notification(_) => Sent::No,
            Error::Download(_) => Sent::Yes,
            Error::Sensitive(_) => Sent::No,
            Error::V2(_) => Sent::Yes,
        }
    }

    /// `true` unless the SDK knows nothing left the process. A non-idempotent call (create an order,
    /// refund, transfer) that failed with this `true` must be checked with a query before it is retried.
    pub fn may_have_been_sent(&self) -> bool {
        self.sent() != Sent::No
    }

    /// `true` for [`Error::Timeout`], and for a download that ran out of time
    /// ([`DownloadErrorKind::DeadlineExceeded`], [`DownloadErrorKind::Stalled`]).
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Timeout(_) => true,
            Error::Download(d) => {
                matches!(d.kind(), DownloadErrorKind::DeadlineExceeded { .. } | DownloadErrorKind::Stalled { .. })
            }
            _ => false,
        }
    }

    /// The API error, when WeChat Pay answered with a non-2xx status.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The verification failure, when a 2xx answer could not be authenticated.
    pub fn verification(&self) -> Option<&VerificationError> {
        match self {
            Error::Verification(e) => Some(e),
            _ => None,
        }
    }

    /// The APIv2 failure answer, if this is one.
    pub fn v2(&self) -> Option<&V2Error> {
        match self {
            Error::V2(e) => Some(e),
            _ => None,
        }
    }

    /// The certificate download failure, if this is one.
    pub fn certificates(&self) -> Option<&CertificateError> {
        match self {
            Error::Certificates(e) => Some(e),
            _ => None,
        }
    }

    /// The notification rejection, if this is one.
    pub fn notification(&self) -> Option<&NotificationError> {
        match self {
            Error::Notification(e) => Some(e),
            _ => None,
        }
    }

    pub(crate) fn config(setting: &'static str, message: impl Into<String>) -> Error {
        Error::Config(ConfigError { setting, message: message.into() })
    }

    pub(crate) fn input(kind: InputErrorKind, message: impl Into<String>) -> Error {
        Error::Input(InputError { kind, message: message.into() })
    }
}

/// A refused client configuration: which setting, and what to load instead.
#[derive(Clone, Debug)]
pub struct ConfigError {
    setting: &'static str,
    message: String,
}

impl ConfigError {
    /// The builder setting at fault (`"mchid"`, `"serial"`, `"private_key"`, `"certs"`, `"base_uri"`, …).
    pub fn setting(&self) -> &'static str {
        self.setting
    }

    /// What was wrong and what to do instead.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid client configuration `{}`: {}", self.setting, self.message)
    }
}

/// The category of an [`InputError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputErrorKind {
    /// The path template is malformed (`{` without `}`, bad variable name, stray `<`).
    Template,
    /// A path template variable has no value in the options.
    MissingVariable,
    /// A path template variable is empty, `.` or `..`, which would change the request path.
    BadVariable,
    /// An option key is neither a request option nor a variable of the path template.
    UnknownOption,
    /// Two options (or an option and the template) say contradictory things.
    ConflictingOptions,
    /// An option has the wrong type or an unusable value.
    InvalidOption,
    /// The resulting URL is not usable (scheme, host, fragment).
    Url,
    /// The request is for something this SDK version does not do (APIv2 XML endpoints).
    Unsupported,
    /// A media upload was refused before sending: file too large, extension not allowed, empty or
    /// unreadable file, or an endpoint or method that takes no upload (see [`media`](crate::media)).
    Media,
}

/// Invalid chain, template or options. Nothing was sent.
#[derive(Clone, Debug)]
pub struct InputError {
    kind: InputErrorKind,
    message: String,
}

impl InputError {
    /// The category.
    pub fn kind(&self) -> InputErrorKind {
        self.kind
    }

    /// What was wrong and what to do instead.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid request, nothing was sent: {}", self.message)
    }
}

/// A connection-level failure.
#[derive(Debug)]
pub struct TransportError {
    sent: Sent,
    message: String,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl TransportError {
    pub(crate) fn new(sent: Sent, message: impl Into<String>, source: Option<Box<dyn StdError + Send + Sync>>) -> Self {
        TransportError { sent, message: message.into(), source }
    }

    /// Whether the request may have left the process.
    pub fn sent(&self) -> Sent {
        self.sent
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
            let mut next = source.source();
            while let Some(cause) = next {
                write!(f, ": {cause}")?;
                next = cause.source();
            }
        }
        match self.sent {
            Sent::No => f.write_str(" (nothing was sent)"),
            Sent::Maybe => f.write_str(" (the request may have reached WeChat Pay; query before retrying)"),
            Sent::Yes => f.write_str(" (WeChat Pay received the request)"),
        }
    }
}

impl StdError for TransportError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

/// The call exceeded its connect or total time limit.
#[derive(Clone, Debug)]
pub struct TimeoutError {
    sent: Sent,
    after: Duration,
    phase: &'static str,
}

impl TimeoutError {
    pub(crate) fn new(sent: Sent, after: Duration, phase: &'static str) -> Self {
        TimeoutError { sent, after, phase }
    }

    /// Whether the request may have left the process (`No` for a connect timeout).
    pub fn sent(&self) -> Sent {
        self.sent
    }

    /// The limit that was exceeded.
    pub fn after(&self) -> Duration {
        self.after
    }
}

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} timed out after {:?}", self.phase, self.after)?;
        match self.sent {
            Sent::No => f.write_str(" (nothing was sent)"),
            _ => f.write_str(" (the request may have reached WeChat Pay; query before retrying)"),
        }
    }
}

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
        Ok(())
    }
}

/// Why a response failed verification.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerificationFailure {
    /// One or more of `Wechatpay-Timestamp`, `Wechatpay-Nonce`, `Wechatpay-Signature`,
    /// `Wechatpay-Serial` is absent.
    MissingHeaders(Vec<&'static str>),
    /// One or more of the signature headers (`Wechatpay-Timestamp`, `Wechatpay-Nonce`,
    /// `Wechatpay-Signature`, `Wechatpay-Serial`, `Wechatpay-Signature-Type`,
    /// `Wechatpay-Statement-Sha1`) is sent more than once. WeChat Pay sends each once; a second copy
    /// means something on the way added or altered headers, so no copy is trusted.
    DuplicateHeaders(Vec<&'static str>),
    /// A signature header's value is not plain ASCII text (not UTF-8, or characters WeChat Pay never
    /// sends in it).
    InvalidHeader {
        /// The header.
        name: &'static str,
    },
    /// `Wechatpay-Signature-Type` names an algorithm other than `WECHATPAY2-SHA256-RSA2048`, the only
    /// one this client verifies (for example `WECHATPAY2-SM2-WITH-SM3`). An absent header means RSA.
    UnsupportedSignatureType(String),
    /// `Wechatpay-Timestamp` is not a decimal number of seconds.
    MalformedTimestamp(String),
    /// The response timestamp is more than the allowed offset away from the local clock.
    ClockSkew {
        /// `Wechatpay-Timestamp` as sent.
        server: i64,
        /// The local clock, Unix seconds.
        local: i64,
        /// The allowed offset in seconds.
        allowed: i64,
    },
    /// `Wechatpay-Serial` names a key the client does not have.
    UnknownKey {
        /// The id WeChat Pay named.
        serial: String,
        /// The ids the client has.
        known: Vec<String>,
    },
    /// The signature does not verify with the named key.
    BadSignature {
        /// The key id used.
        serial: String,
    },
    /// An APIv2 answer (or notification) has no `sign` field.
    MissingV2Sign,
    /// An APIv2 `sign` does not match the fields and the APIv2 key.
    BadV2Sign {
        /// `MD5` or `HMAC-SHA256` (inferred from the sign's length, as WeChat Pay does).
        algorithm: &'static str,
    },
    /// `Wechatpay-Statement-Sha1` does not match the SHA-1 of the statement body.
    DigestMismatch {
        /// The digest the header announced.
        announced: String,
        /// The digest of the body received.
        actual: String,
    },
}

impl fmt::Display for VerificationFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerificationFailure::MissingHeaders(names) => {
                write!(f, "the message lacks the signature header(s) {}", names.join(", "))
            }
            VerificationFailure::DuplicateHeaders(names) => write!(
                f,
                "the message carries the signature header(s) {} more than once; WeChat Pay sends each once, so \
                 a proxy or something else on the way added or changed headers: nothing in it is trusted; \
                 check what sits between this client and WeChat Pay",
                names.join(", ")
            ),
            VerificationFailure::InvalidHeader { name } => write!(
                f,
                "the message's {name} header is not plain ASCII text (not UTF-8, or characters WeChat Pay never \
                 sends), so it cannot be checked; something on the way altered it"
            ),
            VerificationFailure::UnsupportedSignatureType(kind) => write!(
                f,
                "the message is signed with `{kind}` (Wechatpay-Signature-Type), but this client verifies only \
                 WECHATPAY2-SHA256-RSA2048; if the merchant account was switched to another algorithm (such as \
                 SM2), switch it back to RSA in the merchant platform"
            ),
            VerificationFailure::MalformedTimestamp(v) => {
                write!(f, "Wechatpay-Timestamp `{v}` is not Unix seconds")
            }
            VerificationFailure::ClockSkew { server, local, allowed } => write!(
                f,
                "the message was signed at {server} but the local clock says {local} (offset {}s, allowed ±{allowed}s); \
                 check this machine's clock (NTP), or it is a replayed message",
                local - server
            ),
            VerificationFailure::UnknownKey { serial, known } => {
                write!(
                    f,
                    "the message is signed with key `{serial}`, which the client does not have (it has: {}); ",
                    if known.is_empty() { "none".to_owned() } else { known.join(", ") }
                )?;
                if serial.starts_with(crate::auth::PUBLIC_KEY_ID_PREFIX) {
                    write!(
                        f,
                        "configure that WeChat Pay public key with `.public_key(\"{serial}\", \"file:///path/to/pub_key.pem\")` \
                         (download pub_key.pem from the merchant platform, API安全 → 微信支付公钥)"
                    )
                } else {
                    write!(
                        f,
                        "add that platform certificate with `.cert(\"{serial}\", \"file:///path/to/wechatpay_{serial}.pem\")`, \
                         or let the client download certificates itself with `.apiv3_key(…)`"
                    )
                }
            }
            VerificationFailure::BadSignature { serial } => {
                write!(
                    f,
                    "the signature does not verify with key `{serial}`: the body or headers were altered, or that id holds the wrong key"
                )
            }
            VerificationFailure::DigestMismatch { announced, actual } => {
                write!(f, "the statement body has SHA-1 {actual} but Wechatpay-Statement-Sha1 announced {announced}")
            }
            VerificationFailure::MissingV2Sign => {
                f.write_str("the APIv2 answer has no `sign` field, so it cannot be authenticated")
            }
            VerificationFailure::BadV2Sign { algorithm } => write!(
                f,
                "the APIv2 `sign` ({algorithm}) does not match the fields: the answer was altered, or the client's \
                 APIv2 key (`.apiv2_key(…)`) is not the one set in the merchant platform"
            ),
        }
    }
}

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

/// What went wrong while downloading or installing platform certificates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateErrorKind {
    /// `GET v3/certificates` failed (network, API error, or the download failed verification).
    Download,
    /// An `encrypt_certificate` did not decrypt with the APIv3 key.
    Decrypt,
    /// A decrypted certificate is not a usable X.509 RSA certificate, or its serial is not `serial_no`.
    Certificate,
    /// The download held no certificate valid now.
    NoValidCertificate,
    /// A download was refused to protect WeChat Pay (another one failed moments ago).
    RateLimited,
}

/// Platform certificates could not be downloaded or installed.
#[derive(Clone, Debug)]
pub struct CertificateError {
    pub(crate) kind: CertificateErrorKind,
    pub(crate) message: String,
    pub(crate) source: Option<std::sync::Arc<Error>>,
}

impl CertificateError {
    pub(crate) fn new(kind: CertificateErrorKind, message: impl Into<String>) -> Self {
        CertificateError { kind, message: message.into(), source: None }
    }

    /// The kind of failure.
    pub fn kind(&self) -> CertificateErrorKind {
        self.kind
    }

    /// The underlying error of a failed download (an [`ApiError`] such as `RESOURCE_NOT_EXISTS` for a
    /// merchant that only has a WeChat Pay public key, a transport error, …).
    pub fn cause(&self) -> Option<&Error> {
        self.source.as_deref()
    }
}

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "platform certificates: {}", self.message)?;
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl StdError for CertificateError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

/// Why a notification was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotificationErrorKind {
    /// WeChat Pay's signature probe (`Wechatpay-Signature: WECHATPAY/SIGNTEST/…`): it checks that the
    /// endpoint verifies signatures, and expects a failure answer.
    SignatureProbe,
    /// The signature headers did not verify (tampered, stale, unknown key, …).
    Signature(VerificationFailure),
    /// The body is larger than the cap.
    TooLarge {
        /// Bytes received.
        size: usize,
        /// The cap.
        limit: usize,
    },
    /// The body is not a notification envelope (`id`, `event_type`, `resource`, …).
    Malformed,
    /// `resource.algorithm` is not `AEAD_AES_256_GCM`.
    Algorithm(String),
    /// The resource did not decrypt with the APIv3 key.
    Decrypt(crate::crypto::AeadError),
    /// The client has no APIv3 key to decrypt with.
    NoApiV3Key,
    /// An APIv2 notification was refused (bad XML, `return_code` not `SUCCESS`, bad `sign`, a
    /// `req_info` that does not decrypt). Answer with
    /// [`v2::notify::failure_reply`](crate::v2::notify::failure_reply).
    V2(crate::v2::NotifyError),
    /// The client has no APIv2 key to check or decrypt an APIv2 notification with.
    NoApiV2Key,
}

/// A rejected notification. Answer WeChat Pay with [`NotificationError::http_status`] and a
/// `{"code":"FAIL","message":…}` body; it will deliver the notification again later.
#[derive(Clone, Debug)]
pub struct NotificationError {
    pub(crate) kind: NotificationErrorKind,
    pub(crate) message: String,
}

impl NotificationError {
    pub(crate) fn new(kind: NotificationErrorKind, message: impl Into<String>) -> Box<Self> {
        Box::new(NotificationError { kind, message: message.into() })
    }

    /// Why it was rejected.
    pub fn kind(&self) -> &NotificationErrorKind {
        &self.kind
    }

    /// The status to answer WeChat Pay with: 500 when the fault is on this side (no APIv3 key,
    /// a key missing from the store), so that WeChat Pay retries; 400/401/413 when the message is bad.
    pub fn http_status(&self) -> StatusCode {
        match &self.kind {
            NotificationErrorKind::NoApiV3Key
            | NotificationErrorKind::NoApiV2Key
            | NotificationErrorKind::Signature(VerificationFailure::UnknownKey { .. }) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            NotificationErrorKind::SignatureProbe | NotificationErrorKind::Signature(_) => StatusCode::UNAUTHORIZED,
            NotificationErrorKind::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            NotificationErrorKind::V2(crate::v2::NotifyError::Signature(_)) => StatusCode::UNAUTHORIZED,
            NotificationErrorKind::V2(_) => StatusCode::BAD_REQUEST,
            NotificationErrorKind::Malformed
            | NotificationErrorKind::Algorithm(_)
            | NotificationErrorKind::Decrypt(_) => StatusCode::BAD_REQUEST,
        }
    }
}

impl fmt::Display for NotificationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "notification rejected: {}", self.message)
    }
}

/// What went wrong with a download's content.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DownloadErrorKind {
    /// The digest of the bytes is not the one announced (`hash_value`, `Wechatpay-Statement-Sha1`).
    DigestMismatch {
        /// `SHA1` or `SHA256`.
        hash_type: &'static str,
        /// The announced digest (lowercase hex).
        expected: String,
        /// The digest of what arrived.
        actual: String,
    },
    /// A gzip file did not decompress.
    Decompress(String),
    /// The destination refused the bytes.
    Write(String),
    /// The download did not finish within its total time limit (`download_timeout`, counted from the
    /// call).
    DeadlineExceeded {
        /// The limit.
        limit: Duration,
    },
    /// No data arrived for the idle timeout (the call's `timeout`): the server stalled.
    Stalled {
        /// The idle timeout.
        idle: Duration,
    },
    /// The file is larger than the size cap (`max_bytes`, the client's `max_download_bytes`, or a bill's
    /// default): announced so by `Content-Length` (nothing was read), or counted as it arrived.
    TooLarge {
        /// The cap, in bytes.
        limit: u64,
        /// The `Content-Length` the server announced, when that is what exceeded the cap.
        announced: Option<u64>,
    },
    /// A gzip bill decompresses to more than the size cap (a gzip bomb, or a cap set too low).
    InflatedTooLarge {
        /// The cap, in bytes.
        limit: u64,
    },
}

/// A download whose content cannot be trusted or kept. WeChat Pay sent it (`sent()` is `Yes`); ask
/// for a new download link and try again.
#[derive(Clone, Debug)]
pub struct DownloadError {
    kind: DownloadErrorKind,
}

impl DownloadError {
    pub(crate) fn new(kind: DownloadErrorKind) -> Self {
        DownloadError { kind }
    }

    /// What went wrong.
    pub fn kind(&self) -> &DownloadErrorKind {
        &self.kind
    }
}

impl fmt::Display for DownloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            DownloadErrorKind::DigestMismatch { hash_type, expected, actual } => write!(
                f,
                "the downloaded file's {hash_type} is {actual}, not the announced {expected}: it is incomplete or \
                 altered; discard it and download again"
            ),
            DownloadErrorKind::Decompress(why) => {
                write!(f, "the downloaded gzip file does not decompress ({why}); discard it and download again")
            }
            DownloadErrorKind::Write(why) => write!(f, "writing the downloaded file failed: {why}"),
            DownloadErrorKind::DeadlineExceeded { limit } => write!(
                f,
                "the download did not finish within {limit:?} (`download_timeout`); what was read is incomplete, \
                 discard it. For a very large file on a slow link raise `download_timeout` (client builder or per \
                 call)"
            ),
            DownloadErrorKind::Stalled { idle } => write!(
                f,
                "the download stalled: no data for {idle:?} (the call's `timeout`); what was read is incomplete, \
                 discard it and download again"
            ),
            DownloadErrorKind::TooLarge { limit, announced: Some(announced) } => write!(
                f,
                "the server announced a {announced}-byte file (Content-Length), more than the {limit}-byte cap \
                 (`max_bytes`), so nothing was read; if the file is genuine, raise `max_bytes` (per call) or \
                 `max_download_bytes` (client builder)"
            ),
            DownloadErrorKind::TooLarge { limit, announced: None } => write!(
                f,
                "the download went past the {limit}-byte cap (`max_bytes`) and was stopped; discard what was \
                 read. If the file is genuine, raise `max_bytes` (per call) or `max_download_bytes` (client \
                 builder)"
            ),
            DownloadErrorKind::InflatedTooLarge { limit } => write!(
                f,
                "the gzip file decompresses to more than the {limit}-byte cap (`max_bytes`; a gzip bomb?) and \
                 was stopped; discard what was written. If the bill is genuine, raise `max_bytes`"
            ),
        }
    }
}
