//! APIv2 requests as the options describe them: the fields (the `xml` option, or the query of a `GET`)
//! and the headers. The APIv2 protocol completes and signs the fields ([`V2Draft::finish`] writes them).

use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, USER_AGENT};
use http::{HeaderMap, HeaderValue, Method};
use serde_json::{Map, Value};

use super::{Api, Defaults, Options, PreparedRequest, Query, Target, merge_headers};
use crate::error::{Error, InputErrorKind};
use crate::uri::encode::php_query;
use crate::v2::xml::to_xml;

/// The `Accept` header of APIv2 requests (as wechatpay-php sends it).
pub const V2_ACCEPT: &str = "text/xml, text/plain, application/x-gzip";
/// The `Content-Type` header of APIv2 requests (sent on `GET` too, as wechatpay-php does).
pub const V2_CONTENT_TYPE: &str = "text/xml; charset=utf-8";

/// An APIv2 request before its `nonce_str` and `sign`.
pub(crate) struct V2Draft {
    pub(crate) method: Method,
    target: Target,
    /// The request fields, in the caller's order.
    pub(crate) fields: Map<String, Value>,
    /// No automatic `nonce_str`.
    pub(crate) nonceless: bool,
    headers: HeaderMap,
    timeout: Option<Duration>,
    download: crate::download::DownloadOptions,
    security: bool,
    retry: Option<crate::retry::RetryPolicy>,
    idempotent: bool,
}

impl V2Draft {
    /// The request carrying `fields` (completed and signed): for `GET` they are the query, otherwise the
    /// XML body.
    pub(crate) fn finish(self, fields: &Map<String, Value>) -> Result<PreparedRequest, Error> {
        let mut target = self.target;
        let body = if self.method == Method::GET {
            target.query.clear();
            php_query(fields, &mut target.query);
            Bytes::new()
        } else {
            let xml = to_xml(fields).map_err(|e| Error::input(InputErrorKind::InvalidOption, format!("`xml`: {e}")))?;
            Bytes::from(xml)
        };
        Ok(PreparedRequest {
            uri: target.uri()?,
            method: self.method,
            headers: self.headers,
            body,
            signed_body: None,
            unprefixed_path: target.unprefixed_path,
            timeout: self.timeout,
            download: self.download,
            api: Api::V2 { security: self.security },
            retry: self.retry,
            idempotent: self.idempotent,
        })
    }
}

fn input(kind: InputErrorKind, message: impl Into<String>) -> Error {
    Error::input(kind, message)
}

/// The fields and headers of an APIv2 request. `template_query` is the query written in the path
/// template, if any; `target.query` is the query already built from it or from the `query` option.
pub(super) fn draft(
    defaults: &Defaults,
    method: Method,
    options: Options,
    target: Target,
    template_query: Option<&str>,
) -> Result<V2Draft, Error> {
    if options.media.is_some() || options.body.is_some() {
        return Err(input(
            InputErrorKind::ConflictingOptions,
            "APIv2 endpoints take their fields in the `xml` option (or, for GET, in `query`), which the SDK signs \
             and writes as XML; `json`, `body` and media uploads are APIv3 options",
        ));
    }
    let fields = if method == Method::GET {
        if options.xml.is_some() {
            return Err(input(
                InputErrorKind::ConflictingOptions,
                "an APIv2 GET sends its fields as the query: give them in `query`, not `xml`",
            ));
        }
        match (&options.query, template_query) {
            (Some(Query::Map(map)), _) => map.clone(),
            (Some(Query::Raw(raw)), _) => parse_form(raw.strip_prefix('?').unwrap_or(raw)),
            (None, Some(q)) => parse_form(q),
            (None, None) => Map::new(),
        }
    } else {
        options.xml.unwrap_or_default()
    };
    let mut headers = HeaderMap::with_capacity(4);
    headers.insert(ACCEPT, HeaderValue::from_static(V2_ACCEPT));
    headers.insert(USER_AGENT, defaults.user_agent.clone());
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(V2_CONTENT_TYPE));
    Ok(V2Draft {
        method,
        target,
        fields,
        nonceless: options.nonceless,
        headers: merge_headers(headers, options.headers),
        timeout: options.timeout,
        download: options.download,
        security: options.security,
        retry: options.retry,
        idempotent: options.idempotent,
    })
}

/// Parses `a=1&b=x%20y` (form decoding: `+` is a space, as PHP's `parse_str`); later duplicates win.
fn parse_form(query: &str) -> Map<String, Value> {
    let mut map = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            let spaced = s.replace('+', " ");
            percent_encoding::percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
        };
        map.insert(decode(k), Value::String(decode(v)));
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_parsing_decodes_plus_and_percent() {
        let map = parse_form("a=1&note=a+b%2Bc&empty=&flag");
        assert_eq!(map["a"], "1");
        assert_eq!(map["note"], "a b+c");
        assert_eq!(map["empty"], "");
        assert_eq!(map["flag"], "");
    }
}
