//! The client, its builder, and the clock it signs and verifies with.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::header::AUTHORIZATION;
use http::{HeaderValue, Request};
use http_body_util::{BodyExt, Full, Limited};

use bytes::Bytes;
use futures::FutureExt;
use http::{HeaderMap, Method};

use crate::auth::{self, KeyStore, PUBLIC_KEY_ID_PREFIX, RsaSigner, Signer, TrustEvent, TrustListener, Verifier};
use crate::certificates::{
    self, DEFAULT_REFRESH_INTERVAL, DownloadedCertificate, MAX_REFRESH_INTERVAL, MIN_REFRESH_INTERVAL, Outcome,
    RETRY_AFTER_FAILURE, Reason, Refresher,
};
use crate::chain::{Chain, ResponseFuture};
use crate::crypto::{ApiV3Key, PrivateKey, PublicKey};
use crate::download::{DEFAULT_DOWNLOAD_TIMEOUT, DigestCheck, Download, DownloadDefaults, HashType};
use crate::error::{
    ApiError, CertificateError, CertificateErrorKind, Error, InputErrorKind, NotificationError, NotificationErrorKind,
    Sent, TimeoutError, VerificationError, VerificationFailure,
};
use crate::notify::{self, Notification};
use crate::request::{Api, BaseUri, Options, PreparedRequest};
use crate::response::{Response, Verification};
use crate::tls::{self, MerchantTls};
use crate::transport::{self, Received, Security, Transport};
use crate::v2::ApiV2Key;

/// The default base URI.
pub const DEFAULT_BASE_URI: &str = "https://api.mch.weixin.qq.com/";
/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default total time limit of a call (connect, send, wait, read).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default cap on a buffered response body.
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 16 * 1024 * 1024;

/// The time source for request timestamps and the response clock check, in Unix seconds.
///
/// [`SystemClock`] is the default; any `Fn() -> i64` is a clock too, which tests use to pin time:
///
/// ```
/// use wechatpay_chain::Clock;
/// let fixed = || 1795562040_i64;
/// assert_eq!(fixed.now(), 1795562040);
/// ```
pub trait Clock: Send + Sync + 'static {
    /// Seconds since the Unix epoch.
    fn now(&self) -> i64;
}

/// The operating system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        // A clock before 1970 yields 0, which then fails the response clock check with a clear message.
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }
}

impl<F: Fn() -> i64 + Send + Sync + 'static> Clock for F {
    fn now(&self) -> i64 {
        self()
    }
}

/// A WeChat Pay APIv3 client: cheap to clone (shared state), safe to use from many threads.
///
/// ```no_run
/// use serde_json::json;
/// use wechatpay_chain::Client;
///
/// let client = Client::builder()
///     .mchid("1900000001")
///     .serial("1946DD7BDF37823B2192F1DB21574B1D465D9A21")
///     .private_key("file:///path/to/apiclient_key.pem")
///     .cert("PUB_KEY_ID_0112345678202411240000000000000000", "file:///path/to/pub_key.pem")
///     .build()?;
/// let res = client.v3().facemch().users().param("face_sid").get(json!({
///     "face_sid": "aabbccdd12345",
///     "query": {"info_type": "ASK_UNIONID", "appid": "wx2b029c08a6233333"},
/// }))?;
/// println!("{}", res.json()?);
/// # Ok::<(), wechatpay_chain::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    mchid: String,
    serial: String,
    signer: Arc<dyn Signer>,
    verifier: Verifier,
    base: BaseUri,
    user_agent: HeaderValue,
    transport: Transport,
    clock: Arc<dyn Clock>,
    certificates: Option<Certificates>,
    apiv2_key: Option<ApiV2Key>,
    downloads: DownloadDefaults,
}

