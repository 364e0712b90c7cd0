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

mod check;
mod error;
mod faults;
mod files;
mod keys;
mod notify;
mod pay;
mod process;
mod profitsharing;
mod raw;
mod realname;
mod routes;
mod tls;
mod v2;
mod v2codec;

pub use v2::AUTH_CODE_USERPAYING;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::TokioIo;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};

pub use keys::SandboxKeys;
pub use notify::{ForgedNotification, NotificationSpec, Tamper};
pub use pay::Payment;

pub use error::Error;
use keys::{KeyPair, random_alnum, random_serial};
pub use process::{Parsed, ProcessOptions, USAGE, json_line, run as run_process};
pub use raw::{RawAnswer, raw_request};
use routes::{Reply, Routes};
use tls::{Connection, TlsServer};
use wechatpay_chain::{ClientBuilder, Clock, SystemClock};

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

/// Configures a [`Sandbox`].
#[derive(Default)]
pub struct SandboxBuilder {
    port: u16,
    mchid: Option<String>,
    merchant: Option<(String, String)>,
    platform: Option<(String, String)>,
    public_key: Option<(String, String)>,
    mode: SignMode,
    clock: Option<Arc<dyn Clock>>,
    random_faults: Option<(f64, u64)>,
    random_fault_delay: Option<Duration>,
    on_request: Option<RequestHook>,
}

/// A [`SandboxBuilder::on_request`] callback.
pub type RequestHook = Arc<dyn Fn(&LoggedRequest) + Send + Sync>;

/// Longest `delay` drawn by random faults unless [`SandboxBuilder::random_fault_delay`] says otherwise.
pub const DEFAULT_RANDOM_FAULT_DELAY: Duration = Duration::from_millis(1500);

impl std::fmt::Debug for SandboxBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxBuilder").field("port", &self.port).field("mode", &self.mode).finish_non_exhaustive()
    }
}

impl SandboxBuilder {
    /// Listen on this port of `127.0.0.1` (default 0: an ephemeral port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The merchant id (default `1900000001`).
    pub fn mchid(mut self, mchid: impl Into<String>) -> Self {
        self.mchid = Some(mchid.into());
        self
    }

    /// Use this merchant key (PKCS#8 or PKCS#1 PEM) and certificate serial instead of generated ones.
    pub fn merchant_key(mut self, serial: impl Into<String>, private_key_pem: impl Into<String>) -> Self {
        self.merchant = Some((serial.into(), private_key_pem.into()));
        self
    }

    /// Use this key and serial for the first platform certificate (which signs certificate-mode answers)
    /// instead of generated ones. The sandbox makes the certificate itself, valid from one day before the
    /// sandbox clock's start for five years.
    pub fn platform_key(mut self, serial: impl Into<String>, private_key_pem: impl Into<String>) -> Self {
        self.platform = Some((serial.into(), private_key_pem.into()));
        self
    }

    /// Sign public-key-mode answers with this key and `PUB_KEY_ID_…` instead of generated ones.
    pub fn public_key(mut self, id: impl Into<String>, private_key_pem: impl Into<String>) -> Self {
        self.public_key = Some((id.into(), private_key_pem.into()));
        self
    }

    /// Which key signs the answers (default [`SignMode::PublicKey`]).
    pub fn sign_mode(mut self, mode: SignMode) -> Self {
        self.mode = mode;
        self
    }

    /// The sandbox's clock (default: the system clock), for the timestamp window and its signatures.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Injects faults into a share `rate` (0.0 to 1.0) of authenticated requests that carry no
    /// `X-Sandbox-Fault` header, chosen evenly among `status=500:SYSTEM_ERROR`,
    /// `status=429:FREQUENCY_LIMITED`, `reset`, `truncate`, `bad-signature`, `wrong-serial`,
    /// `stale-timestamp`, `no-signature` and a `delay` of up to [`DEFAULT_RANDOM_FAULT_DELAY`]. The choice
    /// comes from a generator seeded with `seed`: the same seed and request order give the same faults.
    pub fn random_faults(mut self, rate: f64, seed: u64) -> Self {
        self.random_faults = Some((rate, seed));
        self
    }

    /// The longest `delay` a random fault draws (default [`DEFAULT_RANDOM_FAULT_DELAY`]).
    pub fn random_fault_delay(mut self, max: Duration) -> Self {
        self.random_fault_delay = Some(max);
        self
    }

