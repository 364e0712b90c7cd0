//! What the vector tests share to decide each case by rule: loading a vector file (the repository's,
//! or another capture of the same schema named by `WECHATPAY_VECTORS_DIR`), counting every case into
//! exactly one category, applying a case's `config` to a client builder, and the few independent
//! re-statements of documented rules (template variables, PHP's JSON escaping) the deviations are
//! derived from. See `tests/data/README.md` for the categories.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::{Map, Value};
use wechatpay_chain::error::InputErrorKind;
use wechatpay_chain::{Client, ClientBuilder};

use super::{MCHID, MERCHANT_SERIAL, PLATFORM_SERIAL, PUB_KEY_ID, data, key_uri};

/// The environment variable that points the vector tests at another directory of vector files (the
/// same file names and schema, e.g. a later capture with more cases).
pub const VECTORS_DIR_ENV: &str = "WECHATPAY_VECTORS_DIR";

/// The directory the vector tests read: `$WECHATPAY_VECTORS_DIR`, else `tests/data/vectors`.
pub fn vectors_dir() -> PathBuf {
    match std::env::var_os(VECTORS_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => data("vectors"),
    }
}

/// A whole vector file (top-level fields and `cases`), from [`vectors_dir`].
pub fn vector_doc(file: &str) -> Value {
    let path = vectors_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()))
}

/// The cases of a vector file, checked against the common schema: at least one case (the only count
/// the tests rely on), and each with a unique string `id`, a string `kind`, an object `input` and an
/// object `output`.
pub fn vector_cases(file: &str) -> Vec<Value> {
    let doc = vector_doc(file);
    let cases = doc["cases"].as_array().unwrap_or_else(|| panic!("{file}: no `cases` array")).clone();
    assert!(!cases.is_empty(), "{file}: no cases at all");
    let mut ids = BTreeSet::new();
    for case in &cases {
        let id = case["id"].as_str().unwrap_or_else(|| panic!("{file}: a case without a string id: {case}"));
        assert!(ids.insert(id.to_owned()), "{file}: the id `{id}` is used twice");
        assert!(case["kind"].is_string(), "{file}/{id}: no string kind");
        assert!(case["input"].is_object(), "{file}/{id}: no input object");
        assert!(case["output"].is_object(), "{file}/{id}: no output object");
    }
    cases
}

/// Counts every case of a file into exactly one category (`exact`, or the `+`-joined names of the
/// deviations that apply), and fails if a case was left out or counted twice. `finish` prints the
/// counts (visible with `--nocapture`).
pub struct Tally {
    file: String,
    expected: BTreeSet<String>,
    seen: BTreeMap<String, String>,
}

impl Tally {
    /// A tally for `cases` of `file` (every one of them must be recorded).
    pub fn new(file: &str, cases: &[Value]) -> Tally {
        let expected = cases.iter().filter_map(|c| c["id"].as_str()).map(str::to_owned).collect();
        Tally { file: file.to_owned(), expected, seen: BTreeMap::new() }
    }

    /// Records the case `id` under the named deviations it falls under; none means it matched PHP
    /// byte for byte (`exact`).
    pub fn record(&mut self, id: &str, deviations: &[&str]) {
        assert!(self.expected.contains(id), "{}: `{id}` is not a case of this file", self.file);
        let category = if deviations.is_empty() { "exact".to_owned() } else { deviations.join("+") };
        if let Some(before) = self.seen.insert(id.to_owned(), category.clone()) {
            panic!("{}/{id}: counted twice ({before}, then {category})", self.file);
        }
    }

    /// Checks that every case was recorded and returns the count per category.
    pub fn finish(self) -> BTreeMap<String, usize> {
        let missing: Vec<_> = self.expected.iter().filter(|id| !self.seen.contains_key(*id)).collect();
        assert!(missing.is_empty(), "{}: cases not decided: {missing:?}", self.file);
        let mut counts = BTreeMap::new();
        for category in self.seen.values() {
            *counts.entry(category.clone()).or_insert(0) += 1;
        }
        eprintln!("{}: {} cases {counts:?}", self.file, self.seen.len());
        counts
    }
}

/// Decides every case of `file` with `check`, which returns the case's deviations from PHP (none when
/// it agrees byte for byte): each case's kind must be one of `kinds`, and each case is decided once.
pub fn decide_every_case(file: &str, kinds: &[&str], mut check: impl FnMut(&Value) -> Vec<&'static str>) {
    let cases = vector_cases(file);
    let mut tally = Tally::new(file, &cases);
    for case in &cases {
        known_kind(file, case, kinds);
        let deviations = check(case);
        tally.record(case["id"].as_str().expect("id"), &deviations);
    }
    tally.finish();
}

