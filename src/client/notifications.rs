//! Notifications (回调通知) through the client: APIv3 ones verified with the client's key store (a
//! certificate download first when an unknown serial calls for one) and decrypted with the APIv3 key;
//! APIv2 ones checked with the APIv2 key.
//!
//! Each APIv3 check runs in a `wechatpay.notification` span (its parent: the caller's current span)
//! that records `wechatpay.notification_id`, `wechatpay.event_type` and `wechatpay.key_id` on success
//! (a DEBUG event), or `error.type` and the failure: WARN for a signature that did not verify or a
//! resource that did not decrypt, INFO for WeChat Pay's signature probe. The resource is never logged.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::HeaderMap;
use tracing::Span;
use tracing::instrument::{Instrument, WithSubscriber};

use super::Client;
use crate::error::{Error, NotificationError, NotificationErrorKind, VerificationFailure};
use crate::notify::{self, Notification};
use crate::pipeline::Engine;
use crate::transport;
use crate::v2::ApiV2Key;

impl Client {
    /// Verifies and decrypts a notification (回调通知) from WeChat Pay: pass the request's headers and
    /// its **raw** body bytes, exactly as received (a re-serialized body does not verify).
    ///
    /// The signature is checked with the same key store as responses, within the ±300 s window (always;
    /// there is no switch), then `resource` is decrypted with the APIv3 key. WeChat Pay's signature
    /// probes are rejected with [`NotificationErrorKind::SignatureProbe`]. On error, answer WeChat Pay
    /// with [`NotificationError::http_status`] (see `examples/notify_axum.rs`).
    ///
    /// ```
    /// use serde_json::json;
    /// use wechatpay_sandbox::{NotificationSpec, Sandbox};
    ///
    /// let sandbox = Sandbox::start()?;
    /// let client = sandbox.client_builder().build()?;
    /// let forged = sandbox.notification(&NotificationSpec::new(
    ///     "TRANSACTION.SUCCESS",
    ///     json!({"out_trade_no": "1217752501201407033233368018", "trade_state": "SUCCESS"}),
    /// ))?;
    /// let notification = client.notification(&forged.headers, &forged.body)?;
    /// assert_eq!(notification.event_type(), "TRANSACTION.SUCCESS");
    /// assert_eq!(notification.resource()["trade_state"], "SUCCESS");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn notification(&self, headers: &HeaderMap, body: &[u8]) -> Result<Notification, NotificationError> {
        let span = notification_span();
        let _entered = span.enter();
        let result = self.notification_in(&span, headers, body);
        traced(&span, &result);
        result
    }

    fn notification_in(
        &self,
        span: &Span,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Notification, NotificationError> {
        // Verification and decryption run right here; only a certificate download goes to the runtime.
        let verified = notify::precheck(headers, body).map(|()| self.verifier().verify_signature(headers, body))?;
        if !wants_download(&self.engine, &verified) {
            return open(&self.engine, verified, body);
        }
        let (headers, body) = (headers.clone(), Bytes::copy_from_slice(body));
        let engine = Arc::clone(&self.engine);
        match transport::block_on(
            async move { Ok(receive(engine, headers, body).await) }.instrument(span.clone()).with_current_subscriber(),
        ) {
            Ok(received) => received,
            Err(e) => Err(runtime_unavailable(e)),
        }
    }

    /// [`notification`](Client::notification), async (runs on any executor).
    pub async fn notification_async(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Notification, NotificationError> {
        let span = notification_span();
        let result = async {
            let verified = notify::precheck(headers, body).map(|()| self.verifier().verify_signature(headers, body))?;
            if !wants_download(&self.engine, &verified) {
                return open(&self.engine, verified, body);
            }
            let (headers, body) = (headers.clone(), Bytes::copy_from_slice(body));
            let engine = Arc::clone(&self.engine);
            let job = async move { Ok(receive(engine, headers, body).await) }
                .instrument(Span::current())
                .with_current_subscriber();
            match transport::spawn(job) {
                Ok(task) => transport::joined(task.await).unwrap_or_else(|e| Err(runtime_unavailable(e))),
                Err(e) => Err(runtime_unavailable(e)),
            }
        }
        .instrument(span.clone())
        .await;
        let _entered = span.enter();
        traced(&span, &result);
        result
    }

    /// Checks an APIv2 notification (支付结果通知 and the other signed APIv2 callbacks) from the raw
    /// body: XML, `return_code` `SUCCESS`, and a `sign` that verifies with the APIv2 key. Returns every
    /// field. `result_code` is left to the caller: `FAIL` is a genuine report of a failed payment.
    /// Answer WeChat Pay with [`v2::notify::success_reply`](crate::v2::notify::success_reply), or on an
    /// error with [`failure_reply`](crate::v2::notify::failure_reply).
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start()?;
    /// # let client = sandbox.client_builder().build()?;
    /// let body = b"<xml><return_code>SUCCESS</return_code><sign>0000</sign></xml>";
    /// let refused = client.v2_notification(body).unwrap_err();
    /// assert_eq!(refused.http_status(), 401);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn v2_notification(
        &self,
        body: &[u8],
    ) -> Result<serde_json::Map<String, serde_json::Value>, NotificationError> {
        let key = self.v2_notification_key()?;
        crate::v2::notify::verify_notification(body, key).map_err(v2_notification_error)
    }

    /// Opens an APIv2 refund notification (退款结果通知): decrypts `req_info` (AES-256-ECB with the MD5 of
    /// the APIv2 key) and parses it. The decrypted fields are authenticated only by the key (ECB has no
    /// integrity check); for anything that moves money, confirm with a refund query as WeChat Pay
    /// advises.
    pub fn v2_refund_notification(
        &self,
        body: &[u8],
    ) -> Result<crate::v2::notify::RefundNotification, NotificationError> {
        let key = self.v2_notification_key()?;
        crate::v2::notify::decrypt_refund_notification(body, key).map_err(v2_notification_error)
    }

    fn v2_notification_key(&self) -> Result<&ApiV2Key, NotificationError> {
        self.engine.v2.key().ok_or_else(|| {
            NotificationError::new(
                NotificationErrorKind::NoApiV2Key,
                "the client has no APIv2 key to check APIv2 notifications with; set it with `.apiv2_key(…)`",
            )
        })
    }
}

