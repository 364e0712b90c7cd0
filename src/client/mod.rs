//! The client: a cheap handle on one merchant's [`Engine`](crate::pipeline::Engine), the chain roots,
//! certificate management and notification checks. [`ClientBuilder`] configures it.

mod bills;
mod builder;
mod notifications;
mod roots;
mod sensitive;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use builder::ClientBuilder;

use crate::auth::{KeyStore, Signer, Verifier};
use crate::certificates::{Certificates, DownloadedCertificate};
use crate::chain::Chain;
use crate::error::{CertificateError, CertificateErrorKind, Error};
use crate::pipeline::Engine;
use crate::request::PreparedRequest;
use crate::transport;

/// The default base URI.
pub const DEFAULT_BASE_URI: &str = "https://api.mch.weixin.qq.com/";
/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default total time limit of a call (connect, send, wait, read).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default cap on a buffered response body.
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 16 * 1024 * 1024;

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
    engine: Arc<Engine>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("mchid", &self.engine.v3.mchid())
            .field("serial", &self.engine.v3.serial())
            .field("base_uri", &self.engine.defaults.base.as_string())
            .field("keys", &self.keys().ids())
            .field("automatic_certificates", &self.engine.certificates.as_ref().is_some_and(|c| c.automatic()))
            .field("merchant_tls", &self.engine.transport.has_merchant_identity())
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
        Chain::root(Arc::clone(&self.engine))
    }

    /// The merchant id.
    pub fn mchid(&self) -> &str {
        self.engine.v3.mchid()
    }

    /// The merchant API certificate serial used in `Authorization`.
    pub fn serial(&self) -> &str {
        self.engine.v3.serial()
    }

    /// The base URI requests are resolved against.
    pub fn base_uri_string(&self) -> String {
        self.engine.defaults.base.as_string()
    }

    /// The key store that verifies WeChat Pay's signatures (shared: changes apply to in-flight calls).
    pub fn keys(&self) -> &KeyStore {
        self.engine.v3.verifier().keys()
    }

    /// The response verifier (for checking captured responses).
    pub fn verifier(&self) -> &Verifier {
        self.engine.v3.verifier()
    }

    /// The `Authorization` value this client would send for `request` at `timestamp` with `nonce`.
    pub fn authorization(&self, request: &PreparedRequest, timestamp: i64, nonce: &str) -> Result<String, Error> {
        self.engine.v3.authorization(request, timestamp, nonce)
    }

    /// Downloads the platform certificates (`GET v3/certificates`), decrypts them with the APIv3 key,
    /// checks each one and the download's signature, and returns them **without** installing them
    /// (what PHP's `CertificateDownloader` does; see `examples/download_certificates.rs`).
    pub fn download_certificates(&self) -> Result<Vec<DownloadedCertificate>, Error> {
        let certificates = self.certificates()?;
        transport::block_on(carried(async move { certificates.download().await }))
    }

    /// [`download_certificates`](Client::download_certificates), async.
    pub async fn download_certificates_async(&self) -> Result<Vec<DownloadedCertificate>, Error> {
        let certificates = self.certificates()?;
        transport::joined(transport::spawn(carried(async move { certificates.download().await }))?.await)
    }

    /// Downloads the platform certificates now and installs the valid ones into the key store
    /// (dropping expired ones), returning those installed. Joins a download already in flight.
    /// Needs an APIv3 key; works in any mode.
    pub fn refresh_certificates(&self) -> Result<Vec<DownloadedCertificate>, Error> {
        transport::block_on(carried(self.refreshable()?.refresh_now()))
    }

    /// [`refresh_certificates`](Client::refresh_certificates), async.
    pub async fn refresh_certificates_async(&self) -> Result<Vec<DownloadedCertificate>, Error> {
        transport::joined(transport::spawn(carried(self.refreshable()?.refresh_now()))?.await)
    }

    fn certificates(&self) -> Result<Arc<Certificates>, Error> {
        self.engine.certificates.clone().ok_or_else(|| {
            Error::config("apiv3_key", "downloading platform certificates needs the APIv3 key: `.apiv3_key(…)`")
        })
    }

    fn refreshable(&self) -> Result<Arc<Certificates>, Error> {
        self.engine.certificates.clone().ok_or_else(|| {
            Error::Certificates(CertificateError::new(
                CertificateErrorKind::Download,
                "no APIv3 key is configured; set it with `.apiv3_key(…)` to download platform certificates",
            ))
        })
    }

    /// Certificate downloads this client has started (automatic mode, unknown serials, explicit refreshes).
    pub fn certificate_downloads(&self) -> u64 {
        self.engine.certificates.as_ref().map_or(0, |c| c.downloads())
    }

    /// The signer requests are signed with (front-end signatures use it too).
    pub(crate) fn signer_ref(&self) -> &dyn Signer {
        self.engine.v3.signer()
    }

    /// Now, in Unix seconds, by the client's clock.
    pub(crate) fn now(&self) -> i64 {
        self.engine.v3.clock().now()
    }
}

/// `job` with the caller's current span and subscriber, for the SDK runtime: its spans and events stay
/// in the caller's context.
fn carried<F: std::future::Future>(job: F) -> impl std::future::Future<Output = F::Output> {
    use tracing::instrument::{Instrument, WithSubscriber};
    job.instrument(tracing::Span::current()).with_current_subscriber()
}
