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
//! | `json` | body, serialized once (compact, key order kept); `Content-Type: application/json` |
//! | `body` | raw body string, signed and sent verbatim; `Content-Type: application/json; charset=utf-8` unless set |
//! | `headers` | extra or replacement headers (`Wechatpay-Serial`, `Accept`, …) |
//! | `base_uri` | per-request base, e.g. `https://api2.mch.weixin.qq.com/` |
//! | `timeout` | per-request total time limit in seconds |
//! | `xml` | APIv2 only: the request fields (object), signed and sent as the XML body (or, for `GET`, the query) |
//! | `nonceless` | APIv2 only: `true` leaves out the automatic `nonce_str` |
//! | `security` | APIv2 only: `true` sends the request over mutual TLS with the merchant certificate |
//!
//! A path that starts with `v2/` after expansion (any case, a leading `/` ignored) is an APIv2 (XML)
//! endpoint: the prefix is not sent, and the request goes through the APIv2 pipeline (see
//! [`crate::v2`]).
//!
//! A media upload is typed only, [`Options::media`] (a file is not JSON); it combines with options from
//! JSON: `Options::from(json!({…})).media(media)`.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HOST, TRANSFER_ENCODING, USER_AGENT};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::chain::template::{self, Template};
use crate::client::Client;
use crate::error::{Error, InputErrorKind};
use crate::media::Media;
use crate::sensitive::SensitiveEncryptor;

/// The `Accept` header sent by default (the same list wechatpay-php sends: JSON plus the file types
/// of download endpoints).
pub const DEFAULT_ACCEPT: &str =
    "application/json, text/plain, application/x-gzip, application/pdf, image/png, image/*;q=0.5";

mod v2;

const OPTION_KEYS: [&str; 9] =
    ["query", "json", "body", "headers", "base_uri", "timeout", "xml", "nonceless", "security"];

#[derive(Clone, Debug)]
enum Query {
    Map(Map<String, Value>),
    Raw(String),
}

#[derive(Clone, Debug)]
enum Body {
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
    vars: Map<String, Value>,
    query: Option<Query>,
    body: Option<Body>,
    media: Option<Media>,
    headers: Vec<(HeaderName, Vec<HeaderValue>)>,
    base_uri: Option<String>,
    timeout: Option<Duration>,
    invalid: Option<(InputErrorKind, String)>,
    /// The key id set by [`Options::encrypted_with`]; any other `Wechatpay-Serial` is a conflict.
    sensitive_serial: Option<String>,
    /// APIv2: the request fields.
    xml: Option<Map<String, Value>>,
    /// APIv2: no automatic `nonce_str`.
    nonceless: bool,
    /// APIv2: mutual TLS with the merchant certificate.
    security: bool,
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
            .field("xml", &self.xml.as_ref().map(|m| format!("{} fields", m.len())))
            .field("nonceless", &self.nonceless)
            .field("security", &self.security)
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

