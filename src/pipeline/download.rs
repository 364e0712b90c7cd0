//! Streaming downloads through the pipeline: the same authorization and retry rules, then the answer's
//! head is checked and the body handed to a [`Download`] unread. Only opening is retried: a stream once
//! handed to the caller is never started again.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};

use tracing::instrument::{Instrument, WithSubscriber};

use super::{Call, Engine, authorize};
use crate::auth;
use crate::download::{DigestCheck, Download, HashType};
use crate::error::{Error, InputErrorKind, VerificationError};
use crate::request::PreparedRequest;
use crate::response::{Response, Verification};
use crate::transport;

impl Engine {
    /// Opens a download, blocking the calling thread until the answer's head has arrived.
    pub(crate) fn download_blocking(
        self: &Arc<Self>,
        template: &str,
        prepared: PreparedRequest,
    ) -> Result<Download, Error> {
        let call = Call::start(template, &prepared);
        let span = call.span().clone();
        let _entered = span.enter();
        let engine = Arc::clone(self);
        transport::block_on(
            async move { engine.open_traced(call, prepared).await }.instrument(span.clone()).with_current_subscriber(),
        )
    }

    /// [`download_blocking`](Engine::download_blocking), async (on the SDK runtime).
    pub(crate) async fn download_async(
        self: Arc<Self>,
        template: &str,
        prepared: PreparedRequest,
    ) -> Result<Download, Error> {
        let call = Call::start(template, &prepared);
        let span = call.span().clone();
        let job = async move { self.open_traced(call, prepared).await }.instrument(span).with_current_subscriber();
        transport::joined(transport::spawn(job)?.await)
    }

    /// [`open_download`](Engine::open_download), its outcome recorded in the call's span.
    async fn open_traced(&self, call: Call, prepared: PreparedRequest) -> Result<Download, Error> {
        let result = self.open_download(&call, prepared).await;
        match &result {
            Ok(download) => call.succeeded(download.status(), download.headers()),
            Err(e) => call.failed(e),
        }
        result
    }

    /// Opens a streaming download: sign, send, check the status and what vouches for the content
    /// (nothing for WeChat Pay's unsigned files; for overseas statements, the signature over the
    /// announced SHA-1, which the stream then checks).
    async fn open_download(&self, call: &Call, prepared: PreparedRequest) -> Result<Download, Error> {
        let started = Instant::now();
        // The call's timeout bounds the wait for the answer's head and, after it, each wait for more data;
        // the download's own total limit bounds everything.
        let idle = prepared.timeout.unwrap_or_else(|| self.transport.timeout());
        let limits = self.downloads.limits(started, idle, prepared.download);
        let total = idle.min(limits.total);
        let budget = super::Budget { deadline: started + total, total };
        let path = prepared.uri.path().to_owned();
        let candidates = [Some(path.as_str()), prepared.unprefixed_path.as_deref()];
        let unsigned = candidates.iter().flatten().any(|p| auth::is_unsigned_download(&prepared.method, p));
        let statement = !unsigned && candidates.iter().flatten().any(|p| auth::is_statement(p));
        if !unsigned && !statement {
            return Err(Error::input(
                InputErrorKind::Unsupported,
                format!(
                    "`download` streams WeChat Pay's file downloads ({} and the overseas statements); `{path}` is \
                     an ordinary API answer: use `get`",
                    auth::UNSIGNED_DOWNLOADS.join(", ")
                ),
            ));
        }
        if statement && let Some(certificates) = self.certificates_needed() {
            certificates.ensure_keys(budget.deadline, budget.total).await?;
        }
        let attempts = self.attempts(&prepared, budget);
        let mut prepared = Some(prepared);
        let transport = &self.transport;
        let v3 = self.v3.as_ref();
        let response = attempts
            .run(|attempt| {
                let request = authorize(v3, &mut prepared, transport, &attempt, call);
                async move { transport.open(request?, attempt.deadline, attempt.budget).await }
            })
            .await?;
        if !response.status().is_success() {
            let (parts, body) = response.into_parts();
            let limited = Limited::new(body, 64 * 1024).collect();
            let body = match tokio::time::timeout_at(budget.deadline.into(), limited).await {
                Ok(Ok(collected)) => collected.to_bytes(),
                _ => Bytes::new(),
            };
            return Err(self.v3.api_error(parts.status, parts.headers, body));
        }
        let rejected = |failure, response: &http::Response<hyper::body::Incoming>| {
            Error::Verification(Box::new(VerificationError {
                failure,
                response: Response::new(
                    response.status(),
                    response.headers().clone(),
                    Bytes::new(),
                    Verification::Rejected,
                ),
            }))
        };
        let (verification, check) = if statement {
            match self.v3.verifier().verify_statement_head(response.headers()) {
                Ok((key_id, sha1)) => (Verification::Signed { key_id }, Some(DigestCheck::new(HashType::Sha1, &sha1))),
                Err(failure) => return Err(rejected(failure, &response)),
            }
        } else {
            (Verification::UnsignedDownload, None)
        };
        Download::start(response, verification, check, limits)
    }
}
