//! The one error type of the SDK, and whether a failed call may have reached WeChat Pay.
//!
//! Every failure answers the question a payment engineer asks first: *could WeChat Pay have acted
//! on this request?* [`Error::sent`] says [`Sent::No`] (safe to retry as is), [`Sent::Maybe`] (the
//! request may have been written; query the resource before retrying a non-idempotent call) or
//! [`Sent::Yes`] (WeChat Pay answered).

mod answer;
mod local;
mod received;

use http::StatusCode;

pub use crate::auth::{SigningError, VerificationFailure};
pub use crate::response::DecodeError;
pub use answer::{ApiError, V2Error, VerificationError};
pub use local::{ConfigError, InputError, InputErrorKind, TimeoutError, TransportError};
pub use received::{
    CertificateError, CertificateErrorKind, DownloadError, DownloadErrorKind, NotificationError, NotificationErrorKind,
};

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
    /// The [`Signer`](crate::auth::Signer) (or the random source) failed. Nothing was sent. The signer's
    /// own error is the [`source`](std::error::Error::source) of the [`SigningError`], so an HSM's error
    /// type can be downcast.
    #[error("{0}")]
    Signing(SigningError),
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
            Error::Transport(e) => e.sent(),
            Error::Timeout(e) => e.sent(),
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

    /// The HTTP status of WeChat Pay's answer, when there was one: an API error, a failed APIv2 answer,
    /// or a 2xx answer that failed verification.
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start()?;
    /// # let client = sandbox.client_builder().build()?;
    /// let err = client.chain("v3/pay/transactions/out-trade-no/{no}").get(serde_json::json!({
    ///     "no": "NO-SUCH-ORDER", "query": {"mchid": sandbox.mchid()},
    /// })).unwrap_err();
    /// assert_eq!(err.status(), Some(http::StatusCode::NOT_FOUND));
    /// assert_eq!(err.code(), Some("ORDER_NOT_EXIST"));
    /// assert!(err.request_id().is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.status()),
            Error::V2(e) => Some(e.status()),
            Error::Verification(e) => Some(e.response().status()),
            _ => None,
        }
    }

    /// WeChat Pay's error code: the APIv3 `code` (`ORDER_NOT_EXIST`, `PARAM_ERROR`, …) or the APIv2
    /// `err_code` (`ORDERPAID`, `USERPAYING`, …); for an APIv2 `return_code` failure, `return_code`
    /// (`FAIL`).
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.code(),
            Error::V2(e) => e.err_code().or_else(|| e.return_code().filter(|c| *c != "SUCCESS")),
            _ => None,
        }
    }

    /// The `Request-ID` of WeChat Pay's answer, to quote to WeChat Pay support.
    pub fn request_id(&self) -> Option<&str> {
        let headers = match self {
            Error::Api(e) => e.headers(),
            Error::V2(e) => e.headers(),
            Error::Verification(e) => e.response().headers(),
            _ => return None,
        };
        headers.get("request-id").and_then(|v| v.to_str().ok())
    }

    pub(crate) fn config(setting: &'static str, message: impl Into<String>) -> Error {
        Error::Config(ConfigError::new(setting, message))
    }

    pub(crate) fn input(kind: InputErrorKind, message: impl Into<String>) -> Error {
        Error::Input(InputError::new(kind, message))
    }
}

impl From<SigningError> for Error {
    fn from(e: SigningError) -> Error {
        Error::Signing(e)
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Error {
        Error::Decode(e)
    }
}

impl From<NotificationError> for Error {
    fn from(e: NotificationError) -> Error {
        Error::Notification(Box::new(e))
    }
}

impl From<DownloadError> for Error {
    fn from(e: DownloadError) -> Error {
        Error::Download(e)
    }
}

impl From<CertificateError> for Error {
    fn from(e: CertificateError) -> Error {
        Error::Certificates(e)
    }
}

impl From<crate::crypto::OaepError> for Error {
    fn from(e: crate::crypto::OaepError) -> Error {
        Error::Sensitive(e)
    }
}