    /// Serializes `body` as the JSON body, once; those bytes are signed and sent.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        match serde_json::to_vec(body) {
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
                        match serde_json::to_vec(v) {
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
                "nonceless" | "security" => match v {
                    Value::Null | Value::Bool(false) => {}
                    Value::Bool(true) if key == "nonceless" => o.nonceless = true,
                    Value::Bool(true) => o.security = true,
                    other => o.fail(
                        InputErrorKind::InvalidOption,
                        format!("`{key}` must be true or false, not {}", type_name(other)),
                    ),
                },
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
    /// use wechatpay_chain::sandbox::Sandbox;
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
    /// # Ok::<(), wechatpay_chain::Error>(())
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
fn check_sensitive_serial(options: &Options) -> Result<(), Error> {
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
    /// Which pipeline signs and checks it.
    pub(crate) api: Api,
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

/// Scheme, host and path prefix of a base URI, validated once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BaseUri {
    origin: String,
    path: String,
}

impl BaseUri {
    /// Parses `https://host[:port][/prefix/]`. Plain `http` is accepted for loopback hosts only. A
    /// path prefix is kept as a directory (a missing trailing `/` is added).
    pub(crate) fn parse(text: &str) -> Result<BaseUri, String> {
        let (origin, path) = parse_origin(text)?;
        let mut path = if path.is_empty() { "/".to_owned() } else { path };
        if !path.ends_with('/') {
            path.push('/');
        }
        Ok(BaseUri { origin, path })
    }

    pub(crate) fn as_string(&self) -> String {
        format!("{}{}", self.origin, self.path)
    }
}

fn parse_origin(text: &str) -> Result<(String, String), String> {
    let uri: Uri = text.parse().map_err(|e| format!("`{text}` is not a URL ({e})"))?;
    let scheme = uri.scheme_str().map(str::to_ascii_lowercase);
    let authority =
        uri.authority().ok_or_else(|| format!("`{text}` has no host; write it like https://api.mch.weixin.qq.com/"))?;
    if authority.as_str().contains('@') {
        return Err(format!("`{text}` carries credentials in the URL, which is not allowed"));
    }
    let host = authority.host();
    if host.is_empty() {
        return Err(format!("`{text}` has no host; write it like https://api.mch.weixin.qq.com/"));
    }
    // The text after an IPv6 literal's `]`, or the whole authority: `host[:port]`.
    let after_host = authority.as_str().rsplit_once(']').map_or(authority.as_str(), |(_, rest)| rest);
    if let Some((_, port)) = after_host.rsplit_once(':') {
        if !port.parse::<u16>().is_ok_and(|p| p != 0) {
            return Err(format!("`{text}` has an invalid port `{port}`; a port is a number from 1 to 65535"));
        }
    }
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::Ipv6Addr>()
            .is_ok_and(|ip| ip.is_loopback());
    match scheme.as_deref() {
        Some("https") => {}
        Some("http") if loopback => {}
        Some("http") => {
            return Err(format!(
                "`{text}` is plain http; WeChat Pay is https-only (http is allowed for loopback hosts)"
            ));
        }
        _ => return Err(format!("`{text}` must start with https://")),
    }
    if uri.query().is_some() {
        return Err(format!("`{text}` has a query string; a base URI cannot"));
    }
    let scheme = scheme.unwrap_or_default();
    Ok((format!("{scheme}://{}", authority.as_str().to_ascii_lowercase()), uri.path().to_owned()))
}

/// Percent-encodes bytes that may not appear in a URL path (or, with `query`, a query), keeping valid
/// `%XX` escapes: RFC 3986 `pchar` plus `/` (and `?`).
fn sanitize(text: &str, query: bool, out: &mut String) {
    // RFC 3986 unreserved, sub-delims, ":", "@" and "/".
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b) || (query && b == b'?');
    template::percent_encode(text, allowed, true, out);
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

/// Chain template + options → prepared request.
pub(crate) fn prepare(
    client: &Client,
    template_text: &str,
    method: Method,
    options: Options,
) -> Result<PreparedRequest, Error> {
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
    let api = if v2_path.is_some() { Api::V2 { security: options.security } } else { Api::V3 };
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
    let base = per_request_base.as_ref().unwrap_or_else(|| client.base_uri());
    let (origin, path, unprefixed_path) = resolve(base, path_part)?;

    let mut query = String::new();
    match (&options.query, template_query) {
        (Some(_), Some(q)) => {
            return Err(input(
                InputErrorKind::ConflictingOptions,
                format!("the path template already has a query (`?{q}`) and the `query` option gives another; use one"),
            ));
        }
        (Some(Query::Map(map)), None) => template::php_query(map, &mut query),
        (Some(Query::Raw(raw)), None) => sanitize(raw.strip_prefix('?').unwrap_or(raw), true, &mut query),
        (None, Some(q)) => sanitize(q, true, &mut query),
        (None, None) => {}
    }
    let v2_body = match api {
        Api::V2 { .. } => {
            let signed = v2::sign_request(client, &method, &options, query, template_query)?;
            query = signed.query;
            Some(signed.body)
        }
        Api::V3 => None,
    };

    let mut url = String::with_capacity(origin.len() + path.len() + query.len() + 1);
    url.push_str(&origin);
    url.push_str(&path);
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query);
    }
    let uri: Uri =
        url.parse().map_err(|e| input(InputErrorKind::Url, format!("the request URL `{url}` is invalid ({e})")))?;

