//! Request options and the prepared (unsigned) request.
//!
//! Options come as a `serde_json::Value` shaped like wechatpay-php's options array, or from the typed
//! [`Options`] builder. Both go through the same checks: unknown keys and contradictory options are
//! errors, nothing is silently ignored.
//!
//! | key | meaning |
//! | --- | --- |
//! | any other key | a path template variable (`{"face_sid": "…"}` for `{face_sid}`) |
//! | `query` | object → PHP `http_build_query` (RFC 3986, insertion order); string → sent as is |
//! | `json` | body, serialized once (compact, key order kept, floats as PHP's `json_encode`: `1.0` → `1`); `Content-Type: application/json` |
//! | `body` | raw body string, signed and sent verbatim; `Content-Type: application/json; charset=utf-8` unless set |
//! | `headers` | extra or replacement headers (`Wechatpay-Serial`, `Accept`, …) |
//! | `base_uri` | per-request base, e.g. `https://api2.mch.weixin.qq.com/` |
//! | `timeout` | per-request total time limit in seconds (for downloads: the idle timeout, the longest wait for more data) |
//! | `download_timeout` | downloads only: total time limit of the whole download in seconds (see [`crate::download`]) |
//! | `max_bytes` | downloads only: the largest file accepted, in bytes (see [`crate::download`]) |
//! | `xml` | APIv2 only: the request fields (object), signed and sent as the XML body (or, for `GET`, the query) |
//! | `nonceless` | APIv2 only: `true` leaves out the automatic `nonce_str` |
//! | `security` | APIv2 only: `true` sends the request over mutual TLS with the merchant certificate |
//! | `retry` | this request's [`RetryPolicy`](crate::retry::RetryPolicy): `false` (one attempt), `true` (the default policy), a number of attempts, or `{"max_attempts": 3, "initial_backoff": 0.1, "max_backoff": 2, "attempt_timeout": 5}` (seconds) |
//! | `idempotent` | `true`: this request may be sent again after it may have reached WeChat Pay (a retried `POST` that is safe to repeat); see [`crate::retry`] |
//!
//! A path that starts with `v2/` after expansion (any case, a leading `/` ignored) is an APIv2 (XML)
//! endpoint: the prefix is not sent, and the request goes through the APIv2 pipeline (see
//! [`crate::v2`]).
//!
//! A media upload is typed only, [`Options::media`] (a file is not JSON); it combines with options from
//! JSON: `Options::from(json!({…})).media(media)`.

mod json;
mod options;
mod prepared;
mod v2;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, USER_AGENT};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use serde_json::{Map, Value};

pub use options::Options;
pub(crate) use options::check_sensitive_serial;
use options::{Body, OPTION_KEYS, Query};
pub use prepared::{Api, PreparedRequest};
pub(crate) use v2::V2Draft;
pub use v2::{V2_ACCEPT, V2_CONTENT_TYPE};

use crate::error::{Error, InputErrorKind};
use crate::uri::encode::php_query;
use crate::uri::template::Template;
use crate::uri::{BaseUri, resolve, sanitize};

/// The `Accept` header sent by default (the same list wechatpay-php sends: JSON plus the file types
/// of download endpoints).
pub const DEFAULT_ACCEPT: &str =
    "application/json, text/plain, application/x-gzip, application/pdf, image/png, image/*;q=0.5";

/// What every request of a client starts from: the base URI paths resolve against, and the
/// `User-Agent`.
#[derive(Clone, Debug)]
pub(crate) struct Defaults {
    pub(crate) base: BaseUri,
    pub(crate) user_agent: HeaderValue,
}

/// A request as the options describe it. APIv3 requests are complete; APIv2 ones still need their
/// `nonce_str` and `sign`, which the APIv2 protocol adds.
pub(crate) enum Draft {
    /// APIv3: complete, to be authorized when sent.
    V3(PreparedRequest),
    /// APIv2: fields to be completed and signed.
    V2(V2Draft),
}

fn input(kind: InputErrorKind, message: impl Into<String>) -> Error {
    Error::input(kind, message)
}

/// `v2/…` (or `/v2/…`, any case) addresses the APIv2 XML endpoints: the rest of the path, without the
/// prefix (and without the leading `/`, which wechatpay-php would misroute).
fn strip_v2(path: &str) -> Option<&str> {
    let unslashed = path.strip_prefix('/').unwrap_or(path);
    match unslashed.get(..3) {
        Some(p) if p.eq_ignore_ascii_case("v2/") => Some(&unslashed[3..]),
        _ => None,
    }
}

/// Where a request goes: origin + path, the query string, and the path without the base URI's prefix.
pub(crate) struct Target {
    origin: String,
    path: String,
    pub(crate) query: String,
    pub(crate) unprefixed_path: Option<String>,
}

impl Target {
    /// The absolute URL.
    pub(crate) fn uri(&self) -> Result<Uri, Error> {
        let mut url = String::with_capacity(self.origin.len() + self.path.len() + self.query.len() + 1);
        url.push_str(&self.origin);
        url.push_str(&self.path);
        if !self.query.is_empty() {
            url.push('?');
            url.push_str(&self.query);
        }
        url.parse().map_err(|e| input(InputErrorKind::Url, format!("the request URL `{url}` is invalid ({e})")))
    }
}

