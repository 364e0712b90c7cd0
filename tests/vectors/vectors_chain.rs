//! `chain.json`: how wechatpay-php turns chain segments into a URL, against this SDK. PHP's normalisation
//! is reproduced by `php_normalize` for every case. Each case either gives PHP's URL, request target and
//! pipeline, or falls under deviations derived from its own input (never its id), each asserted:
//!
//! | deviation | derived from | asserted here |
//! | --- | --- | --- |
//! | `case-mangling` | PHP's template differs from the segments' text | the SDK keeps the text (target from an independent expansion); written with PHP's spelling, PHP's URL |
//! | `unused-option` | an option key that is no variable of the template (PHP ignores it) | refused (`UnknownOption`), then sent without it |
//! | `empty-path-variable` | a path variable undefined, `null`, `false` or empty (PHP expands it to nothing) | refused, `MissingVariable` / `BadVariable`, naming it |
//! | `empty-expression` | PHP's template has `{}` (from `__`) | refused (`Template`) |
//! | `absolute-url-case` | an absolute URL segment PHP case-mangles into a relative path | scheme and host read case-insensitively |
//! | `php-type-error` | PHP failed with a `TypeError` (numeric segment collision) | the SDK builds the URL of the segments |
//! | `v2-leading-slash` | an expanded path starting `/v2/` (PHP: APIv3) | routed to APIv2 like `v2/` |
//! | `base-uri-directory` | a configured `base_uri` whose path has no trailing `/` | the base path is kept as a directory |
//!
//! Run with `WECHATPAY_VECTORS_DIR=<dir>` to check another capture of the same schema.

use crate::common;

use crate::common::rules::{self, decide_every_case};
use crate::vectors_sign::kept_text;
use serde_json::Value;
use wechatpay_chain::chain::php_normalize;
use wechatpay_chain::error::InputErrorKind;
use wechatpay_chain::http::Method;
use wechatpay_chain::request::Api;
use wechatpay_chain::{Chain, Client, Error, PreparedRequest};

const FILE: &str = "chain.json";
const KINDS: [&str; 8] = [
    "case-rules",
    "placeholders",
    "underscores-and-dashes",
    "odd-characters",
    "chain-and-offset-forms",
    "templates",
    "numeric-segments",
    "v2-routing",
];

fn native(client: &Client, segments: &[&str]) -> Chain {
    let (first, rest) = segments.split_first().expect("segment");
    rest.iter().fold(client.chain(first), |c, s| c.seg(s))
}

fn refusal(id: &str, result: Result<PreparedRequest, Error>) -> wechatpay_chain::error::InputError {
    match result {
        Err(Error::Input(e)) => e,
        other => panic!("{id}: expected a refusal, got {other:?}"),
    }
}

/// What this SDK must make of `template` with `options` on `base` (origin + path ending in `/`): the
/// pipeline and the request target, from an independent expansion and the documented routing rules.
fn expected_target(id: &str, template: &str, options: &Value, base_path: &str) -> (bool, String, Option<String>) {
    let expanded = rules::expand(template, options)
        .unwrap_or_else(|| panic!("{id}: the test's expander does not cover `{template}`; extend rules::expand"));
    let unslashed = expanded.strip_prefix('/').unwrap_or(&expanded);
    let (v2, path) = match unslashed.get(..3) {
        Some(p) if p.eq_ignore_ascii_case("v2/") => (true, unslashed[3..].to_owned()),
        _ => (false, expanded.clone()),
    };
    let lower = path.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        let (scheme, rest) = path.split_once("://").expect("scheme");
        let (host, target) = rest.find('/').map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
        let origin = format!("{}://{}", scheme.to_ascii_lowercase(), host.to_ascii_lowercase());
        return (v2, target.to_owned(), Some(origin));
    }
    let target = if path.starts_with('/') { path } else { format!("{base_path}{path}") };
    (v2, target, None)
}

