//! The time source requests are signed and answers verified with.

use std::time::{SystemTime, UNIX_EPOCH};

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
