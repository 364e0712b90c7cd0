//! Certificate orchestration: the background schedule, the download a call waits for when no key is
//! usable, and the one download an unknown serial may trigger. Downloads go straight to the transport
//! with the APIv3 protocol; they never re-enter the call pipeline, but follow the client's retry
//! policy and failover hosts (a download is an idempotent `GET`).
//!
//! Each download runs in a `wechatpay.certificates` span (its parent: the call or notification that
//! needed it, or none for the schedule) with `wechatpay.reason`, and on success
//! `wechatpay.certificates.installed`; a success is an INFO event naming the serials installed, a
//! failure a WARN event.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use futures::FutureExt;
use http::Method;
use tracing::instrument::{Instrument, WithSubscriber};

use super::refresher::{Outcome, Reason, Refresher};
use super::{DownloadedCertificate, RETRY_AFTER_FAILURE, may_be_certificate_serial, parse_listing};
use crate::auth::{TrustEvent, Verifier};
use crate::crypto::ApiV3Key;
use crate::error::{CertificateError, CertificateErrorKind, Error, Sent, TimeoutError, VerificationFailure};
use crate::protocol::v3::V3;
use crate::protocol::{Exchange, Protocol};
use crate::request::{Defaults, Draft, Options};
use crate::retry::RetryPolicy;
use crate::transport::{Received, Security, Transport};

/// The APIv3 key and what downloading certificates takes: the merchant's APIv3 protocol (signing,
/// the key store), the transport and the request defaults.
pub(crate) struct Certificates {
    key: ApiV3Key,
    refresher: Refresher,
    /// Automatic mode: background refresh, download before a call without keys, download on an unknown
    /// serial.
    automatic: bool,
    interval: Duration,
    v3: Arc<V3>,
    transport: Transport,
    defaults: Defaults,
    retry: RetryPolicy,
}

impl Certificates {
    pub(crate) fn new(
        key: ApiV3Key,
        automatic: bool,
        interval: Duration,
        v3: Arc<V3>,
        transport: Transport,
        defaults: Defaults,
        retry: RetryPolicy,
    ) -> Certificates {
        Certificates { key, refresher: Refresher::new(), automatic, interval, v3, transport, defaults, retry }
    }

    /// The APIv3 key (it also decrypts notifications).
    pub(crate) fn key(&self) -> &ApiV3Key {
        &self.key
    }

    /// Whether the client downloads and refreshes certificates by itself.
    pub(crate) fn automatic(&self) -> bool {
        self.automatic
    }

    /// Certificate downloads started so far.
    pub(crate) fn downloads(&self) -> u64 {
        self.refresher.downloads()
    }

    fn verifier(&self) -> &Verifier {
        self.v3.verifier()
    }

    fn now(&self) -> i64 {
        self.v3.clock().now()
    }

    /// Whether a failed check names a certificate serial that a download might supply.
    pub(crate) fn wants_download(&self, failure: &VerificationFailure) -> bool {
        match failure {
            VerificationFailure::UnknownKey { serial, .. } => self.automatic && may_be_certificate_serial(serial),
            _ => false,
        }
    }

    /// Whether a call must wait for a download before it may be sent: automatic mode and no usable key.
    pub(crate) fn needs_keys(&self) -> bool {
        self.automatic && !self.verifier().keys().has_usable_key(self.now())
    }

    /// In automatic mode, waits for (or starts) a download when the store has no usable key, so that a
    /// call is never sent when its answer could not be verified.
    pub(crate) async fn ensure_keys(self: &Arc<Self>, deadline: Instant, budget: Duration) -> Result<(), Error> {
        if !self.needs_keys() {
            return Ok(());
        }
        match tokio::time::timeout_at(deadline.into(), self.refresh(Reason::Bootstrap)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(Error::Certificates(e)),
            Err(_) => Err(Error::Timeout(TimeoutError::new(Sent::No, budget, "waiting for the platform certificates"))),
        }
    }

    /// After a check failed on an unknown certificate serial in automatic mode: waits for one (shared,
    /// rate-limited) download, before `deadline`. Never re-sends anything; the caller checks again.
    pub(crate) async fn fetch_unknown_serial(self: &Arc<Self>, deadline: Instant) {
        match tokio::time::timeout_at(deadline.into(), self.refresh(Reason::UnknownSerial)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::debug!(error = %e, "no certificate download for the unknown serial"),
            Err(_) => tracing::debug!("the certificate download for the unknown serial outlasted the call"),
        }
    }

    /// Joins or starts a certificate download (see [`Refresher::request`]).
    pub(crate) async fn refresh(self: &Arc<Self>, reason: Reason) -> Outcome {
        let job = || {
            let this = Arc::clone(self);
            let span = tracing::info_span!(
                "wechatpay.certificates",
                "wechatpay.reason" = reason.name(),
                "wechatpay.certificates.installed" = tracing::field::Empty,
                "error.type" = tracing::field::Empty,
            );
            async move {
                // The download runs as its own task, so it completes even if every waiter goes away.
                match crate::transport::spawn_detached(this.refresh_job().instrument(span).with_current_subscriber()) {
                    Ok(task) => task.await.unwrap_or_else(|e| {
                        Err(CertificateError::new(
                            CertificateErrorKind::Download,
                            format!("the download task ended: {e}"),
                        ))
                    }),
                    Err(e) => Err(CertificateError::new(CertificateErrorKind::Download, e.to_string())),
                }
            }
            .boxed()
        };
        self.refresher.request(reason, job)?.await
    }

