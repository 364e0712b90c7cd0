//! Request options: the PHP-array-shaped JSON and the typed [`Options`] builder, checked the same way.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::{HeaderName, HeaderValue};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Error, InputErrorKind};
use crate::media::Media;
use crate::retry::RetryPolicy;
use crate::sensitive::SensitiveEncryptor;

pub(super) const OPTION_KEYS: [&str; 13] = [
    "query",
    "json",
    "body",
    "headers",
    "base_uri",
    "timeout",
    "xml",
    "nonceless",
    "security",
    "download_timeout",
    "max_bytes",
    "retry",
    "idempotent",
];

#[derive(Clone, Debug)]
pub(super) enum Query {
    Map(Map<String, Value>),
    Raw(String),
}

#[derive(Clone, Debug)]
pub(super) enum Body {
    Json(Bytes),
    Raw(Bytes),
    /// A `multipart/form-data` media upload with its `Content-Type` (boundary included).
    Multipart(HeaderValue, Bytes),
}

/// Request options: template variables, query, body, headers, base URI, timeout.
///
/// From PHP-array-shaped JSON:
/// ```
/// use serde_json::json;
/// use wechatpay_chain::Options;
/// let o: Options = json!({"face_sid": "aabbccdd12345", "query": {"info_type": "ASK_UNIONID"}}).into();
/// ```
/// or typed:
/// ```
/// use wechatpay_chain::Options;
/// let o = Options::new().param("face_sid", "aabbccdd12345").query("info_type", "ASK_UNIONID");
/// ```
#[derive(Clone, Default)]
pub struct Options {
    pub(super) vars: Map<String, Value>,
    pub(super) query: Option<Query>,
    pub(super) body: Option<Body>,
    pub(super) media: Option<Media>,
    pub(super) headers: Vec<(HeaderName, Vec<HeaderValue>)>,
    pub(super) base_uri: Option<String>,
    pub(super) timeout: Option<Duration>,
    /// Downloads: `download_timeout` and `max_bytes`.
    pub(super) download: crate::download::DownloadOptions,
    pub(super) invalid: Option<(InputErrorKind, String)>,
    /// The key id set by [`Options::encrypted_with`]; any other `Wechatpay-Serial` is a conflict.
    pub(super) sensitive_serial: Option<String>,
    /// APIv2: the request fields.
    pub(super) xml: Option<Map<String, Value>>,
    /// APIv2: no automatic `nonce_str`.
    pub(super) nonceless: bool,
    /// APIv2: mutual TLS with the merchant certificate.
    pub(super) security: bool,
    /// This request's retry policy instead of the client's.
    pub(super) retry: Option<RetryPolicy>,
    /// May be sent again after it may have reached WeChat Pay.
    pub(super) idempotent: bool,
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Bodies and header values may carry personal data: show their shape only.
        let body = match &self.body {
            None => "none".to_owned(),
            Some(Body::Json(b)) => format!("json, {} bytes", b.len()),
            Some(Body::Raw(b) | Body::Multipart(_, b)) => format!("raw, {} bytes", b.len()),
        };
        let body = match &self.media {
            Some(media) => format!("media, {} bytes", media.len()),
            None => body,
        };
        f.debug_struct("Options")
            .field("vars", &self.vars.keys().collect::<Vec<_>>())
            .field("query", &self.query.as_ref().map(|_| "set"))
            .field("body", &body)
            .field("headers", &self.headers.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>())
            .field("base_uri", &self.base_uri)
            .field("timeout", &self.timeout)
            .field("download", &self.download)
            .field("xml", &self.xml.as_ref().map(|m| format!("{} fields", m.len())))
            .field("nonceless", &self.nonceless)
            .field("security", &self.security)
            .field("retry", &self.retry)
            .field("idempotent", &self.idempotent)
            .finish()
    }
}

