//! RFC 6570 URI templates (level 4) with the SDK's rules for request paths.
//!
//! Differences from a plain RFC 6570 expander, chosen for payment requests:
//! - In path expressions (`{x}`, `{+x}`, `{/x}`, `{.x}`, `{;x}`) every variable is required: an
//!   undefined or `null` variable is an error naming it (PHP silently sends an empty segment).
//! - In `{x}`, `{+x}`, `{/x}` and `{.x}` an empty value is an error too: it would change which
//!   endpoint is called (`…/id/` instead of `…/id/42`).
//! - Query expressions (`{?x}`, `{&x}`) keep RFC 6570's rule: undefined variables are left out.
//! - `{#x}` is refused: a fragment is never sent to the server.
//! - Booleans expand like PHP: `true` → `1`, `false` → empty. Floats use PHP's 14-digit form.

use serde_json::{Map, Value};

use super::encode::{encode_into, number_text};
use crate::error::{Error, InputErrorKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Simple,
    Reserved,
    Fragment,
    Label,
    Path,
    PathParam,
    Query,
    QueryCont,
}

impl Op {
    fn parse(c: u8) -> Option<Op> {
        Some(match c {
            b'+' => Op::Reserved,
            b'#' => Op::Fragment,
            b'.' => Op::Label,
            b'/' => Op::Path,
            b';' => Op::PathParam,
            b'?' => Op::Query,
            b'&' => Op::QueryCont,
            _ => return None,
        })
    }

    fn first(self) -> &'static str {
        match self {
            Op::Simple | Op::Reserved => "",
            Op::Fragment => "#",
            Op::Label => ".",
            Op::Path => "/",
            Op::PathParam => ";",
            Op::Query => "?",
            Op::QueryCont => "&",
        }
    }

    fn sep(self) -> &'static str {
        match self {
            Op::Simple | Op::Reserved | Op::Fragment => ",",
            Op::Label => ".",
            Op::Path => "/",
            Op::PathParam => ";",
            Op::Query | Op::QueryCont => "&",
        }
    }

    fn named(self) -> bool {
        matches!(self, Op::PathParam | Op::Query | Op::QueryCont)
    }

    fn if_empty(self) -> &'static str {
        if matches!(self, Op::Query | Op::QueryCont) { "=" } else { "" }
    }

    fn allows_reserved(self) -> bool {
        matches!(self, Op::Reserved | Op::Fragment)
    }

    fn is_query(self) -> bool {
        matches!(self, Op::Query | Op::QueryCont)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct VarSpec<'a> {
    pub(crate) name: &'a str,
    prefix: Option<usize>,
    explode: bool,
}

#[derive(Clone, Debug)]
pub(crate) enum Part<'a> {
    Literal(&'a str),
    Expr(Op, Vec<VarSpec<'a>>),
}

/// A parsed template borrowing the template text.
#[derive(Clone, Debug)]
pub(crate) struct Template<'a> {
    parts: Vec<Part<'a>>,
}

pub(crate) fn is_varname(name: &str) -> bool {
    // RFC 6570 varname (ALPHA / DIGIT / "_" / pct-encoded, "." between), plus "-" for PHP-style names.
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes[0] == b'.' || bytes[bytes.len() - 1] == b'.' {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' => {}
            b'.' if bytes[i - 1] != b'.' => {}
            b'%' if i + 2 < bytes.len() && bytes[i + 1].is_ascii_hexdigit() && bytes[i + 2].is_ascii_hexdigit() => {
                i += 2;
            }
            _ => return false,
        }
        i += 1;
    }
    true
}

fn template_error(message: String) -> Error {
    Error::input(InputErrorKind::Template, message)
}