/// Panics on a `kind` the test was not written for: a new kind needs a decision, not a silent pass.
pub fn known_kind<'a>(file: &str, case: &'a Value, known: &[&str]) -> &'a str {
    let kind = case["kind"].as_str().unwrap_or_default();
    assert!(
        known.contains(&kind),
        "{file}/{}: unknown kind `{kind}`; the test knows {known:?} — decide how this kind is checked",
        case["id"]
    );
    kind
}

// ------------------------------------------------------------------------------------------------
// Configuration
// ------------------------------------------------------------------------------------------------

/// A vector key placeholder (`"<platform certificate>"`) or key file name, as a key file of
/// `tests/data/keys/`. Unknown placeholders fail loudly.
pub fn key_file(placeholder: &str, private: bool) -> &'static str {
    const FILES: [&str; 10] = [
        "merchant_apiclient_cert.pem",
        "merchant_apiclient_key.pem",
        "merchant_apiclient_key_pkcs1.pem",
        "merchant_public_key.pem",
        "merchant_public_key_pkcs1.pem",
        "platform_cert.pem",
        "platform_private_key.pem",
        "platform_public_key.pem",
        "wechatpay_pubkey_private_key.pem",
        "wechatpay_public_key.pem",
    ];
    if let Some(file) = FILES.iter().find(|f| **f == placeholder) {
        return file;
    }
    let p = placeholder.to_ascii_lowercase();
    let merchant = p.contains("merchant") || p.contains("apiclient");
    let platform = p.contains("platform");
    let public_key = p.contains("public key") || p.contains("public_key") || p.contains("pubkey");
    match (merchant, platform, public_key, private) {
        (true, _, _, true) => "merchant_apiclient_key.pem",
        (true, _, _, false) => "merchant_apiclient_cert.pem",
        (false, true, _, true) => "platform_private_key.pem",
        (false, true, _, false) => "platform_cert.pem",
        (false, false, true, true) => "wechatpay_pubkey_private_key.pem",
        (false, false, true, false) => "wechatpay_public_key.pem",
        _ => panic!("unknown key placeholder `{placeholder}`: teach `rules::key_file` which key file it stands for"),
    }
}

/// The serial of the certificate in a key file, if the file is a certificate.
fn certificate_serial(file: &str) -> Option<&'static str> {
    match file {
        "platform_cert.pem" => Some(PLATFORM_SERIAL),
        "merchant_apiclient_cert.pem" => Some(MERCHANT_SERIAL),
        _ => None,
    }
}

fn is_merchant_key(file: &str) -> bool {
    file.starts_with("merchant_")
}

/// A case's factory `config` applied to the vector client builder.
pub struct Configured {
    /// The builder with every setting of the config applied.
    pub builder: ClientBuilder,
    /// The builder setting this SDK must refuse, derived from the config (as `ConfigError::setting`).
    pub refused: Option<&'static str>,
    /// A setting Rust cannot express, and why (the builder above uses the nearest expressible value).
    pub inexpressible: Option<String>,
}