impl Options {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }

    fn fail(&mut self, kind: InputErrorKind, message: String) {
        self.invalid.get_or_insert((kind, message));
    }

    /// Sets the path template variable `name` (a string, number or boolean; a list or map for
    /// RFC 6570 list expansion).
    pub fn param(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        let name = name.into();
        if OPTION_KEYS.contains(&name.as_str()) {
            self.fail(
                InputErrorKind::ConflictingOptions,
                format!(
                    "`{name}` is a request option and cannot also be a path template variable; rename the placeholder"
                ),
            );
        }
        self.vars.insert(name, value.into());
        self
    }

    /// Appends one query parameter (serialized like PHP `http_build_query`, in call order).
    pub fn query(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        match &mut self.query {
            None => {
                let mut map = Map::new();
                map.insert(name.into(), value.into());
                self.query = Some(Query::Map(map));
            }
            Some(Query::Map(map)) => {
                map.insert(name.into(), value.into());
            }
            Some(Query::Raw(_)) => self.fail(
                InputErrorKind::ConflictingOptions,
                "both a raw query string and query parameters were given; use one".to_owned(),
            ),
        }
        self
    }

    /// Uses `raw` as the query string as is (characters not allowed in a URL query are percent-encoded).
    pub fn query_string(mut self, raw: impl Into<String>) -> Self {
        if self.query.is_some() {
            self.fail(
                InputErrorKind::ConflictingOptions,
                "both a raw query string and query parameters were given; use one".to_owned(),
            );
        }
        self.query = Some(Query::Raw(raw.into()));
        self
    }

    /// Serializes `body` as the JSON body, once; those bytes are signed and sent. Compact, key order
    /// kept, strings as UTF-8; floats as wechatpay-php's `json_encode` writes them (`1.0` → `1`,
    /// `-0.0` → `-0`, `1e20` → `1.0e+20`; integers unchanged).
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        match super::json::to_vec(body) {
            Ok(bytes) => self.set_body(Body::Json(Bytes::from(bytes))),
            Err(e) => self.fail(InputErrorKind::InvalidOption, format!("the `json` body cannot be serialized: {e}")),
        }
        self
    }

    /// Uses `bytes` as the body verbatim (signed and sent as given).
    pub fn body(mut self, bytes: impl Into<Bytes>) -> Self {
        self.set_body(Body::Raw(bytes.into()));
        self
    }

    /// Uploads `media` as `multipart/form-data` (see [`crate::media`]); the signature covers its `meta` JSON.
    /// Use it with `post` on an upload endpoint; it cannot be combined with `json` or `body`.
    ///
    /// ```
    /// use wechatpay_chain::{Media, Options};
    /// let media = Media::from_bytes("logo.png", b"\x89PNG\r\n\x1a\n".to_vec())?;
    /// let options = Options::new().media(media);
    /// # Ok::<(), wechatpay_chain::Error>(())
    /// ```
    pub fn media(mut self, media: Media) -> Self {
        if self.body.is_some() || self.media.is_some() {
            self.fail(
                InputErrorKind::ConflictingOptions,
                "a media upload is the whole body; it cannot be combined with `json`, `body` or another media"
                    .to_owned(),
            );
        }
        self.media = Some(media);
        self
    }

    fn set_body(&mut self, body: Body) {
        if self.media.is_some() {
            self.fail(
                InputErrorKind::ConflictingOptions,
                "a media upload is the whole body; it cannot be combined with `json` or `body`".to_owned(),
            );
        } else if self.body.is_some() {
            self.fail(InputErrorKind::ConflictingOptions, "both `json` and `body` were given; use one".to_owned());
        }
        self.body = Some(body);
    }

    /// Adds a request header, replacing a default of the same name (`Accept`, `User-Agent`,
    /// `Content-Type`). `Authorization`, `Content-Length`, `Transfer-Encoding` and `Host` are set by
    /// the SDK and refused here.
    pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        let name = name.as_ref();
        match (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value.as_ref())) {
            (Ok(n), Ok(v)) => self.push_header(n, vec![v]),
            (Err(_), _) => self.fail(InputErrorKind::InvalidOption, format!("`{name}` is not a valid header name")),
            (_, Err(_)) => self.fail(
                InputErrorKind::InvalidOption,
                format!("the value of header `{name}` has characters not allowed in a header (line breaks?)"),
            ),
        }
        self
    }

    fn push_header(&mut self, name: HeaderName, values: Vec<HeaderValue>) {
        if [AUTHORIZATION, CONTENT_LENGTH, TRANSFER_ENCODING, HOST].contains(&name) {
            self.fail(
                InputErrorKind::ConflictingOptions,
                format!("the `{name}` header is computed by the SDK and cannot be set in the options"),
            );
            return;
        }
        self.headers.push((name, values));
    }

    /// Sends this request to another base URI (e.g. the backup domain `https://api2.mch.weixin.qq.com/`).
    pub fn base_uri(mut self, uri: impl Into<String>) -> Self {
        self.base_uri = Some(uri.into());
        self
    }

    /// Total time limit for this request, replacing the client's.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        if timeout.is_zero() {
            self.fail(InputErrorKind::InvalidOption, "`timeout` must be greater than zero".to_owned());
        }
        self.timeout = Some(timeout);
        self
    }

    /// Downloads only: the total time limit of this download, replacing the client's
    /// [`download_timeout`](crate::ClientBuilder::download_timeout) (see [`crate::download`]).
    pub fn download_timeout(mut self, timeout: Duration) -> Self {
        if let Err(message) = self.download.set_timeout(timeout) {
            self.fail(InputErrorKind::InvalidOption, message);
        }
        self
    }

    /// Downloads only: the largest file accepted, in bytes, replacing the client's
    /// [`max_download_bytes`](crate::ClientBuilder::max_download_bytes) (see [`crate::download`]).
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        if let Err(message) = self.download.set_max_bytes(bytes) {
            self.fail(InputErrorKind::InvalidOption, message);
        }
        self
    }

    /// APIv2: the request fields, from anything that serializes to a JSON object (a `json!({…})`, a map,
    /// a struct). The SDK checks `mch_id`, adds `nonce_str` (unless [`nonceless`](Options::nonceless))
    /// and `sign`, and sends them as the XML body (for `GET`, as the query).
    ///
    /// ```
    /// use serde_json::json;
    /// use wechatpay_chain::Options;
    /// let options = Options::new().xml(&json!({"mch_id": "1900000001", "out_trade_no": "1415757673"}));
    /// ```
    pub fn xml<T: Serialize + ?Sized>(mut self, fields: &T) -> Self {
        match serde_json::to_value(fields) {
            Ok(Value::Object(map)) => self.xml = Some(map),
            Ok(other) => self.fail(
                InputErrorKind::InvalidOption,
                format!("`xml` must be an object of field → value, not {}", type_name(&other)),
            ),
            Err(e) => self.fail(InputErrorKind::InvalidOption, format!("the `xml` fields cannot be serialized: {e}")),
        }
        self
    }

    /// APIv2: does not add a `nonce_str` (for the few endpoints that do not take one, such as
    /// `risk/getpublickey`).
    pub fn nonceless(mut self) -> Self {
        self.nonceless = true;
        self
    }

    /// APIv2: sends this request over mutual TLS with the merchant's API certificate (required by
    /// `secapi/…`, red packets, transfers and other fund-moving endpoints). The client needs the
    /// certificate: [`ClientBuilder::merchant_tls_pem`](crate::ClientBuilder::merchant_tls_pem) or
    /// [`merchant_tls_pkcs12`](crate::ClientBuilder::merchant_tls_pkcs12).
    pub fn security(mut self) -> Self {
        self.security = true;
        self
    }

    /// Retries this request under `policy` instead of the client's
    /// [`retry`](crate::ClientBuilder::retry) policy; [`RetryPolicy::none`] makes one attempt. An invalid
    /// policy fails the request before sending ([`InputErrorKind::InvalidOption`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        match policy.check() {
            Ok(()) => self.retry = Some(policy),
            Err(message) => self.fail(InputErrorKind::InvalidOption, format!("`retry`: {message}")),
        }
        self
    }

    /// Declares this request safe to send twice (a `POST` that WeChat Pay deduplicates, such as a query
    /// sent as `POST`, or a close that may be repeated): the retry policy may then send it again after
    /// it may have reached WeChat Pay, as it does a `GET` (see [`crate::retry`]). Never use it for a
    /// request that would move money twice.
    pub fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    fn from_value(value: &Value) -> Options {
        let mut o = Options::new();
        let map = match value {
            Value::Object(map) => map,
            Value::Null => return o,
            other => {
                o.fail(
                    InputErrorKind::InvalidOption,
                    format!("options must be a JSON object like {{\"query\": {{…}}}}, not {}", type_name(other)),
                );
                return o;
            }
        };
        for (key, v) in map {
            match key.as_str() {
                "query" => match v {
                    Value::Null => {}
                    Value::Object(q) => o.query = Some(Query::Map(q.clone())),
                    Value::Array(a) if a.is_empty() => {}
                    Value::String(s) => o.query = Some(Query::Raw(s.clone())),
                    other => o.fail(
                        InputErrorKind::InvalidOption,
                        format!("`query` must be an object or a string, not {}", type_name(other)),
                    ),
                },
                "json" => {
                    if !v.is_null() {
                        match super::json::to_vec(v) {
                            Ok(bytes) => o.set_body(Body::Json(Bytes::from(bytes))),
                            Err(e) => {
                                o.fail(InputErrorKind::InvalidOption, format!("`json` cannot be serialized: {e}"))
                            }
                        }
                    }
                }
                "body" => match v {
                    Value::Null => {}
                    Value::String(s) => o.set_body(Body::Raw(Bytes::from(s.clone()))),
                    other => o.fail(
                        InputErrorKind::InvalidOption,
                        format!("`body` must be a string, not {}; use `json` for structured data", type_name(other)),
                    ),
                },
                "headers" => match v {
                    Value::Object(h) => {
                        for (name, value) in h {
                            o.header_value(name, value);
                        }
                    }
                    Value::Array(a) if a.is_empty() => {}
                    Value::Null => o.fail(
                        InputErrorKind::InvalidOption,
                        "`headers: null` would drop Accept and User-Agent, which WeChat Pay requires; \
                         leave `headers` out instead"
                            .to_owned(),
                    ),
                    other => o.fail(
                        InputErrorKind::InvalidOption,
                        format!("`headers` must be an object of name → value, not {}", type_name(other)),
                    ),
                },
                "base_uri" => match v {
                    Value::String(s) => o.base_uri = Some(s.clone()),
                    other => o.fail(
                        InputErrorKind::InvalidOption,
                        format!("`base_uri` must be a string, not {}", type_name(other)),
                    ),
                },
                "xml" => match v {
                    Value::Null => {}
                    Value::Object(fields) => o.xml = Some(fields.clone()),
                    Value::Array(a) if a.is_empty() => o.xml = Some(Map::new()),
                    other => o.fail(
                        InputErrorKind::InvalidOption,
                        format!("`xml` must be an object of field → value, not {}", type_name(other)),
                    ),
                },
                "retry" => match RetryPolicy::from_json(v) {
                    Ok(policy) => o.retry = Some(policy),
                    Err(message) => o.fail(InputErrorKind::InvalidOption, message),
                },
                "nonceless" | "security" | "idempotent" => match v {
                    Value::Null | Value::Bool(false) => {}
                    Value::Bool(true) if key == "nonceless" => o.nonceless = true,
                    Value::Bool(true) if key == "idempotent" => o.idempotent = true,
                    Value::Bool(true) => o.security = true,
                    other => o.fail(
                        InputErrorKind::InvalidOption,
                        format!("`{key}` must be true or false, not {}", type_name(other)),
                    ),
                },
                "download_timeout" | "max_bytes" => {
                    if let Err(message) = o.download.set_json(key, v) {
                        o.fail(InputErrorKind::InvalidOption, message);
                    }
                }
                "timeout" => match v.as_f64() {
                    Some(secs) if secs.is_finite() && secs > 0.0 && secs <= 86_400.0 => {
                        o.timeout = Some(Duration::from_secs_f64(secs));
                    }
                    _ => o.fail(
                        InputErrorKind::InvalidOption,
                        format!("`timeout` must be a number of seconds between 0 and 86400, not {v}"),
                    ),
                },
                _ => {
                    o.vars.insert(key.clone(), v.clone());
                }
            }
        }
        o
    }

    fn header_value(&mut self, name: &str, value: &Value) {
        let Ok(header) = HeaderName::from_bytes(name.as_bytes()) else {
            self.fail(InputErrorKind::InvalidOption, format!("`{name}` is not a valid header name"));
            return;
        };
        let texts: Vec<String> = match value {
            Value::String(s) => vec![s.clone()],
            Value::Number(n) => vec![n.to_string()],
            Value::Array(items) if items.iter().all(|i| i.is_string() || i.is_number()) => {
                items.iter().map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned)).collect()
            }
            other => {
                self.fail(
                    InputErrorKind::InvalidOption,
                    format!("header `{name}` must be a string (or a list of strings), not {}", type_name(other)),
                );
                return;
            }
        };
        let mut values = Vec::with_capacity(texts.len());
        for text in texts {
            match HeaderValue::from_str(&text) {
                Ok(v) => values.push(v),
                Err(_) => {
                    self.fail(
                        InputErrorKind::InvalidOption,
                        format!("the value of header `{name}` has characters not allowed in a header (line breaks?)"),
                    );
                    return;
                }
            }
        }
        self.push_header(header, values);
    }

    /// Marks this request as carrying fields encrypted by `encryptor` and sends its key id in
    /// `Wechatpay-Serial`, which tells WeChat Pay the key to decrypt them with. A different
    /// `Wechatpay-Serial` header, or fields of another encryptor, make the request fail before sending
    /// ([`InputErrorKind::ConflictingOptions`]), so the header and the ciphertexts cannot disagree.
    ///
    /// ```
    /// use wechatpay_chain::Options;
    /// use wechatpay_sandbox::Sandbox;
    ///
    /// let sandbox = Sandbox::start()?;
    /// let client = sandbox.client_builder().build()?;
    /// let enc = client.sensitive_encryptor()?;
    /// let options = Options::new()
    ///     .json(&serde_json::json!({
    ///         "appid": "wx8888888888888888", "type": "MERCHANT_ID", "account": "86693852",
    ///         "name": enc.encrypt("海南某某有限公司")?, "relation_type": "SERVICE_PROVIDER",
    ///     }))
    ///     .encrypted_with(&enc);
    /// let res = client.chain("v3/profitsharing/receivers/add").post(options)?;
    /// assert_eq!(res.status(), 200);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encrypted_with(mut self, encryptor: &SensitiveEncryptor) -> Self {
        let id = encryptor.key_id();
        if let Some(existing) = self.sensitive_serial.as_deref().filter(|existing| *existing != id) {
            let message = format!(
                "fields encrypted with two different keys (`{existing}` and `{id}`) in one request; WeChat Pay \
                 decrypts every field with the one key named in Wechatpay-Serial: use one encryptor per request"
            );
            self.fail(InputErrorKind::ConflictingOptions, message);
            return self;
        }
        match HeaderValue::from_str(id) {
            Ok(value) => {
                self.sensitive_serial = Some(id.to_owned());
                self.push_header(HeaderName::from_static(WECHATPAY_SERIAL), vec![value]);
            }
            Err(_) => self.fail(
                InputErrorKind::InvalidOption,
                format!("the key id `{}` is not a valid header value", id.escape_debug()),
            ),
        }
        self
    }
}

