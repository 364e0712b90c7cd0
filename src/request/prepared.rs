//! The prepared request: what will be sent, byte for byte, before the protocol authorizes it.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Uri};

/// A request ready to be signed and sent: everything but `Authorization`.
#[derive(Clone)]
pub struct PreparedRequest {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// The bytes the signature covers when they are not the body (a media upload's `meta` JSON).
    pub(crate) signed_body: Option<Bytes>,
    /// The URL path without the base URI's path prefix, when there was one.
    pub(crate) unprefixed_path: Option<String>,
    pub(crate) timeout: Option<Duration>,
    /// Downloads: `download_timeout` and `max_bytes`.
    pub(crate) download: crate::download::DownloadOptions,
    /// Which pipeline signs and checks it.
    pub(crate) api: Api,
    /// The `retry` option: this request's policy instead of the client's.
    pub(crate) retry: Option<crate::retry::RetryPolicy>,
    /// The `idempotent` option: it may be sent again after it may have reached WeChat Pay.
    pub(crate) idempotent: bool,
}

/// The protocol a prepared request belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Api {
    /// APIv3: JSON, signed with the merchant's RSA key in `Authorization`, answers verified by WeChat
    /// Pay's signature headers.
    V3,
    /// APIv2: XML with an MD5 / HMAC-SHA256 `sign` field made with the APIv2 key.
    V2 {
        /// Sent over mutual TLS with the merchant certificate (the `security` option).
        security: bool,
    },
}

impl fmt::Debug for PreparedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedRequest")
            .field("method", &self.method)
            .field("uri", &self.uri)
            .field("headers", &self.headers.keys().map(|k| k.as_str()).collect::<Vec<_>>())
            .field("body_len", &self.body.len())
            .field("signed_body_len", &self.signed_body.as_ref().map(Bytes::len))
            .field("api", &self.api)
            .field("retry", &self.retry)
            .field("idempotent", &self.idempotent)
            .finish()
    }
}

impl PreparedRequest {
    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The absolute URL.
    pub fn url(&self) -> &Uri {
        &self.uri
    }

    /// Path and query exactly as sent and signed, e.g. `/v3/facemch/users/x?info_type=ASK_UNIONID`.
    pub fn request_target(&self) -> &str {
        self.uri.path_and_query().map_or("/", |pq| pq.as_str())
    }

    /// The headers that will be sent (the SDK adds `Authorization` when signing).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body bytes that will be sent (and signed, except for media uploads: see
    /// [`signed_body`](PreparedRequest::signed_body)).
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The bytes the signature covers: the body, or for a media upload its `meta` JSON (WeChat Pay signs
    /// uploads over the meta, not the multipart body).
    pub fn signed_body(&self) -> &Bytes {
        self.signed_body.as_ref().unwrap_or(&self.body)
    }

    /// The protocol: [`Api::V3`], or [`Api::V2`] for paths under `v2/`.
    pub fn api(&self) -> Api {
        self.api
    }

    /// The HTTP request to send: method, URL, headers and body as prepared (APIv3 adds `Authorization`).
    pub(crate) fn into_http(self) -> http::Request<http_body_util::Full<Bytes>> {
        let mut request = http::Request::new(http_body_util::Full::new(self.body));
        *request.method_mut() = self.method;
        *request.uri_mut() = self.uri;
        *request.headers_mut() = self.headers;
        request
    }

    /// The message the signature covers at `timestamp` with `nonce`.
    pub fn sign_message(&self, timestamp: i64, nonce: &str) -> Vec<u8> {
        crate::auth::sign_message(self.method.as_str(), self.request_target(), timestamp, nonce, self.signed_body())
    }
}
