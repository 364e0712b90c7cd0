//! Retries and failover: which failed attempts the SDK sends again, when, and to which host.
//!
//! The SDK knows, for every failure, whether the request may have reached WeChat Pay
//! ([`Error::sent`](crate::Error::sent)); the retry loop is built on that and nothing else:
//!
//! | the attempt ended with | `GET` (or a request marked [`idempotent`](crate::Options::idempotent)) | `POST`, `PUT`, `PATCH`, `DELETE` |
//! | --- | --- | --- |
//! | a connection failure where nothing was sent ([`Sent::No`]: refused, DNS, TLS handshake, connect timeout) | retried, on the next host | retried, on the next host |
//! | a broken connection or a timeout after sending ([`Sent::Maybe`] / [`Sent::Yes`]) | retried, on the next host | **never**: the error says to query before retrying |
//! | an answer `5xx` or `429` | retried, on the next host, after `Retry-After` when given | **never**: the error is returned |
//! | any other answer (2xx, 4xx), a verification failure | returned | returned |
//! | bad input, configuration, a signer failure | returned (nothing was sent) | returned |
//!
//! Every attempt is signed anew (APIv3: a new timestamp and nonce, so a retry is never refused as a
//! replay; the signature covers path and query only, so it is valid on any host). APIv2 attempts send
//! the sealed bytes again: their `sign` covers only the fields, which name no time and no host.
//!
//! Between attempts the SDK waits an exponential backoff with jitter (`initial · 2ⁿ⁻¹`, capped at
//! `max`, the wait drawn between half of it and all of it), or the answer's `Retry-After` when that is
//! longer. The call's [`timeout`](crate::ClientBuilder::timeout) is the deadline of **all** attempts
//! and waits together: a retry that could not start before it is not made, and the last failure is
//! returned. [`RetryPolicy::attempt_timeout`] bounds each attempt on its own, which is what lets a
//! `GET` that hangs be retried within the call's time.
//!
//! A client holds one [`RetryPolicy`] ([`ClientBuilder::retry`](crate::ClientBuilder::retry), default
//! [`RetryPolicy::default`]); a request may carry its own ([`Options::retry`](crate::Options::retry),
//! JSON `"retry"`).

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use http::{HeaderMap, Method, StatusCode};

use crate::error::{Error, Sent};

/// Attempts per call by default: the first and two retries.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// The first backoff by default.
pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_millis(100);
/// The longest backoff by default.
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(2);
/// The most attempts a policy may allow.
pub const MAX_ATTEMPTS: u32 = 10;
/// The longest backoff a policy may set.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How long calls stay on a backup host after the primary could not be reached, by default, before one
/// call probes the primary again ([`ClientBuilder::failover_hold`](crate::ClientBuilder::failover_hold)).
pub const DEFAULT_FAILOVER_HOLD: Duration = Duration::from_secs(60);

/// How many times a call is attempted and how long it waits in between (see the [module](self) for
/// which failures are retried).
///
/// ```
/// use std::time::Duration;
/// use wechatpay_chain::retry::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(4)
///     .backoff(Duration::from_millis(50), Duration::from_secs(1))
///     .attempt_timeout(Duration::from_secs(5));
/// assert_eq!(policy.attempts(), 4);
/// assert_eq!(RetryPolicy::none().attempts(), 1);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    attempt_timeout: Option<Duration>,
}

impl Default for RetryPolicy {
    /// [`DEFAULT_MAX_ATTEMPTS`] attempts, backoff from [`DEFAULT_INITIAL_BACKOFF`] to
    /// [`DEFAULT_MAX_BACKOFF`], no per-attempt limit (each attempt may use what is left of the call's
    /// `timeout`).
    fn default() -> Self {
        RetryPolicy {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            initial_backoff: DEFAULT_INITIAL_BACKOFF,
            max_backoff: DEFAULT_MAX_BACKOFF,
            attempt_timeout: None,
        }
    }
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("max_attempts", &self.max_attempts)
            .field("initial_backoff", &self.initial_backoff)
            .field("max_backoff", &self.max_backoff)
            .field("attempt_timeout", &self.attempt_timeout)
            .finish()
    }
}