/// The request header naming the WeChat Pay key (lowercase, as `http` stores names).
const WECHATPAY_SERIAL: &str = "wechatpay-serial";

/// With [`Options::encrypted_with`], every `Wechatpay-Serial` value must be the encryptor's key id.
pub(crate) fn check_sensitive_serial(options: &Options) -> Result<(), Error> {
    let Some(id) = options.sensitive_serial.as_deref() else { return Ok(()) };
    let values = options.headers.iter().filter(|(name, _)| name == WECHATPAY_SERIAL).flat_map(|(_, v)| v);
    for value in values {
        if value.as_bytes() != id.as_bytes() {
            return Err(input(
                InputErrorKind::ConflictingOptions,
                format!(
                    "the `Wechatpay-Serial` header says `{}` but the sensitive fields were encrypted with key `{id}`; \
                     WeChat Pay would fail to decrypt them. Drop the header (`encrypted_with` sets it) or encrypt \
                     with the key you name",
                    String::from_utf8_lossy(value.as_bytes())
                ),
            ));
        }
    }
    Ok(())
}

fn input(kind: InputErrorKind, message: impl Into<String>) -> Error {
    Error::input(kind, message)
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl From<Value> for Options {
    fn from(value: Value) -> Self {
        Options::from_value(&value)
    }
}

impl From<&Value> for Options {
    fn from(value: &Value) -> Self {
        Options::from_value(value)
    }
}

impl From<()> for Options {
    fn from(_: ()) -> Self {
        Options::new()
    }
}