/// The APIv3 key and, with it, certificate downloads.
struct Certificates {
    key: ApiV3Key,
    refresher: Refresher,
    /// Automatic mode: background refresh, download before a call without keys, download on unknown serial.
    automatic: bool,
    interval: Duration,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("mchid", &self.inner.mchid)
            .field("serial", &self.inner.serial)
            .field("base_uri", &self.inner.base.as_string())
            .field("keys", &self.inner.verifier.keys().ids())
            .field("automatic_certificates", &self.inner.automatic())
            .field("merchant_tls", &self.inner.transport.has_merchant_identity())
            .field("signer", &"<redacted>")
            .finish()
    }
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Starts a chain from a path template, like PHP's `$instance->chain('v3/…/{x}')`:
    /// `{x}`, `<x>` and whole `_x_` segments are placeholders, and the template may be an absolute
    /// `https://` URL (for another host) or start with `/` (ignoring the base URI's path prefix).
    pub fn chain(&self, template: &str) -> Chain {
        self.root().seg(template)
    }

    pub(crate) fn root(&self) -> Chain {
        Chain::root(self.clone())
    }

    /// The merchant id.
    pub fn mchid(&self) -> &str {
        &self.inner.mchid
    }

    /// The merchant API certificate serial used in `Authorization`.
    pub fn serial(&self) -> &str {
        &self.inner.serial
    }

    /// The base URI requests are resolved against.
    pub fn base_uri_string(&self) -> String {
        self.inner.base.as_string()
    }

    pub(crate) fn base_uri(&self) -> &BaseUri {
        &self.inner.base
    }

    /// The APIv2 key, when configured.
    pub(crate) fn apiv2_key(&self) -> Option<&ApiV2Key> {
        self.inner.apiv2_key.as_ref()
    }

    pub(crate) fn user_agent(&self) -> &HeaderValue {
        &self.inner.user_agent
    }

    /// The key store that verifies WeChat Pay's signatures (shared: changes apply to in-flight calls).
    pub fn keys(&self) -> &KeyStore {
        self.inner.verifier.keys()
    }

    /// The response verifier (for checking captured responses).
    pub fn verifier(&self) -> &Verifier {
        &self.inner.verifier
    }

    /// The `Authorization` value this client would send for `request` at `timestamp` with `nonce`.
    pub fn authorization(&self, request: &PreparedRequest, timestamp: i64, nonce: &str) -> Result<String, Error> {
        self.inner.authorization(request, timestamp, nonce)
    }

    /// Downloads the platform certificates (`GET v3/certificates`), decrypts them with the APIv3 key,
    /// checks each one and the download's signature, and returns them **without** installing them
    /// (what PHP's `CertificateDownloader` does; see `examples/download_certificates.rs`).
    pub fn download_certificates(&self) -> Result<Vec<DownloadedCertificate>, Error> {
        transport::block_on(download(Arc::clone(&self.inner)))
    }

    /// [`download_certificates`](Client::download_certificates), async.
    pub async fn download_certificates_async(&self) -> Result<Vec<DownloadedCertificate>, Error> {
        transport::joined(transport::spawn(download(Arc::clone(&self.inner)))?.await)
    }

    /// Downloads the platform certificates now and installs the valid ones into the key store
    /// (dropping expired ones), returning those installed. Joins a download already in flight.
    /// Needs an APIv3 key; works in any mode.
    pub fn refresh_certificates(&self) -> Result<Vec<DownloadedCertificate>, Error> {
        transport::block_on(refresh_owned(Arc::clone(&self.inner)))
    }

    /// [`refresh_certificates`](Client::refresh_certificates), async.
    pub async fn refresh_certificates_async(&self) -> Result<Vec<DownloadedCertificate>, Error> {
        transport::joined(transport::spawn(refresh_owned(Arc::clone(&self.inner)))?.await)
    }

    /// Verifies and decrypts a notification (回调通知) from WeChat Pay: pass the request's headers and
    /// its **raw** body bytes, exactly as received (a re-serialized body does not verify).
    ///
    /// The signature is checked with the same key store as responses, within the ±300 s window (always;
    /// there is no switch), then `resource` is decrypted with the APIv3 key. WeChat Pay's signature
    /// probes are rejected with [`NotificationErrorKind::SignatureProbe`]. On error, answer WeChat Pay
    /// with [`NotificationError::http_status`] (see `examples/notify_axum.rs`).
    ///
    /// ```
    /// use serde_json::json;
    /// use wechatpay_chain::sandbox::{NotificationSpec, Sandbox};
    ///
    /// let sandbox = Sandbox::start()?;
    /// let client = sandbox.client_builder().build()?;
    /// let forged = sandbox.notification(&NotificationSpec::new(
    ///     "TRANSACTION.SUCCESS",
    ///     json!({"out_trade_no": "1217752501201407033233368018", "trade_state": "SUCCESS"}),
    /// ))?;
    /// let notification = client.notification(&forged.headers, &forged.body)?;
    /// assert_eq!(notification.event_type(), "TRANSACTION.SUCCESS");
    /// assert_eq!(notification.resource()["trade_state"], "SUCCESS");
    /// # Ok::<(), wechatpay_chain::Error>(())
    /// ```
    pub fn notification(&self, headers: &HeaderMap, body: &[u8]) -> Result<Notification, Error> {
        // Verification and decryption run right here; only a certificate download goes to the runtime.
        let verified = notify::precheck(headers, body).map(|()| self.inner.verifier.verify_signature(headers, body))?;
        if !self.inner.wants_download(&verified) {
            return self.inner.open_notification(verified, body);
        }
        let (headers, body) = (headers.clone(), Bytes::copy_from_slice(body));
        transport::block_on(receive(Arc::clone(&self.inner), headers, body))
    }

    /// [`notification`](Client::notification), async (runs on any executor).
    pub async fn notification_async(&self, headers: &HeaderMap, body: &[u8]) -> Result<Notification, Error> {
        let verified = notify::precheck(headers, body).map(|()| self.inner.verifier.verify_signature(headers, body))?;
        if !self.inner.wants_download(&verified) {
            return self.inner.open_notification(verified, body);
        }
        let (headers, body) = (headers.clone(), Bytes::copy_from_slice(body));
        transport::joined(transport::spawn(receive(Arc::clone(&self.inner), headers, body))?.await)
    }

    /// Checks an APIv2 notification (支付结果通知 and the other signed APIv2 callbacks) from the raw
    /// body: XML, `return_code` `SUCCESS`, and a `sign` that verifies with the APIv2 key. Returns every
    /// field. `result_code` is left to the caller: `FAIL` is a genuine report of a failed payment.
    /// Answer WeChat Pay with [`v2::notify::success_reply`](crate::v2::notify::success_reply), or on an
    /// error with [`failure_reply`](crate::v2::notify::failure_reply).
    ///
    /// ```
    /// # let sandbox = wechatpay_chain::sandbox::Sandbox::start()?;
    /// # let client = sandbox.client_builder().build()?;
    /// let body = b"<xml><return_code>SUCCESS</return_code><sign>0000</sign></xml>";
    /// let refused = client.v2_notification(body).unwrap_err();
    /// assert_eq!(refused.notification().unwrap().http_status(), 401);
    /// # Ok::<(), wechatpay_chain::Error>(())
    /// ```
    pub fn v2_notification(&self, body: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
        let key = self.v2_notification_key()?;
        crate::v2::notify::verify_notification(body, key).map_err(v2_notification_error)
    }

    /// Opens an APIv2 refund notification (退款结果通知): decrypts `req_info` (AES-256-ECB with the MD5 of
    /// the APIv2 key) and parses it. The decrypted fields are authenticated only by the key (ECB has no
    /// integrity check); for anything that moves money, confirm with a refund query as WeChat Pay
    /// advises.
    pub fn v2_refund_notification(&self, body: &[u8]) -> Result<crate::v2::notify::RefundNotification, Error> {
        let key = self.v2_notification_key()?;
        crate::v2::notify::decrypt_refund_notification(body, key).map_err(v2_notification_error)
    }

    fn v2_notification_key(&self) -> Result<&ApiV2Key, Error> {
        self.inner.apiv2_key.as_ref().ok_or_else(|| {
            Error::Notification(NotificationError::new(
                NotificationErrorKind::NoApiV2Key,
                "the client has no APIv2 key to check APIv2 notifications with; set it with `.apiv2_key(…)`",
            ))
        })
    }

    /// Certificate downloads this client has started (automatic mode, unknown serials, explicit refreshes).
    pub fn certificate_downloads(&self) -> u64 {
        self.inner.certificates.as_ref().map_or(0, |c| c.refresher.downloads())
    }

    pub(crate) fn download_blocking(&self, request: PreparedRequest) -> Result<Download, Error> {
        transport::block_on(open_download(Arc::clone(&self.inner), request))
    }

    pub(crate) async fn download_async(&self, request: PreparedRequest) -> Result<Download, Error> {
        transport::joined(transport::spawn(open_download(Arc::clone(&self.inner), request))?.await)
    }

    pub(crate) fn send_blocking(&self, request: PreparedRequest) -> Result<Response, Error> {
        transport::block_on(execute(Arc::clone(&self.inner), request))
    }

    pub(crate) fn send_async(&self, request: PreparedRequest) -> ResponseFuture {
        ResponseFuture::lazy(Box::pin(execute(Arc::clone(&self.inner), request)))
    }
    /// The signer requests are signed with (front-end signatures use it too).
    pub(crate) fn signer_ref(&self) -> &dyn Signer {
        self.inner.signer.as_ref()
    }

    /// Now, in Unix seconds, by the client's clock.
    pub(crate) fn now(&self) -> i64 {
        self.inner.clock.now()
    }
}

