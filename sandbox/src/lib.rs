//! A local WeChat Pay imitation for tests and examples.
//!
//! [`Sandbox::start`] listens on `127.0.0.1` (an ephemeral port unless one is given), with freshly
//! generated throwaway keys, and behaves like WeChat Pay where the SDK can observe it: it checks each
//! request's `Authorization` (scheme, attributes, merchant id, certificate serial, ±300 s timestamp,
//! RSA signature over `METHOD\nTARGET\nTIMESTAMP\nNONCE\nBODY\n`), requires `Accept` and `User-Agent`,
//! answers `401 SIGN_ERROR` unsigned when authentication fails, and signs every other answer
//! (`Wechatpay-Timestamp`, `-Nonce`, `-Serial`, `-Signature` over `TIMESTAMP\nNONCE\nBODY\n`, and
//! `Wechatpay-Signature-Type: WECHATPAY2-SHA256-RSA2048`). It stops when dropped.
//!
//! Endpoints imitated in this version:
//!
//! * `GET v3/facemch/users/{face_sid}`: `ASK_UNIONID`, and `ASK_REAL_NAME` with `real_name_info` (name and
//!   ID-card number encrypted with RSA-OAEP/SHA-1 under the merchant's public key, `credential_type` 1);
//! * `GET|POST|PUT|DELETE v3/merchant-service/complaint-notifications`;
//! * `PATCH v3/marketing/busifavor/stocks/{stock_id}/budget`;
//! * `POST v3/profitsharing/receivers/add`: `name` encrypted with RSA-OAEP/SHA-1 under the key the request's
//!   `Wechatpay-Serial` names (public key or platform certificate); `400 PARAM_ERROR` when it does not decrypt;
//! * `GET v3/certificates`: the unexpired platform certificates, each encrypted with AES-256-GCM under the
//!   APIv3 key with associated data `certificate`; `404 RESOURCE_NOT_EXISTS` in public-key mode;
//! * `POST v3/merchant/media/upload` (jpg, jpeg, png, bmp; ≤ 2 MiB) and `POST v3/merchant/media/video_upload`
//!   (avi, wmv, mpeg, mp4, mov, mkv, flv, f4v, m4v, rmvb; ≤ 5 MiB): `multipart/form-data` with a `meta` part
//!   (`{"filename":…,"sha256":…}`) and a `file` part. As with WeChat Pay the signature's BODY is the `meta`
//!   part; a multipart body without a readable `meta` part answers `401 SIGN_ERROR`, any other defect
//!   (framing, meta fields, digest, extension, size) `400 PARAM_ERROR`. The same file gets the same `media_id`;
//! * `GET v3/bill/tradebill` and `GET v3/bill/fundflowbill`: a small CSV bill for `bill_date` (not after today,
//!   China Standard Time, by the sandbox clock), optionally `tar_type=GZIP`, with the SHA-1 of the original bill
//!   (decompressed, as WeChat Pay documents) and a `download_url` valid for 30 s; `GET v3/billdownload/file?token=…` then answers the file
//!   **unsigned** (authenticated request still required; unknown or expired tokens `404 RESOURCE_NOT_EXISTS`).
//!
//! Unknown paths answer 404, wrong methods 405.
//!
//! Payments: `POST v3/pay/transactions/{jsapi,app,h5,native}` (validated like WeChat Pay, idempotent per
//! `out_trade_no`), `GET v3/pay/transactions/out-trade-no/{out_trade_no}` and `…/id/{transaction_id}`,
//! `POST v3/pay/transactions/out-trade-no/{out_trade_no}/close`, `POST v3/refund/domestic/refunds`
//! (idempotent per `out_refund_no`) and `GET v3/refund/domestic/refunds/{out_refund_no}` (refunds settle
//! at once). [`Sandbox::pay`] pays an order and sends its `TRANSACTION.SUCCESS` notification. One
//! deviation: a `notify_url` may also be `http://` to `127.0.0.1`, `localhost` or `[::1]`, so that local
//! endpoints receive notifications. Every request with a body must be `application/json` (or
//! `multipart/form-data`), and a `mchid` in the JSON body or the query must be the signing merchant's
//! (400 `PARAM_ERROR` otherwise).
//!
//! `/_sandbox/…` is the sandbox's control plane, never a WeChat Pay path, and needs no `Authorization`:
//! `POST /_sandbox/pay/{out_trade_no}` does what [`Sandbox::pay`] does, for programs in other languages,
//! and answers `{"transaction_id": …, "notified": <status the notify endpoint answered> | null}` once
//! the delivery is over.
//!
//! # HTTPS and mutual TLS
//!
//! The port also speaks TLS ([`Sandbox::https_base_uri`]): each connection whose first byte is a TLS
//! handshake record is served with a self-signed certificate for `127.0.0.1` and `localhost` made at start
//! ([`Sandbox::tls_root_pem`], which [`Sandbox::merchant_builder`] and [`Sandbox::client_builder`] already
//! trust). The server asks for a client certificate without requiring one, checks the handshake
//! signature that proves possession of its key, and logs in [`LoggedRequest::client_cert`] whether it was
//! the merchant's (a certificate for the merchant's key), as APIv2 `security` endpoints (`secapi/…`)
//! require. The builders carry the merchant certificate when the sandbox made it (not with
//! [`SandboxBuilder::merchant_key`]; add `.merchant_tls_pem(apiclient_cert, key)` then).
//!
//! # Keys and sign modes
//!
//! The sandbox holds one WeChat Pay public key (`PUB_KEY_ID_…`) and one or more platform certificates;
//! [`SignMode`] decides which signs an answer. As with WeChat Pay, a request's `Wechatpay-Serial` header
//! picks the key when the mode allows it: [`SignMode::PublicKey`] always signs with the public key,
//! [`SignMode::Certificate`] with the named unexpired certificate or else the newest one,
//! [`SignMode::Mixed`] (a merchant migrating to the public key) with the named public key or
//! certificate or else the newest certificate. [`Sandbox::rotate_certificate`] adds a new platform
//! certificate that becomes the default while the older ones stay valid until they expire by the
//! sandbox clock ([`SandboxBuilder::clock`]); [`Sandbox::platform_certificates`] lists them.
//!
//! # Faults
//!
//! Faults can be injected per request with the `X-Sandbox-Fault` header (which the SDK never sends
//! by itself), comma-separated: `delay=MS`, `status=N[:CODE]`, `reset`, `truncate` (half the body, then
//! a broken connection), `corrupt` (one bit of the body flipped after signing), `bad-signature`,
//! `wrong-serial`, `stale-timestamp`, `no-signature`. The signature faults apply to the key the sign mode
//! chose; file downloads, being unsigned, take `truncate`, `corrupt`, `delay`, `reset` and `status`.
//!
//! ```
//! use serde_json::json;
//! use wechatpay_sandbox::Sandbox;
//!
//! let sandbox = Sandbox::start()?;
//! let client = sandbox.client_builder().build()?;
//! let res = client.chain("v3/facemch/users/{face_sid}").get(json!({
//!     "face_sid": "aabbccdd12345",
//!     "query": {"info_type": "ASK_UNIONID", "appid": "wx2b029c08a6233333", "sub_appid": "wx2b029c08a6255555"},
//! }))?;
//! assert!(res.json()?["sub_openid"].is_string());
//! assert_eq!(sandbox.requests().len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Notifications
//!
//! [`Sandbox::notification`] forges a notification (回调通知) as WeChat Pay sends it, for testing your
//! own notification handler: the resource encrypted under the APIv3 key, the body signed by a sandbox
//! key, optionally with one deliberate defect ([`Tamper`]). [`Sandbox::deliver`] POSTs it to a local URL.
//!
//! ```
//! use serde_json::json;
//! use wechatpay_chain::error::VerificationFailure;
//! use wechatpay_sandbox::{NotificationSpec, Sandbox, Tamper};
//!
//! let sandbox = Sandbox::start()?;
//! let client = sandbox.client_builder().build()?;
//! let spec = NotificationSpec::new(
//!     "TRANSACTION.SUCCESS",
//!     json!({"out_trade_no": "1217752501201407033233368018", "trade_state": "SUCCESS"}),
//! );
//! let forged = sandbox.notification(&spec)?;
//! let key_id = client.verifier().verify_signature(&forged.headers, &forged.body).expect("authentic");
//! assert_eq!(key_id, sandbox.keys().public_key_id());
//!
//! let late = sandbox.notification(&spec.clone().tamper(Tamper::Timestamp))?;
//! let failure = client.verifier().verify_signature(&late.headers, &late.body).expect_err("too old");
//! assert!(matches!(failure, VerificationFailure::ClockSkew { .. }));
//! // `sandbox.deliver("http://127.0.0.1:8080/notify", &forged)?` POSTs it to a local endpoint.
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The sandbox shares no signing or verification code with the client: it checks requests with
//! RustCrypto's `rsa` crate and its own message and header parsing.