    /// Downloads now and installs the valid certificates (explicit `refresh_certificates()`).
    pub(crate) async fn refresh_now(self: Arc<Self>) -> Result<Vec<DownloadedCertificate>, Error> {
        self.refresh(Reason::Scheduled).await.map(|installed| installed.to_vec()).map_err(Error::Certificates)
    }

    /// One download: fetch, check, install the valid certificates, drop expired ones, report.
    async fn refresh_job(self: Arc<Self>) -> Outcome {
        let result = self.download().await.map_err(|e| match e {
            Error::Certificates(e) => e,
            other => CertificateError {
                kind: CertificateErrorKind::Download,
                message: "GET v3/certificates failed".to_owned(),
                source: Some(Arc::new(other)),
            },
        });
        let now = self.now();
        let result = result.and_then(|downloaded| {
            let valid: Vec<DownloadedCertificate> = downloaded.into_iter().filter(|c| c.is_valid_at(now)).collect();
            if valid.is_empty() {
                return Err(CertificateError::new(
                    CertificateErrorKind::NoValidCertificate,
                    "the download held no certificate valid now; check this machine's clock",
                ));
            }
            let installed = valid.iter().map(|c| (c.serial().to_owned(), c.public_key().clone())).collect();
            self.verifier().keys().install(installed, now);
            Ok(Arc::new(valid))
        });
        self.refresher.finished(result.is_ok(), now);
        let span = tracing::Span::current();
        if let Ok(valid) = &result {
            span.record("wechatpay.certificates.installed", valid.len());
            tracing::info!(
                "wechatpay.certificates.installed" = valid.len(),
                serials = ?valid.iter().map(DownloadedCertificate::serial).collect::<Vec<_>>(),
                "platform certificates refreshed"
            );
        }
        if let Err(e) = &result {
            span.record("error.type", "certificates");
            tracing::warn!(error = %e, "platform certificate refresh failed; keeping the current keys");
            self.verifier().keys().emit(&TrustEvent::RefreshFailed { reason: e.to_string() });
        }
        result
    }

    /// `GET v3/certificates`, decrypted, parsed, and verified with the downloaded certificates themselves
    /// (or a key already trusted). Nothing is installed.
    pub(crate) async fn download(&self) -> Result<Vec<DownloadedCertificate>, Error> {
        let Draft::V3(prepared) =
            crate::request::prepare(&self.defaults, "v3/certificates", Method::GET, Options::default())?
        else {
            return Err(Error::config("base_uri", "`v3/certificates` did not resolve to an APIv3 request"));
        };
        let exchange = Exchange::of(&prepared);
        let total = self.transport.timeout();
        let attempts = self.transport.attempts(&prepared.uri, self.retry, true, Instant::now() + total, total);
        let (transport, v3) = (&self.transport, self.v3.as_ref());
        let mut prepared = Some(prepared);
        let received = attempts
            .run(|attempt| {
                // Each attempt signed anew and pointed at its host.
                let this = if attempt.keep { prepared.clone() } else { prepared.take() };
                let request = this
                    .ok_or_else(|| Error::config("base_uri", "the certificate request was already sent (internal)"))
                    .and_then(|this| v3.authorize(this))
                    .map(|mut request| {
                        transport.aim(&attempt, &mut request);
                        request
                    });
                async move { transport.send_with(request?, attempt.deadline, attempt.budget, Security::Standard).await }
            })
            .await;
        let Received { status, headers, body } = received?;
        if !status.is_success() {
            return Err(self.v3.api_error(status, headers, body));
        }
        let downloaded = parse_listing(&body, &self.key).map_err(Error::Certificates)?;
        // Bootstrap: the listing must be signed by a key already trusted or by one of its own certificates.
        let store = self.verifier().keys().detached_copy();
        for c in &downloaded {
            store.insert(c.serial(), c.public_key().clone());
        }
        let verifier = Verifier::new(store, Arc::clone(self.v3.clock()));
        let path = exchange.unprefixed.as_deref();
        if let Err(failure) = verifier.verify_response(&Method::GET, &exchange.path, path, &headers, &body) {
            return Err(Error::Verification(Box::new(crate::error::VerificationError {
                failure,
                response: crate::response::Response::new(
                    status,
                    headers,
                    body,
                    crate::response::Verification::Rejected,
                ),
            })));
        }
        Ok(downloaded)
    }

    /// Starts the background refresh of automatic mode: due times follow the client's clock; the task
    /// ends when the certificates (that is, the client) are dropped.
    pub(crate) fn start_schedule(self: &Arc<Self>) -> Result<(), Error> {
        const TICK: Duration = Duration::from_secs(1);
        let weak: Weak<Certificates> = Arc::downgrade(self);
        crate::transport::spawn_detached(async move {
            let mut next_due = i64::MIN;
            let mut failures = 0u32;
            loop {
                {
                    let Some(this) = weak.upgrade() else { return };
                    let interval = i64::try_from(this.interval.as_secs()).unwrap_or(i64::MAX);
                    let due = match this.refresher.last_success() {
                        Some(at) => next_due.max(at.saturating_add(interval)),
                        None => next_due,
                    };
                    if this.now() >= due {
                        let delay = match this.refresh(Reason::Scheduled).await {
                            Ok(_) => {
                                failures = 0;
                                this.interval
                            }
                            Err(_) => {
                                failures = failures.saturating_add(1);
                                RETRY_AFTER_FAILURE.saturating_mul(1 << (failures - 1).min(16)).min(this.interval)
                            }
                        };
                        next_due = this.now().saturating_add(i64::try_from(delay.as_secs()).unwrap_or(i64::MAX));
                    }
                }
                tokio::time::sleep(TICK).await;
            }
        })?;
        Ok(())
    }
}