impl Inner {
    fn automatic(&self) -> bool {
        self.certificates.as_ref().is_some_and(|c| c.automatic)
    }

    /// Whether a failed check names a certificate serial that a download might supply.
    fn wants_download<T>(&self, checked: &Result<T, VerificationFailure>) -> bool {
        match checked {
            Err(VerificationFailure::UnknownKey { serial, .. }) => {
                self.automatic() && certificates::may_be_certificate_serial(serial)
            }
            _ => false,
        }
    }

    /// Turns a notification's signature check into the decrypted notification or its error.
    fn open_notification(
        &self,
        verified: Result<String, VerificationFailure>,
        body: &[u8],
    ) -> Result<Notification, Error> {
        let key_id = verified.map_err(|failure| {
            let message = failure.to_string();
            Error::Notification(NotificationError::new(NotificationErrorKind::Signature(failure), message))
        })?;
        let Some(certs) = self.certificates.as_ref() else {
            return Err(Error::Notification(NotificationError::new(
                NotificationErrorKind::NoApiV3Key,
                "the client has no APIv3 key to decrypt notifications with; set it with `.apiv3_key(…)`",
            )));
        };
        notify::open(body, &certs.key, key_id)
    }

    fn authorization(&self, request: &PreparedRequest, timestamp: i64, nonce: &str) -> Result<String, Error> {
        auth::authorization(
            &self.mchid,
            &self.serial,
            self.signer.as_ref(),
            request.method().as_str(),
            request.request_target(),
            timestamp,
            nonce,
            request.signed_body(),
        )
    }
}

fn v2_notification_error(e: crate::v2::NotifyError) -> Error {
    let message = e.to_string();
    Error::Notification(NotificationError::new(NotificationErrorKind::V2(e), message))
}

/// Sign → send → verify. Runs on the SDK's I/O runtime.
async fn execute(inner: Arc<Inner>, prepared: PreparedRequest) -> Result<Response, Error> {
    if prepared.download.is_set() {
        return Err(Error::input(
            InputErrorKind::InvalidOption,
            "`download_timeout` and `max_bytes` apply to `download` and the bill helpers; an ordinary call is \
             limited by `timeout` and the client's `max_response_body`",
        ));
    }
    if let Api::V2 { security } = prepared.api {
        return execute_v2(inner, prepared, security).await;
    }
    let started = Instant::now();
    let budget = prepared.timeout.unwrap_or_else(|| inner.transport.timeout());
    let deadline = started + budget;
    ensure_keys(&inner, deadline, budget).await?;

    let method = prepared.method.clone();
    let uri = prepared.uri.clone();
    let unprefixed = prepared.unprefixed_path.clone();
    let path = uri.path();
    let received = match exchange(&inner, prepared, deadline, budget).await {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(%method, path, error = %e, "wechatpay call failed");
            return Err(e);
        }
    };
    let Received { status, headers, body } = received;
    let request_id = headers.get("request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
    tracing::debug!(
        %method, path, status = status.as_u16(), request_id,
        elapsed_ms = started.elapsed().as_millis() as u64, "wechatpay call"
    );

    if !status.is_success() {
        return Err(api_error(&inner.verifier, status, headers, body));
    }
    let verified = verify_with_refresh(&inner, deadline, || {
        inner.verifier.verify_response(&method, path, unprefixed.as_deref(), &headers, &body)
    })
    .await;
    match verified {
        Ok(verification) => Ok(Response::new(status, headers, body, verification)),
        Err(failure) => {
            tracing::warn!(%method, path, request_id, %failure, "wechatpay response failed verification");
            Err(Error::Verification(Box::new(VerificationError {
                failure,
                response: Response::new(status, headers, body, Verification::Rejected),
            })))
        }
    }
}

/// APIv2: the request is already signed (its `sign` field); send it (over mutual TLS for `security`)
/// and check the answer's `sign` and codes.
async fn execute_v2(inner: Arc<Inner>, prepared: PreparedRequest, security: bool) -> Result<Response, Error> {
    let started = Instant::now();
    let budget = prepared.timeout.unwrap_or_else(|| inner.transport.timeout());
    let deadline = started + budget;
    let key = inner.apiv2_key.clone().ok_or_else(|| {
        Error::config("apiv2_key", "APIv2 answers are checked with the APIv2 key; set it with `.apiv2_key(…)`")
    })?;
    let method = prepared.method.clone();
    let path = prepared.unprefixed_path.clone().unwrap_or_else(|| prepared.uri.path().to_owned());
    let request = prepared.into_http();
    let received = match inner.transport.send_with(request, deadline, budget, Security::from(security)).await {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(%method, path, error = %e, "wechatpay APIv2 call failed");
            return Err(e);
        }
    };
    tracing::debug!(
        %method, path, status = received.status.as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64, "wechatpay APIv2 call"
    );
    crate::v2::answer(&path, received, &key)
}

/// Signs `prepared`, names the key to answer with (`Wechatpay-Serial`, unless set), and sends it.
async fn exchange(
    inner: &Inner,
    prepared: PreparedRequest,
    deadline: Instant,
    budget: Duration,
) -> Result<Received, Error> {
    let request = signed_request(inner, prepared)?;
    inner.transport.send_with(request, deadline, budget, Security::Standard).await
}

/// The HTTP request for `prepared`: signed, with `Wechatpay-Serial` naming the key to answer with
/// (unless the caller set it).
fn signed_request(inner: &Inner, prepared: PreparedRequest) -> Result<Request<Full<Bytes>>, Error> {
    let timestamp = inner.clock.now();
    let nonce = auth::nonce()?;
    let authorization = inner.authorization(&prepared, timestamp, &nonce)?;
    let mut authorization = HeaderValue::try_from(authorization)
        .map_err(|_| Error::Signing("the signer produced a signature that is not a valid header value".to_owned()))?;
    authorization.set_sensitive(true);

    let mut request = prepared.into_http();
    request.headers_mut().insert(AUTHORIZATION, authorization);
    if !request.headers().contains_key(WECHATPAY_SERIAL) {
        if let Some(value) = inner.verifier.keys().preferred_id(timestamp).and_then(|id| HeaderValue::try_from(id).ok())
        {
            request.headers_mut().insert(WECHATPAY_SERIAL, value);
        }
    }
    Ok(request)
}

