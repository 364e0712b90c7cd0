//! The public face of the sandbox: [`SandboxBuilder`] and [`Sandbox`].

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wechatpay_chain::{ClientBuilder, Clock, SystemClock};

use crate::keys::{KeyPair, Role, random_alnum, random_serial};

fn generated(fresh: bool, role: Role) -> Result<KeyPair, String> {
    if fresh { KeyPair::generate() } else { KeyPair::cached(role) }
}
use crate::log::RequestLog;
use crate::state::{Platform, SigningKey, State, newest_first};
use crate::tls::TlsServer;
use crate::{
    DEFAULT_LOG_CAPACITY, DEFAULT_RANDOM_FAULT_DELAY, Error, LoggedRequest, RequestHook, SandboxKeys, SignMode, bills,
    faults, is_serial, lock, server,
};

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
    log_capacity: Option<usize>,
    fresh_keys: bool,
}

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

    /// How many requests [`Sandbox::requests`] keeps (default [`DEFAULT_LOG_CAPACITY`]); older ones are
    /// dropped first, so a long-running sandbox does not grow without bound. The
    /// [`on_request`](SandboxBuilder::on_request) hook (the binary's JSON-lines log) still sees every one.
    pub fn log_capacity(mut self, requests: usize) -> Self {
        self.log_capacity = Some(requests);
        self
    }

    /// Generates new keys for this sandbox instead of the process's cached ones. By default the keys
    /// the sandbox generates (merchant, platform, WeChat Pay public key, TLS) are made once per process and
    /// shared by every sandbox it starts, each with its own random serials and ids; key generation is the
    /// slow part of a start.
    pub fn fresh_keys(mut self) -> Self {
        self.fresh_keys = true;
        self
    }

    /// Generates what was not given and starts listening.
    pub fn start(self) -> Result<Sandbox, Error> {
        let fail = |e: String| Error::new(e);
        let fresh = self.fresh_keys;
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
                let pair = generated(fresh, Role::Merchant).map_err(fail)?;
                let cert =
                    pair.merchant_certificate(&serial, &format!("{mchid} sandbox merchant"), now).map_err(fail)?;
                (serial, pair, Some(cert))
            }
        };
        let (platform_serial, platform) = match self.platform {
            Some((serial, pem)) => (serial, KeyPair::from_pem(&pem).map_err(fail)?),
            None => (random_serial().map_err(fail)?, generated(fresh, Role::Platform).map_err(fail)?),
        };
        let first_platform = Platform::new(platform_serial.clone(), platform.clone(), now).map_err(fail)?;
        let platform_certificate_pem = first_platform.certificate_pem.clone();
        let (public_key_id, public_key) = match self.public_key {
            Some((id, pem)) => (id, KeyPair::from_pem(&pem).map_err(fail)?),
            None => (
                format!("PUB_KEY_ID_01{}", &random_serial().map_err(fail)?[..30]),
                generated(fresh, Role::PublicKey).map_err(fail)?,
            ),
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
        let merchant_spki = keys.merchant.spki_der().map_err(fail)?;
        let state = Arc::new(State {
            mchid: keys.mchid.clone(),
            merchant_serial: keys.merchant_serial.clone(),
            merchant_key: keys.merchant.private.to_public_key(),
            merchant_spki: merchant_spki.clone(),
            merchant_verifier: crate::check::MerchantKey::from_spki(&merchant_spki).map_err(fail)?,
            mode: self.mode,
            public,
            public_key_pair: keys.public_key.clone(),
            platforms: Mutex::new(vec![first_platform]),
            apiv3_key: keys.apiv3_key.clone(),
            apiv2_key: keys.apiv2_key.clone(),
            v2: Mutex::default(),
            clock,
            misc: Mutex::default(),
            pay: Mutex::default(),
            log: Mutex::new(RequestLog::new(self.log_capacity.unwrap_or(DEFAULT_LOG_CAPACITY))),
            random,
            on_request: self.on_request,
            bills: bills::Bills::default(),
            abandoned: std::sync::atomic::AtomicU64::new(0),
        });
        lock(&state.misc).merchant_key = Some(state.merchant_key.clone());
        // Clients check the server certificate against their own clock, not the sandbox's.
        let tls = TlsServer::new(&generated(fresh, Role::Tls).map_err(fail)?, SystemClock.now()).map_err(fail)?;
        let tls_root_pem = tls.root_pem.clone();

        let listener = std::net::TcpListener::bind(("127.0.0.1", self.port))
            .map_err(|e| fail(format!("cannot listen on 127.0.0.1:{} ({e})", self.port)))?;
        listener.set_nonblocking(true).map_err(|e| fail(e.to_string()))?;
        let addr = listener.local_addr().map_err(|e| fail(e.to_string()))?;
        state.bills.set_origin(addr);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server_state = Arc::clone(&state);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| fail(format!("the sandbox runtime could not start ({e})")))?;
        let thread = std::thread::Builder::new()
            .name(format!("wechatpay-sandbox-{}", addr.port()))
            .spawn(move || runtime.block_on(server::serve(listener, server_state, tls.acceptor, stopped)))
            .map_err(|e| fail(format!("the sandbox thread could not start ({e})")))?;
        Ok(Sandbox { addr, keys, state, tls_root_pem, stop: Some(stop), thread: Some(thread) })
    }
}

/// A running local WeChat Pay imitation. Stops (and frees its port) when dropped.
pub struct Sandbox {
    addr: SocketAddr,
    /// The keys at start; [`Sandbox::keys`] replaces the platform certificate with the newest.
    keys: SandboxKeys,
    pub(crate) state: Arc<State>,
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

    /// The requests received, in arrival order: every one, unless more than the log capacity
    /// ([`SandboxBuilder::log_capacity`]) arrived, in which case the latest ones.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.state.log).entries()
    }

    /// How many requests were abandoned by their client (the connection closed) before the sandbox
    /// answered them: a `delay` fault outlasting the client's patience, or a cancelled call.
    pub fn abandoned_requests(&self) -> u64 {
        self.state.abandoned.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// How many requests were dropped from [`requests`](Sandbox::requests) to keep it within its capacity.
    pub fn dropped_requests(&self) -> u64 {
        lock(&self.state.log).dropped()
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
