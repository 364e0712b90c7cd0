//! The call pipeline: a prepared request is authorized by its protocol, sent by the transport, and its
//! answer checked by the same protocol. [`Engine`] holds everything one client needs for that; chains
//! hold it, and the client is only its handle.
//!
//! Where the work runs: a blocking call runs wholly on the caller's thread, its I/O included (see
//! [`crate::transport`]; inside a tokio runtime the I/O is handed to the SDK runtime instead); an async
//! call runs wholly on the SDK runtime, so the RSA work never lands on the caller's executor. Both paths
//! run the same steps, in the same order, attempt after attempt (see [`crate::retry`]): each attempt is
//! signed where the call signs, and a blocking call waits out its backoff on its own thread.
//!
//! Each call has a span, `wechatpay.request` (`trace`), opened on the caller's side and carried into
//! the runtime with the call's futures.

mod download;
mod trace;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::Method;
use tracing::instrument::{Instrument, WithSubscriber};

use crate::certificates::Certificates;
use crate::download::DownloadDefaults;
use crate::error::Error;
use crate::protocol::v2::V2;
use crate::protocol::v3::V3;
use crate::protocol::{Exchange, Protocol};
use crate::request::{self, Api, Defaults, Draft, Options, PreparedRequest};
use crate::response::Response;
use crate::retry::{self, RetryPolicy};
use crate::transport::{self, Attempt, Attempts, Next, ResponseFuture, Security, Transport};
pub(crate) use trace::Call;

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
    /// The client's retry policy (a request's `retry` option replaces it).
    pub(crate) retry: RetryPolicy,
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

    /// The attempts of `prepared` under its policy, within `budget`.
    fn attempts(&self, prepared: &PreparedRequest, budget: Budget) -> Attempts<'_> {
        let policy = prepared.retry.unwrap_or(self.retry);
        let idempotent = retry::is_idempotent(&prepared.method, prepared.idempotent);
        self.transport.attempts(&prepared.uri, policy, idempotent, budget.deadline, budget.total)
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

    /// Sends and waits, blocking the calling thread: signs, sends and checks here (a certificate download
    /// the call needs runs on the SDK runtime). `template` names the call in its span.
    pub(crate) fn send_blocking(&self, template: &str, prepared: PreparedRequest) -> Result<Response, Error> {
        let call = Call::start(template, &prepared);
        let _entered = call.span().enter();
        let result = self.run_blocking(&call, prepared);
        match &result {
            Ok(response) => call.succeeded(response.status(), response.headers()),
            Err(e) => call.failed(e),
        }
        result
    }

    fn run_blocking(&self, call: &Call, prepared: PreparedRequest) -> Result<Response, Error> {
        transport::refuse_on_io_thread("a blocking call")?;
        Engine::refuse_download_options(&prepared)?;
        let budget = self.budget(&prepared);
        match prepared.api() {
            Api::V3 => {
                if let Some(certificates) = self.certificates_needed() {
                    let certificates = Arc::clone(certificates);
                    let ensured = async move { certificates.ensure_keys(budget.deadline, budget.total).await };
                    block_on_in(call, ensured)?;
                }
                let exchange = Exchange::of(&prepared);
                let result = self.exchange_blocking(call, self.v3.as_ref(), prepared, budget);
                match self.certificates_wanted(&result) {
                    Some(certificates) => {
                        let certificates = Arc::clone(certificates);
                        let fetched = async move {
                            certificates.fetch_unknown_serial(budget.deadline).await;
                            Ok(())
                        };
                        block_on_in(call, fetched)?;
                        recheck(self.v3.as_ref(), &exchange, result)
                    }
                    None => result,
                }
            }
            Api::V2 { .. } => self.exchange_blocking(call, &self.v2, prepared, budget),
        }
    }

    fn exchange_blocking<P: Protocol>(
        &self,
        call: &Call,
        protocol: &P,
        prepared: PreparedRequest,
        budget: Budget,
    ) -> Result<Response, Error> {
        let exchange = Exchange::of(&prepared);
        let security = security(&prepared);
        let mut attempts = self.attempts(&prepared, budget);
        let mut prepared = Some(prepared);
        let mut previous = None;
        loop {
            let attempt = attempts.begin();
            let request = match authorize(protocol, &mut prepared, &self.transport, &attempt, call) {
                Ok(request) => request,
                // A later attempt that cannot be signed: the earlier outcome says what the request went through.
                Err(e) => return protocol.check(&exchange, previous.unwrap_or(Err(e))?),
            };
            let received = self.transport.send_blocking(request, attempt.deadline, attempt.budget, security);
            match attempts.after(&attempt, &received) {
                Next::RetryAfter(delay) => {
                    previous = Some(received);
                    std::thread::sleep(delay);
                }
                Next::Done => return protocol.check(&exchange, received?),
            }
        }
    }

    /// The future of an async call: nothing runs until it is first polled, then the whole call runs on
    /// the SDK runtime; dropping the future aborts it. The span is opened here, on the caller's side.
    pub(crate) fn send_async(self: Arc<Self>, template: &str, prepared: PreparedRequest) -> ResponseFuture {
        let call = Call::start(template, &prepared);
        let span = call.span().clone();
        let job = async move {
            let result = self.execute(&call, prepared).await;
            match &result {
                Ok(response) => call.succeeded(response.status(), response.headers()),
                Err(e) => call.failed(e),
            }
            result
        };
        ResponseFuture::lazy(Box::pin(job.instrument(span).with_current_subscriber()))
    }

    /// Authorize → send → check, on the SDK runtime.
    async fn execute(&self, call: &Call, prepared: PreparedRequest) -> Result<Response, Error> {
        Engine::refuse_download_options(&prepared)?;
        let budget = self.budget(&prepared);
        match prepared.api() {
            Api::V3 => {
                if let Some(certificates) = self.certificates_needed() {
                    certificates.ensure_keys(budget.deadline, budget.total).await?;
                }
                let exchange = Exchange::of(&prepared);
                let result = self.exchange(call, self.v3.as_ref(), prepared, budget).await;
                match self.certificates_wanted(&result) {
                    Some(certificates) => {
                        certificates.fetch_unknown_serial(budget.deadline).await;
                        recheck(self.v3.as_ref(), &exchange, result)
                    }
                    None => result,
                }
            }
            Api::V2 { .. } => self.exchange(call, &self.v2, prepared, budget).await,
        }
    }

    async fn exchange<P: Protocol>(
        &self,
        call: &Call,
        protocol: &P,
        prepared: PreparedRequest,
        budget: Budget,
    ) -> Result<Response, Error> {
        let exchange = Exchange::of(&prepared);
        let security = security(&prepared);
        let attempts = self.attempts(&prepared, budget);
        let mut prepared = Some(prepared);
        let transport = &self.transport;
        let received = attempts
            .run(|attempt| {
                let request = authorize(protocol, &mut prepared, transport, &attempt, call);
                async move { transport.send_with(request?, attempt.deadline, attempt.budget, security).await }
            })
            .await;
        protocol.check(&exchange, received?)
    }
}

/// Signs one attempt (a fresh timestamp and nonce for APIv3) and points it at the attempt's host; the
/// prepared request is kept for a later attempt only while one may follow.
fn authorize<P: Protocol + ?Sized>(
    protocol: &P,
    prepared: &mut Option<PreparedRequest>,
    transport: &Transport,
    attempt: &Attempt,
    call: &Call,
) -> Result<http::Request<http_body_util::Full<bytes::Bytes>>, Error> {
    let this = if attempt.keep { prepared.clone() } else { prepared.take() };
    let this = this.ok_or_else(|| {
        Error::input(crate::error::InputErrorKind::InvalidOption, "the request was already sent (internal)")
    })?;
    let mut request = protocol.authorize(this)?;
    transport.aim(attempt, &mut request);
    call.attempt(transport, attempt, request.uri());
    Ok(request)
}

/// [`transport::block_on`] with the call's span carried into the runtime.
fn block_on_in<T: Send + 'static>(
    call: &Call,
    job: impl Future<Output = Result<T, Error>> + Send + 'static,
) -> Result<T, Error> {
    transport::block_on(job.instrument(call.span().clone()).with_current_subscriber())
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