    /// Calls `hook` with every request as it is logged (on the sandbox's thread; keep it short). The
    /// `wechatpay-sandbox` binary prints them as JSON lines with it.
    pub fn on_request(mut self, hook: impl Fn(&LoggedRequest) + Send + Sync + 'static) -> Self {
        self.on_request = Some(Arc::new(hook));
        self
    }

    /// Generates what was not given and starts listening.
    pub fn start(self) -> Result<Sandbox, Error> {
        let fail = |e: String| Error::new(e);
        for (what, id) in [
            ("merchant serial", self.merchant.as_ref().map(|m| &m.0)),
            ("platform serial", self.platform.as_ref().map(|p| &p.0)),
        ] {
            if let Some(id) = id.filter(|id| !is_serial(id)) {
                return Err(fail(format!(
                    "the {what} `{id}` must be 2 to 40 hex digits (an even count), like WeChat Pay's"
                )));
            }
        }
        if let Some((id, _)) = self.public_key.as_ref().filter(|(id, _)| !id.bytes().all(|b| b.is_ascii_graphic())) {
            return Err(fail(format!("the public key id `{id}` must be printable ASCII without spaces")));
        }
        let random = match self.random_faults {
            Some((rate, seed)) => Some(
                faults::RandomFaults::new(rate, seed, self.random_fault_delay.unwrap_or(DEFAULT_RANDOM_FAULT_DELAY))
                    .map_err(fail)?,
            ),
            None => None,
        };
        let clock: Arc<dyn Clock> = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let now = clock.now();
        let mchid = self.mchid.unwrap_or_else(|| "1900000001".to_owned());

        let (merchant_serial, merchant, merchant_certificate_pem) = match self.merchant {
            Some((serial, pem)) => (serial, KeyPair::from_pem(&pem).map_err(fail)?, None),
            None => {
                let serial = random_serial().map_err(fail)?;
                let pair = KeyPair::generate().map_err(fail)?;
                let cert =
                    pair.merchant_certificate(&serial, &format!("{mchid} sandbox merchant"), now).map_err(fail)?;
                (serial, pair, Some(cert))
            }
        };
        let (platform_serial, platform) = match self.platform {
            Some((serial, pem)) => (serial, KeyPair::from_pem(&pem).map_err(fail)?),
            None => (random_serial().map_err(fail)?, KeyPair::generate().map_err(fail)?),
        };
        let first_platform = Platform::new(platform_serial.clone(), platform.clone(), now).map_err(fail)?;
        let platform_certificate_pem = first_platform.certificate_pem.clone();
        let (public_key_id, public_key) = match self.public_key {
            Some((id, pem)) => (id, KeyPair::from_pem(&pem).map_err(fail)?),
            None => {
                (format!("PUB_KEY_ID_01{}", &random_serial().map_err(fail)?[..30]), KeyPair::generate().map_err(fail)?)
            }
        };
        let keys = SandboxKeys {
            mchid,
            merchant_serial,
            merchant,
            merchant_certificate_pem,
            platform_serial,
            platform_certificate_pem,
            public_key_id,
            public_key,
            platform,
            apiv3_key: random_alnum(32),
            apiv2_key: random_alnum(32),
        };

        let public = SigningKey::new(keys.public_key_id.clone(), &keys.public_key).map_err(fail)?;
        let state = Arc::new(State {
            mchid: keys.mchid.clone(),
            merchant_serial: keys.merchant_serial.clone(),
            merchant_key: keys.merchant.private.to_public_key(),
            merchant_spki: keys.merchant.spki_der().map_err(fail)?,
            mode: self.mode,
            public,
            public_key_pair: keys.public_key.clone(),
            platforms: Mutex::new(vec![first_platform]),
            apiv3_key: keys.apiv3_key.clone(),
            apiv2_key: keys.apiv2_key.clone(),
            v2: Mutex::default(),
            clock,
            routes: Mutex::new(Routes::default()),
            pay: Mutex::default(),
            log: Mutex::new(Vec::new()),
            random,
            on_request: self.on_request,
            files: files::Files::default(),
        });
        lock(&state.routes).merchant_key = Some(state.merchant_key.clone());
        // Clients check the server certificate against their own clock, not the sandbox's.
        let tls = TlsServer::new(&keys::tls_server_key().map_err(fail)?, SystemClock.now()).map_err(fail)?;
        let tls_root_pem = tls.root_pem.clone();

        let listener = std::net::TcpListener::bind(("127.0.0.1", self.port))
            .map_err(|e| fail(format!("cannot listen on 127.0.0.1:{} ({e})", self.port)))?;
        listener.set_nonblocking(true).map_err(|e| fail(e.to_string()))?;
        let addr = listener.local_addr().map_err(|e| fail(e.to_string()))?;
        state.files.set_origin(addr);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server_state = Arc::clone(&state);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| fail(format!("the sandbox runtime could not start ({e})")))?;
        let thread = std::thread::Builder::new()
            .name(format!("wechatpay-sandbox-{}", addr.port()))
            .spawn(move || runtime.block_on(serve(listener, server_state, tls.acceptor, stopped)))
            .map_err(|e| fail(format!("the sandbox thread could not start ({e})")))?;
        Ok(Sandbox { addr, keys, state, tls_root_pem, stop: Some(stop), thread: Some(thread) })
    }
}