fn v2_notification_error(e: crate::v2::NotifyError) -> NotificationError {
    let message = e.to_string();
    NotificationError::new(NotificationErrorKind::V2(e), message)
}

/// The span of one notification check (see the module documentation).
fn notification_span() -> Span {
    let span = tracing::info_span!(
        "wechatpay.notification",
        "wechatpay.notification_id" = tracing::field::Empty,
        "wechatpay.event_type" = tracing::field::Empty,
        "wechatpay.key_id" = tracing::field::Empty,
        "error.type" = tracing::field::Empty,
    );
    if span.is_disabled() { Span::current() } else { span }
}

/// Records a notification check's outcome in its span, and the event that says it.
fn traced(span: &Span, result: &Result<Notification, NotificationError>) {
    match result {
        Ok(n) => {
            span.record("wechatpay.notification_id", n.id());
            span.record("wechatpay.event_type", n.event_type());
            span.record("wechatpay.key_id", n.signed_by());
            tracing::debug!(
                "wechatpay.notification_id" = n.id(),
                "wechatpay.event_type" = n.event_type(),
                "wechatpay.key_id" = n.signed_by(),
                "wechatpay notification verified"
            );
        }
        Err(e) => {
            span.record("error.type", "notification");
            let status = e.http_status().as_u16();
            match e.kind() {
                NotificationErrorKind::SignatureProbe => {
                    tracing::info!(status, "wechatpay signature probe refused, as WeChat Pay expects")
                }
                NotificationErrorKind::Signature(failure) => {
                    tracing::warn!(status, %failure, "wechatpay notification failed verification")
                }
                _ => tracing::warn!(status, error = %e, "wechatpay notification refused"),
            }
        }
    }
}

/// The certificate download a notification needed could not run (the SDK's runtime is unavailable,
/// or the call was made from its own I/O thread): answer 500 so that WeChat Pay delivers it again.
fn runtime_unavailable(e: Error) -> NotificationError {
    NotificationError::new(
        NotificationErrorKind::Unavailable,
        format!("the certificate download this notification needs could not run: {e}"),
    )
}

/// Whether a failed check names a certificate serial that a download might supply.
fn wants_download(engine: &Engine, verified: &Result<String, VerificationFailure>) -> bool {
    match (verified, engine.certificates.as_ref()) {
        (Err(failure), Some(certificates)) => certificates.wants_download(failure),
        _ => false,
    }
}

/// Turns a notification's signature check into the decrypted notification or its error.
fn open(
    engine: &Engine,
    verified: Result<String, VerificationFailure>,
    body: &[u8],
) -> Result<Notification, NotificationError> {
    let key_id = verified.map_err(|failure| {
        let message = failure.to_string();
        NotificationError::new(NotificationErrorKind::Signature(failure), message)
    })?;
    let Some(certificates) = engine.certificates.as_ref() else {
        return Err(NotificationError::new(
            NotificationErrorKind::NoApiV3Key,
            "the client has no APIv3 key to decrypt notifications with; set it with `.apiv3_key(…)`",
        ));
    };
    notify::open(body, certificates.key(), key_id)
}

/// Checks and opens a notification whose key may first need a certificate download.
async fn receive(engine: Arc<Engine>, headers: HeaderMap, body: Bytes) -> Result<Notification, NotificationError> {
    let verifier = engine.v3.verifier();
    let mut verified = verifier.verify_signature(&headers, &body);
    if let (true, Some(certificates)) = (wants_download(&engine, &verified), engine.certificates.as_ref()) {
        certificates.fetch_unknown_serial(Instant::now() + engine.transport.timeout()).await;
        // Even without a download of our own, a concurrent one may have installed the key.
        verified = verifier.verify_signature(&headers, &body);
    }
    open(&engine, verified, &body)
}
