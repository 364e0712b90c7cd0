//! HTTP transport: hyper 1 + hyper-util's pooled client over the TLS backend, on tokio.
//!
//! Async calls, certificate downloads and streamed downloads run on one process-wide multi-threaded
//! tokio runtime owned by the SDK (threads named `wechatpay-io`); the caller's future awaits the result.
//! Consequences:
//! - async calls work on any executor, and a client can be shared between runtimes or outlive them
//!   (pooled connections never belong to a runtime that has shut down);
//! - the RSA signing of an async call never runs on the caller's executor.
//!
//! A blocking call does its I/O on the calling thread, with that thread's own current-thread runtime
//! and connection pools ([`local`]): no hand-off to another thread and back. On a thread that is inside
//! a tokio runtime (where a nested runtime may not block), it hands the I/O to the SDK runtime and
//! waits, so blocking calls work from any thread without panicking.
//!
//! Each [`Client`](crate::Client) has its own connection pools. Redirects are not followed. Retries are
//! the callers' loop over [`Attempts`] (see [`crate::retry`]), which also picks the failover host
//! ([`hosts`]); below it, hyper adds one safe retry of its own: when a pooled connection turns out to be
//! closed *before* any byte of the request was written, the request goes out on a fresh connection.

mod attempts;
mod future;
pub(crate) mod hosts;
mod local;
mod runtime;
pub(crate) mod tls;

use std::sync::Arc;

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::error::{Error, Sent, TimeoutError, TransportError};
pub(crate) use attempts::{Attempt, Attempts, Next, error_type, sent_name};
pub use future::ResponseFuture;
pub(crate) use runtime::{block_on, joined, refuse_on_io_thread, spawn, spawn_detached};
pub(crate) use tls::Security;
use tls::{Connector, Connectors, Https};
use tracing::Instrument;
use tracing::instrument::WithSubscriber;

/// The parts of a received response.
pub(crate) struct Received {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

fn is_timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut) {
            return true;
        }
        next = e.source();
    }
    false
}

type Pool = HyperClient<Https, Full<Bytes>>;

/// A pool of connections made with `tls`, idle ones kept for `idle` and at most `idle_per_host` per host.
fn pool(tls: &Connector, connect_timeout: Duration, idle: Duration, idle_per_host: usize) -> Pool {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(connect_timeout));
    http.set_nodelay(true);
    let https = tls::https(http, tls);
    HyperClient::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(idle)
        .pool_max_idle_per_host(idle_per_host)
        .build(https)
}

/// The pooled HTTP clients of one [`Client`](crate::Client), with their limits: one for ordinary
/// requests and, when a merchant TLS identity is configured, one that presents it (mutual TLS for
/// APIv2 `security` endpoints). The pools are separate, so a connection made with the merchant
/// certificate never carries an ordinary request, nor the other way round. These pools live on the SDK
/// runtime; a thread making blocking calls gets pools of its own, made the same way ([`local`]).
#[derive(Clone)]
pub(crate) struct Transport {
    client: Pool,
    merchant: Option<Pool>,
    /// How a blocking caller's thread makes its own pools.
    local: Arc<local::Recipe>,
    connect_timeout: Duration,
    timeout: Duration,
    max_body: usize,
    /// The failover hosts, when there are backups.
    failover: Option<Arc<hosts::Failover>>,
}

impl Transport {
    pub(crate) fn new(
        connect_timeout: Duration,
        timeout: Duration,
        max_body: usize,
        tls: Connectors,
        failover: Option<hosts::Failover>,
    ) -> Transport {
        let shared = |tls: &Connector| pool(tls, connect_timeout, Duration::from_secs(60), usize::MAX);
        Transport {
            client: shared(&tls.standard),
            merchant: tls.merchant.as_ref().map(shared),
            local: local::Recipe::new(tls, connect_timeout),
            connect_timeout,
            timeout,
            max_body,
            failover: failover.map(Arc::new),
        }
    }

    /// Whether a merchant TLS identity is configured (so [`Security::Required`] requests can be sent).
    pub(crate) fn has_merchant_identity(&self) -> bool {
        self.merchant.is_some()
    }

    /// The pool for `security`; without a merchant identity a [`Security::Required`] request is refused
    /// before anything is sent.
    fn pool(&self, security: Security) -> Result<&Pool, Error> {
        match (security, &self.merchant) {
            (Security::Standard, _) => Ok(&self.client),
            (Security::Required, Some(merchant)) => Ok(merchant),
            (Security::Required, None) => Err(Error::config(
                "merchant_tls",
                "this endpoint needs the merchant API certificate for mutual TLS and the client has none; add \
                 `.merchant_tls_pem(\"file:///path/to/apiclient_cert.pem\", \"file:///path/to/apiclient_key.pem\")` \
                 or `.merchant_tls_pkcs12(std::fs::read(\"apiclient_cert.p12\")?, None)` to the client builder",
            )),
        }
    }