/// A running local WeChat Pay imitation. Stops (and frees its port) when dropped.
pub struct Sandbox {
    addr: SocketAddr,
    /// The keys at start; [`Sandbox::keys`] replaces the platform certificate with the newest.
    keys: SandboxKeys,
    state: Arc<State>,
    /// The self-signed certificate of the HTTPS side.
    tls_root_pem: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("addr", &self.addr).field("keys", &self.keys()).finish()
    }
}

impl Sandbox {
    /// Starts a sandbox on an ephemeral port with generated keys, signing in public-key mode.
    pub fn start() -> Result<Sandbox, Error> {
        SandboxBuilder::default().start()
    }

    /// Configures a sandbox.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>/`.
    pub fn base_uri(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// `https://127.0.0.1:<port>/`: the same port speaks TLS too, with the certificate of
    /// [`tls_root_pem`](Sandbox::tls_root_pem), and asks clients for a certificate without requiring one
    /// (mutual TLS; [`LoggedRequest::client_cert`] says whether the merchant's was presented).
    pub fn https_base_uri(&self) -> String {
        format!("https://{}/", self.addr)
    }

    /// The sandbox's self-signed TLS server certificate (PEM, for `127.0.0.1` and `localhost`), made at
    /// start: what a client must trust to reach [`https_base_uri`](Sandbox::https_base_uri), with
    /// [`ClientBuilder::root_certificate`].
    pub fn tls_root_pem(&self) -> &str {
        &self.tls_root_pem
    }

    /// The merchant id the sandbox accepts (`1900000001` unless the builder set another).
    pub fn mchid(&self) -> &str {
        &self.keys.mchid
    }

    /// A snapshot of the sandbox's identities and keys; the platform certificate in it is the newest
    /// one (latest `notBefore`), so a snapshot taken after [`rotate_certificate`](Self::rotate_certificate)
    /// shows the new certificate.
    pub fn keys(&self) -> SandboxKeys {
        let mut keys = self.keys.clone();
        let platforms = lock(&self.state.platforms);
        if let Some(newest) = newest_first(&platforms, None).first() {
            keys.platform_serial.clone_from(&newest.serial);
            keys.platform.clone_from(&newest.pair);
            keys.platform_certificate_pem.clone_from(&newest.certificate_pem);
        }
        keys
    }

    /// A client builder for this sandbox: [`merchant_builder`](Sandbox::merchant_builder) plus the newest
    /// platform certificate and the WeChat Pay public key (so every sign mode verifies by default), and
    /// the APIv3 key (for notifications; with a public key configured, certificates are not downloaded).
    pub fn client_builder(&self) -> ClientBuilder {
        let keys = self.keys();
        self.merchant_builder()
            .cert(keys.platform_serial, keys.platform_certificate_pem)
            .public_key(keys.public_key_id, keys.public_key.public_pem)
            .apiv3_key(keys.apiv3_key)
    }

    /// A client builder with the merchant's identity only (merchant id, certificate serial, private key,
    /// APIv2 key;
    /// the merchant TLS certificate for mutual TLS when the sandbox made it) and this sandbox's base URI
    /// (plain HTTP; the builder trusts [`tls_root_pem`](Sandbox::tls_root_pem) too, so
    /// `.base_uri(sandbox.https_base_uri())` switches to HTTPS): add the trust configuration to test, e.g.
    /// `.apiv3_key(sandbox.keys().apiv3_key())` for automatic certificates.
    pub fn merchant_builder(&self) -> ClientBuilder {
        let keys = self.keys();
        let mut builder = ClientBuilder::default()
            .mchid(keys.mchid)
            .serial(keys.merchant_serial)
            .private_key(keys.merchant.private_pem.clone())
            .apiv2_key(keys.apiv2_key)
            .base_uri(self.base_uri())
            .root_certificate(self.tls_root_pem.clone());
        if let Some(cert) = keys.merchant_certificate_pem {
            builder = builder.merchant_tls_pem(cert, keys.merchant.private_pem);
        }
        builder
    }

    /// Rotates the platform certificate as WeChat Pay does: generates a new platform key and a
    /// self-signed certificate with a new random serial, valid from one day before the sandbox clock's
    /// now for five years, and returns its serial. From then on answers are signed with it unless a
    /// request asks for another key with `Wechatpay-Serial`; the older certificates stay in use (and in
    /// `GET /v3/certificates`) until they expire by the sandbox clock.
    pub fn rotate_certificate(&self) -> Result<String, Error> {
        let fail = |e: String| Error::new(e);
        let now = self.state.clock.now();
        let serial = random_serial().map_err(fail)?;
        let platform = Platform::new(serial.clone(), KeyPair::generate().map_err(fail)?, now).map_err(fail)?;
        lock(&self.state.platforms).push(platform);
        Ok(serial)
    }

    /// The platform certificates unexpired by the sandbox clock as `(serial, PEM)`, newest first: what
    /// `GET /v3/certificates` lists (in certificate and mixed mode).
    pub fn platform_certificates(&self) -> Vec<(String, String)> {
        let now = self.state.clock.now();
        let platforms = lock(&self.state.platforms);
        newest_first(&platforms, Some(now)).into_iter().map(|p| (p.serial.clone(), p.certificate_pem.clone())).collect()
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.state.log).clone()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn is_serial(id: &str) -> bool {
    (2..=40).contains(&id.len()) && id.len().is_multiple_of(2) && id.bytes().all(|b| b.is_ascii_hexdigit())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

struct State {
    mchid: String,
    merchant_serial: String,
    merchant_key: rsa::PublicKey,
    /// The merchant's SubjectPublicKeyInfo DER: a TLS client certificate carrying it is the merchant's.
    merchant_spki: Vec<u8>,
    mode: SignMode,
    /// The WeChat Pay public key.
    public: SigningKey,
    /// The WeChat Pay public key's pair (its private key decrypts sensitive fields sent to it).
    public_key_pair: KeyPair,
    /// Every platform certificate ever held, in the order added (expired ones included).
    platforms: Mutex<Vec<Platform>>,
    apiv3_key: String,
    /// The APIv2 key and the APIv2 slice's orders.
    apiv2_key: String,
    v2: Mutex<v2::Ledger>,
    clock: Arc<dyn Clock>,
    routes: Mutex<Routes>,
    /// Orders and refunds.
    pay: Mutex<pay::Ledger>,
    log: Mutex<Vec<LoggedRequest>>,
    random: Option<faults::RandomFaults>,
    on_request: Option<RequestHook>,
    /// Media uploads and bill downloads.
    files: files::Files,
}

impl State {
    /// Appends to the request log and tells the hook.
    fn record(&self, entry: LoggedRequest) {
        if let Some(hook) = &self.on_request {
            hook(&entry);
        }
        lock(&self.log).push(entry);
    }

    /// The key an answer is signed with, given the request's `Wechatpay-Serial` (see [`SignMode`]).
    fn response_key(&self, requested: Option<&str>, now: i64) -> SigningKey {
        if self.mode == SignMode::PublicKey || (self.mode == SignMode::Mixed && requested == Some(&self.public.id)) {
            return self.public.clone();
        }
        let platforms = lock(&self.platforms);
        let live = newest_first(&platforms, Some(now));
        requested
            .and_then(|id| live.iter().find(|p| p.serial == id))
            .or(live.first())
            // With every certificate expired, the newest expired one still signs.
            .or(newest_first(&platforms, None).first())
            .map_or_else(|| self.public.clone(), |p| p.key.clone())
    }

    /// The public key or any platform certificate key (expired ones included) with this id.
    fn key_by_id(&self, id: &str) -> Option<SigningKey> {
        if id == self.public.id {
            return Some(self.public.clone());
        }
        lock(&self.platforms).iter().find(|p| p.serial == id).map(|p| p.key.clone())
    }

    /// The ids of every key the sandbox holds: the public key id, then certificate serials, newest first.
    fn key_ids(&self) -> Vec<String> {
        let platforms = lock(&self.platforms);
        std::iter::once(self.public.id.clone())
            .chain(newest_first(&platforms, None).into_iter().map(|p| p.serial.clone()))
            .collect()
    }
}

/// A key that signs answers and notifications, with the id it is announced under in `Wechatpay-Serial`.
#[derive(Clone)]
struct SigningKey {
    id: String,
    pair: Arc<RsaKeyPair>,
}

impl SigningKey {
    fn new(id: String, pair: &KeyPair) -> Result<SigningKey, String> {
        let pair = RsaKeyPair::from_pkcs8(&pair.pkcs8_der)
            .map_err(|e| format!("the sandbox signing key `{id}` was rejected: {e}"))?;
        Ok(SigningKey { id, pair: Arc::new(pair) })
    }
}

/// A platform certificate and its key.
struct Platform {
    serial: String,
    key: SigningKey,
    pair: KeyPair,
    certificate_pem: String,
    not_before: i64,
    not_after: i64,
}

impl Platform {
    /// A self-signed certificate for `pair` made at `now` (valid from `now` − 1 day for five years).
    fn new(serial: String, pair: KeyPair, now: i64) -> Result<Platform, String> {
        let certificate_pem = pair.certificate(&serial, PLATFORM_CN, now)?;
        let (not_before, not_after) = keys::validity(now);
        let key = SigningKey::new(serial.clone(), &pair)?;
        Ok(Platform { serial, key, pair, certificate_pem, not_before, not_after })
    }
}

/// The platform certificates unexpired at `now` (all when `None`), newest first: latest `notBefore`,
/// and among equal ones the later added.
fn newest_first(platforms: &[Platform], now: Option<i64>) -> Vec<&Platform> {
    let mut list: Vec<(usize, &Platform)> =
        platforms.iter().enumerate().filter(|(_, p)| now.is_none_or(|now| now <= p.not_after)).collect();
    list.sort_by(|(ia, a), (ib, b)| (b.not_before, ib).cmp(&(a.not_before, ia)));
    list.into_iter().map(|(_, p)| p).collect()
}

/// `GET /v3/certificates`: the unexpired platform certificates, each encrypted with the APIv3 key; 404 in
/// public-key mode, as WeChat Pay answers merchants without platform certificates.
fn certificates(state: &State, now: i64) -> Reply {
    if state.mode == SignMode::PublicKey {
        return Reply::error(404, "RESOURCE_NOT_EXISTS", "无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥");
    }
    let platforms = lock(&state.platforms);
    let mut data = Vec::new();
    for p in newest_first(&platforms, Some(now)) {
        let nonce = random_alnum(12);
        let sealed = match notify::seal(&state.apiv3_key, &nonce, "certificate", p.certificate_pem.as_bytes()) {
            Ok(sealed) => sealed,
            Err(e) => return Reply::error(500, "SYSTEM_ERROR", format!("sandbox: {e}")),
        };
        data.push(serde_json::json!({
            "serial_no": p.serial,
            "effective_time": notify::rfc3339_cst(p.not_before),
            "expire_time": notify::rfc3339_cst(p.not_after),
            "encrypt_certificate": {
                "algorithm": "AEAD_AES_256_GCM",
                "nonce": nonce,
                "associated_data": "certificate",
                "ciphertext": STANDARD.encode(&sealed),
            },
        }));
    }
    Reply::ok(serde_json::json!({ "data": data }))
}

/// RSASSA-PKCS1-v1_5/SHA-256 over `TIMESTAMP\nNONCE\nBODY\n`, as WeChat Pay signs answers and notifications.
fn sign_message(key: &RsaKeyPair, timestamp: &str, nonce: &str, body: &[u8]) -> Result<Vec<u8>, String> {
    let mut message = Vec::with_capacity(timestamp.len() + nonce.len() + body.len() + 3);
    for piece in [timestamp.as_bytes(), nonce.as_bytes(), body] {
        message.extend_from_slice(piece);
        message.push(b'\n');
    }
    let mut signature = vec![0u8; key.public().modulus_len()];
    key.sign(&RSA_PKCS1_SHA256, &ring::rand::SystemRandom::new(), &message, &mut signature)
        .map_err(|_| "RSA signing failed".to_owned())?;
    Ok(signature)
}

async fn serve(
    listener: std::net::TcpListener,
    state: Arc<State>,
    tls: tokio_rustls::TlsAcceptor,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
    loop {
        let accepted = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else { continue };
        let state = Arc::clone(&state);
        let tls = tls.clone();
        tokio::spawn(async move {
            // A TLS connection starts with a handshake record (content type 22); HTTP/1 with a method name.
            let mut first = [0u8; 1];
            if matches!(stream.peek(&mut first).await, Ok(1)) && first[0] == 0x16 {
                let Ok(stream) = tls.accept(stream).await else { return };
                let merchant_cert = tls::is_merchant(stream.get_ref().1.peer_certificates(), &state.merchant_spki);
                serve_connection(TokioIo::new(stream), state, Connection { tls: true, merchant_cert }).await;
            } else {
                serve_connection(TokioIo::new(stream), state, Connection::default()).await;
            }
        });
    }
}

/// Serves HTTP/1 on one accepted (and, for TLS, handshaken) connection.
async fn serve_connection<I>(io: I, state: Arc<State>, connection: Connection)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request| handle(Arc::clone(&state), connection, request));
    let _ = hyper::server::conn::http1::Builder::new().keep_alive(true).serve_connection(io, service).await;
}

type Body = BoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

#[derive(Default)]
struct Faults {
    delay: Option<Duration>,
    status: Option<(u16, Option<String>)>,
    reset: bool,
    truncate: bool,
    bad_signature: bool,
    wrong_serial: bool,
    stale_timestamp: bool,
    no_signature: bool,
    corrupt: bool,
}

fn parse_faults(value: Option<&str>) -> Result<Faults, String> {
    let mut f = Faults::default();
    for item in value.unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match item.split_once('=') {
            Some(("delay", ms)) => {
                f.delay = Some(Duration::from_millis(ms.parse().map_err(|_| format!("bad delay `{ms}`"))?));
            }
            Some(("status", spec)) => {
                let (code, name) = match spec.split_once(':') {
                    Some((c, n)) => (c, Some(n.to_owned())),
                    None => (spec, None),
                };
                let code: u16 =
                    code.parse().ok().filter(|c| (100..600).contains(c)).ok_or(format!("bad status `{spec}`"))?;
                f.status = Some((code, name));
            }
            None if item == "reset" => f.reset = true,
            None if item == "truncate" => f.truncate = true,
            None if item == "bad-signature" => f.bad_signature = true,
            None if item == "wrong-serial" => f.wrong_serial = true,
            None if item == "stale-timestamp" => f.stale_timestamp = true,
            None if item == "no-signature" => f.no_signature = true,
            None if item == "corrupt" => f.corrupt = true,
            _ => return Err(format!("unknown sandbox fault `{item}`")),
        }
    }
    Ok(f)
}

