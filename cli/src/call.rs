//! `get|post|put|patch|delete`: one signed call (APIv3 JSON or APIv2 XML), the verified answer printed.
//! Mistakes in the flags are caught here, before anything is sent, and named in flags.

use std::io::Read;

use base64::Engine;
use serde_json::{Map, Value};
use wechatpay_chain::http::Method;
use wechatpay_chain::{Client, Error, Options};

use crate::args::CallArgs;
use crate::chainform::{self, Placeholder};
use crate::credentials::{CredentialArgs, Credentials, Need, RecordingSigner};
use crate::output::{self, Failure};

/// Largest `--json @FILE` / `--xml @FILE` read (request bodies are a few KiB).
const MAX_INPUT_FILE: u64 = 10 << 20;

pub(crate) fn split<'a>(
    text: &'a str,
    separator: char,
    flag: &str,
    shape: &str,
) -> Result<(&'a str, &'a str), Failure> {
    match text.split_once(separator) {
        Some((name, value)) if !name.trim().is_empty() => Ok((name.trim(), value)),
        _ => Err(Failure::input(format!("{flag} `{text}` must look like {shape}"))),
    }
}

/// Reads a file named by a flag (`--json @FILE`), at most [`MAX_INPUT_FILE`] bytes.
fn read_input(path: &str, flag: &str) -> Result<Vec<u8>, Failure> {
    let file =
        std::fs::File::open(path).map_err(|e| Failure::input(format!("{flag} @{path}: cannot read the file ({e})")))?;
    let mut bytes = Vec::new();
    file.take(MAX_INPUT_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::input(format!("{flag} @{path}: cannot read the file ({e})")))?;
    if bytes.len() as u64 > MAX_INPUT_FILE {
        return Err(Failure::input(format!("{flag} @{path}: the file is larger than 10 MiB")));
    }
    Ok(bytes)
}

/// The request options from `--param`, `--query` and `--header` (shared with downloads).
pub(crate) fn base_options(params: &[String], queries: &[String], headers: &[String]) -> Result<Options, Failure> {
    let mut options = Options::new();
    for param in params {
        let (name, value) = split(param, '=', "--param", "NAME=VALUE")?;
        options = options.param(name, value);
    }
    for query in queries {
        let (name, value) = split(query, '=', "--query", "NAME=VALUE")?;
        options = options.query(name, value);
    }
    for header in headers {
        let (name, value) = split(header, ':', "--header", "NAME:VALUE")?;
        options = options.header(name, value.trim());
    }
    Ok(options)
}

/// The APIv2 fields of `--xml NAME=VALUE` and `--xml @FILE` (XML or a JSON object), later ones winning.
fn xml_fields(entries: &[String]) -> Result<Map<String, Value>, Failure> {
    let mut fields = Map::new();
    for entry in entries {
        if let Some(path) = entry.strip_prefix('@') {
            let bytes = read_input(path, "--xml")?;
            let text = String::from_utf8_lossy(&bytes);
            let parsed = match text.trim_start().chars().next() {
                Some('<') => wechatpay_chain::v2::xml::parse(&bytes)
                    .map_err(|e| Failure::input(format!("--xml @{path} is not valid APIv2 XML ({e})")))?,
                Some('{') => serde_json::from_slice(&bytes)
                    .map_err(|e| Failure::input(format!("--xml @{path} is not a valid JSON object ({e})")))?,
                _ => {
                    return Err(Failure::input(format!(
                        "--xml @{path} must hold the fields as XML (<xml><out_trade_no>…</out_trade_no></xml>) or \
                         as a JSON object"
                    )));
                }
            };
            fields.extend(parsed);
        } else {
            let (name, value) = split(entry, '=', "--xml", "NAME=VALUE or @FILE")?;
            fields.insert(name.to_owned(), Value::String(value.to_owned()));
        }
    }
    Ok(fields)
}

/// Whether the template is an APIv2 path (`v2/…`, as the SDK routes it).
pub(crate) fn is_v2(template: &str) -> bool {
    let unslashed = template.strip_prefix('/').unwrap_or(template);
    unslashed.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("v2/"))
}

/// How the CHAIN argument is named in messages: as written, plus the path of a dotted chain.
pub(crate) fn shown(chain: &str, template: &str, dotted: bool) -> String {
    if dotted { format!("`{chain}` (the path `{template}`)") } else { format!("`{template}`") }
}

/// A query written in the path (`…?token=…`) and `--query` both: the SDK takes one.
pub(crate) fn check_query(queries: &[String], template: &str, named: &str) -> Result<(), Failure> {
    if !queries.is_empty() && template.contains('?') && !template.contains("{?") {
        return Err(Failure::input(format!(
            "{named} already has a query: give the parameters either in the path or with --query NAME=VALUE, not both"
        )));
    }
    Ok(())
}