/// Opens a streaming download: sign, send, check the status and what vouches for the content (nothing
/// for WeChat Pay's unsigned files; for overseas statements, the signature over the announced SHA-1,
/// which the stream then checks).
async fn open_download(inner: Arc<Inner>, prepared: PreparedRequest) -> Result<Download, Error> {
    let started = Instant::now();
    // The call's timeout bounds the wait for the answer's head and, after it, each wait for more data;
    // the download's own total limit bounds everything.
    let idle = prepared.timeout.unwrap_or_else(|| inner.transport.timeout());
    let limits = inner.downloads.limits(started, idle, prepared.download);
    let budget = idle.min(limits.total);
    let deadline = started + budget;
    let path = prepared.uri.path().to_owned();
    let candidates = [Some(path.as_str()), prepared.unprefixed_path.as_deref()];
    let unsigned = candidates.iter().flatten().any(|p| auth::is_unsigned_download(&prepared.method, p));
    let statement = !unsigned && candidates.iter().flatten().any(|p| auth::is_statement(p));
    if !unsigned && !statement {
        return Err(Error::input(
            InputErrorKind::Unsupported,
            format!(
                "`download` streams WeChat Pay's file downloads ({} and the overseas statements); `{path}` is an \
                 ordinary API answer: use `get`",
                auth::UNSIGNED_DOWNLOADS.join(", ")
            ),
        ));
    }
    if statement {
        ensure_keys(&inner, deadline, budget).await?;
    }
    let request = signed_request(&inner, prepared)?;
    let response = inner.transport.open(request, deadline, budget).await?;
    if !response.status().is_success() {
        let (parts, body) = response.into_parts();
        let body = match tokio::time::timeout_at(deadline.into(), Limited::new(body, 64 * 1024).collect()).await {
            Ok(Ok(collected)) => collected.to_bytes(),
            _ => Bytes::new(),
        };
        return Err(api_error(&inner.verifier, parts.status, parts.headers, body));
    }
    let (verification, check) = if statement {
        let headers = response.headers();
        match inner.verifier.verify_statement_head(headers) {
            Ok((key_id, sha1)) => (Verification::Signed { key_id }, Some(DigestCheck::new(HashType::Sha1, &sha1))),
            Err(failure) => {
                return Err(Error::Verification(Box::new(VerificationError {
                    failure,
                    response: Response::new(response.status(), headers.clone(), Bytes::new(), Verification::Rejected),
                })));
            }
        }
    } else {
        (Verification::UnsignedDownload, None)
    };
    Download::start(response, verification, check, limits)
}

const WECHATPAY_SERIAL: &str = "wechatpay-serial";

/// In automatic certificate mode, waits for (or starts) a download when the store has no usable key,
/// so that a call is never sent when its answer could not be verified.
async fn ensure_keys(inner: &Arc<Inner>, deadline: Instant, budget: Duration) -> Result<(), Error> {
    if !inner.automatic() || inner.verifier.keys().has_usable_key(inner.clock.now()) {
        return Ok(());
    }
    match tokio::time::timeout_at(deadline.into(), refresh(inner, Reason::Bootstrap)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(Error::Certificates(e)),
        Err(_) => Err(Error::Timeout(TimeoutError::new(Sent::No, budget, "waiting for the platform certificates"))),
    }
}

/// Runs `check`; when it fails on an unknown certificate serial in automatic mode, waits for one
/// (shared, rate-limited) download and checks again. Never re-sends anything.
async fn verify_with_refresh<T>(
    inner: &Arc<Inner>,
    deadline: Instant,
    check: impl Fn() -> Result<T, VerificationFailure>,
) -> Result<T, VerificationFailure> {
    let first = check();
    if !inner.wants_download(&first) {
        return first;
    }
    match tokio::time::timeout_at(deadline.into(), refresh(inner, Reason::UnknownSerial)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::debug!(error = %e, "no certificate download for the unknown serial"),
        Err(_) => return first,
    }
    // Even without a download of our own, a concurrent one may have installed the key.
    check()
}

/// Joins or starts a certificate download (see [`Refresher::request`]).
async fn refresh(inner: &Arc<Inner>, reason: Reason) -> Outcome {
    let Some(certs) = inner.certificates.as_ref() else {
        return Err(CertificateError::new(
            CertificateErrorKind::Download,
            "no APIv3 key is configured; set it with `.apiv3_key(…)` to download platform certificates",
        ));
    };
    let job = || {
        let inner = Arc::clone(inner);
        async move {
            // The download runs as its own task, so it completes even if every waiter goes away.
            match transport::spawn_detached(refresh_job(inner)) {
                Ok(task) => task.await.unwrap_or_else(|e| {
                    Err(CertificateError::new(CertificateErrorKind::Download, format!("the download task ended: {e}")))
                }),
                Err(e) => Err(CertificateError::new(CertificateErrorKind::Download, e.to_string())),
            }
        }
        .boxed()
    };
    certs.refresher.request(reason, job)?.await
}

async fn refresh_owned(inner: Arc<Inner>) -> Result<Vec<DownloadedCertificate>, Error> {
    refresh(&inner, Reason::Scheduled).await.map(|installed| installed.to_vec()).map_err(Error::Certificates)
}

/// One download: fetch, check, install the valid certificates, drop expired ones, report.
async fn refresh_job(inner: Arc<Inner>) -> Outcome {
    let result = download(Arc::clone(&inner)).await.map_err(|e| match e {
        Error::Certificates(e) => e,
        other => CertificateError {
            kind: CertificateErrorKind::Download,
            message: "GET v3/certificates failed".to_owned(),
            source: Some(Arc::new(other)),
        },
    });
    let now = inner.clock.now();
    let result = result.and_then(|downloaded| {
        let valid: Vec<DownloadedCertificate> = downloaded.into_iter().filter(|c| c.is_valid_at(now)).collect();
        if valid.is_empty() {
            return Err(CertificateError::new(
                CertificateErrorKind::NoValidCertificate,
                "the download held no certificate valid now; check this machine's clock",
            ));
        }
        inner
            .verifier
            .keys()
            .install(valid.iter().map(|c| (c.serial().to_owned(), c.public_key().clone())).collect(), now);
        Ok(Arc::new(valid))
    });
    if let Some(certs) = inner.certificates.as_ref() {
        certs.refresher.finished(result.is_ok(), now);
    }
    if let Err(e) = &result {
        tracing::warn!(error = %e, "platform certificate refresh failed; keeping the current keys");
        inner.verifier.keys().emit(&TrustEvent::RefreshFailed { reason: e.to_string() });
    }
    result
}

