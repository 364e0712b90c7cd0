//! The call pipeline: a prepared request is authorized by its protocol, sent by the transport, and its
//! answer checked by the same protocol. [`Engine`] holds everything one client needs for that; chains
//! hold it, and the client is only its handle.
//!
//! Where the work runs: a blocking call signs and checks on the caller's thread and hands only the I/O
//! to the SDK runtime (one hand-off each way); an async call runs wholly on the SDK runtime, so the RSA
//! work never lands on the caller's executor. Both paths run the same steps, in the same order.

mod download;

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::Method;

use crate::certificates::Certificates;
use crate::download::DownloadDefaults;
use crate::error::Error;
use crate::protocol::v2::V2;
use crate::protocol::v3::V3;
use crate::protocol::{Exchange, Protocol};
use crate::request::{self, Api, Defaults, Draft, Options, PreparedRequest};
use crate::response::Response;
use crate::transport::{self, ResponseFuture, Security, Transport};

/// What one client needs to prepare, send and check its calls.
pub(crate) struct Engine {
    pub(crate) defaults: Defaults,
    pub(crate) v3: Arc<V3>,
    pub(crate) v2: V2,
    pub(crate) transport: Transport,
    /// The APIv3 key and certificate downloads, when an APIv3 key is configured.
    pub(crate) certificates: Option<Arc<Certificates>>,
    /// The client's download limits.
    pub(crate) downloads: DownloadDefaults,
}

/// A call's time limit and when it ends.
#[derive(Clone, Copy)]
struct Budget {
    deadline: Instant,
    total: Duration,
}

impl Engine {
    /// Chain template + options → the request as it will be sent (APIv2: completed and signed).
    pub(crate) fn prepare(&self, template: &str, method: Method, options: Options) -> Result<PreparedRequest, Error> {
        match request::prepare(&self.defaults, template, method, options)? {
            Draft::V3(prepared) => Ok(prepared),
            Draft::V2(draft) => self.v2.seal(draft),
        }
    }

    /// The download options belong to downloads: an ordinary call with them is refused before sending.
    fn refuse_download_options(prepared: &PreparedRequest) -> Result<(), Error> {
        if prepared.download.is_set() {
            return Err(Error::input(
                crate::error::InputErrorKind::InvalidOption,
                "`download_timeout` and `max_bytes` apply to `download` and the bill helpers; an ordinary call is \
                 limited by `timeout` and the client's `max_response_body`",
            ));
        }
        Ok(())
    }

    fn budget(&self, prepared: &PreparedRequest) -> Budget {
        let total = prepared.timeout.unwrap_or_else(|| self.transport.timeout());
        Budget { deadline: Instant::now() + total, total }
    }

    /// The certificates, when a call must wait for a download before it may be sent.
    fn certificates_needed(&self) -> Option<&Arc<Certificates>> {
        self.certificates.as_ref().filter(|c| c.needs_keys())
    }

    /// The certificates, when `result` failed on a serial a download might supply.
    fn certificates_wanted(&self, result: &Result<Response, Error>) -> Option<&Arc<Certificates>> {
        match result {
            Err(Error::Verification(e)) => self.certificates.as_ref().filter(|c| c.wants_download(e.failure())),
            _ => None,
        }
    }

    /// Sends and waits, blocking the calling thread: signs and checks here, does the I/O on the SDK
    /// runtime.
    pub(crate) fn send_blocking(self: &Arc<Self>, prepared: PreparedRequest) -> Result<Response, Error> {
        transport::refuse_on_io_thread("a blocking call")?;
        Engine::refuse_download_options(&prepared)?;
        let budget = self.budget(&prepared);
        match prepared.api() {
            Api::V3 => {
                if let Some(certificates) = self.certificates_needed() {
                    let certificates = Arc::clone(certificates);
                    transport::block_on(async move { certificates.ensure_keys(budget.deadline, budget.total).await })?;
                }
                let exchange = Exchange::of(&prepared);
                let result = self.exchange_blocking(self.v3.as_ref(), prepared, budget);
                match self.certificates_wanted(&result) {
                    Some(certificates) => {
                        let certificates = Arc::clone(certificates);
                        let fetched = async move {
                            certificates.fetch_unknown_serial(budget.deadline).await;
                            Ok(())
                        };
                        transport::block_on(fetched)?;
                        recheck(self.v3.as_ref(), &exchange, result)
                    }
                    None => result,
                }
            }
            Api::V2 { .. } => self.exchange_blocking(&self.v2, prepared, budget),
        }
    }