fn default_code(status: u16) -> &'static str {
    match status {
        400 => "PARAM_ERROR",
        401 => "SIGN_ERROR",
        403 => "NO_AUTH",
        404 => "RESOURCE_NOT_EXISTS",
        429 => "FREQUENCY_LIMITED",
        500 => "SYSTEM_ERROR",
        _ => "SANDBOX_FAULT",
    }
}

/// Answers one request; `connection` says whether it came over TLS and with the merchant's certificate
/// (what APIv2 `security` endpoints check).
async fn handle(
    state: Arc<State>,
    connection: Connection,
    request: Request<Incoming>,
) -> Result<Response<Body>, std::io::Error> {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return Err(std::io::Error::other(e)),
    };
    let method = parts.method.as_str().to_owned();
    let target = parts.uri.path_and_query().map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let logged_headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(n, v)| {
            let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
            let value = if n == http::header::AUTHORIZATION { redact_signature(&value) } else { value };
            (n.as_str().to_owned(), value)
        })
        .collect();
    let mut entry = LoggedRequest {
        method: method.clone(),
        target: target.clone(),
        headers: logged_headers,
        body: body.clone(),
        verdict: Verdict::Authenticated,
        status: 0,
        tls: connection.tls,
        client_cert: connection.merchant_cert,
    };
    let now = state.clock.now();
    let key = state.response_key(header("wechatpay-serial"), now);
    if parts.uri.path().starts_with("/_sandbox/") {
        let outcome = pay::control(&state, &method, parts.uri.path(), now).await;
        (entry.verdict, entry.status) = (Verdict::Control, outcome.status);
        lock(&state.log).push(entry);
        return Ok(reply(&key, outcome.status, outcome.body, &Faults::default(), now));
    }

    if v2::claims(parts.uri.path(), header("content-type"), header("authorization").is_some()) {
        return serve_v2(&state, &connection, entry, parts.uri.path(), header("x-sandbox-fault"), &body, now).await;
    }

    // Multipart uploads are signed over their `meta` part, everything else over the body.
    let checked = files::signed_body(header("content-type"), &body).and_then(|signed_body| {
        let signed = check::Signed { method: &method, target: &target, body: signed_body };
        check::check(header("authorization"), &signed, &state.mchid, &state.merchant_serial, &state.merchant_key, now)
    });
    if let Err(reason) = checked {
        entry.verdict = Verdict::Unauthenticated { reason: reason.clone() };
        entry.status = 401;
        state.record(entry);
        let body = serde_json::json!({"code": "SIGN_ERROR", "message": reason});
        return Ok(reply(&key, 401, Some(body), &Faults { no_signature: true, ..Faults::default() }, now));
    }

    let faults = match (header("x-sandbox-fault"), &state.random) {
        (None, Some(random)) => Ok(random.draw()),
        (given, _) => parse_faults(given),
    };
    let invalid = if header("accept").is_none() {
        Some("HTTP头缺少Accept (the Accept header is required)".to_owned())
    } else if header("user-agent").is_none() {
        Some("HTTP头缺少User-Agent (the User-Agent header is required)".to_owned())
    } else if !body.is_empty()
        && header("content-type").is_some_and(|ct| ct.starts_with("application/json"))
        && serde_json::from_slice::<serde_json::Value>(&body).is_err()
    {
        Some("请求体不是合法的JSON (the body is not valid JSON)".to_owned())
    } else {
        faults.as_ref().err().cloned()
    };
    let faults = faults.unwrap_or_default();
    if let Some(reason) = invalid {
        entry.verdict = Verdict::Invalid { reason: reason.clone() };
        entry.status = 400;
        state.record(entry);
        return Ok(reply(&key, 400, Some(serde_json::json!({"code": "PARAM_ERROR", "message": reason})), &faults, now));
    }

    let mut file = None;
    let outcome = match &faults.status {
        Some((status, code)) => Reply::error(
            *status,
            code.as_deref().unwrap_or(default_code(*status)),
            format!("sandbox fault: status {status}"),
        ),
        None => {
            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
            let content_type = header("content-type");
            // The request rules and payments first, then media and bills, then the other endpoints.
            let request = files::Incoming { method: &method, path, query, content_type, body: &body };
            let sensitive = || profitsharing::route(&state, &method, path, header("wechatpay-serial"), &body);
            match pay::handle(&state, content_type, &method, path, query, &body, now).or_else(sensitive) {
                Some(outcome) => outcome,
                None => match files::route(&state, &request, now) {
                    Some(files::Answer::Json(reply)) => reply,
                    Some(files::Answer::File(f)) => {
                        file = Some(f);
                        Reply::empty(200)
                    }
                    None => lock(&state.routes)
                        .handle(&state.mchid, &method, path, query, &body, || certificates(&state, now)),
                },
            }
        }
    };
    // Logged before any delay: the endpoint has acted, even if the client gives up waiting.
    entry.status = if faults.reset { 0 } else { outcome.status };
    state.record(entry);
    if let Some(delay) = faults.delay {
        tokio::time::sleep(delay).await;
    }
    if faults.reset {
        return Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "sandbox fault: reset"));
    }
    if let Some(file) = file {
        // Downloads are unsigned, so only the body faults apply.
        let mut bytes = file.bytes.to_vec();
        if faults.corrupt {
            corrupt(&mut bytes);
        }
        let bytes = Bytes::from(bytes);
        let mut response = files::unsigned(file.content_type, bytes.clone());
        if faults.truncate {
            truncate(&mut response, &bytes);
        }
        return Ok(response);
    }
    Ok(reply(&key, outcome.status, outcome.body, &faults, now))
}