/// `GET v3/certificates`, decrypted, parsed, and verified with the downloaded certificates themselves.
async fn download(inner: Arc<Inner>) -> Result<Vec<DownloadedCertificate>, Error> {
    let Some(certs) = inner.certificates.as_ref() else {
        return Err(Error::config(
            "apiv3_key",
            "downloading platform certificates needs the APIv3 key: `.apiv3_key(…)`",
        ));
    };
    let client = Client { inner: Arc::clone(&inner) };
    let prepared = client.chain("v3/certificates").prepare(Method::GET, Options::default())?;
    let (path, unprefixed) = (prepared.uri.path().to_owned(), prepared.unprefixed_path.clone());
    let budget = inner.transport.timeout();
    let Received { status, headers, body } = exchange(&inner, prepared, Instant::now() + budget, budget).await?;
    if !status.is_success() {
        return Err(api_error(&inner.verifier, status, headers, body));
    }
    let downloaded = certificates::parse_listing(&body, &certs.key).map_err(Error::Certificates)?;
    // Bootstrap: the listing must be signed by a key already trusted or by one of its own certificates.
    let store = inner.verifier.keys().detached_copy();
    for c in &downloaded {
        store.insert(c.serial(), c.public_key().clone());
    }
    let verifier = Verifier::new(store, Arc::clone(&inner.clock));
    if let Err(failure) = verifier.verify_response(&Method::GET, &path, unprefixed.as_deref(), &headers, &body) {
        return Err(Error::Verification(Box::new(VerificationError {
            failure,
            response: Response::new(status, headers, body, Verification::Rejected),
        })));
    }
    Ok(downloaded)
}

/// Checks and opens a notification whose key may first need a certificate download.
async fn receive(inner: Arc<Inner>, headers: HeaderMap, body: Bytes) -> Result<Notification, Error> {
    let deadline = Instant::now() + inner.transport.timeout();
    let verified = verify_with_refresh(&inner, deadline, || inner.verifier.verify_signature(&headers, &body)).await;
    inner.open_notification(verified, &body)
}

/// Background refresh of automatic mode: due times follow the client's clock; the task ends when the
/// client is dropped.
fn spawn_scheduler(inner: &Arc<Inner>) -> Result<(), Error> {
    const TICK: Duration = Duration::from_secs(1);
    let weak = Arc::downgrade(inner);
    transport::spawn_detached(async move {
        let mut next_due = i64::MIN;
        let mut failures = 0u32;
        loop {
            {
                let Some(inner) = weak.upgrade() else { return };
                let Some(certs) = inner.certificates.as_ref() else { return };
                let interval = i64::try_from(certs.interval.as_secs()).unwrap_or(i64::MAX);
                let due = match certs.refresher.last_success() {
                    Some(at) => next_due.max(at.saturating_add(interval)),
                    None => next_due,
                };
                if inner.clock.now() >= due {
                    let delay = match refresh(&inner, Reason::Scheduled).await {
                        Ok(_) => {
                            failures = 0;
                            certs.interval
                        }
                        Err(_) => {
                            failures = failures.saturating_add(1);
                            RETRY_AFTER_FAILURE.saturating_mul(1 << (failures - 1).min(16)).min(certs.interval)
                        }
                    };
                    next_due = inner.clock.now().saturating_add(i64::try_from(delay.as_secs()).unwrap_or(i64::MAX));
                }
            }
            tokio::time::sleep(TICK).await;
        }
    })?;
    Ok(())
}

fn api_error(verifier: &Verifier, status: http::StatusCode, headers: http::HeaderMap, body: bytes::Bytes) -> Error {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
    let field = |name: &str| parsed.as_ref().and_then(|v| v.get(name)).and_then(|v| v.as_str()).map(str::to_owned);
    let signed_by = verifier.verify_signature(&headers, &body).ok();
    Error::Api(Box::new(ApiError {
        status,
        code: field("code"),
        message: field("message"),
        detail: parsed.as_ref().and_then(|v| v.get("detail")).cloned(),
        headers,
        body,
        signed_by,
    }))
}

/// Configures a [`Client`]. Everything is validated once, in [`build`](ClientBuilder::build).
#[derive(Default)]
pub struct ClientBuilder {
    mchid: Option<String>,
    serial: Option<String>,
    private_key: Option<String>,
    signer: Option<Arc<dyn Signer>>,
    certs: Vec<(String, String)>,
    public_keys: Vec<(String, String)>,
    apiv3_key: Option<String>,
    apiv2_key: Option<String>,
    auto_certificates: Option<bool>,
    refresh_interval: Option<Duration>,
    listeners: Vec<TrustListener>,
    base_uri: Option<String>,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
    download_timeout: Option<Duration>,
    max_download_bytes: Option<u64>,
    user_agent_suffix: Option<String>,
    max_response_body: Option<usize>,
    clock: Option<Arc<dyn Clock>>,
    root_certificates: Vec<String>,
    merchant_tls: Vec<MerchantTls>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("mchid", &self.mchid)
            .field("serial", &self.serial)
            .field("private_key", &self.private_key.as_ref().map(|_| "<redacted>"))
            .field("signer", &self.signer.as_ref().map(|_| "<custom>"))
            .field("certs", &self.certs.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>())
            .field("public_keys", &self.public_keys.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>())
            .field("apiv3_key", &self.apiv3_key.as_ref().map(|_| "<redacted>"))
            .field("apiv2_key", &self.apiv2_key.as_ref().map(|_| "<redacted>"))
            .field("auto_certificates", &self.auto_certificates)
            .field("base_uri", &self.base_uri)
            .field("root_certificates", &self.root_certificates.len())
            .field("merchant_tls", &self.merchant_tls)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The merchant id (商户号), e.g. `1900000001`.
    pub fn mchid(mut self, mchid: impl Into<String>) -> Self {
        self.mchid = Some(mchid.into());
        self
    }

    /// The serial of the merchant API certificate (商户API证书序列号), 40 hex digits.
    pub fn serial(mut self, serial: impl Into<String>) -> Self {
        self.serial = Some(serial.into());
        self
    }

    /// The merchant API private key (`apiclient_key.pem`): PEM text (PKCS#8 or PKCS#1), `file://<path>`,
    /// or `private.pkcs8://<base64>` / `private.pkcs1://<base64>`.
    pub fn private_key(mut self, key: impl Into<String>) -> Self {
        self.private_key = Some(key.into());
        self
    }

