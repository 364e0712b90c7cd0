//! `v2.json`, `request` and `response` cases: APIv2 requests built through the chain exactly as
//! wechatpay-php built them (URL, headers, XML body, `sign`), and APIv2 answers accepted or rejected as
//! PHP did, through a real HTTP exchange (blocking and async). (The codec cases — `hash`, `transformer`,
//! `aes-ecb` — are in `tests/vectors/v2_codec.rs`; `every_kind_is_known` covers the whole file.)
//!
//! Deviations, derived from each case's own input (never its id) and asserted:
//!
//! | deviation | derived from | asserted here |
//! | --- | --- | --- |
//! | `split-cdata` | a field value containing `]]>` (PHP writes it verbatim, ending the section early: invalid XML) | the section is split; PHP's `sign` (it covers the value) |
//! | `unknown-sign-type` | a `sign_type` other than `MD5` / `HMAC-SHA256` (PHP sends an empty `sign`, WeChat Pay answers `FAIL`) | refused (`InvalidOption`) |
//! | `nested-value` | an object or list field (PHP signs it as the text `Array`, protecting none of it) | refused (`InvalidOption`) |
//! | `unwritable-character` | a control character XML cannot carry | refused (`InvalidOption`) |
//! | `integer-mchid` | an integer `mch_id` equal to the configured one (PHP's `!==` refuses it) | accepted, signed like the string form |
//! | `result-after-sign` | an answer whose failure this SDK reports by another check (PHP: `result_code` before `sign`) | the error of this SDK's order |
//! | `doctype-refused` | an answer with a DOCTYPE (PHP expands internal entities) | a decode error |
//!
//! Run with `WECHATPAY_VECTORS_DIR=<dir>` to check another capture of the same schema.

use crate::common::rules::{self, Tally, V2Expect, known_kind, vector_cases};
use crate::common::*;
use serde_json::{Map, Value};
use wechatpay_chain::error::{InputErrorKind, VerificationFailure};
use wechatpay_chain::http::Method;
use wechatpay_chain::request::Api;
use wechatpay_chain::response::Verification;
use wechatpay_chain::{Chain, Client, Error};

const FILE: &str = "v2.json";
const KINDS: [&str; 5] = ["request", "response", "hash", "transformer", "aes-ecb"];

fn chain(client: &Client, segments: &Value) -> Chain {
    let segments: Vec<&str> = segments.as_array().expect("chain").iter().map(|s| s.as_str().expect("seg")).collect();
    let (first, rest) = segments.split_first().expect("segments");
    rest.iter().fold(client.chain(first), |c, s| c.seg(s))
}

fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))?;
    Some(&xml[start..start + end])
}

/// The value of query parameter `name` in `url`.
fn query_param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    url.split_once('?')?.1.split('&').find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
}

/// Every kind of the file is one a test checks; unknown kinds fail loudly.
#[test]
fn every_kind_is_known() {
    for case in vector_cases(FILE) {
        known_kind(FILE, &case, &KINDS);
    }
}

/// The refusal this SDK's request rules give the fields, if any, and whether PHP refuses them too.
fn request_refusal(fields: &Map<String, Value>) -> Option<(&'static str, bool)> {
    let named = ["mch_id", "mchid", "combine_mch_id"].iter().find_map(|n| fields.get(*n).filter(|v| !v.is_null()));
    match named {
        None => return Some(("refused-as-php", true)),
        Some(Value::String(s)) if s != MCHID => return Some(("refused-as-php", true)),
        Some(Value::Number(n)) if n.to_string() != MCHID => return Some(("refused-as-php", true)),
        Some(Value::String(_) | Value::Number(_)) => {}
        Some(_) => return Some(("refused-as-php", true)),
    }
    if fields.get("sign_type").is_some_and(|t| !t.is_null() && t != "MD5" && t != "HMAC-SHA256") {
        return Some(("unknown-sign-type", false));
    }
    if fields.values().any(|v| v.is_object() || v.is_array()) {
        return Some(("nested-value", false));
    }
    if fields.iter().any(|(k, v)| rules::unwritable_in_xml(k) || v.as_str().is_some_and(rules::unwritable_in_xml)) {
        return Some(("unwritable-character", false));
    }
    None
}