/// The APIv2 slice: XML in, XML out. Of the faults, `delay`, `status`, `reset` and `bad-signature` (a
/// changed `sign` in the answer) apply.
async fn serve_v2(
    state: &State,
    connection: &Connection,
    mut entry: LoggedRequest,
    path: &str,
    fault: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<Response<Body>, std::io::Error> {
    let faults = parse_faults(fault).unwrap_or_default();
    let request = v2::Incoming { path, body, merchant_certificate: connection.merchant_cert };
    let mut answer = match faults.status {
        Some((status, _)) => v2::Answer {
            status,
            body: format!(
                "<xml><return_code>FAIL</return_code><return_msg>sandbox fault: status {status}</return_msg></xml>"
            ),
            refused: Some(format!("sandbox fault: status {status}")),
        },
        None => v2::handle(&state.v2, &state.mchid, &state.apiv2_key, &request, now),
    };
    if faults.bad_signature {
        answer.body = v2::tamper_sign(&answer.body);
    }
    (entry.verdict, entry.status) = match answer.refused {
        Some(reason) => (Verdict::Invalid { reason }, if faults.reset { 0 } else { answer.status }),
        None => (Verdict::Authenticated, if faults.reset { 0 } else { answer.status }),
    };
    state.record(entry);
    if let Some(delay) = faults.delay {
        tokio::time::sleep(delay).await;
    }
    if faults.reset {
        return Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "sandbox fault: reset"));
    }
    let mut response = Response::new(Full::new(Bytes::from(answer.body)).map_err(|e| match e {}).boxed());
    *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert("server", HeaderValue::from_static("wechatpay-chain-sandbox"));
    headers.insert("content-type", HeaderValue::from_static("text/xml; charset=utf-8"));
    Ok(response)
}

