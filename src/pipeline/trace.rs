//! The span of one call, `wechatpay.request`, and the event that ends it.
//!
//! The span is made on the caller's side (in the verb, before any hand-off) so that its parent is the
//! caller's current span, and carried into the SDK runtime with the call's futures; every SDK event of
//! the call is its child. Fields follow OpenTelemetry's HTTP client conventions where one fits. When no
//! subscriber wants the span, the caller's current span is carried instead, so SDK events still land in
//! the caller's context; with no subscriber at all, nothing is formatted or allocated.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use http::{HeaderMap, StatusCode};
use tracing::Span;
use tracing::field::Empty;

use crate::error::Error;
use crate::request::{Api, PreparedRequest};
use crate::transport::{Attempt, Transport, error_type, sent_name};

/// One call's span and clock.
pub(crate) struct Call {
    span: Span,
    started: Instant,
    attempts: AtomicU32,
}

/// The template as recorded: a literal query (a download link's `token=…`) is left out.
fn template_path(template: &str) -> &str {
    let mut depth = 0u32;
    for (i, b) in template.bytes().enumerate() {
        match b {
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            b'?' if depth == 0 => return &template[..i],
            _ => {}
        }
    }
    template
}

impl Call {
    /// Opens the span of a call to `template`; call it on the caller's side.
    pub(crate) fn start(template: &str, prepared: &PreparedRequest) -> Call {
        let span = tracing::info_span!(
            "wechatpay.request",
            "http.request.method" = prepared.method().as_str(),
            "url.template" = template_path(template),
            "server.address" = prepared.url().host().unwrap_or(""),
            "wechatpay.api" = match prepared.api() {
                Api::V3 => "v3",
                Api::V2 { .. } => "v2",
            },
            "http.response.status_code" = Empty,
            "wechatpay.request_id" = Empty,
            "wechatpay.code" = Empty,
            "wechatpay.sent" = Empty,
            "wechatpay.attempts" = Empty,
            "wechatpay.elapsed_ms" = Empty,
            "error.type" = Empty,
        );
        let span = if span.is_disabled() { Span::current() } else { span };
        Call { span, started: Instant::now(), attempts: AtomicU32::new(0) }
    }

    /// The span to carry into the runtime.
    pub(crate) fn span(&self) -> &Span {
        &self.span
    }

    /// An attempt is about to be sent to `address`.
    pub(crate) fn attempt(&self, transport: &Transport, attempt: &Attempt, uri: &http::Uri) {
        self.attempts.store(attempt.number, Ordering::Relaxed);
        // The span starts with the request's host; an attempt on a failover host changes it.
        if (attempt.number > 1 || attempt.rerouted()) && !self.span.is_none() {
            self.span.record("server.address", transport.address(attempt, uri));
        }
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The call answered with a success (`status`, `headers`).
    pub(crate) fn succeeded(&self, status: StatusCode, headers: &HeaderMap) {
        if self.span.is_disabled() && !tracing::enabled!(tracing::Level::DEBUG) {
            return;
        }
        let request_id = headers.get("request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
        let (attempts, elapsed) = (self.attempts.load(Ordering::Relaxed), self.elapsed_ms());
        self.span.record("http.response.status_code", status.as_u16());
        self.span.record("wechatpay.request_id", request_id);
        self.span.record("wechatpay.attempts", attempts);
        self.span.record("wechatpay.elapsed_ms", elapsed);
        tracing::debug!(
            "http.response.status_code" = status.as_u16(),
            "wechatpay.request_id" = request_id,
            "wechatpay.attempts" = attempts,
            "wechatpay.elapsed_ms" = elapsed,
            "wechatpay call succeeded"
        );
    }

    /// The call failed with `error`. API errors are INFO (4xx: an answer about the request) or WARN
    /// (5xx, 429); verification failures, broken connections and timeouts WARN; refused input DEBUG.
    pub(crate) fn failed(&self, error: &Error) {
        let status = error.status().map(|s| s.as_u16());
        let (code, request_id) = (error.code().unwrap_or(""), error.request_id().unwrap_or(""));
        let (kind, sent) = (error_type(error), sent_name(error));
        let (attempts, elapsed) = (self.attempts.load(Ordering::Relaxed), self.elapsed_ms());
        if let Some(status) = status {
            self.span.record("http.response.status_code", status);
        }
        self.span.record("wechatpay.request_id", request_id);
        self.span.record("wechatpay.code", code);
        self.span.record("wechatpay.sent", sent);
        self.span.record("wechatpay.attempts", attempts);
        self.span.record("wechatpay.elapsed_ms", elapsed);
        self.span.record("error.type", kind);
        macro_rules! answered {
            ($level:ident, $message:literal) => {
                tracing::$level!(
                    "http.response.status_code" = status,
                    "wechatpay.request_id" = request_id,
                    "wechatpay.code" = code,
                    "wechatpay.sent" = sent,
                    "wechatpay.attempts" = attempts,
                    "wechatpay.elapsed_ms" = elapsed,
                    "error.type" = kind,
                    $message
                )
            };
        }
        // Whatever the SDK wrote itself (no answer body, no personal data): said in full.
        macro_rules! local {
            ($level:ident, $message:literal) => {
                tracing::$level!(
                    "wechatpay.sent" = sent,
                    "wechatpay.attempts" = attempts,
                    "wechatpay.elapsed_ms" = elapsed,
                    "error.type" = kind,
                    error = %error,
                    $message
                )
            };
        }
        match error {
            Error::Api(_) | Error::V2(_) if status.is_some_and(|s| s >= 500 || s == 429) => {
                answered!(warn, "wechatpay call failed: WeChat Pay answered with an error")
            }
            Error::Api(_) | Error::V2(_) => answered!(info, "wechatpay call failed: WeChat Pay answered with an error"),
            Error::Verification(e) => tracing::warn!(
                "http.response.status_code" = status,
                "wechatpay.request_id" = request_id,
                "wechatpay.sent" = sent,
                "wechatpay.attempts" = attempts,
                "wechatpay.elapsed_ms" = elapsed,
                "error.type" = kind,
                failure = %e.failure(),
                "wechatpay answer failed verification"
            ),
            Error::Decode(_) | Error::Download(_) => answered!(warn, "wechatpay answer could not be read"),
            Error::Input(_) | Error::Config(_) => local!(debug, "wechatpay call refused before sending"),
            _ => local!(warn, "wechatpay call failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn literal_queries_are_left_out() {
        assert_eq!(super::template_path("v3/bill/tradebill{?bill_date}"), "v3/bill/tradebill{?bill_date}");
        assert_eq!(
            super::template_path("https://api.mch.weixin.qq.com/v3/billdownload/file?token=x"),
            "https://api.mch.weixin.qq.com/v3/billdownload/file"
        );
        assert_eq!(super::template_path("v3/x/{id}"), "v3/x/{id}");
    }
}