impl<'a> Template<'a> {
    pub(crate) fn parse(text: &'a str) -> Result<Template<'a>, Error> {
        let mut parts = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            match rest.find(['{', '}']) {
                None => {
                    parts.push(Part::Literal(rest));
                    break;
                }
                Some(i) if rest.as_bytes()[i] == b'}' => {
                    return Err(template_error(format!("`}}` without `{{` in the path template `{text}`")));
                }
                Some(i) => {
                    if i > 0 {
                        parts.push(Part::Literal(&rest[..i]));
                    }
                    let after = &rest[i + 1..];
                    let end = after
                        .find(['}', '{'])
                        .filter(|&j| after.as_bytes()[j] == b'}')
                        .ok_or_else(|| template_error(format!("`{{` without `}}` in the path template `{text}`")))?;
                    parts.push(Self::expression(&after[..end], text)?);
                    rest = &after[end + 1..];
                }
            }
        }
        Ok(Template { parts })
    }

    fn expression(body: &'a str, text: &str) -> Result<Part<'a>, Error> {
        if body.is_empty() {
            return Err(template_error(format!("empty expression `{{}}` in the path template `{text}`")));
        }
        let (op, list) = match Op::parse(body.as_bytes()[0]) {
            Some(op) => (op, &body[1..]),
            None => (Op::Simple, body),
        };
        if op == Op::Fragment {
            return Err(template_error(format!(
                "`{{#{list}}}` expands to a URL fragment, which is never sent; use `{{+{list}}}` for a raw path value"
            )));
        }
        let mut vars = Vec::new();
        for spec in list.split(',') {
            let (name, prefix, explode) = if let Some(name) = spec.strip_suffix('*') {
                (name, None, true)
            } else if let Some((name, len)) = spec.split_once(':') {
                let n: usize = len
                    .parse()
                    .ok()
                    .filter(|n| (1..10_000).contains(n))
                    .ok_or_else(|| template_error(format!("bad prefix length `:{len}` in `{{{body}}}`")))?;
                (name, Some(n), false)
            } else {
                (spec, None, false)
            };
            if !is_varname(name) {
                return Err(template_error(format!(
                    "`{name}` in `{{{body}}}` is not a valid variable name (letters, digits, `_`, `-`, `.`)"
                )));
            }
            vars.push(VarSpec { name, prefix, explode });
        }
        Ok(Part::Expr(op, vars))
    }

    /// Variable names used by the template, in order (with repeats).
    pub(crate) fn variables(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.parts
            .iter()
            .flat_map(|p| match p {
                Part::Expr(_, vars) => vars.as_slice(),
                Part::Literal(_) => &[],
            })
            .map(|v| v.name)
    }

    /// Expands into `out`. Literal text passes through (characters outside unreserved/reserved and
    /// `%XX` are percent-encoded); values are encoded per operator.
    pub(crate) fn expand(&self, vars: &Map<String, Value>, out: &mut String) -> Result<(), Error> {
        for part in &self.parts {
            match part {
                Part::Literal(text) => encode_into(text, true, out),
                Part::Expr(op, specs) => expand_expr(*op, specs, vars, out)?,
            }
        }
        Ok(())
    }
}

enum Scalar<'v> {
    Str(&'v str),
    Owned(String),
}

impl Scalar<'_> {
    fn as_str(&self) -> &str {
        match self {
            Scalar::Str(s) => s,
            Scalar::Owned(s) => s,
        }
    }
}

fn scalar<'v>(name: &str, value: &'v Value) -> Result<Scalar<'v>, Error> {
    Ok(match value {
        Value::String(s) => Scalar::Str(s),
        Value::Bool(true) => Scalar::Str("1"),
        Value::Bool(false) => Scalar::Str(""),
        Value::Number(n) => Scalar::Owned(number_text(n)),
        Value::Null => Scalar::Str(""),
        Value::Array(_) | Value::Object(_) => {
            return Err(Error::input(
                InputErrorKind::InvalidOption,
                format!("template variable `{name}` holds nested arrays or objects, which cannot be expanded"),
            ));
        }
    })
}