/// Checks one case; returns its deviations.
fn check(case: &Value) -> Vec<&'static str> {
    let id = case["id"].as_str().expect("id");
    let (input, output) = (&case["input"], &case["output"]);
    let configured = rules::configured(input.get("config"));
    assert!(
        configured.refused.is_none() && configured.inexpressible.is_none(),
        "{id}: chain cases use a working client"
    );
    let client = configured.builder.build().unwrap_or_else(|e| panic!("{id}: {e}"));
    let base = input["config"]["base_uri"].as_str().unwrap_or("https://api.mch.weixin.qq.com/");
    let base_path = base.split_once("://").and_then(|(_, r)| r.find('/').map(|i| &r[i..])).unwrap_or("/");
    // This SDK keeps a base path without a trailing `/` as a directory (PHP drops its last segment).
    let directory_base = !base_path.ends_with('/');
    let base_path = if directory_base { format!("{base_path}/") } else { base_path.to_owned() };
    let relative = |t: &str| !t.starts_with('/') && !t.contains("://");

    let segments: Vec<&str> =
        input["chain"].as_array().expect("chain").iter().map(|s| s.as_str().expect("seg")).collect();
    let method: Method = input["method"].as_str().expect("method").parse().expect("method");
    let options = input["options"].clone();
    let php: String = segments.iter().map(|s| php_normalize(s)).collect::<Vec<_>>().join("/");
    if let Some(t) = output["pathname_template"].as_str() {
        assert_eq!(php, t, "{id}: php_normalize");
    }
    let php_failed = output["error"].is_object();
    let mut deviations = Vec::new();

    // The segments as this SDK reads them.
    let ours = native(&client, &segments);
    let template = ours.template().to_owned();
    let mangled = template != php;
    if mangled {
        assert_eq!(template, kept_text(&segments), "{id}: this SDK keeps the segments' text");
        deviations.push("case-mangling");
    }
    let mut ours_options = options.clone();
    if !rules::unused_keys(&ours_options, &template).is_empty() {
        let err = refusal(id, ours.prepare(method.clone(), ours_options.clone()));
        assert_eq!(err.kind(), InputErrorKind::UnknownOption, "{id}: {err}");
        deviations.push("unused-option");
        ours_options = rules::without_unused(&ours_options, &template);
    }
    if let Some((kind, name)) = rules::variable_refusal(&template, &ours_options) {
        let err = refusal(id, ours.prepare(method.clone(), ours_options));
        assert_eq!(err.kind(), kind, "{id}: {err}");
        assert!(err.message().contains(&format!("`{name}`")), "{id}: names `{name}`: {err}");
        deviations.push("empty-path-variable");
    } else {
        let p = ours.prepare(method.clone(), ours_options.clone()).unwrap_or_else(|e| panic!("{id}: {e}"));
        let (v2, target, origin) = expected_target(id, &template, &ours_options, &base_path);
        if directory_base && relative(&template) {
            deviations.push("base-uri-directory");
        }
        if php_failed {
            assert_eq!(output["error"]["class"], "TypeError", "{id}: PHP failed otherwise: {}", output["error"]);
            deviations.push("php-type-error");
        }
        if origin.is_some() && mangled {
            deviations.push("absolute-url-case");
        }
        if v2 && template.starts_with('/') {
            deviations.push("v2-leading-slash");
        }
        assert_eq!(matches!(p.api(), Api::V2 { .. }), v2, "{id}: pipeline");
        assert_eq!(p.request_target(), target, "{id}: request target");
        if let Some(origin) = origin {
            assert_eq!(p.url().to_string(), format!("{origin}{target}"), "{id}: url");
        }
        if !mangled && !php_failed && !deviations.contains(&"base-uri-directory") {
            // The same template as PHP's: PHP's URL, target and pipeline exactly (unless routed by a
            // leading `/v2/`, checked above).
            if !deviations.contains(&"v2-leading-slash") {
                assert_eq!(output["client"], if v2 { "v2" } else { "v3" }, "{id}: routed to the other pipeline");
                assert_eq!(p.url().to_string(), output["url"].as_str().expect("url"), "{id}: url");
                assert_eq!(p.request_target(), output["request_target"].as_str().expect("target"), "{id}");
            }
        }
    }

    // Written with PHP's spelling, the request is PHP's.
    if mangled && !php_failed {
        let spelled = client.chain(&php);
        let wire_options = rules::without_unused(&options, &php);
        let result = spelled.prepare(method, wire_options.clone());
        if rules::expressions(&php).iter().any(|e| e.text.is_empty()) {
            let err = refusal(id, result);
            assert_eq!(err.kind(), InputErrorKind::Template, "{id}: {err}");
            deviations.push("empty-expression");
        } else if php.contains("://") && !output["url"].as_str().unwrap_or_default().starts_with("http") {
            // PHP mangled the scheme and host into a relative path; the native reading was checked above.
            assert!(deviations.contains(&"absolute-url-case"), "{id}");
        } else if let Some((kind, name)) = rules::variable_refusal(&php, &wire_options) {
            let err = refusal(id, result);
            assert_eq!(err.kind(), kind, "{id}: {err} (`{name}`)");
            deviations.push("empty-path-variable");
        } else if directory_base && relative(&php) {
            let p = result.unwrap_or_else(|e| panic!("{id}: with PHP's spelling: {e}"));
            let (_, target, _) = expected_target(id, &php, &wire_options, &base_path);
            assert_eq!(p.request_target(), target, "{id}: PHP's spelling under a directory base");
            deviations.push("base-uri-directory");
        } else {
            let p = result.unwrap_or_else(|e| panic!("{id}: with PHP's spelling: {e}"));
            assert_eq!(p.url().to_string(), output["url"].as_str().expect("url"), "{id}: url, PHP's spelling");
            assert_eq!(p.request_target(), output["request_target"].as_str().expect("target"), "{id}");
            assert_eq!(output["client"], if matches!(p.api(), Api::V2 { .. }) { "v2" } else { "v3" }, "{id}");
        }
    }
    deviations.sort_unstable();
    deviations.dedup();
    deviations
}

#[test]
fn chain_vectors() {
    decide_every_case(FILE, &KINDS, check);
}

#[test]
fn refusals_that_php_accepts() {
    let client = common::vector_builder().build().expect("client");
    // PHP turns `__` into `{}` and sends `%7B%7D`; an empty expression is refused here.
    let err = client.chain("v3/{}").prepare(Method::GET, ()).expect_err("empty expression");
    assert!(matches!(err, Error::Input(e) if e.kind() == InputErrorKind::Template));
    // PHP mangles `HTTPS://Example.COM/` into a relative path; here scheme and host are case-insensitive.
    let p = client.chain("HTTPS://Example.COM/v3/x").prepare(Method::GET, ()).expect("absolute url");
    assert_eq!(p.url().to_string(), "https://example.com/v3/x");
}