    /// Signs with a custom [`Signer`] (HSM, KMS, remote service) instead of a private key.
    pub fn signer(mut self, signer: Arc<dyn Signer>) -> Self {
        self.signer = Some(signer);
        self
    }

    /// Adds a WeChat Pay verification key under the id WeChat Pay sends in `Wechatpay-Serial`:
    /// a platform certificate serial with the certificate (`wechatpay_<serial>.pem`), or a
    /// `PUB_KEY_ID_…` with the WeChat Pay public key (`pub_key.pem`). The key may be PEM text (X.509,
    /// SPKI or PKCS#1), `file://<path>`, `public.spki://<base64>` or `public.pkcs1://<base64>`.
    pub fn cert(mut self, id: impl Into<String>, key: impl Into<String>) -> Self {
        self.certs.push((id.into(), key.into()));
        self
    }

    /// Adds the WeChat Pay public key (微信支付公钥) with its id, `PUB_KEY_ID_…` (both from the merchant
    /// platform, API安全). The key may be PEM text, `file://<path>` or `public.spki://<base64>`.
    ///
    /// With a public key and no APIv3 key-driven certificate mode, the client never calls
    /// `v3/certificates` (pure public-key mode). Add [`cert`](ClientBuilder::cert)s or
    /// [`auto_certificates`](ClientBuilder::auto_certificates) as well while WeChat Pay still signs with
    /// platform certificates (migration).
    pub fn public_key(mut self, id: impl Into<String>, key: impl Into<String>) -> Self {
        self.public_keys.push((id.into(), key.into()));
        self
    }

    /// The APIv3 key (APIv3密钥, 32 characters): decrypts notifications and downloaded certificates.
    ///
    /// Without a WeChat Pay public key this also turns on **automatic certificate mode**: the client
    /// downloads platform certificates itself, right after `build()` and then periodically, and
    /// whenever a response names an unknown certificate serial (see [`certificates`](crate::certificates)).
    pub fn apiv3_key(mut self, key: impl Into<String>) -> Self {
        self.apiv3_key = Some(key.into());
        self
    }

    /// The APIv2 key (API密钥, 32 characters): signs APIv2 requests (`client.v2()…`), checks the `sign` of
    /// their answers and of APIv2 notifications, and decrypts APIv2 refund notifications. Only needed for
    /// APIv2.
    pub fn apiv2_key(mut self, key: impl Into<String>) -> Self {
        self.apiv2_key = Some(key.into());
        self
    }

    /// Forces automatic certificate mode on or off. By default it is on exactly when an APIv3 key is
    /// given and no WeChat Pay public key is (neither by [`public_key`](ClientBuilder::public_key) nor a
    /// `PUB_KEY_ID_…` [`cert`](ClientBuilder::cert)). Turn it on with a public key during migration.
    pub fn auto_certificates(mut self, on: bool) -> Self {
        self.auto_certificates = Some(on);
        self
    }

    /// Period of the background certificate refresh in automatic mode: default 1 hour, at least
    /// 1 minute, at most 24 hours.
    pub fn certificate_refresh_interval(mut self, interval: Duration) -> Self {
        self.refresh_interval = Some(interval);
        self
    }

    /// Calls `listener` whenever the key store changes (certificates installed or dropped, keys added
    /// by hand) and when a certificate refresh fails. See [`KeyStore::on_event`].
    pub fn on_trust_event(mut self, listener: impl Fn(&TrustEvent) + Send + Sync + 'static) -> Self {
        self.listeners.push(Arc::new(listener));
        self
    }

    /// Adds several keys, as [`cert`](ClientBuilder::cert).
    pub fn certs<I, K, V>(mut self, certs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.certs.extend(certs.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// The base URI (default `https://api.mch.weixin.qq.com/`). A path prefix (`…/hk/`) is kept as a
    /// directory. Plain `http` is accepted for loopback hosts only.
    pub fn base_uri(mut self, uri: impl Into<String>) -> Self {
        self.base_uri = Some(uri.into());
        self
    }

    /// Connect timeout (default 5 s). A connect failure never sends the request.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Total time limit per call (default 30 s), overridable per request with the `timeout` option. For
    /// a [download](crate::download) it bounds the wait for the answer's head and then each wait for more
    /// data (the idle timeout); the whole download is bounded by
    /// [`download_timeout`](ClientBuilder::download_timeout).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Total time limit of a download, from the call to the last byte (default 10 minutes,
    /// [`DEFAULT_DOWNLOAD_TIMEOUT`](crate::download::DEFAULT_DOWNLOAD_TIMEOUT), at most one day),
    /// overridable per call with the `download_timeout` option. Each wait for more data is also bounded
    /// by the idle timeout, which is the call's [`timeout`](ClientBuilder::timeout). Raise it for very
    /// large files on slow links; see [`download`](crate::download).
    pub fn download_timeout(mut self, timeout: Duration) -> Self {
        self.download_timeout = Some(timeout);
        self
    }

    /// The largest download accepted, in bytes (default: no cap for [`Chain::download`]; bills have
    /// [`DEFAULT_MAX_BILL_BYTES`](crate::download::DEFAULT_MAX_BILL_BYTES)), overridable per call with the
    /// `max_bytes` option. A `Content-Length` above it is refused before the body is read; for gzip bills
    /// it caps the decompressed size too.
    pub fn max_download_bytes(mut self, bytes: u64) -> Self {
        self.max_download_bytes = Some(bytes);
        self
    }

    /// Appended to the `User-Agent` (`wechatpay-chain/<version> (<os>/<arch>) <suffix>`).
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Cap on a buffered response body in bytes (default 16 MiB).
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = Some(bytes);
        self
    }

    /// The clock for request timestamps and the response clock check (default: the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The merchant API certificate and its private key for mutual TLS, which APIv2 "security" endpoints
    /// (`secapi/pay/refund`, red packets, transfers, …) require: `apiclient_cert.pem` and
    /// `apiclient_key.pem`, each as PEM text or `file://<path>`. The key may be PKCS#8 or PKCS#1,
    /// unencrypted. Only requests to those endpoints present the certificate; APIv3 requests never do.
    ///
    /// Checked in [`build`](ClientBuilder::build): an unreadable certificate or key, or a certificate and
    /// key that are not a pair, is an [`Error::Config`] (`merchant_tls`) that never quotes the key.
    ///
    /// ```no_run
    /// use wechatpay_chain::Client;
    ///
    /// let client = Client::builder()
    /// #   .mchid("1900000001").serial("1946DD7BDF37823B2192F1DB21574B1D465D9A21")
    /// #   .private_key("file:///path/to/apiclient_key.pem").public_key("PUB_KEY_ID_0112345678202411240000000000000000", "file:///path/to/pub_key.pem")
    ///     // … mchid, serial, private_key, public_key …
    ///     .merchant_tls_pem("file:///path/to/apiclient_cert.pem", "file:///path/to/apiclient_key.pem")
    ///     .build()?;
    /// # Ok::<(), wechatpay_chain::Error>(())
    /// ```
    pub fn merchant_tls_pem(mut self, cert_pem: impl Into<String>, key_pem: impl Into<String>) -> Self {
        self.merchant_tls.push(MerchantTls::Pem { cert: cert_pem.into(), key: key_pem.into() });
        self
    }

    /// The merchant API certificate with its key as PKCS#12 (`apiclient_cert.p12`, the file's bytes) for
    /// mutual TLS, as [`merchant_tls_pem`](ClientBuilder::merchant_tls_pem). WeChat Pay protects it with
    /// the merchant id: `None` uses the [`mchid`](ClientBuilder::mchid), `Some` another password.
    ///
    /// A wrong password is an [`Error::Config`] (`merchant_tls`) in [`build`](ClientBuilder::build).
    /// Older `.p12` files use RC2 encryption, which OpenSSL 3 no longer opens; the PEM pair from the same
    /// download works everywhere.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wechatpay_chain::Client;
    ///
    /// let client = Client::builder()
    /// #   .mchid("1900000001").serial("1946DD7BDF37823B2192F1DB21574B1D465D9A21")
    /// #   .private_key("file:///path/to/apiclient_key.pem").public_key("PUB_KEY_ID_0112345678202411240000000000000000", "file:///path/to/pub_key.pem")
    ///     // … mchid, serial, private_key, public_key …
    ///     .merchant_tls_pkcs12(std::fs::read("/path/to/apiclient_cert.p12")?, None)
    ///     .build()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn merchant_tls_pkcs12(mut self, der: impl Into<Vec<u8>>, password: Option<&str>) -> Self {
        self.merchant_tls.push(MerchantTls::Pkcs12 { der: der.into(), password: password.map(str::to_owned) });
        self
    }