fn check_request(client: &Client, case: &Value) -> Vec<&'static str> {
    let id = case["id"].as_str().expect("id");
    let (input, output) = (&case["input"], &case["output"]);
    let method: Method = input["method"].as_str().expect("method").parse().expect("method");
    let options = &input["options"];
    let empty = Map::new();
    let fields = if method == Method::GET { &options["query"] } else { &options["xml"] };
    let fields = fields.as_object().unwrap_or(&empty);
    let prepared = chain(client, &input["chain"]).prepare(method.clone(), options.clone());
    let php_refused = output["error"].is_object();

    if let Some((deviation, php_too)) = request_refusal(fields) {
        match prepared {
            Err(Error::Input(e)) => assert_eq!(e.kind(), InputErrorKind::InvalidOption, "{id}: {e}"),
            other => panic!("{id} ({deviation}): expected a refusal, got {other:?}"),
        }
        assert_eq!(php_refused, php_too, "{id}: PHP {} it", if php_refused { "refused" } else { "sent" });
        return vec![deviation];
    }
    let p = prepared.unwrap_or_else(|e| panic!("{id}: {e}"));
    let named = ["mch_id", "mchid", "combine_mch_id"].iter().find_map(|n| fields.get(*n).filter(|v| !v.is_null()));
    if named.is_some_and(Value::is_number) {
        // PHP refuses an integer id equal to its own; this SDK signs its text like the string form.
        assert!(php_refused, "{id}");
        let mut as_text = options.clone();
        let key = ["mch_id", "mchid", "combine_mch_id"].iter().find(|n| fields.get(**n).is_some_and(|v| !v.is_null()));
        let key = key.expect("named");
        let target = if method == Method::GET { "query" } else { "xml" };
        as_text[target][*key] = Value::String(MCHID.to_owned());
        if fields.get("nonce_str").is_some() || options["nonceless"] == true {
            let text = chain(client, &input["chain"]).prepare(method, as_text).expect("string mch_id");
            assert_eq!((p.body(), p.url()), (text.body(), text.url()), "{id}");
        }
        return vec!["integer-mchid"];
    }
    assert!(!php_refused, "{id}: PHP refused ({}), this SDK has no reason to", output["error"]);

    let expected = &output["request"];
    let security = options["security"] == true;
    assert_eq!(p.api(), Api::V2 { security }, "{id}");
    assert_eq!(p.method().as_str(), expected["method"], "{id}");
    for name in ["Accept", "Content-Type"] {
        assert_eq!(p.headers()[name], expected["headers"][name].as_str().expect(name), "{id}: {name}");
    }
    assert!(p.headers().get("authorization").is_none(), "{id}: APIv2 has no Authorization");

    let mut deviations = Vec::new();
    let generated = options["nonceless"] != true && fields.get("nonce_str").is_none_or(Value::is_null);
    let mut url = expected["url"].as_str().expect("url").to_owned();
    let mut want = expected["body"].as_str().unwrap_or_default().to_owned();
    let ours_url = p.url().to_string();
    let body = std::str::from_utf8(p.body()).expect("utf-8").to_owned();
    // `]]>` inside CDATA: PHP's section, split the way this SDK writes it.
    for (name, value) in fields {
        if let Some(text) = value.as_str().filter(|t| t.contains("]]>")) {
            let php = format!("<{name}><![CDATA[{text}]]></{name}>");
            let split = format!("<{name}><![CDATA[{}]]></{name}>", text.replace("]]>", "]]]]><![CDATA[>"));
            assert!(want.contains(&php), "{id}: PHP wrote `{name}` verbatim");
            want = want.replace(&php, &split);
            deviations.push("split-cdata");
        }
    }
    if generated {
        // A generated nonce: PHP's and ours differ, and so does the sign; compare everything else.
        let (php_nonce, our_nonce, php_sign, our_sign) = if method == Method::GET {
            (
                query_param(&url, "nonce_str"),
                query_param(&ours_url, "nonce_str"),
                query_param(&url, "sign"),
                query_param(&ours_url, "sign"),
            )
        } else {
            (element(&want, "nonce_str"), element(&body, "nonce_str"), element(&want, "sign"), element(&body, "sign"))
        };
        let (php_nonce, our_nonce) = (php_nonce.expect("PHP's nonce"), our_nonce.expect("our nonce"));
        let (php_sign, our_sign) = (php_sign.expect("PHP's sign").to_owned(), our_sign.expect("our sign").to_owned());
        assert_eq!(our_nonce.len(), 32, "{id}");
        assert!(our_nonce.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
        assert_eq!(our_sign.len(), php_sign.len(), "{id}: the same algorithm");
        let (php_nonce, our_nonce) = (php_nonce.to_owned(), our_nonce.to_owned());
        want = want.replace(&php_nonce, &our_nonce).replace(&php_sign, &our_sign);
        url = url.replace(&php_nonce, &our_nonce).replace(&php_sign, &our_sign);
    }
    assert_eq!(ours_url, url, "{id}: url");
    let target = url.split_once("://").and_then(|(_, r)| r.find('/').map(|i| r[i..].to_owned())).expect("target");
    assert_eq!(p.request_target(), target, "{id}: request target");
    assert_eq!(body, want, "{id}: body");
    deviations.dedup();
    deviations
}

