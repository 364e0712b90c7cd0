//! Single-flight, rate-limited coordination of certificate downloads: however many callers want one at
//! the same moment, one download runs and they all share its outcome.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};

use super::{DownloadedCertificate, ON_DEMAND_REFRESH_INTERVAL};
use crate::error::{CertificateError, CertificateErrorKind};

/// The result of one refresh, shared by everyone waiting on it.
pub(crate) type Outcome = Result<Arc<Vec<DownloadedCertificate>>, CertificateError>;

/// Why a refresh is wanted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reason {
    /// The schedule, or an explicit `refresh_certificates()` call.
    Scheduled,
    /// A call found no usable key before sending.
    Bootstrap,
    /// A response or notification named an unknown serial.
    UnknownSerial,
}

impl Reason {
    /// The `wechatpay.reason` of a download's span.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Reason::Scheduled => "scheduled",
            Reason::Bootstrap => "bootstrap",
            Reason::UnknownSerial => "unknown_serial",
        }
    }
}

#[derive(Default)]
struct State {
    in_flight: Option<Shared<BoxFuture<'static, Outcome>>>,
    last_on_demand: Option<Instant>,
    last_failed: Option<Instant>,
    /// Client-clock time of the last successful download, whatever started it.
    last_success: Option<i64>,
    downloads: u64,
}

/// Single-flight coordination of certificate downloads.
pub(crate) struct Refresher {
    state: Mutex<State>,
}

impl Refresher {
    pub(crate) fn new() -> Self {
        Refresher { state: Mutex::new(State::default()) }
    }

    /// Joins the download in flight, or starts one with `job` unless `reason`'s rate limit says no.
    /// The lock is held only to look at and update the bookkeeping, never across the download.
    pub(crate) fn request(
        &self,
        reason: Reason,
        job: impl FnOnce() -> BoxFuture<'static, Outcome>,
    ) -> Result<Shared<BoxFuture<'static, Outcome>>, CertificateError> {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(running) = state.in_flight.as_ref().filter(|f| f.peek().is_none()) {
            return Ok(running.clone());
        }
        let now = Instant::now();
        let since = |t: Option<Instant>| t.map(|t| now.saturating_duration_since(t));
        let refused = match reason {
            Reason::Scheduled => None,
            // Scheduled downloads are not counted: they are rare, and the limit is about what a
            // stranger's serial can cause.
            Reason::UnknownSerial => since(state.last_on_demand)
                .filter(|d| *d < ON_DEMAND_REFRESH_INTERVAL)
                .map(|d| (d, ON_DEMAND_REFRESH_INTERVAL)),
            // A call that needs keys may start a download, but not right after one failed.
            Reason::Bootstrap => {
                since(state.last_failed).filter(|d| *d < Duration::from_secs(5)).map(|d| (d, Duration::from_secs(5)))
            }
        };
        if let Some((ago, limit)) = refused {
            return Err(CertificateError::new(
                CertificateErrorKind::RateLimited,
                format!(
                    "a certificate download was made {}s ago; the next one is allowed after {}s",
                    ago.as_secs(),
                    limit.as_secs()
                ),
            ));
        }
        let future = job().shared();
        state.in_flight = Some(future.clone());
        if reason == Reason::UnknownSerial {
            state.last_on_demand = Some(now);
        }
        state.downloads += 1;
        Ok(future)
    }

    /// Records the end of the download in flight (called by the download task itself, so the next
    /// request starts afresh even if nobody polled the shared result).
    pub(crate) fn finished(&self, ok: bool, now: i64) {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        state.in_flight = None;
        state.last_failed = if ok { None } else { Some(Instant::now()) };
        if ok {
            state.last_success = Some(now);
        }
    }

    /// Client-clock time of the last successful download. The schedule counts from it, so a download
    /// made for a call or an unknown serial postpones the next scheduled one.
    pub(crate) fn last_success(&self) -> Option<i64> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).last_success
    }

    /// Downloads started so far.
    pub(crate) fn downloads(&self) -> u64 {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).downloads
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_flight_and_rate_limit() {
        let refresher = Refresher::new();
        let (tx, rx) = futures::channel::oneshot::channel::<()>();
        let first = refresher
            .request(Reason::UnknownSerial, || {
                async move { rx.await.map(|_| Arc::new(Vec::new())).map_err(|_| unreachable_error()) }.boxed()
            })
            .unwrap();
        // While in flight, every request joins it, whatever the reason.
        for reason in [Reason::UnknownSerial, Reason::Bootstrap, Reason::Scheduled] {
            let _joined = refresher.request(reason, || panic!("must join, not start")).unwrap();
        }
        tx.send(()).unwrap();
        assert!(futures::executor::block_on(first).is_ok());
        // Finished: another unknown serial within the interval is refused; the schedule is not, and a
        // scheduled download does not use up the on-demand allowance.
        let refused = refresher.request(Reason::UnknownSerial, || panic!("rate limited")).unwrap_err();
        assert_eq!(refused.kind(), CertificateErrorKind::RateLimited);
        let fresh = Refresher::new();
        futures::executor::block_on(
            fresh.request(Reason::Scheduled, || async { Ok(Arc::new(Vec::new())) }.boxed()).unwrap(),
        )
        .unwrap();
        let _started = fresh.request(Reason::UnknownSerial, || async { Ok(Arc::new(Vec::new())) }.boxed()).unwrap();
        assert_eq!(fresh.downloads(), 2);
    }

    fn unreachable_error() -> CertificateError {
        CertificateError::new(CertificateErrorKind::Download, "cancelled")
    }
}
