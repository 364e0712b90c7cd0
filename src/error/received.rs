//! Failures of what the SDK received or holds, where no request of the caller's is in question: platform
//! certificate downloads, incoming notifications, and the content of downloads.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use http::StatusCode;

use super::{Error, VerificationFailure};

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

    /// The underlying error of a failed download (an [`ApiError`](super::ApiError) such as `RESOURCE_NOT_EXISTS` for a
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
    /// The certificate download the notification needed could not run on this side (the SDK's runtime
    /// is unavailable, or the call came from one of its own threads).
    Unavailable,
}

/// A rejected notification. Answer WeChat Pay with [`NotificationError::http_status`] and a
/// `{"code":"FAIL","message":…}` body; it will deliver the notification again later.
#[derive(Clone, Debug)]
pub struct NotificationError {
    pub(crate) kind: NotificationErrorKind,
    pub(crate) message: String,
}

impl NotificationError {
    pub(crate) fn new(kind: NotificationErrorKind, message: impl Into<String>) -> Self {
        NotificationError { kind, message: message.into() }
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
            | NotificationErrorKind::Unavailable
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

impl std::error::Error for NotificationError {}

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
    /// The connection broke, or the SDK's runtime stopped, before the end of the body.
    Broken(String),
    /// A read after the download had already failed.
    AlreadyFailed,
    /// A blocking read was made on one of the SDK's own I/O threads (inside a hook?), where it would wait
    /// for itself; read asynchronously there.
    OnIoThread,
}

/// A download whose content cannot be trusted or kept. WeChat Pay sent it (`sent()` is `Yes`); ask
/// for a new download link and try again.
#[derive(Clone, Debug)]
pub struct DownloadError {
    kind: DownloadErrorKind,
}

impl StdError for DownloadError {}

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
            DownloadErrorKind::Broken(why) => {
                write!(f, "the download was cut off ({why}); the file is incomplete, discard it and download again")
            }
            DownloadErrorKind::AlreadyFailed => {
                f.write_str("the download failed earlier; what was read is incomplete and must be discarded")
            }
            DownloadErrorKind::OnIoThread => f.write_str(
                "a download was read with a blocking call on the SDK's own I/O thread (inside a hook?); read it \
                 asynchronously there",
            ),
            DownloadErrorKind::InflatedTooLarge { limit } => write!(
                f,
                "the gzip file decompresses to more than the {limit}-byte cap (`max_bytes`; a gzip bomb?) and \
                 was stopped; discard what was written. If the bill is genuine, raise `max_bytes`"
            ),
        }
    }
}