mod api;
mod bills;
mod check;
mod error;
mod faults;
mod keys;
mod log;
mod media;
mod misc;
mod multipart;
mod notify;
mod pay;
mod process;
mod profitsharing;
mod raw;
mod realname;
mod route;
mod rules;
mod server;
mod state;
mod tls;
mod v2;
mod v2codec;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;

pub use api::{Sandbox, SandboxBuilder};
pub use error::Error;
pub use keys::SandboxKeys;
pub use notify::{ForgedNotification, NotificationSpec, Tamper};
pub use pay::Payment;
pub use process::{PROCESS_LOG_CAPACITY, Parsed, ProcessOptions, USAGE, json_line, run as run_process};
pub use raw::{RawAnswer, raw_request};
use state::State;
pub use v2::AUTH_CODE_USERPAYING;

/// The subject common name of the sandbox's platform certificates.
const PLATFORM_CN: &str = "Tenpay.com Root CA sandbox";

/// Which key the sandbox signs its answers with. Like WeChat Pay, the sandbox honours a request's
/// `Wechatpay-Serial` header when it names a key the mode allows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignMode {
    /// Always the WeChat Pay public key (`Wechatpay-Serial: PUB_KEY_ID_…`), as for merchants since late
    /// 2024. `GET /v3/certificates` answers 404: there are no platform certificates to download.
    #[default]
    PublicKey,
    /// A platform certificate key (`Wechatpay-Serial: <certificate serial>`): the unexpired certificate the
    /// request's `Wechatpay-Serial` names, otherwise the newest unexpired one.
    Certificate,
    /// A merchant migrating from platform certificates to the public key: the public key or the
    /// unexpired certificate the request's `Wechatpay-Serial` names, otherwise the newest unexpired
    /// certificate.
    Mixed,
}