fn redact_signature(authorization: &str) -> String {
    match authorization.find("signature=\"") {
        Some(i) => format!("{}signature=\"<redacted>\"", &authorization[..i]),
        None => authorization.to_owned(),
    }
}

/// Flips one bit in the middle of `bytes` (the `corrupt` fault).
fn corrupt(bytes: &mut [u8]) {
    let middle = bytes.len() / 2;
    if let Some(b) = bytes.get_mut(middle) {
        *b ^= 0x01;
    }
}

/// Sends the first half of `body`, gives it time to reach the client, then breaks the connection (the
/// `truncate` fault). `Content-Length` announces the whole body.
fn truncate(response: &mut Response<Body>, body: &Bytes) {
    if body.len() < 2 {
        return;
    }
    let half = body.slice(..body.len() / 2);
    response.headers_mut().insert("content-length", HeaderValue::from(body.len()));
    let frames = futures::stream::unfold(0u8, move |step| {
        let half = half.clone();
        async move {
            let frame: Result<Frame<Bytes>, Box<dyn std::error::Error + Send + Sync>> = match step {
                0 => Ok(Frame::data(half)),
                1 => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Err("sandbox fault: truncate".into())
                }
                _ => return None,
            };
            Some((frame, step + 1))
        }
    });
    *response.body_mut() = StreamBody::new(frames).boxed();
}

