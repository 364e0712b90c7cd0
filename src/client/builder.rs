//! [`ClientBuilder`]: every setting of a client, validated once, in [`build`](ClientBuilder::build).

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;

use super::{Client, DEFAULT_BASE_URI, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BODY, DEFAULT_TIMEOUT};
use crate::auth::{
    Clock, KeyStore, PUBLIC_KEY_ID_PREFIX, RsaSigner, Signer, SystemClock, TrustEvent, TrustListener, Verifier,
};
use crate::certificates::{Certificates, DEFAULT_REFRESH_INTERVAL, MAX_REFRESH_INTERVAL, MIN_REFRESH_INTERVAL};
use crate::crypto::{ApiV3Key, PrivateKey, PublicKey};
use crate::download::{DEFAULT_DOWNLOAD_TIMEOUT, DownloadDefaults};
use crate::error::{ConfigError, Error};
use crate::pipeline::Engine;
use crate::protocol::v2::V2;
use crate::protocol::v3::V3;
use crate::request::Defaults;
use crate::retry::RetryPolicy;
use crate::transport::Transport;
use crate::transport::hosts::{DEFAULT_FAILOVER_HOLD, Failover, Origin};
use crate::transport::tls::{self, MerchantTls};
use crate::uri::BaseUri;
use crate::v2::ApiV2Key;

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
    retry: Option<RetryPolicy>,
    failover_hosts: Option<Vec<String>>,
    failover_hold: Option<Duration>,
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
            .field("retry", &self.retry)
            .field("failover_hosts", &self.failover_hosts)
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

    /// The largest download accepted, in bytes (default: no cap for [`Chain::download`](crate::Chain::download);
    /// bills have [`DEFAULT_MAX_BILL_BYTES`](crate::download::DEFAULT_MAX_BILL_BYTES)), overridable per call
    /// with the `max_bytes` option. A `Content-Length` above it is refused before the body is read; for gzip
    /// bills it caps the decompressed size too.
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
    /// proxy, or a local imitation such as the HTTPS side of the `wechatpay-sandbox` crate. May be given
    /// several times.
    pub fn root_certificate(mut self, pem: impl Into<String>) -> Self {
        self.root_certificates.push(pem.into());
        self
    }

    /// How calls are retried (default [`RetryPolicy::default`]: 3 attempts, backoff 100 ms to 2 s); a
    /// request's `retry` option replaces it. Which failures are retried is fixed by whether the request
    /// may have been sent and by its method (see [`crate::retry`]); [`RetryPolicy::none`] makes one
    /// attempt. An invalid policy is refused by [`build`](ClientBuilder::build) (`retry`).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The backup hosts a call fails over to, in order, as origins (`https://host[:port]`; plain `http`
    /// only for loopback). Default: `https://api2.mch.weixin.qq.com` when the base URI is on
    /// `api.mch.weixin.qq.com` (WeChat Pay's backup domain), none for any other base URI. An empty list
    /// turns failover off. Only requests addressed to the base URI's host fail over; see [`crate::retry`].
    pub fn failover_hosts<I, S>(mut self, hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.failover_hosts = Some(hosts.into_iter().map(Into::into).collect());
        self
    }

    /// How long calls stay on a backup host after the primary could not be reached, before one call
    /// probes the primary again (default [`DEFAULT_FAILOVER_HOLD`](crate::retry::DEFAULT_FAILOVER_HOLD),
    /// 60 s; at most one day).
    pub fn failover_hold(mut self, hold: Duration) -> Self {
        self.failover_hold = Some(hold);
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
                let key = PrivateKey::load(&text).map_err(|e| Error::Config(ConfigError::key("private_key", "", e)))?;
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
            let key = PublicKey::load(text)
                .map_err(|e| Error::Config(ConfigError::key(setting, &format!("key `{id}`"), e)))?;
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
        let retry = self.retry.unwrap_or_default();
        retry.check().map_err(|e| Error::config("retry", e))?;
        let failover = failover(&base, self.failover_hosts, self.failover_hold)?;
        let tls = tls::connectors(&self.root_certificates, self.merchant_tls.first(), &mchid)?;
        let transport = Transport::new(connect_timeout, timeout, max_body, tls, failover);
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let verifier = Verifier::new(keys, Arc::clone(&clock));
        let defaults = Defaults { base, user_agent };
        let v3 = Arc::new(V3::new(mchid.clone(), serial, signer, verifier, clock));
        let certificates = apiv3_key.map(|key| {
            let (v3, transport, defaults) = (Arc::clone(&v3), transport.clone(), defaults.clone());
            Arc::new(Certificates::new(key, automatic, interval, v3, transport, defaults, retry))
        });
        if let Some(certificates) = certificates.as_ref().filter(|c| c.automatic()) {
            certificates.start_schedule()?;
        }
        let v2 = V2::new(mchid, apiv2_key);
        let engine = Engine { defaults, v3, v2, transport, certificates, downloads, retry };
        Ok(Client { engine: Arc::new(engine) })
    }
}

/// WeChat Pay's primary API host and its backup domain (备用域名).
const PRIMARY_HOST: &str = "https://api.mch.weixin.qq.com";
const BACKUP_HOST: &str = "https://api2.mch.weixin.qq.com";

/// The failover hosts of a client on `base`: those configured, or WeChat Pay's backup domain for its
/// primary host.
fn failover(base: &BaseUri, hosts: Option<Vec<String>>, hold: Option<Duration>) -> Result<Option<Failover>, Error> {
    let hold = hold.unwrap_or(DEFAULT_FAILOVER_HOLD);
    if hold > Duration::from_secs(86_400) {
        return Err(Error::config("failover_hold", "must be at most one day"));
    }
    let base_text = base.as_string();
    let primary = base_text.parse::<http::Uri>().ok().as_ref().and_then(Origin::of);
    let Some(primary) = primary else { return Err(Error::config("base_uri", format!("`{base_text}` has no host"))) };
    let hosts = match hosts {
        Some(hosts) => hosts,
        None if primary == Origin::parse(PRIMARY_HOST).map_err(|e| Error::config("base_uri", e))? => {
            vec![BACKUP_HOST.to_owned()]
        }
        None => Vec::new(),
    };
    let mut backups = Vec::with_capacity(hosts.len());
    for text in hosts {
        BaseUri::parse(&text).map_err(|e| Error::config("failover_hosts", e))?;
        backups.push(Origin::parse(&text).map_err(|e| Error::config("failover_hosts", e))?);
    }
    Ok(Failover::new(primary, backups, hold))
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