/// Applies `config` (wechatpay-php's factory settings changed from the vectors' standard ones:
/// `mchid`, `serial`, `privateKey`, `certs`, `base_uri`, `secret`; `"<removed>"` leaves a setting out,
/// placeholders stand for keys) to the builder of the vector merchant. Unknown settings fail loudly.
pub fn configured(config: Option<&Value>) -> Configured {
    let empty = Map::new();
    let config = match config {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(map)) => map,
        Some(other) => panic!("`config` must be an object, not {other}"),
    };
    for key in config.keys() {
        assert!(
            ["mchid", "serial", "privateKey", "certs", "base_uri", "secret"].contains(&key.as_str()),
            "unknown config setting `{key}`: teach `rules::configured` how it maps to the client builder"
        );
    }
    let removed = |key: &str| config.get(key).and_then(Value::as_str) == Some("<removed>");
    let mut builder = Client::builder();
    let mut refusals: Vec<&'static str> = Vec::new();
    let mut inexpressible = None;

    match config.get("mchid") {
        None => builder = builder.mchid(MCHID),
        Some(_) if removed("mchid") => refusals.push("mchid"),
        Some(Value::String(s)) => builder = builder.mchid(s.clone()),
        Some(other) => {
            inexpressible =
                Some(format!("mchid {other} is not a string: a PHP TypeError, the Rust builder takes text only"));
            builder = builder.mchid(other.to_string());
        }
    }
    let serial = match config.get("serial") {
        None => MERCHANT_SERIAL.to_owned(),
        Some(_) if removed("serial") => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => panic!("config serial {other} is not a string"),
    };
    if serial.is_empty() {
        refusals.push("serial");
    } else {
        builder = builder.serial(serial.clone());
    }
    match config.get("privateKey") {
        None => builder = builder.private_key(key_uri("merchant_apiclient_key.pem")),
        Some(_) if removed("privateKey") => refusals.push("private_key"),
        Some(Value::String(p)) => builder = builder.private_key(key_uri(key_file(p, true))),
        Some(other) => panic!("config privateKey {other} is not a placeholder"),
    }
    let certs: Vec<(String, &'static str)> = match config.get("certs") {
        None => {
            vec![(PLATFORM_SERIAL.to_owned(), "platform_cert.pem"), (PUB_KEY_ID.to_owned(), "wechatpay_public_key.pem")]
        }
        Some(Value::Object(map)) => map
            .iter()
            .map(|(id, v)| (id.clone(), key_file(v.as_str().unwrap_or_else(|| panic!("certs `{id}`: {v}")), false)))
            .collect(),
        Some(Value::Array(a)) if a.is_empty() => Vec::new(),
        Some(_) if removed("certs") => Vec::new(),
        Some(other) => panic!("config certs {other} is neither a map nor empty"),
    };
    if certs.is_empty() {
        refusals.push("certs");
    }
    for (id, file) in &certs {
        builder = builder.cert(id.clone(), key_uri(file));
        // The merchant's own serial or key in `certs`, or a certificate under another serial.
        let wrong_serial = !id.starts_with("PUB_KEY_ID_") && certificate_serial(file).is_some_and(|s| s != id);
        if id.eq_ignore_ascii_case(&serial) || is_merchant_key(file) || wrong_serial {
            refusals.push("certs");
        }
    }
    if let Some(base) = config.get("base_uri") {
        builder = builder.base_uri(base.as_str().unwrap_or_else(|| panic!("config base_uri {base}")));
    }
    match config.get("secret") {
        None => builder = builder.apiv2_key(super::APIV2_KEY),
        Some(_) if removed("secret") => {}
        Some(Value::String(s)) => builder = builder.apiv2_key(s.clone()),
        Some(other) => panic!("config secret {other} is not a string"),
    }
    Configured { builder, refused: refusals.first().copied(), inexpressible }
}

// ------------------------------------------------------------------------------------------------
// Templates
// ------------------------------------------------------------------------------------------------

/// One `{…}` expression of a URI template: its operator (`None` for a simple `{x}`) and variable names.
#[derive(Debug)]
pub struct Expression {
    pub operator: Option<char>,
    pub names: Vec<String>,
    /// The text between the braces.
    pub text: String,
}

/// The `{…}` expressions of a template, in order.
pub fn expressions(template: &str) -> Vec<Expression> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let body = &after[..close];
        let (operator, list) = match body.chars().next() {
            Some(c) if "+#./;?&".contains(c) => (Some(c), &body[1..]),
            _ => (None, body),
        };
        let names = list
            .split(',')
            .filter(|n| !n.is_empty())
            .map(|n| n.trim_end_matches('*').split(':').next().unwrap_or_default().to_owned())
            .collect();
        out.push(Expression { operator, names, text: body.to_owned() });
        rest = &after[close + 1..];
    }
    out
}

/// The variable names a template uses.
pub fn template_variables(template: &str) -> BTreeSet<String> {
    expressions(template).into_iter().flat_map(|e| e.names).collect()
}

/// The request options that are not template variables: wechatpay-php's option keys and this SDK's.
pub const OPTION_KEYS: [&str; 9] =
    ["query", "json", "body", "headers", "base_uri", "timeout", "xml", "nonceless", "security"];

/// The option keys of `options` that are neither request options nor variables of `template`
/// (PHP ignores them; this SDK refuses them with `UnknownOption`).
pub fn unused_keys(options: &Value, template: &str) -> Vec<String> {
    let vars = template_variables(template);
    options
        .as_object()
        .map(|m| m.keys().filter(|k| !OPTION_KEYS.contains(&k.as_str()) && !vars.contains(*k)).cloned().collect())
        .unwrap_or_default()
}

/// `options` without the keys `unused_keys` names.
pub fn without_unused(options: &Value, template: &str) -> Value {
    let unused = unused_keys(options, template);
    match options {
        Value::Object(map) => Value::Object(
            map.iter().filter(|(k, _)| !unused.contains(k)).map(|(k, v)| (k.clone(), v.clone())).collect(),
        ),
        other => other.clone(),
    }
}

