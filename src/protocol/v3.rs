//! APIv3: every request carries `Authorization: WECHATPAY2-SHA256-RSA2048 …`, a signature over
//! `METHOD\nTARGET\nTIMESTAMP\nNONCE\nBODY\n` of the bytes sent, and names in `Wechatpay-Serial` the
//! WeChat Pay key it can verify the answer with; every 2xx answer must carry a valid signature of its
//! own (unless it is one of WeChat Pay's unsigned downloads).

use std::sync::Arc;

use bytes::Bytes;
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body_util::Full;

use super::{Exchange, Protocol};
use crate::auth::{self, Clock, Signer, SigningError, Verifier};
use crate::error::{ApiError, Error, VerificationError, VerificationFailure};
use crate::request::PreparedRequest;
use crate::response::{Response, Verification};
use crate::transport::Received;

/// The request header naming the WeChat Pay key to answer with (lowercase, as `http` stores names).
const WECHATPAY_SERIAL: &str = "wechatpay-serial";

/// The APIv3 protocol of one merchant: who signs, and the keys answers are verified with.
pub(crate) struct V3 {
    mchid: String,
    serial: String,
    signer: Arc<dyn Signer>,
    verifier: Verifier,
    clock: Arc<dyn Clock>,
}

impl V3 {
    pub(crate) fn new(
        mchid: String,
        serial: String,
        signer: Arc<dyn Signer>,
        verifier: Verifier,
        clock: Arc<dyn Clock>,
    ) -> V3 {
        V3 { mchid, serial, signer, verifier, clock }
    }

    pub(crate) fn mchid(&self) -> &str {
        &self.mchid
    }

    pub(crate) fn serial(&self) -> &str {
        &self.serial
    }

    pub(crate) fn signer(&self) -> &dyn Signer {
        self.signer.as_ref()
    }

    pub(crate) fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The `Authorization` value for `request` at `timestamp` with `nonce`.
    pub(crate) fn authorization(
        &self,
        request: &PreparedRequest,
        timestamp: i64,
        nonce: &str,
    ) -> Result<String, Error> {
        let value = auth::authorization(
            &self.mchid,
            &self.serial,
            self.signer.as_ref(),
            request.method().as_str(),
            request.request_target(),
            timestamp,
            nonce,
            request.signed_body(),
        )?;
        Ok(value)
    }

    /// Checks a 2xx answer's signature (the unsigned-download and statement rules included).
    pub(crate) fn verify(
        &self,
        exchange: &Exchange,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Verification, VerificationFailure> {
        self.verifier.verify_response(&exchange.method, &exchange.path, exchange.unprefixed.as_deref(), headers, body)
    }

    /// The error for a non-2xx answer: WeChat Pay's `code`/`message`/`detail`, and whether its signature
    /// (most error answers carry one) verified.
    pub(crate) fn api_error(&self, status: StatusCode, headers: HeaderMap, body: Bytes) -> Error {
        let parsed: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
        let field = |name: &str| parsed.as_ref().and_then(|v| v.get(name)).and_then(|v| v.as_str()).map(str::to_owned);
        let signed_by = self.verifier.verify_signature(&headers, &body).ok();
        Error::Api(Box::new(ApiError {
            status,
            code: field("code"),
            message: field("message"),
            detail: parsed.as_ref().and_then(|v| v.get("detail")).cloned(),
            headers,
            body,
            signed_by,
            suggestions: Vec::new(),
        }))
    }

    /// [`api_error`](V3::api_error) for an answer to `exchange`: a 404 to a path that matches no
    /// catalogued template also names the closest catalogued paths ([`crate::hint`]). Only 404s pay for
    /// the comparison.
    pub(crate) fn api_error_for(
        &self,
        exchange: &Exchange,
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
    ) -> Error {
        let mut error = self.api_error(status, headers, body);
        if status == StatusCode::NOT_FOUND
            && let Error::Api(api) = &mut error
        {
            api.suggestions = crate::hint::for_not_found(exchange.catalog_path(), exchange.method.as_str());
        }
        error
    }

    fn finish(
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
        verified: Result<Verification, VerificationFailure>,
    ) -> Result<Response, Error> {
        match verified {
            Ok(verification) => Ok(Response::new(status, headers, body, verification)),
            Err(failure) => Err(Error::Verification(Box::new(VerificationError {
                failure,
                response: Response::new(status, headers, body, Verification::Rejected),
            }))),
        }
    }
}

impl Protocol for V3 {
    /// Signs `prepared` (a fresh timestamp and nonce) and names the key to answer with in
    /// `Wechatpay-Serial`, unless the caller set it.
    fn authorize(&self, prepared: PreparedRequest) -> Result<http::Request<Full<Bytes>>, Error> {
        let timestamp = self.clock.now();
        let nonce = auth::nonce()?;
        let authorization = self.authorization(&prepared, timestamp, &nonce)?;
        let mut authorization = HeaderValue::try_from(authorization)
            .map_err(|_| SigningError::new("the signer produced a signature that is not a valid header value", None))?;
        authorization.set_sensitive(true);

        let mut request = prepared.into_http();
        request.headers_mut().insert(AUTHORIZATION, authorization);
        if !request.headers().contains_key(WECHATPAY_SERIAL) {
            let preferred = self.verifier.keys().preferred_id(timestamp);
            if let Some(value) = preferred.and_then(|id| HeaderValue::try_from(id).ok()) {
                request.headers_mut().insert(WECHATPAY_SERIAL, value);
            }
        }
        Ok(request)
    }

    fn check(&self, exchange: &Exchange, received: Received) -> Result<Response, Error> {
        let Received { status, headers, body } = received;
        if !status.is_success() {
            return Err(self.api_error_for(exchange, status, headers, body));
        }
        let verified = self.verify(exchange, &headers, &body);
        V3::finish(status, headers, body, verified)
    }

    fn recheck(&self, exchange: &Exchange, failed: Box<VerificationError>) -> Result<Response, Error> {
        let (status, headers, body) = failed.response.into_parts();
        let verified = self.verify(exchange, &headers, &body);
        V3::finish(status, headers, body, verified)
    }
}
