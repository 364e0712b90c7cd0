//! The two wire protocols, behind one interface: [`v3`] (an `Authorization` header over the exact bytes
//! sent; answers verified by WeChat Pay's `Wechatpay-*` signature headers) and [`v2`] (a `sign` field
//! inside the XML; answers checked by theirs). The pipeline picks one per request, once, from
//! [`PreparedRequest::api`], and runs the same steps with it: authorize, send, check.

pub(crate) mod v2;
pub(crate) mod v3;

use bytes::Bytes;
use http::Method;
use http_body_util::Full;

use crate::error::{Error, VerificationError};
use crate::request::PreparedRequest;
use crate::response::Response;
use crate::transport::Received;

/// What a protocol needs to know of a sent request to check its answer.
#[derive(Clone, Debug)]
pub(crate) struct Exchange {
    pub(crate) method: Method,
    /// The URL path as sent.
    pub(crate) path: String,
    /// The same path without the base URI's prefix, when it had one.
    pub(crate) unprefixed: Option<String>,
}

impl Exchange {
    pub(crate) fn of(prepared: &PreparedRequest) -> Exchange {
        Exchange {
            method: prepared.method.clone(),
            path: prepared.uri.path().to_owned(),
            unprefixed: prepared.unprefixed_path.clone(),
        }
    }

    /// The path without the base URI's prefix (the path as catalogued).
    pub(crate) fn catalog_path(&self) -> &str {
        self.unprefixed.as_deref().unwrap_or(&self.path)
    }
}

/// One wire protocol: how a prepared request is authorized, and how its answer is checked.
pub(crate) trait Protocol: Send + Sync {
    /// The HTTP request to send for `prepared`, authorized.
    fn authorize(&self, prepared: PreparedRequest) -> Result<http::Request<Full<Bytes>>, Error>;

    /// The checked answer: a [`Response`] only when it is authentic and a success.
    fn check(&self, exchange: &Exchange, received: Received) -> Result<Response, Error>;

    /// Checks again an answer that failed verification, after the keys may have changed (APIv3: a
    /// certificate download for an unknown serial). Protocols without such keys return the failure.
    fn recheck(&self, exchange: &Exchange, failed: Box<VerificationError>) -> Result<Response, Error> {
        let _ = exchange;
        Err(Error::Verification(failed))
    }
}
