//! APIv2 requests: the fields (`xml` option, or the query of a `GET`) checked against the configured
//! mchid, completed with `nonce_str`, signed with the APIv2 key, and written as XML or as the query.

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, USER_AGENT};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use serde_json::{Map, Value};

use super::{Options, Query};
use crate::chain::template;
use crate::client::Client;
use crate::error::{Error, InputErrorKind};
use crate::v2::SignType;
use crate::v2::sign::{nonce_str, sign};
use crate::v2::xml::{is_element_name, to_xml};

/// The `Accept` header of APIv2 requests (as wechatpay-php sends it).
pub const V2_ACCEPT: &str = "text/xml, text/plain, application/x-gzip";
/// The `Content-Type` header of APIv2 requests (sent on `GET` too, as wechatpay-php does).
pub const V2_CONTENT_TYPE: &str = "text/xml; charset=utf-8";

/// What the APIv2 pipeline sends: the query (for `GET`, the signed fields) and the XML body.
pub(super) struct Signed {
    pub(super) query: String,
    pub(super) body: Bytes,
}

fn input(kind: InputErrorKind, message: impl Into<String>) -> Error {
    Error::input(kind, message)
}

fn invalid(e: impl std::fmt::Display) -> Error {
    input(InputErrorKind::InvalidOption, e.to_string())
}

/// Builds the signed fields of an APIv2 request. `query` is the query already built from the options
/// or the template (used as is for non-`GET` requests).
pub(super) fn sign_request(
    client: &Client,
    method: &Method,
    options: &Options,
    query: String,
    template_query: Option<&str>,
) -> Result<Signed, Error> {
    if options.media.is_some() || options.body.is_some() {
        return Err(input(
            InputErrorKind::ConflictingOptions,
            "APIv2 endpoints take their fields in the `xml` option (or, for GET, in `query`), which the SDK signs \
             and writes as XML; `json`, `body` and media uploads are APIv3 options",
        ));
    }
    let key = client.apiv2_key().ok_or_else(|| {
        Error::config("apiv2_key", "APIv2 requests are signed with the APIv2 key; set it with `.apiv2_key(…)`")
    })?;
    let is_get = method == Method::GET;
    let mut fields = if is_get {
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
        options.xml.clone().unwrap_or_default()
    };

    check_mchid(client.mchid(), &fields)?;
    if !is_get {
        check_names(&fields)?;
    }
    let sign_type = match fields.get("sign_type") {
        None | Some(Value::Null) => SignType::Md5,
        Some(Value::String(s)) => SignType::from_field(Some(s)).map_err(invalid)?,
        Some(other) => {
            return Err(input(
                InputErrorKind::InvalidOption,
                format!("`sign_type` must be \"MD5\" or \"HMAC-SHA256\", not {other}"),
            ));
        }
    };
    if !options.nonceless && fields.get("nonce_str").is_none_or(Value::is_null) {
        let nonce = nonce_str().map_err(|e| Error::Signing(e.to_string()))?;
        fields.insert("nonce_str".to_owned(), Value::String(nonce));
    }
    let signature = sign(sign_type, &fields, key).map_err(invalid)?;
    // An existing `sign` keeps its place (replaced), a new one goes last: as wechatpay-php does.
    fields.insert("sign".to_owned(), Value::String(signature));

    if is_get {
        let mut query = String::new();
        template::php_query(&fields, &mut query);
        Ok(Signed { query, body: Bytes::new() })
    } else {
        let xml = to_xml(&fields).map_err(|e| input(InputErrorKind::InvalidOption, format!("`xml`: {e}")))?;
        Ok(Signed { query, body: Bytes::from(xml) })
    }
}

/// The first of `mch_id`, `mchid`, `combine_mch_id` that is present and not null must equal the
/// configured mchid. Numbers compare by their decimal text (wechatpay-php rejects `1900000001` as an
/// integer with a message that shows two equal-looking ids).
fn check_mchid(configured: &str, fields: &Map<String, Value>) -> Result<(), Error> {
    let named = ["mch_id", "mchid", "combine_mch_id"]
        .into_iter()
        .find_map(|name| fields.get(name).filter(|v| !v.is_null()).map(|v| (name, v)));
    let Some((name, value)) = named else {
        return Err(input(
            InputErrorKind::InvalidOption,
            format!(
                "an APIv2 request must name the merchant: add `mch_id` (or `mchid` / `combine_mch_id`) = \
                 \"{configured}\" to its fields"
            ),
        ));
    };
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => {
            return Err(input(
                InputErrorKind::InvalidOption,
                format!("`{name}` must be the merchant id as a string, not {other}"),
            ));
        }
    };
    if text != configured {
        return Err(input(
            InputErrorKind::InvalidOption,
            format!(
                "`{name}` is \"{text}\" but the client is configured for mchid \"{configured}\"; an APIv2 request \
                 can only be signed for the configured merchant"
            ),
        ));
    }
    Ok(())
}

/// Every field of an XML body must be written under its own name: `to_xml` writes a name that is not
/// an element name as `<item>` (as wechatpay-php does), while the signature covers the real name, so
/// WeChat Pay could never verify such a request.
fn check_names(fields: &Map<String, Value>) -> Result<(), Error> {
    match fields.keys().find(|name| !is_element_name(name)) {
        Some(name) => Err(input(
            InputErrorKind::InvalidOption,
            format!(
                "the field name `{}` cannot be an XML element name (a letter or `_`, then letters, digits, `.`, `_`, \
                 `:`, `-`); it would be sent as `<item>` but signed under its own name, which WeChat Pay cannot verify",
                name.chars().take(64).collect::<String>().escape_debug()
            ),
        )),
        None => Ok(()),
    }
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

/// Default APIv2 headers overridden by the caller's.
pub(super) fn headers(client: &Client, extra: Vec<(HeaderName, Vec<HeaderValue>)>) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(4);
    headers.insert(ACCEPT, HeaderValue::from_static(V2_ACCEPT));
    headers.insert(USER_AGENT, client.user_agent().clone());
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(V2_CONTENT_TYPE));
    for (name, values) in extra {
        headers.remove(&name);
        for v in values {
            headers.append(name.clone(), v);
        }
    }
    headers
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

    #[test]
    fn xml_field_names_must_be_element_names() {
        let ok: Map<String, Value> = serde_json::from_str(r#"{"mch_id": "1", "中文": "x", "a.b-c:d": "y"}"#).unwrap();
        assert!(check_names(&ok).is_ok());
        for bad in ["1abc", "has space", "a}b", ""] {
            let fields: Map<String, Value> = [(bad.to_owned(), Value::from("v"))].into_iter().collect();
            let message = check_names(&fields).unwrap_err().to_string();
            assert!(message.contains("<item>"), "{message}");
        }
    }

    #[test]
    fn mchid_compares_as_text() {
        let ok: Map<String, Value> = serde_json::from_str(r#"{"mch_id": 1900000001}"#).unwrap();
        assert!(check_mchid("1900000001", &ok).is_ok());
        let fallback: Map<String, Value> = serde_json::from_str(r#"{"mch_id": null, "mchid": "1900000001"}"#).unwrap();
        assert!(check_mchid("1900000001", &fallback).is_ok());
        let wrong: Map<String, Value> = serde_json::from_str(r#"{"combine_mch_id": "1900000002"}"#).unwrap();
        let message = check_mchid("1900000001", &wrong).unwrap_err().to_string();
        assert!(message.contains("1900000002") && message.contains("1900000001"), "{message}");
        assert!(check_mchid("1900000001", &Map::new()).is_err());
    }
}
