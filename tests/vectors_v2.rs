//! `v2.json`, `request` and `response` cases: APIv2 requests built through the chain exactly as
//! wechatpay-php built them (URL, headers, XML body, `sign`), and APIv2 answers accepted or rejected
//! as PHP did, through a real HTTP exchange. Every deliberate difference is listed in `ours` with its
//! reason. (The codec cases — `hash`, `transformer`, `aes-ecb` — are in `tests/v2_codec.rs`.)

mod common;

use common::*;
use serde_json::Value;
use wechatpay_chain::error::InputErrorKind;
use wechatpay_chain::error::VerificationFailure;
use wechatpay_chain::http::Method;
use wechatpay_chain::request::Api;
use wechatpay_chain::response::Verification;
use wechatpay_chain::{Chain, Client, Error};

/// Where this SDK deliberately builds a different request than PHP.
enum Ours {
    /// Byte for byte PHP's request (a generated `nonce_str` aside).
    Same,
    /// PHP writes `]]>` inside CDATA verbatim, which ends the section early: invalid XML that WeChat
    /// Pay would read wrongly. This SDK splits the section; the `sign` is PHP's (it covers the value).
    SplitCdata { element: &'static str, ours: &'static str },
    /// Refused before sending: an unknown `sign_type` (PHP sends an empty `sign`, and WeChat Pay answers
    /// `FAIL`); another merchant's `mch_id` (as PHP); a nested value (PHP signs it as the text `Array`,
    /// which protects none of its content — APIv2 fields are flat, so send structured fields such as
    /// `detail` as a JSON string).
    Refused(InputErrorKind, &'static str),
    /// PHP refuses an integer `mch_id` equal to the configured one (its `!==`), with a message showing two
    /// equal ids; this SDK compares the text and signs it like the string form.
    AcceptsIntegerMchid,
}

fn ours(id: &str) -> Ours {
    match id {
        "request-xml-special-chars" => {
            Ours::SplitCdata { element: "cdata_end", ours: "<cdata_end><![CDATA[x]]]]><![CDATA[>y]]></cdata_end>" }
        }
        "request-unknown-sign-type" | "request-lowercase-sign-type" => {
            Ours::Refused(InputErrorKind::InvalidOption, "unknown sign_type: PHP sends an empty sign")
        }
        "request-mchid-mismatch" => Ours::Refused(InputErrorKind::InvalidOption, "another merchant's mch_id"),
        "request-mchid-int" => Ours::AcceptsIntegerMchid,
        "request-xml-nested-and-invalid-names" => {
            Ours::Refused(InputErrorKind::InvalidOption, "PHP signs a nested value as the text `Array`")
        }
        _ => Ours::Same,
    }
}

fn chain(client: &Client, input: &Value) -> Chain {
    let segments: Vec<&str> =
        input["chain"].as_array().expect("chain").iter().map(|s| s.as_str().expect("seg")).collect();
    let (first, rest) = segments.split_first().expect("segments");
    rest.iter().fold(client.chain(first), |c, s| c.seg(s))
}

fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))?;
    Some(&xml[start..start + end])
}