    fn exchange_blocking<P: Protocol>(
        self: &Arc<Self>,
        protocol: &P,
        prepared: PreparedRequest,
        budget: Budget,
    ) -> Result<Response, Error> {
        let exchange = Exchange::of(&prepared);
        let security = security(&prepared);
        let request = protocol.authorize(prepared)?;
        let engine = Arc::clone(self);
        let received = transport::block_on(async move {
            engine.transport.send_with(request, budget.deadline, budget.total, security).await
        });
        log_outcome(&exchange, &received);
        protocol.check(&exchange, received?)
    }

    /// The future of an async call: nothing runs until it is first polled, then the whole call runs on
    /// the SDK runtime; dropping the future aborts it.
    pub(crate) fn send_async(self: Arc<Self>, prepared: PreparedRequest) -> ResponseFuture {
        ResponseFuture::lazy(Box::pin(self.execute(prepared)))
    }

    /// Authorize → send → check, on the SDK runtime.
    async fn execute(self: Arc<Self>, prepared: PreparedRequest) -> Result<Response, Error> {
        Engine::refuse_download_options(&prepared)?;
        let budget = self.budget(&prepared);
        match prepared.api() {
            Api::V3 => {
                if let Some(certificates) = self.certificates_needed() {
                    certificates.ensure_keys(budget.deadline, budget.total).await?;
                }
                let exchange = Exchange::of(&prepared);
                let result = self.exchange(self.v3.as_ref(), prepared, budget).await;
                match self.certificates_wanted(&result) {
                    Some(certificates) => {
                        certificates.fetch_unknown_serial(budget.deadline).await;
                        recheck(self.v3.as_ref(), &exchange, result)
                    }
                    None => result,
                }
            }
            Api::V2 { .. } => self.exchange(&self.v2, prepared, budget).await,
        }
    }

    async fn exchange<P: Protocol>(
        &self,
        protocol: &P,
        prepared: PreparedRequest,
        budget: Budget,
    ) -> Result<Response, Error> {
        let exchange = Exchange::of(&prepared);
        let security = security(&prepared);
        let request = protocol.authorize(prepared)?;
        let received = self.transport.send_with(request, budget.deadline, budget.total, security).await;
        log_outcome(&exchange, &received);
        protocol.check(&exchange, received?)
    }
}

/// Checks again an answer that failed on an unknown serial, now that a download may have supplied it.
fn recheck(protocol: &V3, exchange: &Exchange, result: Result<Response, Error>) -> Result<Response, Error> {
    match result {
        Err(Error::Verification(failed)) => protocol.recheck(exchange, failed),
        other => other,
    }
}

/// The connection pool a request needs: APIv2 `security` requests present the merchant certificate.
fn security(prepared: &PreparedRequest) -> Security {
    match prepared.api() {
        Api::V2 { security: true } => Security::Required,
        _ => Security::Standard,
    }
}

fn log_outcome(exchange: &Exchange, received: &Result<transport::Received, Error>) {
    let (method, path) = (&exchange.method, exchange.path.as_str());
    match received {
        Ok(r) => {
            let request_id = r.headers.get("request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::debug!(%method, path, status = r.status.as_u16(), request_id, "wechatpay call");
        }
        Err(e) => tracing::debug!(%method, path, error = %e, "wechatpay call failed"),
    }
}
