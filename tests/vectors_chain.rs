//! `chain.json`: how wechatpay-php turns chain segments into a URL, compared with this SDK. PHP's
//! normalisation is reproduced by `php_normalize` for every case; the SDK's own reading of the same
//! segments is checked against PHP's URL, and every deliberate difference is listed with its reason.

mod common;

use common::*;
use serde_json::Value;
use wechatpay_chain::chain::php_normalize;
use wechatpay_chain::error::InputErrorKind;
use wechatpay_chain::http::Method;
use wechatpay_chain::request::Api;
use wechatpay_chain::{Chain, Client, Error};

/// What this SDK does instead of what PHP did.
enum Ours {
    /// Same URL as PHP.
    Same,
    /// PHP case-mangles (`merchantService` → `merchant-service`, `_faceSid_` → `{face-sid}`); this SDK
    /// keeps the text, so the same segments give this target instead. Spelling the wire segment gives
    /// PHP's URL (checked too).
    Unmangled(&'static str),
    /// This SDK refuses the request (nothing is sent), with this error kind.
    Refused(InputErrorKind, &'static str),
    /// PHP fails with a `TypeError` on a numeric segment (a bug); this SDK builds the URL.
    Works(&'static str),
}

fn ours(id: &str) -> Ours {
    use InputErrorKind::*;
    match id {
        "camel-case" | "chain-string-camel" => Ours::Unmangled("/v3/merchantService/complaintsV2"),
        "pascal-case" => Ours::Unmangled("/V3/Pay/Transactions/Native"),
        "image-upload" => Ours::Unmangled("/v3/marketing/favor/media/imageUpload"),
        "all-caps" => Ours::Unmangled("/v3/ABC"),
        "lower-then-caps" => Ours::Unmangled("/v3/aBC"),
        "acronym" => Ours::Unmangled("/v3/HTTPStatus"),
        "single-capital" => Ours::Unmangled("/v3/A"),
        "digit-then-capital" => Ours::Unmangled("/v3/abc2Def"),
        "placeholder-after-camel" => Ours::Unmangled("/v3/pay/transactions/outTradeNo/T1"),
        // `_faceSid_` is the variable `faceSid` here; PHP made it `face-sid`.
        "camel-placeholder" => Ours::Unmangled("/v3/F2"),
        "capital-placeholder" => Ours::Refused(UnknownOption, "`_A_` is variable `A`; the option `-a` is unknown"),
        "chain-string-uppercase-template-var" => {
            Ours::Refused(UnknownOption, "`{FaceSid}` is variable `FaceSid`; the option `-face-sid` is unknown")
        }
        "chain-string-absolute-url-uppercase" => Ours::Unmangled("/v3/x"),
        "double-underscore" => Ours::Unmangled("/v3/__"),
        "underscore-prefix-not-placeholder" => {
            Ours::Refused(UnknownOption, "PHP ignores the unused option `transaction_id`; this SDK refuses it")
        }
        "numeric-segment-collision" => Ours::Works("/v3/x/1"),
        _ => Ours::Same,
    }
}

fn native(client: &Client, segments: &[Value]) -> Chain {
    let mut parts = segments.iter().map(|s| s.as_str().expect("segment"));
    let first = parts.next().expect("segment");
    parts.fold(client.chain(first), |c, s| c.seg(s))
}

#[test]
fn chain_vectors() {
    let client = vector_builder().build().expect("client");
    let cases = cases("chain.json");
    assert!(cases.len() >= 35);
    let mut same = 0;
    for case in &cases {
        let id = case["id"].as_str().expect("id");
        let input = &case["input"];
        let output = &case["output"];
        let segments = input["chain"].as_array().expect("chain");
        let method: Method = input["method"].as_str().expect("method").parse().expect("method");
        let options = input["options"].clone();
        let php_template: String =
            segments.iter().map(|s| php_normalize(s.as_str().unwrap_or_default())).collect::<Vec<_>>().join("/");
        if let Some(t) = output["pathname_template"].as_str() {
            assert_eq!(php_template, t, "{id}: php_normalize");
        }

        let prepared = native(&client, segments).prepare(method.clone(), options.clone());
        match ours(id) {
            Ours::Same => {
                let p = prepared.unwrap_or_else(|e| panic!("{id}: {e}"));
                let api = if p.api() == Api::V3 { "v3" } else { "v2" };
                assert_eq!(output["client"], api, "{id}: routed to the other pipeline");
                assert_eq!(p.url().to_string(), output["url"].as_str().expect("url"), "{id}: url");
                assert_eq!(p.request_target(), output["request_target"].as_str().expect("target"), "{id}");
                same += 1;
            }
            Ours::Works(target) => {
                assert!(output.get("error").is_some(), "{id}: PHP failed here");
                assert_eq!(prepared.expect(id).request_target(), target, "{id}");
            }
            Ours::Refused(kind, why) => match prepared {
                Err(Error::Input(e)) => assert_eq!(e.kind(), kind, "{id} ({why}): {e}"),
                other => panic!("{id} ({why}): expected a refusal, got {other:?}"),
            },
            Ours::Unmangled(target) => {
                let p = prepared.unwrap_or_else(|e| {
                    // Unused PHP-only keys are refused; retry with the variables our template uses.
                    assert!(matches!(&e, Error::Input(i) if i.kind() == InputErrorKind::UnknownOption), "{id}: {e}");
                    native(&client, segments).prepare(method.clone(), serde_json::json!({"faceSid": "F2"})).expect(id)
                });
                assert_eq!(p.request_target(), target, "{id}: unmangled");
                // Written with the wire spelling, the request is PHP's.
                if let Some(expected) = output["request_target"].as_str().filter(|_| id != "double-underscore") {
                    if id != "chain-string-absolute-url-uppercase" {
                        // The port passes only the variables its template uses.
                        let used: serde_json::Map<String, Value> = options
                            .as_object()
                            .map(|m| {
                                m.iter()
                                    .filter(|(k, _)| php_template.contains(&format!("{{{k}}}")))
                                    .map(|(k, v)| (k.clone(), v.clone()))
                                    .collect()
                            })
                            .unwrap_or_default();
                        let spelled = client.chain(&php_template).prepare(method, Value::Object(used)).expect(id);
                        assert_eq!(spelled.request_target(), expected, "{id}: wire spelling");
                    }
                }
            }
        }
    }
    assert!(same >= 15, "only {same} cases matched PHP directly");
}

#[test]
fn refusals_that_php_accepts() {
    let client = vector_builder().build().expect("client");
    // PHP turns `__` into `{}` and sends `%7B%7D`; an empty expression is refused here.
    let err = client.chain("v3/{}").prepare(Method::GET, ()).expect_err("empty expression");
    assert!(matches!(err, Error::Input(e) if e.kind() == InputErrorKind::Template));
    // PHP mangles `HTTPS://Example.COM/` into a relative path; here scheme and host are case-insensitive.
    let p = client.chain("HTTPS://Example.COM/v3/x").prepare(Method::GET, ()).expect("absolute url");
    assert_eq!(p.url().to_string(), "https://example.com/v3/x");
}