fn reply(key: &SigningKey, status: u16, json: Option<serde_json::Value>, faults: &Faults, now: i64) -> Response<Body> {
    let body = json.map(|v| Bytes::from(v.to_string())).unwrap_or_default();
    let mut response = Response::new(Full::new(body.clone()).map_err(|e| match e {}).boxed());
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert("server", HeaderValue::from_static("wechatpay-chain-sandbox"));
    if !body.is_empty() {
        headers.insert("content-type", HeaderValue::from_static("application/json; charset=utf-8"));
    }
    let request_id = format!("{}-0", random_alnum(40).to_ascii_uppercase());
    if let Ok(v) = HeaderValue::try_from(request_id) {
        headers.insert("request-id", v);
    }
    if !faults.no_signature {
        let timestamp = if faults.stale_timestamp { now - 600 } else { now }.to_string();
        let nonce = random_alnum(32);
        let mut signature = sign_message(&key.pair, &timestamp, &nonce, &body).unwrap_or_default();
        if faults.bad_signature {
            if let Some(b) = signature.get_mut(10) {
                *b ^= 0x55;
            }
        }
        let serial = if faults.wrong_serial { random_serial().unwrap_or_default() } else { key.id.clone() };
        for (name, value) in [
            ("wechatpay-timestamp", timestamp),
            ("wechatpay-nonce", nonce),
            ("wechatpay-serial", serial),
            ("wechatpay-signature", STANDARD.encode(&signature)),
            // As WeChat Pay: every signed answer names its algorithm (clients such as Python's
            // wechatpayv3 refuse an answer without it).
            ("wechatpay-signature-type", "WECHATPAY2-SHA256-RSA2048".to_owned()),
        ] {
            if let Ok(v) = HeaderValue::try_from(value) {
                headers.insert(name, v);
            }
        }
    }
    if faults.corrupt {
        let mut bytes = body.to_vec();
        corrupt(&mut bytes);
        *response.body_mut() = Full::new(Bytes::from(bytes)).map_err(|e| match e {}).boxed();
    }
    if faults.truncate {
        truncate(&mut response, &body);
    }
    response
}
