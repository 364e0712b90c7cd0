//! What a signature check concludes: how an answer was authenticated ([`Verification`]), or why it was
//! not ([`VerificationFailure`]).

use std::fmt;

use super::PUBLIC_KEY_ID_PREFIX;

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
    /// [`UNSIGNED_DOWNLOADS`](super::UNSIGNED_DOWNLOADS)); check it against the digest returned by
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
                if serial.starts_with(PUBLIC_KEY_ID_PREFIX) {
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