#[test]
fn request_vectors() {
    let cases: Vec<Value> = vector_cases(FILE).into_iter().filter(|c| c["kind"] == "request").collect();
    let mut tally = Tally::new(FILE, &cases);
    for case in &cases {
        let configured = rules::configured(case["input"].get("config"));
        let client = configured.builder.build().expect("client");
        let deviations = check_request(&client, case);
        tally.record(case["id"].as_str().expect("id"), &deviations);
    }
    tally.finish();
}

/// Checks the client's outcome against the expectation.
fn expect_answer(id: &str, expect: &V2Expect, status: u16, result: &Result<wechatpay_chain::Response, Error>) {
    let fields = |body: &[u8]| wechatpay_chain::v2::xml::parse(body).unwrap_or_default();
    match (expect, result) {
        (V2Expect::Verified(algorithm), Ok(r)) => {
            assert_eq!(r.verification(), &Verification::V2Sign { algorithm }, "{id}")
        }
        (V2Expect::Unsigned, Ok(r)) => assert_eq!(r.verification(), &Verification::V2Unsigned, "{id}"),
        (V2Expect::BadSign(algorithm), Err(Error::Verification(e))) => {
            assert_eq!(e.failure(), &VerificationFailure::BadV2Sign { algorithm }, "{id}");
        }
        (V2Expect::MissingSign, Err(Error::Verification(e))) => {
            assert_eq!(e.failure(), &VerificationFailure::MissingV2Sign, "{id}");
        }
        (V2Expect::NotXml | V2Expect::Doctype, Err(Error::Decode(_))) => {}
        (V2Expect::ReturnCode, Err(Error::V2(e))) => {
            let f = fields(e.body());
            assert_eq!(e.return_code(), f.get("return_code").and_then(Value::as_str), "{id}");
            assert_eq!(e.return_msg(), f.get("return_msg").and_then(Value::as_str), "{id}");
            assert!(!e.sign_verified(), "{id}: a FAIL answer is unsigned");
        }
        (V2Expect::ResultCode, Err(Error::V2(e))) => {
            let f = fields(e.body());
            assert!(e.sign_verified(), "{id}");
            assert_eq!(e.result_code(), f.get("result_code").and_then(Value::as_str), "{id}");
            assert_eq!(e.err_code(), f.get("err_code").and_then(Value::as_str), "{id}");
            assert_eq!(e.err_code_des(), f.get("err_code_des").and_then(Value::as_str), "{id}");
            assert_eq!(e.fields(), &f, "{id}: every field is kept");
        }
        (V2Expect::HttpStatus, Err(Error::V2(e))) => {
            assert_eq!(e.status().as_u16(), status, "{id}");
            assert_eq!(e.return_msg(), fields(e.body()).get("return_msg").and_then(Value::as_str), "{id}");
        }
        (expect, other) => panic!("{id}: expected {expect:?}, got {other:?}"),
    }
}

#[test]
fn response_vectors_blocking_and_async() {
    let cases: Vec<Value> = vector_cases(FILE).into_iter().filter(|c| c["kind"] == "response").collect();
    let mut tally = Tally::new(FILE, &cases);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    for case in &cases {
        let id = case["id"].as_str().expect("id");
        let (input, output) = (&case["input"], &case["output"]);
        let secret = input["secret"].as_str().expect("secret");
        let key = wechatpay_chain::v2::ApiV2Key::new(secret).expect("key");
        let status = input["response_status"].as_u64().expect("status") as u16;
        let body = input["response_body"].as_str().expect("body").as_bytes().to_vec();
        let expect = rules::v2_answer(status, &rules::v2_path(&input["request_chain"]), &body, &key);
        let mut deviations = Vec::new();
        if expect.accepted() != (output["accepted"] == true) {
            match expect {
                V2Expect::Doctype => deviations.push("doctype-refused"),
                _ => panic!(
                    "{id}: this SDK's rules give {expect:?}, PHP's outcome differs, and no deviation explains it"
                ),
            }
        } else if matches!(expect, V2Expect::BadSign(_) | V2Expect::MissingSign)
            && wechatpay_chain::v2::xml::parse(&body)
                .ok()
                .and_then(|f| f.get("result_code").cloned())
                .is_some_and(|c| c != "SUCCESS")
        {
            deviations.push("result-after-sign");
        }

        let replay = Replay::start(Canned {
            status,
            headers: vec![("Content-Type".to_owned(), "text/xml".to_owned())],
            body: body.clone(),
        });
        let client = vector_builder().apiv2_key(secret).base_uri(replay.base_uri()).build().expect("client");
        let options = serde_json::json!({"xml": {"mch_id": MCHID}});
        let blocking = chain(&client, &input["request_chain"]).post(options.clone());
        let asynchronous = runtime.block_on(chain(&client, &input["request_chain"]).post_async(options));
        expect_answer(id, &expect, status, &blocking);
        expect_answer(id, &expect, status, &asynchronous);
        // The same outcome, field for field, both ways.
        assert_eq!(format!("{blocking:?}"), format!("{asynchronous:?}"), "{id}");
        if let Ok(r) = &blocking {
            assert_eq!(r.body().as_ref(), body.as_slice(), "{id}: the body as received");
        }
        tally.record(id, &deviations);
    }
    tally.finish();
}