/// Every `--param` names a placeholder of the template and every placeholder that needs a value has one.
pub(crate) fn check_params(params: &[String], template: &str, named: &str) -> Result<(), Failure> {
    let placeholders = chainform::placeholders(template);
    let list = |p: &[Placeholder]| p.iter().map(|p| format!("{{{}}}", p.name)).collect::<Vec<_>>().join(", ");
    let mut given = Vec::new();
    for param in params {
        let (name, _) = split(param, '=', "--param", "NAME=VALUE")?;
        if !placeholders.iter().any(|p| p.name == name) {
            let has = if placeholders.is_empty() {
                "it has no placeholders".to_owned()
            } else {
                format!("its placeholders: {}", list(&placeholders))
            };
            return Err(Failure::input(format!(
                "`--param {name}=…` names no placeholder of {named} ({has}); a query parameter is --query {name}=VALUE"
            )));
        }
        given.push(name);
    }
    if let Some(missing) = placeholders.iter().find(|p| p.required && !given.contains(&p.name.as_str())) {
        return Err(Failure::input(format!(
            "{named} needs a value for its placeholder `{{{0}}}`: add --param {0}=VALUE",
            missing.name
        )));
    }
    Ok(())
}

/// The options of an APIv3 call, checked against the APIv2-only flags.
fn v3_options(args: &CallArgs, named: &str) -> Result<Options, Failure> {
    if !args.xml.is_empty() || args.nonceless || args.security {
        return Err(Failure::input(format!(
            "--xml, --nonceless and --security are for APIv2 endpoints (paths under v2/), and {named} is an APIv3 \
             path: give its body with --json"
        )));
    }
    let mut options = base_options(&args.param, &args.query, &args.header)?;
    if let Some(json) = &args.json {
        let text = match json.strip_prefix('@') {
            Some(path) => read_input(path, "--json")?,
            None => json.clone().into_bytes(),
        };
        let value: Value =
            serde_json::from_slice(&text).map_err(|e| Failure::input(format!("--json is not valid JSON ({e})")))?;
        options = options.json(&value);
    }
    Ok(options)
}

/// The options of an APIv2 call: the fields from `--xml` (or, for GET, `--query`), which must name the
/// configured merchant.
fn v2_options(args: &CallArgs, method: &Method, named: &str, mchid: Option<&str>) -> Result<Options, Failure> {
    if args.json.is_some() {
        return Err(Failure::input(format!(
            "{named} is an APIv2 endpoint: give its fields with --xml NAME=VALUE (or --xml @FILE), not --json"
        )));
    }
    let get = *method == Method::GET;
    if get && !args.xml.is_empty() {
        return Err(Failure::input("an APIv2 GET sends its fields in the query: give them with --query NAME=VALUE"));
    }
    let fields = if get {
        let mut query = Map::new();
        for entry in &args.query {
            let (name, value) = split(entry, '=', "--query", "NAME=VALUE")?;
            query.insert(name.to_owned(), Value::String(value.to_owned()));
        }
        query
    } else {
        xml_fields(&args.xml)?
    };
    let flag = if get { "--query" } else { "--xml" };
    let configured = mchid.unwrap_or("…");
    match ["mch_id", "mchid", "combine_mch_id"].iter().find_map(|n| fields.get(*n).map(|v| (*n, v))) {
        None => {
            return Err(Failure::input(format!(
                "an APIv2 request must name the merchant: add {flag} mch_id={configured} (or {flag} mchid=… / \
                 {flag} combine_mch_id=…, as the endpoint names it)"
            )));
        }
        Some((name, value)) if mchid.is_some() && value.as_str() != mchid => {
            return Err(Failure::input(format!(
                "{flag} {name}={} is not the configured merchant id {configured} (--mchid, WECHATPAY_MCHID or the \
                 profile): an APIv2 request is signed for the configured merchant only",
                value.as_str().unwrap_or("…")
            )));
        }
        Some(_) => {}
    }
    // A GET's fields are its query, signed by the SDK; the others' are the XML body.
    let mut options = base_options(&args.param, &args.query, &args.header)?;
    if !get {
        options = options.xml(&fields);
    }
    if args.nonceless {
        options = options.nonceless();
    }
    if args.security {
        options = options.security();
    }
    Ok(options)
}