/// Chain template + options → the request they describe. Nothing is signed here.
pub(crate) fn prepare(
    defaults: &Defaults,
    template_text: &str,
    method: Method,
    options: Options,
) -> Result<Draft, Error> {
    if let Some((kind, message)) = options.invalid {
        return Err(input(kind, message));
    }
    check_sensitive_serial(&options)?;
    let parsed = Template::parse(template_text)?;
    check_variables(&parsed, &options.vars, template_text)?;

    let mut expanded = String::with_capacity(template_text.len() + 48);
    parsed.expand(&options.vars, &mut expanded)?;
    let v2_path = strip_v2(&expanded).map(str::to_owned);
    if v2_path.is_none() && (options.xml.is_some() || options.nonceless || options.security) {
        return Err(input(
            InputErrorKind::ConflictingOptions,
            format!(
                "`xml`, `nonceless` and `security` are APIv2 options, but `{expanded}` is an APIv3 path; \
                 APIv2 paths start with `v2/` (`client.v2()…` or `client.chain(\"v2/…\")`)"
            ),
        ));
    }
    let is_v2 = v2_path.is_some();
    let expanded = v2_path.unwrap_or(expanded);
    if expanded.contains('#') {
        return Err(input(InputErrorKind::Url, format!("`{expanded}` contains `#`; a URL fragment is never sent")));
    }
    let (path_part, template_query) = match expanded.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (expanded.as_str(), None),
    };

    let per_request_base = match &options.base_uri {
        Some(text) => Some(BaseUri::parse(text).map_err(|e| input(InputErrorKind::Url, format!("`base_uri`: {e}")))?),
        None => None,
    };
    let base = per_request_base.as_ref().unwrap_or(&defaults.base);
    let (origin, path, unprefixed_path) = resolve(base, path_part)?;

    let mut query = String::new();
    match (&options.query, template_query) {
        (Some(_), Some(q)) => {
            return Err(input(
                InputErrorKind::ConflictingOptions,
                format!("the path template already has a query (`?{q}`) and the `query` option gives another; use one"),
            ));
        }
        (Some(Query::Map(map)), None) => php_query(map, &mut query),
        (Some(Query::Raw(raw)), None) => sanitize(raw.strip_prefix('?').unwrap_or(raw), true, &mut query),
        (None, Some(q)) => sanitize(q, true, &mut query),
        (None, None) => {}
    }
    let target = Target { origin, path, query, unprefixed_path };
    if is_v2 {
        return v2::draft(defaults, method, options, target, template_query).map(Draft::V2);
    }

    let uri = target.uri()?;
    let (body, signed_body) = match &options.media {
        Some(media) => {
            if options.headers.iter().any(|(name, _)| name == CONTENT_TYPE) {
                return Err(input(
                    InputErrorKind::ConflictingOptions,
                    "a media upload sets its own `Content-Type` (multipart/form-data with its boundary); \
                     remove the `Content-Type` header",
                ));
            }
            let path = target.unprefixed_path.as_deref().unwrap_or(uri.path());
            let upload = crate::media::upload(media, &method, path)?;
            (Some(Body::Multipart(upload.content_type, upload.body)), Some(upload.signed))
        }
        None => (options.body, None),
    };
    let (headers, body) = headers_and_body(defaults, body, options.headers);
    Ok(Draft::V3(PreparedRequest {
        method,
        uri,
        headers,
        body,
        signed_body,
        unprefixed_path: target.unprefixed_path,
        timeout: options.timeout,
        download: options.download,
        api: Api::V3,
        retry: options.retry,
        idempotent: options.idempotent,
    }))
}

/// Every option key must be a template variable, and no template variable may be named like an option.
fn check_variables(parsed: &Template<'_>, vars: &Map<String, Value>, template_text: &str) -> Result<(), Error> {
    for name in vars.keys() {
        if !parsed.variables().any(|v| v == name) {
            let hint = match name.as_str() {
                "media" => " (uploads are typed: `Options::from(json!({…})).media(Media::from_path(…)?)`)",
                "http_errors" | "verify" | "handler" | "sink" | "stream" | "debug" | "proxy" | "connect_timeout"
                | "allow_redirects" => " (a Guzzle option with no equivalent here)",
                _ => "",
            };
            return Err(input(
                InputErrorKind::UnknownOption,
                format!(
                    "option `{name}` is neither a request option ({}) nor a variable of the path template `{template_text}`{hint}",
                    OPTION_KEYS.join(", ")
                ),
            ));
        }
    }
    match parsed.variables().find(|name| OPTION_KEYS.contains(name)) {
        Some(name) => Err(input(
            InputErrorKind::ConflictingOptions,
            format!("the path template variable `{{{name}}}` has the name of a request option; rename the placeholder"),
        )),
        None => Ok(()),
    }
}

/// The default headers, then the caller's: a caller's header replaces a default of the same name.
fn merge_headers(mut headers: HeaderMap, extra: Vec<(HeaderName, Vec<HeaderValue>)>) -> HeaderMap {
    for (name, values) in extra {
        headers.remove(&name);
        for v in values {
            headers.append(name.clone(), v);
        }
    }
    headers
}

/// Default headers (`Accept`, `User-Agent`, `Content-Type` for a body) overridden by the caller's.
fn headers_and_body(
    defaults: &Defaults,
    body: Option<Body>,
    extra: Vec<(HeaderName, Vec<HeaderValue>)>,
) -> (HeaderMap, Bytes) {
    let mut headers = HeaderMap::with_capacity(6);
    headers.insert(ACCEPT, HeaderValue::from_static(DEFAULT_ACCEPT));
    headers.insert(USER_AGENT, defaults.user_agent.clone());
    // As wechatpay-php: `json` bodies are `application/json`, raw bodies keep the charset form.
    // A request without a body has no Content-Type.
    let body = match body {
        Some(Body::Json(b)) => {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            b
        }
        Some(Body::Raw(b)) => {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
            b
        }
        Some(Body::Multipart(content_type, b)) => {
            headers.insert(CONTENT_TYPE, content_type);
            b
        }
        None => Bytes::new(),
    };
    (merge_headers(headers, extra), body)
}