/// This SDK's documented path-variable rule (`src/chain/template.rs`): in every expression but the query
/// forms, an undefined, `null` or empty-list variable is `MissingVariable`; an empty value (`""`,
/// `false`) outside `{;x}`, or `.` / `..`, is `BadVariable`. PHP expands all of them to empty text.
/// Returns the first offending variable in template order.
pub fn variable_refusal(template: &str, options: &Value) -> Option<(InputErrorKind, String)> {
    for expression in expressions(template) {
        if matches!(expression.operator, Some('?' | '&')) {
            continue;
        }
        for name in &expression.names {
            let value = options.get(name.as_str()).filter(|v| !v.is_null());
            let text = match value {
                None => return Some((InputErrorKind::MissingVariable, name.clone())),
                Some(Value::Array(a)) if a.is_empty() => return Some((InputErrorKind::MissingVariable, name.clone())),
                Some(Value::Object(o)) if o.is_empty() => return Some((InputErrorKind::MissingVariable, name.clone())),
                Some(Value::String(s)) => s.clone(),
                Some(Value::Bool(true)) => "1".to_owned(),
                Some(Value::Bool(false)) => String::new(),
                Some(Value::Number(n)) => n.to_string(),
                Some(_) => continue,
            };
            if (text.is_empty() && expression.operator != Some(';')) || text == "." || text == ".." {
                return Some((InputErrorKind::BadVariable, name.clone()));
            }
        }
    }
    None
}

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~".contains(&b)
}

fn reserved(b: u8) -> bool {
    b":/?#[]@!$&'()*+,;=".contains(&b)
}

