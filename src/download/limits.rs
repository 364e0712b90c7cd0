//! The limits of one download: its total deadline, the idle timeout, and the size cap.

use std::time::{Duration, Instant};

const MAX_DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(86_400);

/// The download settings of one call (`download_timeout`, `max_bytes` options).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DownloadOptions {
    /// Total time limit of the download.
    pub(crate) timeout: Option<Duration>,
    /// Largest body accepted.
    pub(crate) max_bytes: Option<u64>,
    /// The cap used when neither the call nor the client sets one (bills: [`DEFAULT_MAX_BILL_BYTES`]).
    pub(crate) fallback_max_bytes: Option<u64>,
}

impl DownloadOptions {
    /// Whether the caller set anything (which only downloads accept).
    pub(crate) fn is_set(&self) -> bool {
        self.timeout.is_some() || self.max_bytes.is_some()
    }

    pub(crate) fn set_timeout(&mut self, timeout: Duration) -> Result<(), String> {
        if timeout.is_zero() || timeout > MAX_DOWNLOAD_TIMEOUT {
            return Err(format!("`download_timeout` must be more than zero and at most one day, not {timeout:?}"));
        }
        self.timeout = Some(timeout);
        Ok(())
    }

    pub(crate) fn set_max_bytes(&mut self, bytes: u64) -> Result<(), String> {
        if bytes == 0 {
            return Err("`max_bytes` must be greater than zero".to_owned());
        }
        self.max_bytes = Some(bytes);
        Ok(())
    }

    /// The `download_timeout` (seconds) and `max_bytes` keys of JSON options; `null` leaves them unset.
    pub(crate) fn set_json(&mut self, key: &str, value: &serde_json::Value) -> Result<(), String> {
        if value.is_null() {
            return Ok(());
        }
        match key {
            "download_timeout" => match value.as_f64() {
                Some(secs) if secs.is_finite() && secs > 0.0 && secs <= MAX_DOWNLOAD_TIMEOUT.as_secs_f64() => {
                    self.set_timeout(Duration::from_secs_f64(secs))
                }
                _ => Err(format!("`download_timeout` must be a number of seconds between 0 and 86400, not {value}")),
            },
            _ => match value.as_u64() {
                Some(bytes) if bytes > 0 => self.set_max_bytes(bytes),
                _ => Err(format!("`max_bytes` must be a whole number of bytes greater than zero, not {value}")),
            },
        }
    }
}

/// The client's download defaults ([`ClientBuilder::download_timeout`](crate::ClientBuilder::download_timeout),
/// [`max_download_bytes`](crate::ClientBuilder::max_download_bytes)).
#[derive(Clone, Copy, Debug)]
pub(crate) struct DownloadDefaults {
    pub(crate) timeout: Duration,
    pub(crate) max_bytes: Option<u64>,
}

impl DownloadDefaults {
    /// The limits of a download that starts at `started` with the call's idle timeout `idle`.
    pub(crate) fn limits(&self, started: Instant, idle: Duration, call: DownloadOptions) -> Limits {
        let total = call.timeout.unwrap_or(self.timeout);
        Limits {
            deadline: started + total,
            total,
            idle,
            max_bytes: call.max_bytes.or(self.max_bytes).or(call.fallback_max_bytes),
        }
    }
}

/// The limits one download runs under.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// When the whole download must have ended.
    pub(crate) deadline: Instant,
    /// The total time limit `deadline` was computed from (for the error).
    pub(crate) total: Duration,
    /// The longest wait for the next piece of data.
    pub(crate) idle: Duration,
    /// The largest body accepted.
    pub(crate) max_bytes: Option<u64>,
}
