//! The attempts of one call: which host each goes to, its time limit, and after each failure whether
//! (and when) the next one starts. [`Attempts::run`] drives them on the runtime; a blocking call drives
//! them itself (sign, send, judge, wait) so that it signs and waits on its own thread.

use std::future::Future;
use std::time::{Duration, Instant};

use http::{HeaderMap, Request, StatusCode, Uri};

use super::Transport;
use crate::error::Error;
use crate::retry::{self, RetryPolicy};

/// What to do after an attempt.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// Return this attempt's outcome.
    Done,
    /// Wait this long, then make the next attempt.
    RetryAfter(Duration),
}

/// One attempt: its number (from 1), host and time limit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Attempt {
    pub(crate) number: u32,
    /// When this attempt must have ended.
    pub(crate) deadline: Instant,
    /// Its time limit, reported in a timeout error.
    pub(crate) budget: Duration,
    /// The failover host, when the call takes part in failover.
    host: Option<usize>,
    /// Whether another attempt may follow (so the request must be kept for it).
    pub(crate) keep: bool,
}

impl Attempt {
    /// Whether this attempt goes to a failover host rather than where the request was addressed.
    pub(crate) fn rerouted(&self) -> bool {
        self.host.is_some_and(|host| host != 0)
    }
}

/// What an attempt's answer says about retrying: its status and headers.
pub(crate) trait Answer {
    fn status(&self) -> StatusCode;
    fn headers(&self) -> &HeaderMap;
}

impl Answer for super::Received {
    fn status(&self) -> StatusCode {
        self.status
    }
    fn headers(&self) -> &HeaderMap {
        &self.headers
    }
}

impl<B> Answer for http::Response<B> {
    fn status(&self) -> StatusCode {
        self.status()
    }
    fn headers(&self) -> &HeaderMap {
        self.headers()
    }
}

/// The attempts of one call.
pub(crate) struct Attempts<'t> {
    transport: &'t Transport,
    policy: RetryPolicy,
    idempotent: bool,
    deadline: Instant,
    total: Duration,
    made: u32,
    /// The host of the current attempt (failover calls only).
    host: Option<usize>,
}

impl Transport {
    /// Points `request` at the attempt's host.
    pub(crate) fn aim<B>(&self, attempt: &Attempt, request: &mut Request<B>) {
        let failover = self.failover.as_deref();
        if let Some(uri) = failover.zip(attempt.host).and_then(|(f, host)| f.aim(request.uri(), host)) {
            *request.uri_mut() = uri;
        }
    }

    /// The host an attempt goes to, for `server.address`.
    pub(crate) fn address<'a>(&'a self, attempt: &Attempt, uri: &'a Uri) -> &'a str {
        match (self.failover.as_deref(), attempt.host) {
            (Some(failover), Some(host)) => failover.host_name(host),
            _ => uri.host().unwrap_or(""),
        }
    }

    /// The attempts of a call to `uri` under `policy` that must end by `deadline` (`total` after it
    /// started).
    pub(crate) fn attempts(
        &self,
        uri: &Uri,
        policy: RetryPolicy,
        idempotent: bool,
        deadline: Instant,
        total: Duration,
    ) -> Attempts<'_> {
        let host = self.failover.as_deref().filter(|f| f.covers(uri)).map(|f| f.pick());
        Attempts { transport: self, policy, idempotent, deadline, total, made: 0, host }
    }
}