/// Percent-encodes every byte `keep` refuses (uppercase hex), keeping valid `%XX` when `keep_escapes`.
pub fn percent_encode(text: &str, keep: impl Fn(u8) -> bool, keep_escapes: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = String::new();
    for (i, &b) in bytes.iter().enumerate() {
        let escape = keep_escapes
            && b == b'%'
            && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        if keep(b) || escape {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// PHP's `rawurlencode`.
pub fn rawurlencode(text: &str) -> String {
    percent_encode(text, unreserved, false)
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(true) => Some("1".to_owned()),
        Value::Bool(false) => Some(String::new()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

/// An independent RFC 6570 expansion of the forms the vectors use (literals; `{x}`, `{+x}`, `{?x,y}`,
/// `{&x}` with text, integer, boolean or list values), with literal text percent-encoded as a URL path
/// keeps it. `None` for anything else: the caller then fails loudly rather than guess.
pub fn expand(template: &str, options: &Value) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    loop {
        let Some(open) = rest.find('{') else {
            out.push_str(&percent_encode(rest, |b| unreserved(b) || reserved(b), true));
            return Some(out);
        };
        out.push_str(&percent_encode(&rest[..open], |b| unreserved(b) || reserved(b), true));
        let after = &rest[open + 1..];
        let close = after.find('}')?;
        let expression = expressions(&rest[open..open + close + 2]).pop()?;
        if expression.text.contains(['*', ':']) {
            return None;
        }
        let keep_reserved = expression.operator == Some('+');
        let encode = |v: &str| {
            if keep_reserved { percent_encode(v, |b| unreserved(b) || reserved(b), true) } else { rawurlencode(v) }
        };
        let text = |v: &Value| -> Option<String> {
            match v {
                Value::Array(items) => items
                    .iter()
                    .map(|i| scalar_text(i).map(|t| encode(&t)))
                    .collect::<Option<Vec<_>>>()
                    .map(|t| t.join(",")),
                other => scalar_text(other).map(|t| encode(&t)),
            }
        };
        match expression.operator {
            None | Some('+') => {
                let mut parts = Vec::new();
                for name in &expression.names {
                    parts.push(text(options.get(name.as_str())?)?);
                }
                out.push_str(&parts.join(","));
            }
            Some(op @ ('?' | '&')) => {
                let mut first = true;
                for name in &expression.names {
                    let Some(value) = options.get(name.as_str()).filter(|v| !v.is_null()) else { continue };
                    out.push_str(if first { if op == '?' { "?" } else { "&" } } else { "&" });
                    first = false;
                    out.push_str(name);
                    out.push('=');
                    out.push_str(&text(value)?);
                }
            }
            Some(_) => return None,
        }
        rest = &after[close + 1..];
    }
}

// ------------------------------------------------------------------------------------------------
// JSON
// ------------------------------------------------------------------------------------------------

/// Whether a JSON value has a string (key or value) that PHP's `json_encode` escapes and serde_json
/// does not: a `/` or a non-ASCII character.
pub fn needs_php_escaping(value: &Value) -> bool {
    let escaped = |s: &str| s.contains('/') || !s.is_ascii();
    match value {
        Value::String(s) => escaped(s),
        Value::Array(items) => items.iter().any(needs_php_escaping),
        Value::Object(map) => map.iter().any(|(k, v)| escaped(k) || needs_php_escaping(v)),
        _ => false,
    }
}

/// Applies PHP's `json_encode` string escaping to compact UTF-8 JSON text: `/` → `\/`, every non-ASCII
/// character → `\uXXXX` (lowercase hex, astral characters as a surrogate pair). Both characters only
/// occur inside strings in JSON text, so this is exact.
pub fn php_escaped(json: &str) -> String {
    let mut out = String::with_capacity(json.len() * 2);
    for c in json.chars() {
        match c {
            '/' => out.push_str("\\/"),
            c if c.is_ascii() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out
}

// ------------------------------------------------------------------------------------------------
// APIv2
// ------------------------------------------------------------------------------------------------

/// What this SDK's documented APIv2 answer check (`src/v2/response.rs`, in its order) makes of an
/// answer to `path` (the URL path without `v2/`).
#[derive(Clone, Debug, PartialEq)]
pub enum V2Expect {
    /// 4xx/5xx: rejected before anything else.
    HttpStatus,
    /// One of the paths WeChat Pay answers unsigned: returned as received.
    Unsigned,
    /// A DOCTYPE: refused outright (PHP's parser expands internal entities).
    Doctype,
    /// Not XML this SDK reads.
    NotXml,
    /// `return_code` is not `SUCCESS`: an unsigned failure.
    ReturnCode,
    /// No `sign`.
    MissingSign,
    /// A `sign` that does not verify (algorithm by its length).
    BadSign(&'static str),
    /// Verified, but `result_code` is not `SUCCESS`.
    ResultCode,
    /// Verified with this algorithm.
    Verified(&'static str),
}

impl V2Expect {
    /// Whether the answer is accepted.
    pub fn accepted(&self) -> bool {
        matches!(self, V2Expect::Unsigned | V2Expect::Verified(_))
    }
}

/// The expectation for an APIv2 answer, derived from its status, path and body.
pub fn v2_answer(status: u16, path: &str, body: &[u8], key: &wechatpay_chain::v2::ApiV2Key) -> V2Expect {
    use wechatpay_chain::v2::{SignError, SignType, response::is_unsigned_path, sign, xml};
    if status >= 400 {
        return V2Expect::HttpStatus;
    }
    if is_unsigned_path(path) {
        return V2Expect::Unsigned;
    }
    let text = String::from_utf8_lossy(body);
    if text.to_ascii_uppercase().contains("<!DOCTYPE") {
        return V2Expect::Doctype;
    }
    let Ok(fields) = xml::parse(body) else { return V2Expect::NotXml };
    if fields.get("return_code").and_then(Value::as_str) != Some("SUCCESS") {
        return V2Expect::ReturnCode;
    }
    let algorithm = |s: &str| if s.len() == 64 { "HMAC-SHA256" } else { "MD5" };
    let given = match fields.get("sign") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return V2Expect::MissingSign,
    };
    match sign::verify(&fields, key) {
        Ok(sign_type) => assert_eq!(sign_type.as_str(), algorithm(&given)),
        Err(SignError::Mismatch { sign_type }) => {
            assert_eq!(sign_type, SignType::of_sign(&given));
            return V2Expect::BadSign(algorithm(&given));
        }
        Err(_) => return V2Expect::BadSign(algorithm(&given)),
    }
    if fields.get("result_code").is_some_and(|c| c.as_str() != Some("SUCCESS")) {
        return V2Expect::ResultCode;
    }
    V2Expect::Verified(algorithm(&given))
}

/// The URL path of an APIv2 request chain: the segments joined, without the `v2/` routing prefix.
pub fn v2_path(chain: &Value) -> String {
    let segments: Vec<&str> = chain.as_array().expect("chain").iter().map(|s| s.as_str().expect("segment")).collect();
    let joined = segments.join("/");
    let stripped = match joined.get(..3) {
        Some(p) if p.eq_ignore_ascii_case("v2/") => &joined[3..],
        _ => &joined,
    };
    format!("/{}", stripped.trim_start_matches('/'))
}

/// Characters XML 1.0 cannot carry (this SDK's writer refuses them; PHP writes them anyway).
pub fn unwritable_in_xml(text: &str) -> bool {
    text.chars()
        .any(|c| matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}'))
}