impl RetryPolicy {
    /// One attempt, never retried (the SDK's behaviour before retries existed; a failover host is still
    /// chosen while the primary is marked unreachable).
    pub const fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            initial_backoff: DEFAULT_INITIAL_BACKOFF,
            max_backoff: DEFAULT_MAX_BACKOFF,
            attempt_timeout: None,
        }
    }

    /// At most `n` attempts in all (1 to [`MAX_ATTEMPTS`]; 1 turns retries off). Checked when the client
    /// is built or the request prepared.
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n;
        self
    }

    /// The first backoff and the longest (`initial` more than zero, at most `max`, which is at most
    /// [`MAX_BACKOFF`]).
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
        self
    }

    /// Bounds each attempt (more than zero); without it an attempt may use whatever is left of the
    /// call's `timeout`, so only a failure that comes sooner can be retried.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// The most attempts a call makes.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The limit of one attempt, if set.
    pub fn attempt_limit(&self) -> Option<Duration> {
        self.attempt_timeout
    }

    /// What is wrong with the policy, if anything.
    pub(crate) fn check(&self) -> Result<(), String> {
        if !(1..=MAX_ATTEMPTS).contains(&self.max_attempts) {
            return Err(format!(
                "`max_attempts` must be between 1 (no retries) and {MAX_ATTEMPTS}, not {}",
                self.max_attempts
            ));
        }
        if self.initial_backoff.is_zero() || self.initial_backoff > self.max_backoff || self.max_backoff > MAX_BACKOFF {
            return Err(format!(
                "the backoff must start above zero and at most at its maximum, which is at most {MAX_BACKOFF:?} \
                 (got {:?} to {:?})",
                self.initial_backoff, self.max_backoff
            ));
        }
        if self.attempt_timeout.is_some_and(|t| t.is_zero()) {
            return Err("`attempt_timeout` must be greater than zero".to_owned());
        }
        Ok(())
    }

    /// The `retry` request option: `false` (no retries), `true` (the default policy), a number of
    /// attempts, or `{"max_attempts": 3, "initial_backoff": 0.1, "max_backoff": 2, "attempt_timeout": 5}`
    /// (seconds; every key optional, starting from the default policy).
    pub(crate) fn from_json(value: &serde_json::Value) -> Result<RetryPolicy, String> {
        use serde_json::Value;
        let attempts = |v: &Value| match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) => Ok(n),
            None => Err(format!("`retry.max_attempts` must be a whole number from 1 to {MAX_ATTEMPTS}, not {v}")),
        };
        let seconds = |key: &str, v: &Value| match v.as_f64() {
            Some(s) if s.is_finite() && s > 0.0 && s <= 86_400.0 => Ok(Duration::from_secs_f64(s)),
            _ => Err(format!("`retry.{key}` must be a number of seconds above 0 (at most 86400), not {v}")),
        };
        let policy = match value {
            Value::Bool(false) => RetryPolicy::none(),
            Value::Bool(true) => RetryPolicy::default(),
            Value::Number(_) => RetryPolicy::default().max_attempts(attempts(value)?),
            Value::Object(map) => {
                let mut policy = RetryPolicy::default();
                for (key, v) in map {
                    match key.as_str() {
                        "max_attempts" => policy.max_attempts = attempts(v)?,
                        "initial_backoff" => policy.initial_backoff = seconds(key, v)?,
                        "max_backoff" => policy.max_backoff = seconds(key, v)?,
                        "attempt_timeout" => policy.attempt_timeout = Some(seconds(key, v)?),
                        other => {
                            return Err(format!(
                                "`retry.{other}` is not a retry setting (max_attempts, initial_backoff, \
                                 max_backoff, attempt_timeout)"
                            ));
                        }
                    }
                }
                policy
            }
            other => {
                return Err(format!(
                    "`retry` must be true, false, a number of attempts or an object of settings, not {other}"
                ));
            }
        };
        policy.check()?;
        Ok(policy)
    }

    /// The wait before attempt `next` (2 for the first retry): exponential, capped, jittered between
    /// half and all of it, and at least `retry_after`.
    pub(crate) fn delay(&self, next: u32, retry_after: Option<Duration>) -> Duration {
        let doublings = next.saturating_sub(2).min(20);
        let ceiling = self.initial_backoff.saturating_mul(1 << doublings).min(self.max_backoff);
        let half = ceiling / 2;
        let nanos = u64::try_from((ceiling - half).as_nanos()).unwrap_or(u64::MAX);
        let jitter = if nanos == 0 { Duration::ZERO } else { Duration::from_nanos(random() % (nanos + 1)) };
        (half + jitter).max(retry_after.unwrap_or(Duration::ZERO))
    }
}

/// Whether a request may be sent again after WeChat Pay may have received it: `GET`/`HEAD`, or marked
/// idempotent by the caller.
pub(crate) fn is_idempotent(method: &Method, marked: bool) -> bool {
    marked || *method == Method::GET || *method == Method::HEAD
}

/// Whether an attempt that failed with `error` may be retried. An answer larger than
/// `max_response_body` would be as large again: never retried.
pub(crate) fn may_retry_error(error: &Error, idempotent: bool) -> bool {
    let sent = match error {
        Error::Transport(e) if too_large(e) => return false,
        Error::Transport(e) => e.sent(),
        Error::Timeout(e) => e.sent(),
        _ => return false,
    };
    sent == Sent::No || idempotent
}

