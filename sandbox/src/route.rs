//! What every route gets and gives: one [`Request`] (method, path, query, headers, body, the sandbox
//! clock, the connection) and one [`Answer`] (signed JSON, an unsigned file, or APIv2 XML). Every
//! route has the signature [`Route`]; [`ROUTES`] lists the APIv3 ones in the order they are tried.

use std::collections::HashMap;

use http::HeaderMap;
use serde_json::{Value, json};

use crate::State;
use crate::tls::Connection;

/// A route: answers `request` when it is for one of its endpoints, `None` otherwise.
pub(crate) type Route = fn(&State, &Request<'_>) -> Option<Answer>;

/// The APIv3 routes, tried in this order after authentication and the request rules.
pub(crate) const ROUTES: &[Route] =
    &[crate::pay::route, crate::profitsharing::route, crate::media::route, crate::bills::route, crate::misc::route];

/// One request, as every route sees it.
pub(crate) struct Request<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
    /// The sandbox clock, Unix seconds.
    pub(crate) now: i64,
    pub(crate) connection: Connection,
}

impl<'a> Request<'a> {
    /// The first value of header `name`, when it is text.
    pub(crate) fn header(&self, name: &str) -> Option<&'a str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON (`Null` when empty or not JSON; the request rules refuse bad JSON first).
    pub(crate) fn json(&self) -> Value {
        if self.body.is_empty() { Value::Null } else { serde_json::from_slice(self.body).unwrap_or(Value::Null) }
    }
}

/// A file answer: sent unsigned, with its own content type.
#[derive(Clone)]
pub(crate) struct File {
    pub(crate) bytes: bytes::Bytes,
    pub(crate) content_type: &'static str,
}

/// An APIv2 answer: HTTP status, the XML (its own `sign` inside), and why the request was refused.
pub(crate) struct Xml {
    pub(crate) status: u16,
    pub(crate) body: String,
    pub(crate) refused: Option<String>,
}

/// What a route answers.
pub(crate) enum Answer {
    /// JSON (or an empty body), signed like every WeChat Pay answer.
    Json(Reply),
    /// A file, sent unsigned (bill downloads).
    File(File),
    /// APIv2 XML.
    Xml(Xml),
}

/// A route's answer: status and JSON body (`None` for an empty body).
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Option<Value>,
}

impl Reply {
    pub(crate) fn ok(body: Value) -> Reply {
        Reply { status: 200, body: Some(body) }
    }

    pub(crate) fn empty(status: u16) -> Reply {
        Reply { status, body: None }
    }

    pub(crate) fn error(status: u16, code: &str, message: impl Into<String>) -> Reply {
        Reply { status, body: Some(json!({"code": code, "message": message.into()})) }
    }

    pub(crate) fn field_error(status: u16, code: &str, message: &str, field: &str, issue: &str) -> Reply {
        Reply {
            status,
            body: Some(json!({
                "code": code,
                "message": message,
                "detail": {"field": field, "location": "body", "issue": issue},
            })),
        }
    }
}

/// A 400 `PARAM_ERROR` naming the offending field (dotted for nested ones: `amount.total`).
pub(crate) fn param_error(field: &str, location: &str, issue: impl Into<String>) -> Reply {
    let issue = issue.into();
    Reply {
        status: 400,
        body: Some(json!({
            "code": "PARAM_ERROR",
            "message": format!("参数错误 (invalid parameter) {field}: {issue}"),
            "detail": {"field": field, "location": location, "issue": issue},
        })),
    }
}

/// The `405` for a known path asked with another method.
pub(crate) fn method_not_allowed(request: &Request<'_>) -> Answer {
    let message = format!("sandbox: {} is not allowed on {}", request.method, request.path);
    Answer::Json(Reply::error(405, "METHOD_NOT_ALLOWED", message))
}

/// The pattern of `table` matching `request`'s path and method, with its placeholders; the `405`
/// answer when the path matches with other methods only; `None` when it matches no pattern.
pub(crate) fn find<'t>(
    table: &[(&str, &'t str)],
    request: &Request<'_>,
) -> Option<Result<(&'t str, Vec<String>), Answer>> {
    let mut known = false;
    for (method, pattern) in table {
        let Some(params) = matches(pattern, request.path) else { continue };
        if *method == request.method {
            return Some(Ok((pattern, params)));
        }
        known = true;
    }
    known.then(|| Err(method_not_allowed(request)))
}

/// Matches `path` against `pattern` (`*` is one non-empty segment) and returns the decoded placeholders.
pub(crate) fn matches(pattern: &str, path: &str) -> Option<Vec<String>> {
    let mut params = Vec::new();
    let mut p = pattern.split('/');
    let mut s = path.split('/');
    loop {
        match (p.next(), s.next()) {
            (None, None) => return Some(params),
            (Some("*"), Some(seg)) if !seg.is_empty() => {
                params.push(percent_encoding::percent_decode_str(seg).decode_utf8_lossy().into_owned());
            }
            (Some(a), Some(b)) if a == b => {}
            _ => return None,
        }
    }
}

/// Decodes `a=1&b=%20` into pairs (first value wins).
pub(crate) fn parse_query(query: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
        out.entry(decode(k)).or_insert_with(|| decode(v));
    }
    out
}