/// With `--verbose`: each message the client signed (the exact bytes, `\n` shown) and its Authorization
/// header, signature shortened.
pub(crate) fn print_signed(verbose: bool, client: &Client, signer: &RecordingSigner) {
    if !verbose {
        return;
    }
    for signed in signer.signed() {
        output::status(&format!("> signed message: {}", output::visible(&signed.message)));
        // The message is METHOD\nTARGET\nTIMESTAMP\nNONCE\nBODY\n: the header carries its timestamp and nonce.
        let text = String::from_utf8_lossy(&signed.message);
        let mut lines = text.splitn(5, '\n');
        let (timestamp, nonce) = (lines.nth(2).unwrap_or(""), lines.next().unwrap_or(""));
        let signature = base64::engine::general_purpose::STANDARD.encode(&signed.signature);
        let authorization = format!(
            "{} mchid=\"{}\",serial_no=\"{}\",timestamp=\"{timestamp}\",nonce_str=\"{nonce}\",signature=\"{signature}\"",
            wechatpay_chain::auth::SCHEME,
            client.mchid(),
            client.serial()
        );
        output::status(&format!("> Authorization: {}", output::shorten_signature(&authorization)));
    }
}

/// Status, Request-ID and verification of an answer, on stderr.
pub(crate) fn print_head(status: wechatpay_chain::http::StatusCode, request_id: Option<&str>, verified: &str) {
    output::status(&format!("HTTP {status}"));
    if let Some(id) = request_id {
        output::status(&format!("Request-ID: {id}"));
    }
    output::status(&format!("verified: {verified}"));
}

/// `wechatpay get|post|put|patch|delete CHAIN …`.
pub fn run(method: Method, args: &CallArgs) -> Result<(), Failure> {
    let (template, dotted) = chainform::template(&args.chain)?;
    let named = shown(&args.chain, &template, dotted);
    let v2 = is_v2(&template);
    check_params(&args.param, &template, &named)?;
    check_query(&args.query, &template, &named)?;
    let v3_options = if v2 { None } else { Some(v3_options(args, &named)?) };
    let credentials = Credentials::resolve(
        &CredentialArgs::new(&args.merchant).keys(&args.keys).v2(&args.v2).tls(&args.tls).connection(&args.connection),
    )?;
    let options = match v3_options {
        Some(options) => options,
        None => v2_options(args, &method, &named, credentials.mchid())?,
    };
    let (client, signer) = credentials.client(Need { apiv2: v2, security: args.security, ..Need::default() })?;
    if args.connection.verbose && dotted {
        output::status(&format!("> chain: {} → {template}", args.chain));
    }
    let result = client.chain(&template).request(method.clone(), options);
    print_signed(args.connection.verbose, &client, &signer);
    match result {
        Ok(response) => {
            print_head(response.status(), response.request_id(), &output::verification(response.verification()));
            if v2 {
                // The verified fields as JSON, for jq; a body that is not XML (bill files) as it came.
                match response.xml() {
                    Ok(fields) => output::body(Value::Object(fields).to_string().as_bytes()),
                    Err(_) => output::stdout_bytes(response.body()),
                }
            } else {
                output::body(response.body())
            }
        }
        Err(error) => {
            report_answer(&error);
            if let Error::Api(api) = &error {
                suggest(method.as_str(), api.suggestions());
            }
            Err(Failure::sdk(&error))
        }
    }
}

/// What WeChat Pay answered, when it answered with a failure: on stderr, before the error line.
pub(crate) fn report_answer(error: &Error) {
    match error {
        Error::Api(api) => {
            output::status(&format!("HTTP {}", api.status()));
            if let Some(id) = api.request_id() {
                output::status(&format!("Request-ID: {id}"));
            }
            output::status(&format!("error body signed by: {}", api.signed_by().unwrap_or("nobody (unsigned)")));
            output::status(&format!("body: {}", String::from_utf8_lossy(api.body())));
        }
        Error::V2(v2) => {
            output::status(&format!("HTTP {}", v2.status()));
            output::status(&format!(
                "sign: {}",
                if v2.sign_verified() { "verified" } else { "not verified (an unsigned answer)" }
            ));
            output::status(&format!("fields: {}", Value::Object(v2.fields().clone())));
        }
        _ => {}
    }
}

/// The catalog's closest paths after a 404, as commands to run.
fn suggest(method: &str, suggestions: &[&str]) {
    if suggestions.is_empty() {
        return;
    }
    output::status("hint: no catalogued endpoint has this path; the closest:");
    for path in suggestions {
        let params: String = chainform::placeholders(path).iter().map(|p| format!(" --param {}=…", p.name)).collect();
        output::status(&format!("  wechatpay {} '{path}'{params}", method.to_ascii_lowercase()));
    }
}