    /// Also trusts this CA or self-signed server certificate for HTTPS, on top of the system's roots: PEM
    /// text (one or more certificates) or `file://<path>` (PEM or DER). For a TLS-intercepting corporate
    /// proxy, or a local imitation such as the [sandbox](crate::sandbox)'s HTTPS side. May be given
    /// several times.
    pub fn root_certificate(mut self, pem: impl Into<String>) -> Self {
        self.root_certificates.push(pem.into());
        self
    }

    /// Validates everything and builds the client. Keys are parsed here, once.
    pub fn build(self) -> Result<Client, Error> {
        let mchid =
            required_token(self.mchid, "mchid", "the merchant id (商户号) is required, e.g. .mchid(\"1900000001\")")?;
        let serial = required_token(
            self.serial,
            "serial",
            "the merchant API certificate serial (商户API证书序列号) is required; it is the `serial` of \
             apiclient_cert.pem, e.g. `openssl x509 -in apiclient_cert.pem -noout -serial`",
        )?;

        let (signer, merchant_public): (Arc<dyn Signer>, Option<Vec<u8>>) = match (self.private_key, self.signer) {
            (Some(_), Some(_)) => {
                return Err(Error::config("private_key", "both `private_key` and `signer` were given; use one"));
            }
            (None, Some(signer)) => (signer, None),
            (Some(text), None) => {
                let key = PrivateKey::load(&text).map_err(|e| Error::config("private_key", e))?;
                let public = key.public_key_der().to_vec();
                (Arc::new(RsaSigner::new(key)), Some(public))
            }
            (None, None) => {
                return Err(Error::config(
                    "private_key",
                    "the merchant API private key is required: .private_key(\"file:///path/to/apiclient_key.pem\")",
                ));
            }
        };

        let apiv2_key = match self.apiv2_key.as_deref() {
            Some(text) => Some(ApiV2Key::new(text).map_err(|e| Error::config("apiv2_key", e.to_string()))?),
            None => None,
        };
        let apiv3_key = match self.apiv3_key.as_deref() {
            Some(text) => Some(ApiV3Key::new(text).map_err(|e| Error::config("apiv3_key", e.to_string()))?),
            None => None,
        };
        for (id, _) in &self.public_keys {
            if !id.starts_with(PUBLIC_KEY_ID_PREFIX) {
                return Err(Error::config(
                    "public_key",
                    format!(
                        "`{id}` is not a WeChat Pay public key id; it starts with `PUB_KEY_ID_` (shown next to the key \
                         in the merchant platform). For a platform certificate use `.cert(serial, pem)`"
                    ),
                ));
            }
        }
        let has_public_key =
            self.certs.iter().chain(&self.public_keys).any(|(id, _)| id.starts_with(PUBLIC_KEY_ID_PREFIX));
        let automatic = match (self.auto_certificates, &apiv3_key) {
            (Some(true), None) => {
                return Err(Error::config(
                    "auto_certificates",
                    "automatic certificates need the APIv3 key to decrypt the download: add `.apiv3_key(…)`",
                ));
            }
            (Some(on), _) => on,
            (None, key) => key.is_some() && !has_public_key,
        };
        if self.certs.is_empty() && self.public_keys.is_empty() && !automatic {
            return Err(Error::config(
                "certs",
                "no way to verify WeChat Pay's signatures: add the WeChat Pay public key with \
                 .public_key(\"PUB_KEY_ID_…\", \"file:///path/to/pub_key.pem\"), a platform certificate with \
                 .cert(\"<serial>\", \"file:///path/to/wechatpay_<serial>.pem\"), or let the client download \
                 certificates with .apiv3_key(\"<APIv3 key>\")",
            ));
        }
        let interval = self.refresh_interval.unwrap_or(DEFAULT_REFRESH_INTERVAL);
        if !(MIN_REFRESH_INTERVAL..=MAX_REFRESH_INTERVAL).contains(&interval) {
            return Err(Error::config(
                "certificate_refresh_interval",
                format!("{interval:?} is outside the allowed range of 1 minute to 24 hours"),
            ));
        }
        let keys = KeyStore::new();
        let mut seen = BTreeSet::new();
        let given = self.certs.iter().map(|c| ("certs", c)).chain(self.public_keys.iter().map(|k| ("public_key", k)));
        for (setting, (id, text)) in given {
            check_cert_id(setting, id)?;
            if !seen.insert(id.clone()) {
                return Err(Error::config(setting, format!("the key id `{id}` is given twice")));
            }
            if id.eq_ignore_ascii_case(&serial) {
                return Err(Error::config(
                    setting,
                    format!(
                        "`{id}` is the merchant's own certificate serial; `certs` holds WeChat Pay's keys, not yours. \
                         Load the WeChat Pay public key (PUB_KEY_ID_…, pub_key.pem from the merchant platform) or the \
                         platform certificate (download it with the certificate downloader)"
                    ),
                ));
            }
            let key = PublicKey::load(text).map_err(|e| Error::config(setting, format!("key `{id}`: {e}")))?;
            if merchant_public.as_deref() == Some(key.rsa_public_key_der()) {
                return Err(Error::config(
                    setting,
                    format!(
                        "key `{id}` is the merchant's own public key (apiclient_cert.pem); WeChat Pay signs with its own \
                         keys: load the WeChat Pay public key or platform certificate instead"
                    ),
                ));
            }
            if let Some(cert) = key.certificate() {
                if !id.starts_with(PUBLIC_KEY_ID_PREFIX) && cert.serial != *id {
                    return Err(Error::config(
                        setting,
                        format!(
                            "the certificate given for `{id}` has serial `{}`; the id must be the certificate's serial \
                             exactly as WeChat Pay sends it (uppercase hex)",
                            cert.serial
                        ),
                    ));
                }
                let now = self.clock.as_ref().map_or_else(|| SystemClock.now(), |c| c.now());
                if cert.not_after < now {
                    tracing::warn!(id, not_after = cert.not_after, "the platform certificate has expired");
                }
            }
            keys.insert(id.clone(), key);
        }
        for listener in self.listeners {
            keys.on_event(move |event| listener(event));
        }

        let base = BaseUri::parse(self.base_uri.as_deref().unwrap_or(DEFAULT_BASE_URI))
            .map_err(|e| Error::config("base_uri", e))?;
        let connect_timeout = positive(self.connect_timeout, DEFAULT_CONNECT_TIMEOUT, "connect_timeout")?;
        let timeout = positive(self.timeout, DEFAULT_TIMEOUT, "timeout")?;
        let download_timeout = positive(self.download_timeout, DEFAULT_DOWNLOAD_TIMEOUT, "download_timeout")?;
        if download_timeout > Duration::from_secs(86_400) {
            return Err(Error::config("download_timeout", "must be at most one day"));
        }
        if self.max_download_bytes == Some(0) {
            return Err(Error::config("max_download_bytes", "must be greater than zero"));
        }
        let downloads = DownloadDefaults { timeout: download_timeout, max_bytes: self.max_download_bytes };
        let max_body = self.max_response_body.unwrap_or(DEFAULT_MAX_RESPONSE_BODY);
        if max_body == 0 {
            return Err(Error::config("max_response_body", "must be greater than zero"));
        }

        let mut user_agent = format!(
            "wechatpay-chain/{} ({}/{})",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH
        );
        if let Some(suffix) = self.user_agent_suffix.filter(|s| !s.is_empty()) {
            if !suffix.bytes().all(|b| (0x20..0x7f).contains(&b)) {
                return Err(Error::config("user_agent_suffix", "must be printable ASCII without line breaks"));
            }
            user_agent.push(' ');
            user_agent.push_str(&suffix);
        }
        let user_agent = HeaderValue::try_from(user_agent)
            .map_err(|_| Error::config("user_agent_suffix", "not a valid header value"))?;

        if self.merchant_tls.len() > 1 {
            return Err(Error::config(
                "merchant_tls",
                "the merchant TLS identity was given more than once; use one of `merchant_tls_pem` and \
                 `merchant_tls_pkcs12`, once",
            ));
        }
        let tls = tls::connectors(&self.root_certificates, self.merchant_tls.first(), &mchid)?;
        let transport = Transport::new(connect_timeout, timeout, max_body, tls);
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let verifier = Verifier::new(keys, Arc::clone(&clock));
        let certificates = apiv3_key.map(|key| Certificates { key, refresher: Refresher::new(), automatic, interval });
        let inner = Arc::new(Inner {
            mchid,
            serial,
            signer,
            verifier,
            base,
            user_agent,
            transport,
            clock,
            certificates,
            apiv2_key,
            downloads,
        });
        if automatic {
            spawn_scheduler(&inner)?;
        }
        Ok(Client { inner })
    }
}

