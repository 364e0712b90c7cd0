//! The client, its builder, and the clock it signs and verifies with.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::header::AUTHORIZATION;
use http::{HeaderValue, Request};
use http_body_util::Full;

use crate::auth::{self, KeyStore, RsaSigner, Signer, Verifier};
use crate::chain::{Chain, ResponseFuture};
use crate::crypto::{PrivateKey, PublicKey};
use crate::error::{ApiError, Error, VerificationError};
use crate::request::{BaseUri, PreparedRequest};
use crate::response::{Response, Verification};
use crate::transport::{self, Received, Transport};

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
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("mchid", &self.inner.mchid)
            .field("serial", &self.inner.serial)
            .field("base_uri", &self.inner.base.as_string())
            .field("keys", &self.inner.verifier.keys().ids())
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

    pub(crate) fn send_blocking(&self, request: PreparedRequest) -> Result<Response, Error> {
        transport::block_on(execute(Arc::clone(&self.inner), request))
    }

    pub(crate) fn send_async(&self, request: PreparedRequest) -> ResponseFuture {
        ResponseFuture::lazy(Box::pin(execute(Arc::clone(&self.inner), request)))
    }
}

impl Inner {
    fn authorization(&self, request: &PreparedRequest, timestamp: i64, nonce: &str) -> Result<String, Error> {
        auth::authorization(
            &self.mchid,
            &self.serial,
            self.signer.as_ref(),
            request.method().as_str(),
            request.request_target(),
            timestamp,
            nonce,
            request.body(),
        )
    }
}

/// Sign → send → verify. Runs on the SDK's I/O runtime.
async fn execute(inner: Arc<Inner>, mut prepared: PreparedRequest) -> Result<Response, Error> {
    let started = Instant::now();
    let timestamp = inner.clock.now();
    let nonce = auth::nonce()?;
    let authorization = inner.authorization(&prepared, timestamp, &nonce)?;
    let mut authorization = HeaderValue::try_from(authorization)
        .map_err(|_| Error::Signing("the signer produced a signature that is not a valid header value".to_owned()))?;
    authorization.set_sensitive(true);

    let mut request = Request::new(Full::new(prepared.body.clone()));
    *request.method_mut() = prepared.method.clone();
    *request.uri_mut() = prepared.uri.clone();
    *request.headers_mut() = std::mem::take(&mut prepared.headers);
    request.headers_mut().insert(AUTHORIZATION, authorization);

    let received = inner.transport.send(request, prepared.timeout).await;
    let path = prepared.uri.path();
    let received = match received {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(method = %prepared.method, path, error = %e, "wechatpay call failed");
            return Err(e);
        }
    };
    let Received { status, headers, body } = received;
    let request_id = headers.get("request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
    tracing::debug!(
        method = %prepared.method, path, status = status.as_u16(), request_id,
        elapsed_ms = started.elapsed().as_millis() as u64, "wechatpay call"
    );

    if !status.is_success() {
        return Err(api_error(&inner.verifier, status, headers, body));
    }
    match inner.verifier.verify_response(&prepared.method, path, prepared.unprefixed_path.as_deref(), &headers, &body) {
        Ok(verification) => Ok(Response::new(status, headers, body, verification)),
        Err(failure) => {
            tracing::warn!(method = %prepared.method, path, request_id, %failure, "wechatpay response failed verification");
            Err(Error::Verification(Box::new(VerificationError {
                failure,
                response: Response::new(status, headers, body, Verification::Rejected),
            })))
        }
    }
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
    base_uri: Option<String>,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
    user_agent_suffix: Option<String>,
    max_response_body: Option<usize>,
    clock: Option<Arc<dyn Clock>>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("mchid", &self.mchid)
            .field("serial", &self.serial)
            .field("private_key", &self.private_key.as_ref().map(|_| "<redacted>"))
            .field("signer", &self.signer.as_ref().map(|_| "<custom>"))
            .field("certs", &self.certs.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>())
            .field("base_uri", &self.base_uri)
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

    /// Total time limit per call (default 30 s), overridable per request with the `timeout` option.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
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

        if self.certs.is_empty() {
            return Err(Error::config(
                "certs",
                "no WeChat Pay verification key: add the WeChat Pay public key with \
                 .cert(\"PUB_KEY_ID_…\", \"file:///path/to/pub_key.pem\") or a platform certificate with \
                 .cert(\"<serial>\", \"file:///path/to/wechatpay_<serial>.pem\")",
            ));
        }
        let keys = KeyStore::new();
        let mut seen = BTreeSet::new();
        for (id, text) in &self.certs {
            check_cert_id(id)?;
            if !seen.insert(id.clone()) {
                return Err(Error::config("certs", format!("the key id `{id}` is given twice")));
            }
            if id.eq_ignore_ascii_case(&serial) {
                return Err(Error::config(
                    "certs",
                    format!(
                        "`{id}` is the merchant's own certificate serial; `certs` holds WeChat Pay's keys, not yours. \
                         Load the WeChat Pay public key (PUB_KEY_ID_…, pub_key.pem from the merchant platform) or the \
                         platform certificate (download it with the certificate downloader)"
                    ),
                ));
            }
            let key = PublicKey::load(text).map_err(|e| Error::config("certs", format!("key `{id}`: {e}")))?;
            if merchant_public.as_deref() == Some(key.rsa_public_key_der()) {
                return Err(Error::config(
                    "certs",
                    format!(
                        "key `{id}` is the merchant's own public key (apiclient_cert.pem); WeChat Pay signs with its own \
                         keys: load the WeChat Pay public key or platform certificate instead"
                    ),
                ));
            }
            if let Some(cert) = key.certificate() {
                if !id.starts_with("PUB_KEY_ID_") && cert.serial != *id {
                    return Err(Error::config(
                        "certs",
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

        let base = BaseUri::parse(self.base_uri.as_deref().unwrap_or(DEFAULT_BASE_URI))
            .map_err(|e| Error::config("base_uri", e))?;
        let connect_timeout = positive(self.connect_timeout, DEFAULT_CONNECT_TIMEOUT, "connect_timeout")?;
        let timeout = positive(self.timeout, DEFAULT_TIMEOUT, "timeout")?;
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

        let transport =
            Transport::new(connect_timeout, timeout, max_body).map_err(|e| Error::config("transport", e))?;
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let verifier = Verifier::new(keys, Arc::clone(&clock));
        Ok(Client { inner: Arc::new(Inner { mchid, serial, signer, verifier, base, user_agent, transport, clock }) })
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

fn check_cert_id(id: &str) -> Result<(), Error> {
    if id.is_empty() {
        return Err(Error::config("certs", "a key id is empty; use the certificate serial or the PUB_KEY_ID_… id"));
    }
    if id.trim() != id || !id.bytes().all(|b| b.is_ascii_graphic()) || id.contains(['"', ',']) {
        return Err(Error::config(
            "certs",
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
        assert!(check_cert_id("PUB_KEY_ID_0112345678202411240000000000000000").is_ok());
        assert!(check_cert_id("7B9F2C366F58149F90CC94CDEEAD667C4816FFDC ").is_err());
    }
}