/// How the sandbox judged a request before routing it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// The `Authorization` header verified and the required headers were present.
    Authenticated,
    /// Authentication failed; the answer was `401 SIGN_ERROR` (unsigned).
    Unauthenticated {
        /// Why.
        reason: String,
    },
    /// Authenticated but malformed (missing `Accept`/`User-Agent`, bad JSON, unknown fault); answered 400.
    Invalid {
        /// Why.
        reason: String,
    },
    /// A request to the sandbox's control plane (`/_sandbox/…`), which needs no authentication.
    Control,
}

/// One request as the sandbox saw it. The `Authorization` signature is redacted.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LoggedRequest {
    /// HTTP method.
    pub method: String,
    /// Path and query as received.
    pub target: String,
    /// Header names (lowercase) and values.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Bytes,
    /// The sandbox's judgement.
    pub verdict: Verdict,
    /// The status it answered with (0 when the connection was reset instead).
    pub status: u16,
    /// It came over TLS (`https://`, see [`Sandbox::https_base_uri`]).
    pub tls: bool,
    /// Its connection presented the merchant's TLS client certificate (mutual TLS, as APIv2 `security`
    /// endpoints require): a certificate for the merchant's key, whose possession the handshake proved.
    pub client_cert: bool,
}

impl LoggedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A [`SandboxBuilder::on_request`] callback.
pub type RequestHook = Arc<dyn Fn(&LoggedRequest) + Send + Sync>;

/// How many requests [`Sandbox::requests`] keeps unless [`SandboxBuilder::log_capacity`] says otherwise.
pub const DEFAULT_LOG_CAPACITY: usize = 10_000;

/// Longest `delay` drawn by random faults unless [`SandboxBuilder::random_fault_delay`] says otherwise.
pub const DEFAULT_RANDOM_FAULT_DELAY: Duration = Duration::from_millis(1500);

fn is_serial(id: &str) -> bool {
    (2..=40).contains(&id.len()) && id.len().is_multiple_of(2) && id.bytes().all(|b| b.is_ascii_hexdigit())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