fn required_token(value: Option<String>, setting: &'static str, missing: &str) -> Result<String, Error> {
    let value = value.unwrap_or_default();
    if value.is_empty() {
        return Err(Error::config(setting, missing));
    }
    if value.trim() != value {
        return Err(Error::config(
            setting,
            format!(
                "`{}` has leading or trailing whitespace (a trailing newline from a file?); trim it",
                value.escape_debug()
            ),
        ));
    }
    if value.len() > 64 || !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::config(setting, format!("`{}` must be letters and digits only", value.escape_debug())));
    }
    Ok(value)
}

fn check_cert_id(setting: &'static str, id: &str) -> Result<(), Error> {
    if id.is_empty() {
        return Err(Error::config(setting, "a key id is empty; use the certificate serial or the PUB_KEY_ID_… id"));
    }
    if id.trim() != id || !id.bytes().all(|b| b.is_ascii_graphic()) || id.contains(['"', ',']) {
        return Err(Error::config(
            setting,
            format!("the key id `{}` has whitespace or characters WeChat Pay never sends; trim it", id.escape_debug()),
        ));
    }
    Ok(())
}

fn positive(value: Option<Duration>, default: Duration, setting: &'static str) -> Result<Duration, Error> {
    let value = value.unwrap_or(default);
    if value.is_zero() {
        return Err(Error::config(setting, "must be greater than zero"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert!(required_token(Some("1900000001".into()), "mchid", "").is_ok());
        assert!(required_token(Some("".into()), "mchid", "").is_err());
        assert!(required_token(Some("1900000001\n".into()), "mchid", "").is_err());
        assert!(required_token(Some("19 00".into()), "mchid", "").is_err());
        assert!(check_cert_id("certs", "PUB_KEY_ID_0112345678202411240000000000000000").is_ok());
        assert!(check_cert_id("certs", "7B9F2C366F58149F90CC94CDEEAD667C4816FFDC ").is_err());
    }
}