impl Attempts<'_> {
    /// Starts the next attempt.
    pub(crate) fn begin(&mut self) -> Attempt {
        self.made += 1;
        let (deadline, budget) = match self.policy.attempt_limit() {
            Some(limit) => {
                let end = Instant::now() + limit;
                if end < self.deadline { (end, limit) } else { (self.deadline, self.total) }
            }
            None => (self.deadline, self.total),
        };
        Attempt { number: self.made, deadline, budget, host: self.host, keep: self.made < self.policy.attempts() }
    }

    /// Runs the attempts: `send` signs and sends one; the outcome of the last is returned. When an attempt
    /// after the first fails before sending (its signing failed), the previous attempt's outcome is
    /// returned instead, so that the error says what the request went through.
    pub(crate) async fn run<T, F, Fut>(mut self, mut send: F) -> Result<T, Error>
    where
        T: Answer,
        F: FnMut(Attempt) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let mut previous: Option<Result<T, Error>> = None;
        loop {
            let attempt = self.begin();
            let outcome = send(attempt).await;
            if let (Err(e), Some(earlier)) = (&outcome, previous.take())
                && !matches!(e, Error::Transport(_) | Error::Timeout(_))
            {
                return earlier;
            }
            match self.after(&attempt, &outcome) {
                Next::RetryAfter(delay) => {
                    previous = Some(outcome);
                    tokio::time::sleep(delay).await;
                }
                Next::Done => return outcome,
            }
        }
    }

    /// After an attempt that ended with `outcome`.
    pub(crate) fn after<T: Answer>(&mut self, attempt: &Attempt, outcome: &Result<T, Error>) -> Next {
        match outcome {
            Ok(answer) => self.after_answer(attempt, answer.status(), answer.headers()),
            Err(e) => self.after_error(attempt, e),
        }
    }

    /// After an attempt that failed with `error`.
    pub(crate) fn after_error(&mut self, attempt: &Attempt, error: &Error) -> Next {
        if let (Some(failover), Some(host)) = (self.transport.failover.as_deref(), attempt.host) {
            // A broken answer (`Sent::Yes`: cut short, too large) still proves the host reachable.
            if matches!(error, Error::Transport(_) | Error::Timeout(_)) && error.sent() != crate::Sent::Yes {
                failover.unreachable(host);
            }
        }
        if !retry::may_retry_error(error, self.idempotent) {
            return Next::Done;
        }
        let next = self.schedule(None);
        if let Next::RetryAfter(delay) = next {
            tracing::info!(
                attempt = attempt.number,
                "error.type" = error_type(error),
                "wechatpay.sent" = sent_name(error),
                backoff_ms = millis(delay),
                error = %error,
                "wechatpay attempt failed; retrying"
            );
        }
        next
    }

    /// After an attempt answered with `status`.
    pub(crate) fn after_answer(&mut self, attempt: &Attempt, status: StatusCode, headers: &HeaderMap) -> Next {
        if let (Some(failover), Some(host)) = (self.transport.failover.as_deref(), attempt.host) {
            failover.reached(host);
        }
        if !retry::may_retry_status(status, self.idempotent) {
            return Next::Done;
        }
        let next = self.schedule(retry::retry_after(headers));
        if let Next::RetryAfter(delay) = next {
            tracing::info!(
                attempt = attempt.number,
                "http.response.status_code" = status.as_u16(),
                "wechatpay.request_id" = headers.get("request-id").and_then(|v| v.to_str().ok()).unwrap_or(""),
                backoff_ms = millis(delay),
                "wechatpay attempt answered {}; retrying",
                status.as_u16()
            );
        }
        next
    }

    /// The next attempt, if the policy allows one and it can start before the deadline.
    fn schedule(&mut self, retry_after: Option<Duration>) -> Next {
        if self.made >= self.policy.attempts() {
            return Next::Done;
        }
        let delay = self.policy.delay(self.made + 1, retry_after);
        if Instant::now() + delay >= self.deadline {
            return Next::Done;
        }
        if let (Some(failover), Some(host)) = (self.transport.failover.as_deref(), self.host) {
            self.host = Some(failover.next(host));
        }
        Next::RetryAfter(delay)
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The `error.type` of a failure (OpenTelemetry: a low-cardinality class of error).
pub(crate) fn error_type(error: &Error) -> &'static str {
    match error {
        Error::Config(_) => "config",
        Error::Input(_) => "input",
        Error::Signing(_) => "signing",
        Error::Transport(_) => "transport",
        Error::Timeout(_) => "timeout",
        Error::Api(_) => "api",
        Error::Verification(_) => "verification",
        Error::Decode(_) => "decode",
        Error::Certificates(_) => "certificates",
        Error::Notification(_) => "notification",
        Error::Sensitive(_) => "sensitive",
        Error::Download(_) => "download",
        Error::V2(_) => "v2",
    }
}

/// `wechatpay.sent`: `no`, `maybe` or `yes`.
pub(crate) fn sent_name(error: &Error) -> &'static str {
    match error.sent() {
        crate::Sent::No => "no",
        crate::Sent::Maybe => "maybe",
        crate::Sent::Yes => "yes",
    }
}