fn truncate_chars(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn missing(name: &str) -> Error {
    Error::input(
        InputErrorKind::MissingVariable,
        format!("the path template variable `{name}` has no value; pass it in the options, e.g. {{\"{name}\": \"…\"}}"),
    )
}

fn expand_expr(op: Op, specs: &[VarSpec<'_>], vars: &Map<String, Value>, out: &mut String) -> Result<(), Error> {
    let reserved = op.allows_reserved();
    let mut first = true;
    for spec in specs {
        let value = vars.get(spec.name).filter(|v| !v.is_null());
        let defined = match value {
            None => false,
            Some(Value::Array(a)) => !a.is_empty(),
            Some(Value::Object(o)) => !o.is_empty(),
            Some(_) => true,
        };
        if !defined {
            if op.is_query() {
                continue;
            }
            return Err(missing(spec.name));
        }
        let Some(value) = value else { continue };
        out.push_str(if first { op.first() } else { op.sep() });
        first = false;
        match value {
            Value::Array(items) => {
                if spec.prefix.is_some() {
                    return Err(template_error(format!("a prefix modifier cannot apply to the list `{}`", spec.name)));
                }
                for (i, item) in items.iter().enumerate() {
                    let item = scalar(spec.name, item)?;
                    if i > 0 {
                        out.push_str(if spec.explode { op.sep() } else { "," });
                    }
                    if op.named() && (spec.explode || i == 0) {
                        out.push_str(spec.name);
                        out.push_str(if item.as_str().is_empty() && spec.explode { op.if_empty() } else { "=" });
                    }
                    encode_into(item.as_str(), reserved, out);
                }
            }
            Value::Object(map) => {
                if spec.prefix.is_some() {
                    return Err(template_error(format!("a prefix modifier cannot apply to the map `{}`", spec.name)));
                }
                if op.named() && !spec.explode {
                    out.push_str(spec.name);
                    out.push('=');
                }
                for (i, (k, v)) in map.iter().enumerate() {
                    let v = scalar(spec.name, v)?;
                    if i > 0 {
                        out.push_str(if spec.explode { op.sep() } else { "," });
                    }
                    encode_into(k, reserved, out);
                    if spec.explode {
                        out.push_str(if v.as_str().is_empty() && op.named() { op.if_empty() } else { "=" });
                    } else {
                        out.push(',');
                    }
                    encode_into(v.as_str(), reserved, out);
                }
            }
            other => {
                let text = scalar(spec.name, other)?;
                let text = match spec.prefix {
                    Some(n) => truncate_chars(text.as_str(), n),
                    None => text.as_str(),
                };
                if !op.is_query() && op != Op::PathParam {
                    if text.is_empty() {
                        return Err(Error::input(
                            InputErrorKind::BadVariable,
                            format!(
                                "the path template variable `{}` is empty, which would call a different endpoint",
                                spec.name
                            ),
                        ));
                    }
                    if text == "." || text == ".." {
                        return Err(Error::input(
                            InputErrorKind::BadVariable,
                            format!(
                                "the path template variable `{}` is `{text}`, which would change the request path",
                                spec.name
                            ),
                        ));
                    }
                }
                if op.named() {
                    out.push_str(spec.name);
                    if text.is_empty() {
                        out.push_str(op.if_empty());
                        continue;
                    }
                    out.push('=');
                }
                encode_into(text, reserved, out);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn expand(t: &str, vars: Value) -> Result<String, Error> {
        let mut out = String::new();
        let map = vars.as_object().cloned().unwrap_or_default();
        Template::parse(t)?.expand(&map, &mut out)?;
        Ok(out)
    }

    // RFC 6570 section 3.2 examples (the ones that apply under the SDK's rules).
    #[test]
    fn rfc6570_examples() {
        let vars = json!({
            "count": ["one", "two", "three"], "dom": ["example", "com"], "dub": "me/too", "hello": "Hello World!",
            "half": "50%", "var": "value", "who": "fred", "base": "http://example.com/home/", "path": "/foo/bar",
            "list": ["red", "green", "blue"], "keys": {"semi": ";", "dot": ".", "comma": ","}, "v": "6", "x": "1024",
            "y": "768", "empty": ""
        });
        let cases = [
            ("{count}", "one,two,three"),
            ("{count*}", "one,two,three"),
            ("{/count}", "/one,two,three"),
            ("{/count*}", "/one/two/three"),
            ("{;count}", ";count=one,two,three"),
            ("{;count*}", ";count=one;count=two;count=three"),
            ("{?count}", "?count=one,two,three"),
            ("{?count*}", "?count=one&count=two&count=three"),
            ("{&count*}", "&count=one&count=two&count=three"),
            ("{var}", "value"),
            ("{hello}", "Hello%20World%21"),
            ("{half}", "50%25"),
            ("O{empty}X", ""),
            ("{x,y}", "1024,768"),
            ("{var:3}", "val"),
            ("{var:30}", "value"),
            ("{list}", "red,green,blue"),
            ("{keys}", "semi,%3B,dot,.,comma,%2C"),
            ("{keys*}", "semi=%3B,dot=.,comma=%2C"),
            ("{+var}", "value"),
            ("{+hello}", "Hello%20World!"),
            ("{+half}", "50%25"),
            ("{base}index", "http%3A%2F%2Fexample.com%2Fhome%2Findex"),
            ("{+base}index", "http://example.com/home/index"),
            ("{+path}/here", "/foo/bar/here"),
            ("here?ref={+path}", "here?ref=/foo/bar"),
            ("{+path:6}/here", "/foo/b/here"),
            ("{+keys}", "semi,;,dot,.,comma,,"),
            ("{+keys*}", "semi=;,dot=.,comma=,"),
            ("X{.var}", "X.value"),
            ("X{.list*}", "X.red.green.blue"),
            ("{/var,x}/here", "/value/1024/here"),
            ("{;x,y}", ";x=1024;y=768"),
            ("{;x,y,empty}", ";x=1024;y=768;empty"),
            ("{;keys*}", ";semi=%3B;dot=.;comma=%2C"),
            ("{?x,y}", "?x=1024&y=768"),
            ("{?x,y,empty}", "?x=1024&y=768&empty="),
            ("{?var:3}", "?var=val"),
            ("{?keys}", "?keys=semi,%3B,dot,.,comma,%2C"),
            ("{?keys*}", "?semi=%3B&dot=.&comma=%2C"),
            ("?fixed=yes{&x}", "?fixed=yes&x=1024"),
            ("{?undef,x}", "?x=1024"),
        ];
        for (t, want) in cases {
            if want.is_empty() {
                assert!(expand(t, vars.clone()).is_err(), "{t} should refuse the empty variable");
                continue;
            }
            assert_eq!(expand(t, vars.clone()).unwrap_or_else(|e| panic!("{t}: {e}")), want, "{t}");
        }
    }

    #[test]
    fn strictness() {
        let kind = |r: Result<String, Error>| match r {
            Err(Error::Input(e)) => e.kind(),
            other => panic!("expected an input error, got {other:?}"),
        };
        assert_eq!(kind(expand("v3/{a}", json!({}))), InputErrorKind::MissingVariable);
        assert_eq!(kind(expand("v3/{a}", json!({"a": null}))), InputErrorKind::MissingVariable);
        assert_eq!(kind(expand("v3/{a}", json!({"a": ""}))), InputErrorKind::BadVariable);
        assert_eq!(kind(expand("v3/{a}", json!({"a": false}))), InputErrorKind::BadVariable);
        assert_eq!(kind(expand("v3/{a}/x", json!({"a": ".."}))), InputErrorKind::BadVariable);
        assert_eq!(kind(expand("v3/{a}", json!({"a": [[1]]}))), InputErrorKind::InvalidOption);
        for bad in ["v3/{", "v3/}", "v3/{}", "v3/{a b}", "v3/{#a}", "v3/{a:0}", "v3/{a{b}"] {
            assert_eq!(kind(expand(bad, json!({"a": "1"}))), InputErrorKind::Template, "{bad}");
        }
        assert_eq!(expand("v3/{a}", json!({"a": "N123"})).ok().as_deref(), Some("v3/N123"));
        assert_eq!(expand("v3/{a}", json!({"a": 12})).ok().as_deref(), Some("v3/12"));
        assert_eq!(expand("v3/{+a}", json!({"a": "x%2Fy"})).ok().as_deref(), Some("v3/x%2Fy"));
        assert_eq!(expand("v3/{a}", json!({"a": "x%2Fy"})).ok().as_deref(), Some("v3/x%252Fy"));
        assert_eq!(expand("v3/caf\u{e9} b", json!({})).ok().as_deref(), Some("v3/caf%C3%A9%20b"));
    }
}