#[test]
fn notifications_through_the_client() {
    let client = vector_builder().build().expect("client");
    // A payment notification signed with the vectors' APIv2 key.
    let key = wechatpay_chain::v2::ApiV2Key::new(APIV2_KEY).expect("key");
    let mut fields = serde_json::json!({
        "return_code": "SUCCESS", "appid": "wx2421b1c4370ec43b", "mch_id": MCHID, "nonce_str": "5d2b6c2a8db53831f7eda20af46e531c",
        "result_code": "SUCCESS", "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "total_fee": "1",
        "transaction_id": "1004400740201409030005092168", "out_trade_no": "1409811653", "time_end": "20140903131540",
    })
    .as_object()
    .expect("object")
    .clone();
    wechatpay_chain::v2::sign::sign_fields(&mut fields, &key).expect("sign");
    let body = wechatpay_chain::v2::xml::to_xml(&fields).expect("xml");
    let verified = client.v2_notification(body.as_bytes()).expect("genuine");
    assert_eq!(verified["transaction_id"], "1004400740201409030005092168");
    // One changed digit is refused with 401, and the failure reply is what WeChat Pay expects.
    let forged = body.replace("<total_fee>1</total_fee>", "<total_fee>9</total_fee>");
    let err = client.v2_notification(forged.as_bytes()).expect_err("forged");
    assert_eq!(err.http_status(), 401);
    assert!(
        wechatpay_chain::v2::notify::failure_reply("签名失败").contains("<return_code><![CDATA[FAIL]]></return_code>")
    );

    // A refund notification: `req_info` is a captured aes-ecb case (a fixture from the repository's
    // file, picked by its shape: a refund `<root>` under the vectors' APIv2 key).
    let ecb = cases("v2.json")
        .into_iter()
        .find(|c| {
            c["kind"] == "aes-ecb"
                && c["input"]["apiv2_key"] == APIV2_KEY
                && c["output"]["plaintext"].as_str().is_some_and(|p| p.contains("<refund_fee>"))
        })
        .expect("a refund req_info capture");
    let req_info = ecb["input"]["ciphertext"].as_str().expect("ciphertext");
    let plaintext = wechatpay_chain::v2::xml::parse(ecb["output"]["plaintext"].as_str().expect("plaintext").as_bytes())
        .expect("refund XML");
    let body = format!(
        "<xml><return_code>SUCCESS</return_code><appid>wx2421b1c4370ec43b</appid><mch_id>{MCHID}</mch_id>\
         <nonce_str>n</nonce_str><req_info><![CDATA[{req_info}]]></req_info></xml>"
    );
    let refund = client.v2_refund_notification(body.as_bytes()).expect("refund notification");
    let refund_fee = plaintext["refund_fee"].as_str().expect("refund_fee");
    assert_eq!(refund.get("refund_fee"), Some(refund_fee));
    assert_eq!(refund.get("refund_status"), plaintext.get("refund_status").and_then(Value::as_str));
    assert!(!format!("{refund:?}").contains(refund_fee), "decrypted values stay out of Debug");
    // Sent to a client with another APIv2 key, it does not decrypt.
    let other = vector_builder().apiv2_key("00000000000000000000000000000000").build().expect("client");
    let err = other.v2_refund_notification(body.as_bytes()).expect_err("wrong key");
    assert_eq!(err.http_status(), 400);
    assert!(!err.to_string().contains(APIV2_KEY));
}