#[test]
fn request_vectors() {
    let client = vector_builder().build().expect("client");
    let cases: Vec<Value> = cases("v2.json").into_iter().filter(|c| c["kind"] == "request").collect();
    assert!(cases.len() >= 13, "{}", cases.len());
    for case in &cases {
        let id = case["id"].as_str().expect("id");
        let (input, output) = (&case["input"], &case["output"]);
        let method: Method = input["method"].as_str().expect("method").parse().expect("method");
        let prepared = chain(&client, input).prepare(method, input["options"].clone());
        let expected = &output["request"];
        match ours(id) {
            Ours::Refused(kind, why) => match prepared {
                Err(Error::Input(e)) => assert_eq!(e.kind(), kind, "{id} ({why}): {e}"),
                other => panic!("{id} ({why}): expected a refusal, got {other:?}"),
            },
            Ours::AcceptsIntegerMchid => {
                let p = prepared.unwrap_or_else(|e| panic!("{id}: {e}"));
                let as_text = client
                    .v2()
                    .pay()
                    .micropay()
                    .prepare(Method::POST, serde_json::json!({"xml": {"mch_id": "1900000001", "nonce_str": "x"}}))
                    .expect("string mch_id");
                assert_eq!(p.body(), as_text.body(), "{id}");
            }
            Ours::Same | Ours::SplitCdata { .. } => {
                let p = prepared.unwrap_or_else(|e| panic!("{id}: {e}"));
                let security = input["options"]["security"] == true;
                assert_eq!(p.api(), Api::V2 { security }, "{id}");
                assert_eq!(p.method().as_str(), expected["method"], "{id}");
                assert_eq!(p.url().to_string(), expected["url"].as_str().expect("url"), "{id}: url");
                assert_eq!(p.request_target(), expected["request_target"], "{id}");
                for name in ["Accept", "Content-Type"] {
                    assert_eq!(p.headers()[name], expected["headers"][name].as_str().expect(name), "{id}: {name}");
                }
                assert!(p.headers().get("authorization").is_none(), "{id}: APIv2 has no Authorization");
                let mut want = expected["body"].as_str().expect("body").to_owned();
                let body = std::str::from_utf8(p.body()).expect("utf-8").to_owned();
                if let Ours::SplitCdata { element: name, ours: split } = ours(id) {
                    let php = format!("<{name}>{}</{name}>", element(&want, name).expect("php element"));
                    want = want.replace(&php, split);
                }
                let generated = input["options"]["nonceless"] != true && p.method() == Method::POST;
                if generated && input["options"]["xml"].get("nonce_str").is_none() {
                    // A generated nonce: PHP's and ours differ, so the sign does too; compare the rest.
                    let (php_nonce, our_nonce) =
                        (element(&want, "nonce_str").expect("php"), element(&body, "nonce_str").expect("ours"));
                    assert_eq!(our_nonce.len(), 32, "{id}");
                    assert!(our_nonce.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
                    let (php_sign, our_sign) =
                        (element(&want, "sign").expect("php"), element(&body, "sign").expect("ours"));
                    want = want.replace(php_nonce, our_nonce).replace(php_sign, our_sign);
                    assert_eq!(our_sign.len(), 32, "{id}: MD5");
                }
                assert_eq!(body, want, "{id}: body");
            }
        }
    }
}

/// What the response case must produce here.
fn expect_response(id: &str, result: &Result<wechatpay_chain::Response, Error>) {
    match (id, result) {
        (
            "response-md5-valid" | "response-md5-valid-cdata-and-whitespace" | "response-no-result-code-signed",
            Ok(r),
        ) => {
            assert_eq!(r.verification(), &Verification::V2Sign { algorithm: "MD5" }, "{id}");
        }
        ("response-hmac-sha256-valid", Ok(r)) => {
            assert_eq!(r.verification(), &Verification::V2Sign { algorithm: "HMAC-SHA256" }, "{id}");
        }
        ("response-exempt-path-transfers", Ok(r)) => assert_eq!(r.verification(), &Verification::V2Unsigned, "{id}"),
        ("response-md5-tampered", Err(Error::Verification(e))) => {
            assert_eq!(e.failure(), &VerificationFailure::BadV2Sign { algorithm: "MD5" }, "{id}");
        }
        ("response-return-code-fail", Err(Error::V2(e))) => {
            assert_eq!((e.return_code(), e.return_msg()), (Some("FAIL"), Some("签名错误")), "{id}");
            assert!(!e.sign_verified(), "{id}: FAIL answers are unsigned");
        }
        ("response-result-code-fail-signed", Err(Error::V2(e))) => {
            assert_eq!(
                (e.result_code(), e.err_code(), e.err_code_des()),
                (Some("FAIL"), Some("SYSTEMERROR"), Some("系统错误"))
            );
            assert!(e.sign_verified(), "{id}");
            assert_eq!(e.fields()["nonce_str"], "n", "{id}: every field is kept");
        }
        ("response-not-xml", Err(Error::Decode(_))) => {}
        ("response-http-500", Err(Error::V2(e))) => {
            assert_eq!(e.status().as_u16(), 500, "{id}");
            assert_eq!(e.return_msg(), Some("SYSTEMERROR"), "{id}");
        }
        (_, other) => panic!("{id}: unexpected {other:?}"),
    }
}

#[test]
fn response_vectors_blocking_and_async() {
    let cases: Vec<Value> = cases("v2.json").into_iter().filter(|c| c["kind"] == "response").collect();
    assert!(cases.len() >= 10, "{}", cases.len());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    for case in &cases {
        let id = case["id"].as_str().expect("id");
        let (input, output) = (&case["input"], &case["output"]);
        assert_eq!(input["secret"], APIV2_KEY, "{id}");
        let body = input["response_body"].as_str().expect("body").as_bytes().to_vec();
        let replay = Replay::start(Canned {
            status: input["response_status"].as_u64().expect("status") as u16,
            headers: vec![("Content-Type".to_owned(), "text/xml".to_owned())],
            body: body.clone(),
        });
        let client = vector_builder().base_uri(replay.base_uri()).build().expect("client");
        let segments = serde_json::json!({"chain": input["request_chain"]});
        let options = serde_json::json!({"xml": {"mch_id": MCHID}});
        let blocking = chain(&client, &segments).post(options.clone());
        let asynchronous = runtime.block_on(chain(&client, &segments).post_async(options));
        assert_eq!(blocking.is_ok(), output["accepted"] == true, "{id}: {blocking:?}");
        expect_response(id, &blocking);
        expect_response(id, &asynchronous);
        // The same outcome, field for field, both ways.
        assert_eq!(format!("{blocking:?}"), format!("{asynchronous:?}"), "{id}");
        if let Ok(r) = &blocking {
            assert_eq!(r.body().as_ref(), body.as_slice(), "{id}: the body as received");
        }
    }
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
    assert_eq!(err.notification().expect("notification error").http_status(), 401);
    assert!(
        wechatpay_chain::v2::notify::failure_reply("签名失败").contains("<return_code><![CDATA[FAIL]]></return_code>")
    );

    // A refund notification: `req_info` is the aes-ecb vector, AES-256-ECB under md5(APIv2 key).
    let ecb = cases("v2.json").into_iter().find(|c| c["id"] == "aes-ecb-refund-req-info").expect("vector");
    let req_info = ecb["input"]["ciphertext"].as_str().expect("ciphertext");
    let body = format!(
        "<xml><return_code>SUCCESS</return_code><appid>wx2421b1c4370ec43b</appid><mch_id>{MCHID}</mch_id>\
         <nonce_str>n</nonce_str><req_info><![CDATA[{req_info}]]></req_info></xml>"
    );
    let refund = client.v2_refund_notification(body.as_bytes()).expect("refund notification");
    assert_eq!(refund.get("refund_status"), Some("SUCCESS"));
    assert_eq!(refund.get("refund_fee"), Some("3960"));
    assert!(!format!("{refund:?}").contains("3960"), "decrypted values stay out of Debug");
    // Sent to a client with another APIv2 key, it does not decrypt.
    let other = vector_builder().apiv2_key("00000000000000000000000000000000").build().expect("client");
    let err = other.v2_refund_notification(body.as_bytes()).expect_err("wrong key");
    assert_eq!(err.notification().expect("notification error").http_status(), 400);
    assert!(!err.to_string().contains(APIV2_KEY));
}