    /// Sends `request` and returns as soon as the answer's head has arrived (before `deadline`), with the
    /// body still to be read: for streaming downloads, which are not capped or buffered.
    pub(crate) async fn open(
        &self,
        request: Request<Full<Bytes>>,
        deadline: Instant,
        budget: Duration,
    ) -> Result<http::Response<hyper::body::Incoming>, Error> {
        let limit = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(limit, self.client.request(request)).await {
            Ok(result) => result.map_err(|e| self.request_error(e)),
            Err(_) => Err(Error::Timeout(TimeoutError::new(Sent::Maybe, budget, "waiting for the download to start"))),
        }
    }

    fn request_error(&self, e: hyper_util::client::legacy::Error) -> Error {
        if !e.is_connect() {
            return Error::Transport(TransportError::new(
                Sent::Maybe,
                "the connection failed while sending the request or waiting for the answer",
                Some(Box::new(e)),
            ));
        }
        if is_timed_out(&e) {
            return Error::Timeout(TimeoutError::new(Sent::No, self.connect_timeout, "connecting"));
        }
        let message = if tls::is_tls_error(&e) {
            "the TLS handshake failed, nothing was sent (is the server certificate trusted? a private CA or \
             self-signed server needs `root_certificate` on the client builder)"
        } else {
            "could not connect to WeChat Pay"
        };
        Error::Transport(TransportError::new(Sent::No, message, Some(Box::new(e))))
    }

    /// The default total time limit of a call.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends `request` over the pool `security` asks for and reads the whole body (up to the cap) before
    /// `deadline`; `budget` is the call's whole time limit, reported in the timeout error.
    /// [`Security::Required`] presents the merchant TLS certificate (APIv2 `security` endpoints) and
    /// fails with [`Error::Config`] ([`Sent::No`]) when the client has none.
    pub(crate) async fn send_with(
        &self,
        request: Request<Full<Bytes>>,
        deadline: Instant,
        budget: Duration,
        security: Security,
    ) -> Result<Received, Error> {
        let pool = self.pool(security)?;
        self.exchange(pool, request, deadline, budget).await
    }

    /// [`send_with`](Self::send_with) for a blocking caller, who waits on its own thread: the exchange
    /// runs there when it can ([`local`]), on the SDK runtime otherwise, in the current span.
    pub(crate) fn send_blocking(
        &self,
        request: Request<Full<Bytes>>,
        deadline: Instant,
        budget: Duration,
        security: Security,
    ) -> Result<Received, Error> {
        self.pool(security)?;
        let here = local::block_on(&self.local, security, request, |pool, request| async move {
            self.exchange(&pool, request, deadline, budget).await
        });
        let request = match here {
            Ok(received) => return received,
            Err(request) => request,
        };
        let transport = self.clone();
        let job = async move { transport.send_with(request, deadline, budget, security).await };
        block_on(job.in_current_span().with_current_subscriber())
    }

    /// Sends `request` over `pool` and reads the whole answer within the limits.
    async fn exchange(
        &self,
        pool: &Pool,
        request: Request<Full<Bytes>>,
        deadline: Instant,
        budget: Duration,
    ) -> Result<Received, Error> {
        let limit = deadline.saturating_duration_since(Instant::now());
        let started = Instant::now();
        let exchange = async {
            let response = pool.request(request).await.map_err(|e| self.request_error(e))?;
            let (parts, body) = response.into_parts();
            let collected = Limited::new(body, self.max_body).collect().await.map_err(|e| {
                let message = if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
                    format!(
                        "the response body is larger than the {} byte limit; raise `max_response_body` on the client builder",
                        self.max_body
                    )
                } else {
                    "the connection broke while reading the response body".to_owned()
                };
                Error::Transport(TransportError::new(Sent::Yes, message, Some(e)))
            })?;
            Ok(Received { status: parts.status, headers: parts.headers, body: collected.to_bytes() })
        };
        match tokio::time::timeout(limit, exchange).await {
            Ok(result) => result,
            Err(_) => {
                tracing::debug!(elapsed = ?started.elapsed(), "wechatpay request timed out");
                Err(Error::Timeout(TimeoutError::new(Sent::Maybe, budget, "the request")))
            }
        }
    }
}