    if let Some(body) = v2_body {
        let headers = v2::headers(client, options.headers);
        let timeout = options.timeout;
        return Ok(PreparedRequest { method, uri, headers, body, signed_body: None, unprefixed_path, timeout, api });
    }
    let (body, signed_body) = match &options.media {
        Some(media) => {
            if options.headers.iter().any(|(name, _)| name == CONTENT_TYPE) {
                return Err(input(
                    InputErrorKind::ConflictingOptions,
                    "a media upload sets its own `Content-Type` (multipart/form-data with its boundary); \
                     remove the `Content-Type` header",
                ));
            }
            let path = unprefixed_path.as_deref().unwrap_or(uri.path());
            let upload = crate::media::upload(media, &method, path)?;
            (Some(Body::Multipart(upload.content_type, upload.body)), Some(upload.signed))
        }
        None => (options.body, None),
    };
    let (headers, body) = headers_and_body(client, body, options.headers);
    Ok(PreparedRequest { method, uri, headers, body, signed_body, unprefixed_path, timeout: options.timeout, api })
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

/// Resolves the expanded path against `base` (RFC 3986 style, the base path kept as a directory) and
/// returns the origin, the sanitised URL path, and that path without the base's prefix when it had one.
fn resolve(base: &BaseUri, path_part: &str) -> Result<(String, String, Option<String>), Error> {
    let lower = path_part.to_ascii_lowercase();
    let (origin, raw_path, prefix) = if lower.starts_with("https://") || lower.starts_with("http://") {
        let (origin, path) = parse_origin(path_part).map_err(|e| input(InputErrorKind::Url, e))?;
        (origin, if path.is_empty() { "/".to_owned() } else { path }, None)
    } else if path_part.starts_with("//") {
        return Err(input(
            InputErrorKind::Url,
            format!("`{path_part}` starts with `//`; give a full https:// URL instead"),
        ));
    } else if path_part.starts_with('/') {
        (base.origin.clone(), path_part.to_owned(), None)
    } else {
        (base.origin.clone(), format!("{}{path_part}", base.path), Some(base.path.as_str()))
    };

    let mut path = String::with_capacity(raw_path.len() + 8);
    sanitize(&raw_path, false, &mut path);
    for segment in path.split('/') {
        let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
        if decoded == "." || decoded == ".." {
            return Err(input(
                InputErrorKind::BadVariable,
                format!("the path `{path}` has a `{decoded}` segment, which would change the endpoint"),
            ));
        }
    }
    let unprefixed = prefix
        .filter(|p| *p != "/")
        .and_then(|p| path.strip_prefix(&p[..p.len() - 1]))
        .filter(|rest| rest.starts_with('/'))
        .map(str::to_owned);
    Ok((origin, path, unprefixed))
}

/// Default headers (`Accept`, `User-Agent`, `Content-Type` for a body) overridden by the caller's.
fn headers_and_body(
    client: &Client,
    body: Option<Body>,
    extra: Vec<(HeaderName, Vec<HeaderValue>)>,
) -> (HeaderMap, Bytes) {
    let mut headers = HeaderMap::with_capacity(6);
    headers.insert(ACCEPT, HeaderValue::from_static(DEFAULT_ACCEPT));
    headers.insert(USER_AGENT, client.user_agent().clone());
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
    for (name, values) in extra {
        headers.remove(&name);
        for v in values {
            headers.append(name.clone(), v);
        }
    }
    (headers, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_uri_rules() {
        let b = BaseUri::parse("https://api.mch.weixin.qq.com").expect("ok");
        assert_eq!(b.as_string(), "https://api.mch.weixin.qq.com/");
        let b = BaseUri::parse("https://API.mch.weixin.qq.com/hk").expect("ok");
        assert_eq!(b.as_string(), "https://api.mch.weixin.qq.com/hk/");
        assert!(BaseUri::parse("http://127.0.0.1:8080/").is_ok());
        assert!(BaseUri::parse("http://[::1]:8080/").is_ok());
        assert!(BaseUri::parse("http://localhost/").is_ok());
        for bad in [
            "https://:443/",
            "https://:/",
            "https://x:/",
            "https://x:d/",
            "https://x:0/",
            "http://api.mch.weixin.qq.com/",
            "ftp://x/",
            "api.mch.weixin.qq.com",
            "https://u:p@x/",
            "https://x/?a=1",
            "",
        ] {
            assert!(BaseUri::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sanitize_keeps_encoded_triplets() {
        let mut out = String::new();
        sanitize("a b/%2F/%zz/{}/[x]/é", false, &mut out);
        assert_eq!(out, "a%20b/%2F/%25zz/%7B%7D/%5Bx%5D/%C3%A9");
    }
}