fn too_large(error: &crate::error::TransportError) -> bool {
    let mut next = std::error::Error::source(error);
    while let Some(e) = next {
        if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
            return true;
        }
        next = e.source();
    }
    false
}

/// Whether an attempt answered with `status` may be retried.
pub(crate) fn may_retry_status(status: StatusCode, idempotent: bool) -> bool {
    idempotent && (status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS)
}

/// `Retry-After` as a wait: delay-seconds, or an HTTP date (a date in the past is no wait).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    Some(at.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
}

/// A cheap random number for jitter (not for anything secret): the standard library's randomly keyed
/// hasher over a counter.
fn random() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn delays_grow_are_capped_and_jittered() {
        let policy = RetryPolicy::default().backoff(Duration::from_millis(100), Duration::from_millis(350));
        for _ in 0..200 {
            let first = policy.delay(2, None);
            assert!((Duration::from_millis(50)..=Duration::from_millis(100)).contains(&first), "{first:?}");
            let third = policy.delay(4, None);
            assert!((Duration::from_millis(175)..=Duration::from_millis(350)).contains(&third), "{third:?}");
            assert!(policy.delay(30, None) <= Duration::from_millis(350));
        }
        assert_eq!(policy.delay(2, Some(Duration::from_secs(3))), Duration::from_secs(3));
        let spread: std::collections::BTreeSet<Duration> = (0..50).map(|_| policy.delay(3, None)).collect();
        assert!(spread.len() > 10, "jitter spreads the waits: {spread:?}");
    }

    #[test]
    fn nonsense_is_refused() {
        assert!(RetryPolicy::default().check().is_ok());
        assert!(RetryPolicy::none().check().is_ok());
        assert!(RetryPolicy::default().max_attempts(0).check().is_err());
        assert!(RetryPolicy::default().max_attempts(MAX_ATTEMPTS + 1).check().is_err());
        assert!(RetryPolicy::default().backoff(Duration::ZERO, Duration::from_secs(1)).check().is_err());
        assert!(RetryPolicy::default().backoff(Duration::from_secs(2), Duration::from_secs(1)).check().is_err());
        assert!(RetryPolicy::default().backoff(Duration::from_secs(1), Duration::from_secs(600)).check().is_err());
        assert!(RetryPolicy::default().attempt_timeout(Duration::ZERO).check().is_err());
    }

    #[test]
    fn json_forms() {
        assert_eq!(RetryPolicy::from_json(&json!(false)), Ok(RetryPolicy::none()));
        assert_eq!(RetryPolicy::from_json(&json!(true)), Ok(RetryPolicy::default()));
        assert_eq!(RetryPolicy::from_json(&json!(5)).map(|p| p.attempts()), Ok(5));
        let policy = RetryPolicy::from_json(&json!({"max_attempts": 2, "initial_backoff": 0.05, "attempt_timeout": 3}))
            .expect("valid");
        assert_eq!(policy.attempts(), 2);
        assert_eq!(policy.initial_backoff, Duration::from_millis(50));
        assert_eq!(policy.attempt_limit(), Some(Duration::from_secs(3)));
        for bad in [json!(0), json!(-1), json!(1.5), json!("3"), json!({"tries": 3}), json!({"max_backoff": 0})] {
            assert!(RetryPolicy::from_json(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn retry_after_forms() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(http::header::RETRY_AFTER, http::HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(http::header::RETRY_AFTER, http::HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"));
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert(http::header::RETRY_AFTER, http::HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn what_is_retried() {
        assert!(is_idempotent(&Method::GET, false) && is_idempotent(&Method::POST, true));
        assert!(!is_idempotent(&Method::POST, false) && !is_idempotent(&Method::DELETE, false));
        assert!(
            may_retry_status(StatusCode::BAD_GATEWAY, true) && may_retry_status(StatusCode::TOO_MANY_REQUESTS, true)
        );
        assert!(!may_retry_status(StatusCode::INTERNAL_SERVER_ERROR, false));
        assert!(!may_retry_status(StatusCode::NOT_FOUND, true));
        let refused = Error::Transport(crate::error::TransportError::new(Sent::No, "refused", None));
        let reset = Error::Transport(crate::error::TransportError::new(Sent::Maybe, "reset", None));
        assert!(may_retry_error(&refused, false) && may_retry_error(&reset, true));
        assert!(!may_retry_error(&reset, false));
        let input = Error::input(crate::error::InputErrorKind::InvalidOption, "x");
        assert!(!may_retry_error(&input, true), "nothing but the network is retried");
    }
}
