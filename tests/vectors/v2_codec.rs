//! `v2.json` (APIv2) against `wechatpay_chain::v2`: every `hash`, `transformer`, `aes-ecb` and
//! `response` case, the codec part of every `request` case, plus XXE / injection fixtures, CDATA
//! round trips and the parser's limits.
//!
//! The vector tests decide each case by rule, from its own input (never its id); where this SDK
//! differs from the PHP SDK on purpose, the deviation is derived and our behaviour asserted:
//!
//! | deviation | derived from | PHP | here | reason |
//! | --- | --- | --- | --- | --- |
//! | `split-cdata` | a value containing `]]>` | verbatim inside CDATA | split: `<![CDATA[x]]]]><![CDATA[>y]]>` | PHP's output is not well-formed XML |
//! | `doctype-refused` | a DOCTYPE in the input | expands internal entities | `XmlError::Doctype` | DTDs open the door to XXE and entity bombs |
//! | `invalid-character` | characters XML 1.0 does not allow | stripped before parsing / written as is | `XmlError::InvalidCharacter` / `UnwritableCharacter` | not XML; WeChat Pay never sends them |
//! | `unparsable-is-error` | PHP returned `[]` | `[]` | an error | an empty map hides the failure |
//! | `nested-value` | an object or list field | signs `detail=Array` | `SignError::NestedValue` | that signature covers none of the nested content |
//! | `unknown-sign-type` | a `sign_type` other than `MD5` / `HMAC-SHA256` | empty sign | `SignError::UnknownSignType` | the request can only fail |
//! | `mchid-check` | a request PHP refused for its `mch_id` | refused (mch_id check) | not a codec concern | the client compares mch_id with its mchid (`tests/vectors/vectors_v2.rs`) |
//!
//! Run with `WECHATPAY_VECTORS_DIR=<dir>` to check another capture of the same schema.

use crate::common;

use std::time::{Duration, Instant};

use crate::common::rules::{self, Tally, V2Expect, vector_cases};
use serde_json::{Map, Value, json};
use wechatpay_chain::http::StatusCode;
use wechatpay_chain::v2::crypto::{self, EcbKey};
use wechatpay_chain::v2::notify::{self, RefundNotification};
use wechatpay_chain::v2::response::{UNSIGNED_PATHS, is_unsigned_path};
use wechatpay_chain::v2::sign::{self, agency_md5_hex, digest_hex, sign_str, sign_string};
use wechatpay_chain::v2::xml::{self, Limits, MAX_DEPTH, MAX_INPUT, parse, to_xml};
use wechatpay_chain::v2::{
    ApiV2Key, Checked, EcbError, NotifyError, RejectionKind, SignError, SignType, XmlError, check_response,
};

const APIV2_KEY: &str = "GcOWSRrXHahnYIF9qpp0u4AMvS9IKGu1";
const FILE: &str = "v2.json";

fn data(path: &str) -> std::path::PathBuf {
    common::data(path)
}

/// The vector cases of one kind (possibly none in a partial capture; `tests/vectors/vectors_v2.rs` checks
/// that every kind of the file is known).
fn cases(kind: &str) -> Vec<Value> {
    vector_cases(FILE).into_iter().filter(|c| c["kind"] == kind).collect()
}

fn key() -> ApiV2Key {
    let text = std::fs::read_to_string(data("keys/secrets.json")).expect("secrets.json");
    let secrets: Value = serde_json::from_str(&text).expect("secrets JSON");
    let apiv2 = secrets["apiv2_key"].as_str().expect("apiv2_key");
    assert_eq!(apiv2, APIV2_KEY);
    ApiV2Key::new(apiv2).expect("APIv2 key")
}

fn obj(value: &Value) -> Map<String, Value> {
    value.as_object().expect("a JSON object").clone()
}

fn id(case: &Value) -> &str {
    case["id"].as_str().unwrap_or_default()
}

/// Every string in `value` (keys and values, nested) that contains `]]>`.
fn cdata_ends(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) if s.contains("]]>") => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| cdata_ends(i, out)),
        Value::Object(map) => map.values().for_each(|v| cdata_ends(v, out)),
        _ => {}
    }
}

/// PHP's XML with each `]]>`-containing CDATA section split the way this SDK writes it.
fn split_cdata(php_xml: &str, values: &[String]) -> String {
    values.iter().fold(php_xml.to_owned(), |xml, v| {
        xml.replace(&format!("<![CDATA[{v}]]>"), &format!("<![CDATA[{}]]>", v.replace("]]>", "]]]]><![CDATA[>")))
    })
}

/// Whether any string in `value` (keys included) has a character XML 1.0 cannot carry.
fn has_unwritable(value: &Value) -> bool {
    match value {
        Value::String(s) => rules::unwritable_in_xml(s),
        Value::Array(items) => items.iter().any(has_unwritable),
        Value::Object(map) => map.iter().any(|(k, v)| rules::unwritable_in_xml(k) || has_unwritable(v)),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Vectors
// ---------------------------------------------------------------------------------------------

#[test]
fn hash_vectors() {
    let cases = cases("hash");
    let mut tally = Tally::new(FILE, &cases);
    for case in &cases {
        let (input, output) = (&case["input"], &case["output"]);
        let k = ApiV2Key::new(input["key"].as_str().unwrap()).unwrap();
        let mut deviations = Vec::new();
        match input["function"].as_str() {
            Some("md5") => {
                let thing = input["thing"].as_str().unwrap();
                let digest = if input["agency"] == true {
                    agency_md5_hex(thing, &k)
                } else {
                    digest_hex(SignType::Md5, thing, &k)
                };
                assert_eq!(digest, output["digest"], "{}", id(case));
            }
            Some("hmac") => {
                let digest = digest_hex(SignType::HmacSha256, input["thing"].as_str().unwrap(), &k);
                assert_eq!(digest, output["digest"], "{}", id(case));
            }
            Some(other) => panic!("{}: unknown hash function {other}", id(case)),
            None => {
                let fields = obj(&input["data"]);
                let s = sign_string(&fields);
                let sign_type = SignType::from_field(input["sign_type"].as_str());
                match s {
                    Ok(s) => assert_eq!(s, output["sign_string"], "{}", id(case)),
                    Err(e) => {
                        // PHP signs a nested value as the text `Array`.
                        assert!(matches!(e, SignError::NestedValue { .. }), "{}: {e}", id(case));
                        assert!(output["sign_string"].as_str().unwrap().contains("=Array"), "{}", id(case));
                        deviations.push("nested-value");
                    }
                }
                match (output["sign"].as_str(), sign_type) {
                    (Some(expected), Ok(sign_type)) if deviations.is_empty() => {
                        let s = output["sign_string"].as_str().unwrap();
                        assert_eq!(sign_str(sign_type, s, &k), expected, "{}", id(case));
                        assert_eq!(sign::sign(sign_type, &fields, &k).unwrap(), expected, "{}", id(case));
                    }
                    (Some(_), Ok(_)) => {}
                    // PHP: an unknown algorithm gives a null sign. Here: an error that says which.
                    (None, Err(SignError::UnknownSignType { ref given })) => {
                        assert_eq!(Some(given.as_str()), input["sign_type"].as_str(), "{}", id(case));
                        deviations.push("unknown-sign-type");
                    }
                    (expected, got) => panic!("{}: PHP's sign {expected:?}, here {got:?}", id(case)),
                }
            }
        }
        tally.record(id(case), &deviations);
    }
    tally.finish();
}

#[test]
fn transformer_vectors() {
    let cases = cases("transformer");
    let mut tally = Tally::new(FILE, &cases);
    for case in &cases {
        let (input, output) = (&case["input"], &case["output"]);
        let mut deviations = Vec::new();
        match input["function"].as_str().unwrap() {
            "toXml" => {
                let fields = obj(&input["data"]);
                let php = output["xml"].as_str().unwrap();
                if has_unwritable(&input["data"]) {
                    assert!(matches!(to_xml(&fields), Err(XmlError::UnwritableCharacter { .. })), "{}", id(case));
                    tally.record(id(case), &["invalid-character"]);
                    continue;
                }
                let ours = to_xml(&fields).unwrap();
                let mut ends = Vec::new();
                cdata_ends(&input["data"], &mut ends);
                if ends.is_empty() {
                    assert_eq!(ours, php, "{}", id(case));
                } else {
                    // PHP's output here is not well-formed XML.
                    assert!(parse(php.as_bytes()).is_err(), "{}: PHP's `]]>` output should not parse", id(case));
                    assert_eq!(ours, split_cdata(php, &ends), "{}", id(case));
                    deviations.push("split-cdata");
                }
                // Flat string maps come back as they went in.
                if fields.values().all(Value::is_string) && fields.keys().all(|k| xml::is_element_name(k)) {
                    assert_eq!(parse(ours.as_bytes()).unwrap(), fields, "{}", id(case));
                }
            }
            "toArray" => {
                let text = input["xml"].as_str().unwrap();
                let parsed = parse(text.as_bytes());
                let php_empty = output["array"].as_object().is_some_and(Map::is_empty);
                if text.to_ascii_uppercase().contains("<!DOCTYPE") {
                    assert_eq!(parsed, Err(XmlError::Doctype), "{}", id(case));
                    assert!(parsed.unwrap_err().to_string().contains("DOCTYPE"));
                    deviations.push("doctype-refused");
                } else if rules::unwritable_in_xml(text) {
                    assert!(matches!(parsed, Err(XmlError::InvalidCharacter { .. })), "{}: {parsed:?}", id(case));
                    deviations.push("invalid-character");
                } else if php_empty && !matches!(&parsed, Ok(m) if m.is_empty()) {
                    // PHP returns [] for XML it cannot parse; we return an error.
                    assert!(parsed.is_err(), "{}: {parsed:?}", id(case));
                    deviations.push("unparsable-is-error");
                } else {
                    assert_eq!(parsed.unwrap(), obj(&output["array"]), "{}", id(case));
                }
            }
            other => panic!("{}: unknown transformer function {other}", id(case)),
        }
        tally.record(id(case), &deviations);
    }
    tally.finish();
}

#[test]
fn aes_ecb_vectors() {
    let cases = cases("aes-ecb");
    let mut tally = Tally::new(FILE, &cases);
    for case in &cases {
        let (input, output) = (&case["input"], &case["output"]);
        let key_text = input["key"].as_str().unwrap();
        let ciphertext = input["ciphertext"].as_str().unwrap();
        let ecb_key = match EcbKey::new(key_text.as_bytes()) {
            Ok(k) => k,
            Err(e) => {
                assert_eq!(e, EcbError::KeyLength { length: key_text.len() }, "{}", id(case));
                assert!(output["error"].is_object(), "{}: PHP decrypted with a {}-byte key", id(case), key_text.len());
                tally.record(id(case), &[]);
                continue;
            }
        };
        let result = crypto::decrypt(&ecb_key, ciphertext);
        match output["plaintext"].as_str() {
            Some(plain) => {
                assert_eq!(result.unwrap(), plain.as_bytes(), "{}", id(case));
                // The key really is the hex MD5 of the APIv2 key.
                if let Some(apiv2) = input["apiv2_key"].as_str() {
                    let apiv2 = ApiV2Key::new(apiv2).unwrap();
                    assert_eq!(crypto::decrypt_req_info(ciphertext, &apiv2).unwrap(), plain, "{}", id(case));
                    assert_eq!(crypto::decrypt(&EcbKey::from_apiv2_key(&apiv2), ciphertext).unwrap(), plain.as_bytes());
                }
                // Our encryption is WeChat Pay's (ECB is deterministic).
                let compact: String = ciphertext.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                assert_eq!(crypto::encrypt(&ecb_key, plain.as_bytes()), compact, "{}", id(case));
            }
            None => {
                assert!(output["error"].is_object(), "{}", id(case));
                use base64::Engine;
                let compact: String = ciphertext.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                match base64::engine::general_purpose::STANDARD.decode(compact) {
                    Err(_) => assert!(matches!(result, Err(EcbError::Base64(_))), "{}: {result:?}", id(case)),
                    Ok(b) if b.is_empty() || b.len() % 16 != 0 => {
                        assert_eq!(result, Err(EcbError::Length { length: b.len() }), "{}", id(case))
                    }
                    Ok(_) => assert_eq!(result, Err(EcbError::Padding), "{}", id(case)),
                }
            }
        }
        tally.record(id(case), &[]);
    }
    tally.finish();
}

#[test]
fn response_vectors() {
    let cases = cases("response");
    let mut tally = Tally::new(FILE, &cases);
    for case in &cases {
        let (input, output) = (&case["input"], &case["output"]);
        let path = rules::v2_path(&input["request_chain"]);
        let status = StatusCode::from_u16(input["response_status"].as_u64().unwrap() as u16).unwrap();
        let body = input["response_body"].as_str().unwrap();
        let k = ApiV2Key::new(input["secret"].as_str().unwrap()).unwrap();
        let expect = rules::v2_answer(status.as_u16(), &path, body.as_bytes(), &k);
        let deviations: &[&str] = if expect.accepted() == (output["accepted"] == true) {
            &[]
        } else {
            assert_eq!(expect, V2Expect::Doctype, "{}: PHP's outcome differs, and no deviation explains it", id(case));
            &["doctype-refused"]
        };
        let result = check_response(&path, status, body.as_bytes(), &k);
        let fields = parse(body.as_bytes()).ok();
        let field = |name: &str| fields.as_ref().and_then(|f| f.get(name)).and_then(Value::as_str);
        match (&expect, result) {
            (V2Expect::Unsigned, Ok(checked)) => assert_eq!(checked, Checked::Unchecked, "{}", id(case)),
            (V2Expect::Verified(algorithm), Ok(checked)) => {
                let Checked::Verified { fields: got, sign_type } = checked else {
                    panic!("{}: not verified", id(case))
                };
                assert_eq!(Some(got), fields, "{}", id(case));
                assert_eq!(sign_type.as_str(), *algorithm, "{}", id(case));
            }
            (expect, Err(rejection)) => {
                assert!(!rejection.to_string().contains(APIV2_KEY));
                assert_eq!(rejection.status(), status, "{}", id(case));
                match (expect, rejection.kind()) {
                    (V2Expect::HttpStatus, RejectionKind::HttpStatus) => {
                        assert_eq!(rejection.return_msg(), field("return_msg"), "{}", id(case));
                    }
                    (V2Expect::NotXml, RejectionKind::Decode(_)) => {
                        assert!(rejection.to_string().contains("could not be read"), "{rejection}");
                    }
                    (V2Expect::Doctype, RejectionKind::Decode(XmlError::Doctype)) => {}
                    (V2Expect::ReturnCode, RejectionKind::ReturnCode) => {
                        assert_eq!(rejection.return_code(), field("return_code"), "{}", id(case));
                        assert_eq!(rejection.return_msg(), field("return_msg"), "{}", id(case));
                        if let Some(msg) = field("return_msg") {
                            assert!(rejection.to_string().contains(msg), "{rejection}");
                        }
                    }
                    (V2Expect::MissingSign, RejectionKind::Verification(SignError::MissingSign)) => {}
                    (V2Expect::BadSign(algorithm), RejectionKind::Verification(SignError::Mismatch { sign_type })) => {
                        assert_eq!(sign_type.as_str(), *algorithm, "{}", id(case));
                    }
                    (V2Expect::ResultCode, RejectionKind::ResultCode) => {
                        assert_eq!(rejection.result_code(), field("result_code"), "{}", id(case));
                        assert_eq!(rejection.err_code(), field("err_code"), "{}", id(case));
                        assert_eq!(rejection.err_code_des(), field("err_code_des"), "{}", id(case));
                        assert_eq!(rejection.return_msg(), field("return_msg"), "{}", id(case));
                        assert_eq!(rejection.map(), fields.as_ref(), "{}", id(case));
                        if let Some(code) = field("err_code") {
                            assert!(rejection.to_string().contains(code), "{rejection}");
                        }
                    }
                    (expect, kind) => panic!("{}: expected {expect:?}, got {kind:?}", id(case)),
                }
            }
            (expect, Ok(checked)) => panic!("{}: expected {expect:?}, got {checked:?}", id(case)),
        }
        tally.record(id(case), deviations);
    }
    tally.finish();
}

/// Whether PHP's `mch_id` check refuses these fields: the first non-null of `mch_id`, `mchid`,
/// `combine_mch_id` must be the configured id as a string (`!==`).
fn php_refuses_mchid(fields: &Map<String, Value>) -> bool {
    let named = ["mch_id", "mchid", "combine_mch_id"].iter().find_map(|n| fields.get(*n).filter(|v| !v.is_null()));
    named.and_then(Value::as_str) != Some("1900000001")
}

/// The codec part of every request case: sign string, sign type, sign, XML body (the HTTP part is
/// the client's).
#[test]
fn request_vectors() {
    let k = key();
    let cases = cases("request");
    let mut tally = Tally::new(FILE, &cases);
    for case in &cases {
        let (input, output) = (&case["input"], &case["output"]);
        let case_id = id(case);
        let request = &output["request"];
        let is_get = input["method"] == "GET";
        let mut fields = obj(if is_get { &input["options"]["query"] } else { &input["options"]["xml"] });
        if output["error"].is_object() {
            assert!(php_refuses_mchid(&fields), "{case_id}: PHP refused ({}) for another reason", output["error"]);
            tally.record(case_id, &["mchid-check"]);
            continue;
        }
        let mut deviations = Vec::new();
        // PHP appends a random nonce_str when absent; take the one it sent.
        if fields.get("nonce_str").is_none_or(Value::is_null) && input["options"]["nonceless"] != true {
            let sent = if is_get {
                let url = request["url"].as_str().unwrap();
                let query = url.split_once('?').unwrap().1;
                query.split('&').find_map(|p| p.strip_prefix("nonce_str=")).unwrap().to_owned()
            } else {
                parse(request["body"].as_str().unwrap().as_bytes()).unwrap()["nonce_str"].as_str().unwrap().to_owned()
            };
            assert_eq!(sent.len(), 32, "{case_id}");
            assert!(sent.bytes().all(|b| b.is_ascii_alphanumeric()), "{case_id}");
            fields.insert("nonce_str".into(), Value::String(sent));
        }

        // The sign string.
        let nested: Option<String> = {
            let mut keys: Vec<&String> =
                fields.iter().filter(|(_, v)| v.is_object() || v.is_array()).map(|(k, _)| k).collect();
            keys.sort();
            keys.first().map(|k| (*k).clone())
        };
        match (sign_string(&fields), &nested) {
            (Ok(s), None) => assert_eq!(s, output["sign_string"], "{case_id}"),
            (Err(e), Some(key)) => {
                // Deliberate: PHP signs nested values as "Array".
                assert!(output["sign_string"].as_str().unwrap().contains(&format!("{key}=Array")), "{case_id}");
                assert_eq!(e, SignError::NestedValue { key: key.clone() }, "{case_id}");
                deviations.push("nested-value");
            }
            (got, nested) => panic!("{case_id}: sign string {got:?} with nested field {nested:?}"),
        }

        // The sign, and the body.
        let mut signed = fields.clone();
        match sign::sign_fields(&mut signed, &k) {
            Ok(sign_type) => {
                assert_eq!(sign_type.as_str(), output["sign_type_used"], "{case_id}");
                assert_eq!(signed["sign"], output["sign"], "{case_id}");
                assert_eq!(signed.keys().next_back().map(String::as_str), Some("sign"));
            }
            Err(SignError::UnknownSignType { given }) => {
                // Deliberate: PHP sends an empty <sign></sign>, which WeChat Pay refuses.
                assert!(output["sign_type_used"].is_null(), "{case_id}");
                assert_eq!(output["sign"], "", "{case_id}");
                assert_eq!(Some(given.as_str()), fields["sign_type"].as_str());
                signed.insert("sign".into(), Value::String(String::new()));
                deviations.push("unknown-sign-type");
            }
            Err(SignError::NestedValue { .. }) => {
                // Deliberate (see above); the writer still matches PHP with PHP's sign.
                signed.insert("sign".into(), output["sign"].clone());
            }
            Err(e) => panic!("{case_id}: {e}"),
        }
        if is_get {
            let url = request["url"].as_str().unwrap();
            assert!(url.ends_with(&format!("&sign={}", output["sign"].as_str().unwrap())), "{case_id}");
            deviations.sort_unstable();
            tally.record(case_id, &deviations);
            continue;
        }
        let php_body = request["body"].as_str().unwrap();
        if has_unwritable(&Value::Object(fields.clone())) {
            assert!(matches!(to_xml(&signed), Err(XmlError::UnwritableCharacter { .. })), "{case_id}");
            deviations.push("invalid-character");
            deviations.sort_unstable();
            tally.record(case_id, &deviations);
            continue;
        }
        let body = to_xml(&signed).unwrap();
        let mut ends = Vec::new();
        cdata_ends(&Value::Object(fields.clone()), &mut ends);
        if ends.is_empty() {
            assert_eq!(body, php_body, "{case_id}");
        } else {
            // Deliberate: PHP's body is not well-formed XML here.
            assert!(parse(php_body.as_bytes()).is_err(), "{case_id}");
            assert_eq!(body, split_cdata(php_body, &ends), "{case_id}");
            deviations.push("split-cdata");
        }
        // What the receiver parses back verifies, unless a `false` was signed as `k=` (PHP
        // parity: the XML carries an empty element, which the receiver leaves out of its sign string).
        let parsed = parse(body.as_bytes()).unwrap();
        let has_false = fields.values().any(|v| v == &Value::Bool(false));
        if !has_false && nested.is_none() && !signed["sign"].as_str().unwrap().is_empty() {
            assert!(sign::verify(&parsed, &k).is_ok(), "{case_id}");
        }
        deviations.sort_unstable();
        tally.record(case_id, &deviations);
    }
    tally.finish();
}

// ---------------------------------------------------------------------------------------------
// XXE, entity expansion, injection
// ---------------------------------------------------------------------------------------------

#[test]
fn doctypes_are_refused() {
    let hostile = [
        // External entity (XXE).
        r#"<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><a>&x;</a></xml>"#,
        // External entity over the network.
        r#"<!DOCTYPE xml [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]><xml><a>&x;</a></xml>"#,
        // Parameter entities (out-of-band exfiltration).
        r#"<!DOCTYPE xml [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p; %q;]><xml><a>1</a></xml>"#,
        r#"<!DOCTYPE xml [<!ENTITY % f SYSTEM "file:///etc/passwd"><!ENTITY % e "<!ENTITY x '%f;'>"> %e;]><xml><a>&x;</a></xml>"#,
        // An external DTD.
        r#"<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/x.dtd"><xml><a>1</a></xml>"#,
        r#"<!DOCTYPE xml PUBLIC "-//X//Y" "file:///etc/passwd"><xml/>"#,
        // A DOCTYPE alone.
        "<!DOCTYPE xml><xml><a>1</a></xml>",
        // An internal entity (PHP expands it).
        r#"<!DOCTYPE xml [<!ENTITY e "EXPANDED">]><xml><a>&e;</a></xml>"#,
    ];
    for text in hostile {
        assert_eq!(parse(text.as_bytes()), Err(XmlError::Doctype), "{text}");
    }
}

#[test]
fn billion_laughs_is_refused_quickly() {
    let mut text = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
    for level in 1..=9 {
        let previous = if level == 1 { "lol".to_owned() } else { format!("lol{}", level - 1) };
        text.push_str(&format!("<!ENTITY lol{level} \"{}\">\n", format!("&{previous};").repeat(10)));
    }
    text.push_str("]>\n<xml><a>&lol9;</a></xml>");
    let started = Instant::now();
    assert_eq!(parse(text.as_bytes()), Err(XmlError::Doctype));
    assert!(started.elapsed() < Duration::from_secs(1));
    // The quadratic-blowup variant: one large entity referenced many times.
    let blowup =
        format!("<!DOCTYPE x [<!ENTITY a \"{}\">]><xml><a>{}</a></xml>", "A".repeat(10_000), "&a;".repeat(10_000));
    assert_eq!(parse(blowup.as_bytes()), Err(XmlError::Doctype));
}

#[test]
fn only_predefined_entities_and_char_refs() {
    let parsed = parse(b"<xml><a>&lt;&gt;&amp;&apos;&quot;&#65;&#x4e2d;&#x1F600;</a></xml>").unwrap();
    assert_eq!(parsed["a"], "<>&'\"A中😀");
    // Undefined entities: no DTD can define them, so they are errors, never empty or passed through.
    assert_eq!(parse(b"<xml><a>&x;</a></xml>"), Err(XmlError::UnknownEntity { name: "x".into() }));
    assert_eq!(parse(b"<xml><a>&nbsp;</a></xml>"), Err(XmlError::UnknownEntity { name: "nbsp".into() }));
    assert!(parse(b"<xml><a b=\"&x;\">1</a></xml>").is_err());
    // Character references to characters XML forbids.
    assert_eq!(parse(b"<xml><a>&#1;</a></xml>"), Err(XmlError::InvalidCharRef { reference: "#1".into() }));
    assert!(parse(b"<xml><a>&#0;</a></xml>").is_err());
    assert!(parse(b"<xml><a>&#xFFFE;</a></xml>").is_err());
    assert!(parse(b"<xml><a>&#xD800;</a></xml>").is_err());
    assert!(parse(b"<xml><a>&#99999999;</a></xml>").is_err());
    // A bare ampersand.
    assert!(parse(b"<xml><a>a & b</a></xml>").is_err());
}

#[test]
fn xinclude_is_just_an_element() {
    let text =
        r#"<xml xmlns:xi="http://www.w3.org/2001/XInclude"><a>1</a><xi:include href="file:///etc/passwd"/></xml>"#;
    assert_eq!(Value::Object(parse(text.as_bytes()).unwrap()), json!({"a": "1", "xi:include": ""}));
}

#[test]
fn writer_escapes_injection_attempts() {
    let attempts = [
        "</sign><sign>FORGED",
        "x</a><sign>FORGED</sign><a>",
        "x]]><sign>FORGED</sign><![CDATA[",
        "]]></a><sign>FORGED</sign><a><![CDATA[",
        "<![CDATA[</sign>]]>",
        "&lt;sign&gt;",
        "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>&e;",
        "<?xml version=\"1.0\"?>",
    ];
    for attempt in attempts {
        let fields = obj(&json!({"a": attempt, "b": "ok"}));
        let text = to_xml(&fields).unwrap();
        let parsed = parse(text.as_bytes()).unwrap_or_else(|e| panic!("{attempt}: {e}\n{text}"));
        assert_eq!(parsed, fields, "{attempt}");
        assert!(!parsed.contains_key("sign"), "{attempt}");
    }
    // Keys cannot inject markup: anything that is not a name becomes <item>.
    let fields = obj(&json!({"a><sign>FORGED</sign><b": "v", "c d": "w", "e/": "x"}));
    let text = to_xml(&fields).unwrap();
    assert_eq!(text, "<xml><item>v</item><item>w</item><item>x</item></xml>");
    // A forged sign through a value does not verify, and never replaces the real one.
    let k = key();
    let mut fields = obj(&json!({"return_code": "SUCCESS", "attach": "</attach><sign>0000</sign><attach>"}));
    sign::sign_fields(&mut fields, &k).unwrap();
    let parsed = parse(to_xml(&fields).unwrap().as_bytes()).unwrap();
    assert_eq!(parsed, fields);
    assert!(sign::verify(&parsed, &k).is_ok());
}

// ---------------------------------------------------------------------------------------------
// CDATA round trips
// ---------------------------------------------------------------------------------------------

#[test]
fn cdata_round_trips() {
    let values = [
        "]]>",
        "x]]>y",
        "]]>]]>",
        "]]]>",
        "]]]]>>",
        ">]]>]]>",
        "a<]]",
        "a<]",
        "<![CDATA[",
        "<![CDATA[x]]>",
        "< > & \" '",
        "&amp;&lt;",
        "中文 <b>粗体</b> & emoji 😀 ",
        "tab\tnew\nline",
        "cr\r\nlf\r",
        "\r",
        "<\r>",
        "  leading and trailing  ",
        "\"",
        ">",
        "\u{7F}\u{85}\u{A0}\u{FFFD}\u{10FFFF}",
    ];
    for value in values {
        let fields = obj(&json!({"v": value}));
        let text = to_xml(&fields).unwrap();
        assert_eq!(parse(text.as_bytes()).unwrap(), fields, "{value:?} -> {text}");
    }
    assert_eq!(to_xml(&obj(&json!({"g": "x]]>y"}))).unwrap(), "<xml><g><![CDATA[x]]]]><![CDATA[>y]]></g></xml>");
}

#[test]
fn generated_round_trips() {
    // Deterministic pseudo-random strings over the pieces that trouble XML writers.
    let pieces = [
        "]]>",
        "]",
        "]]",
        ">",
        "<",
        "&",
        "\"",
        "'",
        "\r",
        "\n",
        "\r\n",
        "\t",
        " ",
        "a",
        "中",
        "😀",
        "&amp;",
        "<![CDATA[",
    ];
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..2000 {
        let mut value = String::new();
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut bits = state;
        for _ in 0..(bits % 9) {
            bits = bits.rotate_right(5);
            value.push_str(pieces[(bits % pieces.len() as u64) as usize]);
        }
        let fields = obj(&json!({"v": value, "w": [value.clone(), {"x": value.clone()}]}));
        let text = to_xml(&fields).unwrap();
        let parsed = parse(text.as_bytes()).unwrap_or_else(|e| panic!("{value:?}: {e}"));
        assert_eq!(parsed["v"], value, "{text}");
        assert_eq!(parsed["w"]["item"][0], value, "{text}");
        assert_eq!(parsed["w"]["item"][1]["x"], value, "{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Writer and parser edge cases
// ---------------------------------------------------------------------------------------------

#[test]
fn writer_scalars_and_shapes() {
    let fields = obj(&json!({
        "t": true, "f": false, "n": null, "e": "", "zero": 0, "neg": -12, "float": 1.5, "big": 1e20,
        "empty_list": [], "empty_map": {}, "list": ["a", ["b"]], "map": {"k": "v", "1": "num"},
    }));
    assert_eq!(
        to_xml(&fields).unwrap(),
        "<xml><t>1</t><f></f><n></n><e></e><zero>0</zero><neg>-12</neg><float>1.5</float><big>1.0E+20</big>\
         <empty_list/><empty_map/><list><item>a</item><item><item>b</item></item></list>\
         <map><k>v</k><item>num</item></map></xml>"
    );
    assert_eq!(xml::to_xml_with_root("root", &obj(&json!({"a": "1"}))).unwrap(), "<root><a>1</a></root>");
    assert_eq!(xml::to_xml_with_root("1root", &Map::new()), Err(XmlError::InvalidRootName { name: "1root".into() }));
}

#[test]
fn writer_refuses_characters_xml_cannot_carry() {
    for bad in ['\u{0}', '\u{1}', '\u{8}', '\u{B}', '\u{C}', '\u{1B}', '\u{1F}', '\u{FFFE}', '\u{FFFF}'] {
        let fields = obj(&json!({"desc": format!("a{bad}b")}));
        assert_eq!(
            to_xml(&fields),
            Err(XmlError::UnwritableCharacter { key: "desc".into(), code_point: u32::from(bad) }),
            "U+{:04X}",
            u32::from(bad)
        );
    }
    // Nested values are checked too, and the error names the key.
    let fields = obj(&json!({"detail": {"inner": "\u{7}"}}));
    assert!(matches!(to_xml(&fields), Err(XmlError::UnwritableCharacter { key, .. }) if key == "inner"));
}

fn nested_value(levels: usize) -> Value {
    let mut value = json!("leaf");
    for _ in 0..levels {
        value = json!({ "a": value });
    }
    value
}

#[test]
fn writer_depth_limit() {
    // Root (level 1) + 31 levels: written and parsed back; one more level is refused.
    let text = to_xml(&obj(&nested_value(MAX_DEPTH - 1))).unwrap();
    assert_eq!(Value::Object(parse(text.as_bytes()).unwrap()), nested_value(MAX_DEPTH - 1));
    let too_deep = obj(&nested_value(MAX_DEPTH));
    assert_eq!(to_xml(&too_deep), Err(XmlError::TooDeep { limit: MAX_DEPTH }));
    assert_eq!(to_xml(&obj(&nested_value(500))), Err(XmlError::TooDeep { limit: MAX_DEPTH }));
}

#[test]
fn parser_depth_limit() {
    let nest = |levels: usize| format!("{}x{}", "<a>".repeat(levels), "</a>".repeat(levels));
    assert!(parse(nest(MAX_DEPTH).as_bytes()).is_ok());
    assert_eq!(parse(nest(MAX_DEPTH + 1).as_bytes()), Err(XmlError::TooDeep { limit: MAX_DEPTH }));
    // Hostile depth: refused at level 33, no recursion, no stack exhaustion.
    let deep = "<a>".repeat(200_000);
    assert_eq!(parse(deep.as_bytes()), Err(XmlError::TooDeep { limit: MAX_DEPTH }));
    let limits = Limits::new(Limits::default().max_bytes, 3);
    assert!(xml::parse_with_limits(b"<x><a><b>1</b></a></x>", limits).is_ok());
    assert!(xml::parse_with_limits(b"<x><a><b><c/></b></a></x>", limits).is_err());
}

#[test]
fn parser_size_limit() {
    let mut text = String::from("<xml><a>");
    text.push_str(&"x".repeat(MAX_INPUT));
    text.push_str("</a></xml>");
    assert_eq!(parse(text.as_bytes()), Err(XmlError::TooLarge { length: text.len(), limit: MAX_INPUT }));
    let limits = Limits::new(2 * MAX_INPUT, Limits::default().max_depth);
    assert_eq!(xml::parse_with_limits(text.as_bytes(), limits).unwrap()["a"].as_str().map(str::len), Some(MAX_INPUT));
    // Many elements within the limit: fine, and repeated names collect into one list.
    let many = format!("<xml>{}</xml>", "<i>1</i>".repeat(100_000));
    assert_eq!(parse(many.as_bytes()).unwrap()["i"].as_array().map(Vec::len), Some(100_000));
}

#[test]
fn parser_shapes() {
    let text = "\u{FEFF}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c --><?pi x?>\n<xml a=\"1\">\n  \
                <x><![CDATA[a]]>b<!-- c -->c&amp;</x>\n  <e/><s> </s><n><m>1</m><m>2</m></n>\n</xml>\n<!-- tail -->\n";
    assert_eq!(
        Value::Object(parse(text.as_bytes()).unwrap()),
        json!({"x": "abc&", "e": "", "s": " ", "n": {"m": ["1", "2"]}})
    );
    assert_eq!(parse(b"<xml><a>]]&gt;]]</a><b>]]<!-- -->></b></xml>").unwrap()["a"], "]]>]]");
    assert_eq!(parse(b"<xml/>").unwrap(), Map::new());
    assert_eq!(parse(b"<xml> \n </xml>").unwrap(), Map::new());
    // Colons are kept as part of the name (no namespace processing).
    assert_eq!(parse(b"<xml><ok:ns>z</ok:ns></xml>").unwrap()["ok:ns"], "z");
}

#[test]
fn parser_refusals() {
    type Expect = fn(&XmlError) -> bool;
    let refused: &[(&[u8], Expect)] = &[
        (b"", |e| *e == XmlError::NoRoot),
        (b"  \n", |e| *e == XmlError::NoRoot),
        (b"<?xml version=\"1.0\"?>", |e| *e == XmlError::NoRoot),
        (b"this is not xml", |e| *e == XmlError::NotXml { position: 15 }),
        (b"{\"return_code\":\"SUCCESS\"}", |e| matches!(e, XmlError::NotXml { .. })),
        (b"<![CDATA[x]]><xml/>", |e| matches!(e, XmlError::NotXml { .. })),
        (b"<xml><a>1</a></xml><xml/>", |e| matches!(e, XmlError::OutsideRoot { .. })),
        (b"<xml/>trailing", |e| matches!(e, XmlError::OutsideRoot { .. })),
        (b"<xml><a>1</b></xml>", |e| matches!(e, XmlError::Malformed { .. })),
        (b"<xml><a>1</a>", |e| matches!(e, XmlError::Malformed { .. })),
        (b"<xml><a>1", |e| matches!(e, XmlError::Malformed { .. })),
        (b"<xml></a></xml>", |e| matches!(e, XmlError::Malformed { .. })),
        (b"<xml><a b>1</a></xml>", |e| matches!(e, XmlError::Malformed { .. })),
        (b"<xml><a b=\"1\" b=\"2\">1</a></xml>", |e| matches!(e, XmlError::Malformed { .. })),
        (b"<xml><!-- a -- b --></xml>", |e| matches!(e, XmlError::Malformed { .. })),
        (b"<xml><a><![CDATA[x</a></xml>", |e| matches!(e, XmlError::Malformed { .. })),
        (b"<xml><1a>x</1a></xml>", |e| matches!(e, XmlError::InvalidName { .. })),
        (b"<xml><a>text<b>1</b></a></xml>", |e| *e == XmlError::MixedContent { element: "a".into() }),
        (b"<xml>text</xml>", |e| *e == XmlError::RootText { element: "xml".into() }),
        (b"<xml><a>\x01</a></xml>", |e| *e == XmlError::InvalidCharacter { position: 8, code_point: 1 }),
        (b"<xml><a>\xef\xbf\xbf</a></xml>", |e| matches!(e, XmlError::InvalidCharacter { code_point: 0xFFFF, .. })),
        (b"<xml><a>\xff</a></xml>", |e| *e == XmlError::NotUtf8 { position: 8 }),
        (b"<?xml version=\"1.0\" encoding=\"GBK\"?><xml/>", |e| {
            *e == XmlError::UnsupportedEncoding { declared: "GBK".into() }
        }),
        (b"<xml/><?xml version=\"1.0\"?>", |e| matches!(e, XmlError::Malformed { .. })),
        // `]]>` outside CDATA: how PHP's unsplit CDATA looks to a parser.
        (b"<xml><a><![CDATA[x]]>y]]></a></xml>", |e| matches!(e, XmlError::Malformed { .. })),
        (b"<xml><a>x]]>y</a></xml>", |e| matches!(e, XmlError::Malformed { .. })),
    ];
    for (input, expected) in refused {
        let result = parse(input);
        match &result {
            Err(e) if expected(e) => {}
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(input)),
        }
    }
}

#[test]
fn error_names_are_clipped() {
    let long = "n".repeat(10_000);
    let text = format!("<xml><a>&{long};</a></xml>");
    let error = parse(text.as_bytes()).unwrap_err();
    assert!(error.to_string().len() < 400, "{}", error.to_string().len());
}

// ---------------------------------------------------------------------------------------------
// Signatures
// ---------------------------------------------------------------------------------------------

#[test]
fn sign_types() {
    assert_eq!(SignType::from_field(None), Ok(SignType::Md5));
    assert_eq!(SignType::from_field(Some("MD5")), Ok(SignType::Md5));
    assert_eq!(SignType::from_field(Some("HMAC-SHA256")), Ok(SignType::HmacSha256));
    for bad in ["hmac-sha256", "md5", "SHA1", "SHA256", "", " MD5", "HMAC-SHA256 "] {
        let error = SignType::from_field(Some(bad)).unwrap_err();
        assert_eq!(error, SignError::UnknownSignType { given: bad.into() });
        assert!(error.to_string().contains("HMAC-SHA256"), "{error}");
    }
    assert_eq!(SignType::of_sign(&"A".repeat(64)), SignType::HmacSha256);
    assert_eq!(SignType::of_sign(&"A".repeat(32)), SignType::Md5);
    assert_eq!(SignType::of_sign(""), SignType::Md5);
}

#[test]
fn verify_both_algorithms_and_tampering() {
    let k = key();
    for sign_type in ["MD5", "HMAC-SHA256"] {
        let mut fields = obj(&json!({"return_code": "SUCCESS", "sign_type": sign_type, "total_fee": "1"}));
        sign::sign_fields(&mut fields, &k).unwrap();
        let used = sign::verify(&fields, &k).unwrap();
        assert_eq!(used.as_str(), sign_type);
        let mut tampered = fields.clone();
        tampered.insert("total_fee".into(), json!("100"));
        assert_eq!(sign::verify(&tampered, &k), Err(SignError::Mismatch { sign_type: used }));
        let other = ApiV2Key::new("AnotherKeyAnotherKeyAnotherKey12").unwrap();
        assert!(sign::verify(&fields, &other).is_err());
    }
    let mut fields = obj(&json!({"a": "1", "sign": ""}));
    assert_eq!(sign::verify(&fields, &k), Err(SignError::MissingSign));
    fields.insert("sign".into(), json!(["X", "Y"]));
    assert_eq!(sign::verify(&fields, &k), Err(SignError::MalformedSign));
    // Repeated elements in a signed answer cannot be verified.
    let parsed = parse(b"<xml><a>1</a><a>2</a><sign>00</sign></xml>").unwrap();
    assert_eq!(sign::verify(&parsed, &k), Err(SignError::NestedValue { key: "a".into() }));
}

#[test]
fn keys_never_show() {
    let k = key();
    assert!(!format!("{k:?}").contains(APIV2_KEY));
    let ecb = EcbKey::from_apiv2_key(&k);
    assert!(!format!("{ecb:?}").contains("704609e3"));
    let mut fields = obj(&json!({"a": "1"}));
    sign::sign_fields(&mut fields, &k).unwrap();
    fields.insert("a".into(), json!("2"));
    let error = sign::verify(&fields, &k).unwrap_err();
    assert!(!error.to_string().contains(APIV2_KEY) && !format!("{error:?}").contains(APIV2_KEY));
    assert_eq!(ApiV2Key::new("").unwrap_err(), SignError::EmptyKey);
    assert_eq!(ApiV2Key::new(" key").unwrap_err(), SignError::KeyWhitespace);
}

// ---------------------------------------------------------------------------------------------
// check_response beyond the vectors
// ---------------------------------------------------------------------------------------------

#[test]
fn unsigned_paths() {
    assert_eq!(UNSIGNED_PATHS.len(), 24);
    let k = key();
    for path in UNSIGNED_PATHS {
        assert_eq!(check_response(path, StatusCode::OK, b"not xml at all", &k), Ok(Checked::Unchecked));
        // Exact and case-sensitive, as in PHP.
        assert!(!is_unsigned_path(&path.to_uppercase()));
        assert!(!is_unsigned_path(&format!("{path}/")));
        assert!(!is_unsigned_path(&format!("/v2{path}")));
    }
    // HTTP errors are rejected even on those paths.
    let rejection = check_response("/pay/downloadbill", StatusCode::BAD_GATEWAY, b"", &k).unwrap_err();
    assert_eq!(rejection.kind(), &RejectionKind::HttpStatus);
    assert!(rejection.map().is_none());
}

#[test]
fn rejection_order_and_fields() {
    let k = key();
    // return_code missing.
    let rejection = check_response("/pay/orderquery", StatusCode::OK, b"<xml><a>1</a></xml>", &k).unwrap_err();
    assert_eq!(rejection.kind(), &RejectionKind::ReturnCode);
    assert_eq!(rejection.return_code(), None);
    // result_code FAIL with a bad sign: the signature is checked first, so the unverified err_code
    // is not reported as WeChat Pay's verdict.
    let body = b"<xml><return_code>SUCCESS</return_code><result_code>FAIL</result_code><err_code>ORDERPAID</err_code><sign>00</sign></xml>";
    let rejection = check_response("/pay/orderquery", StatusCode::OK, body, &k).unwrap_err();
    assert!(matches!(rejection.kind(), RejectionKind::Verification(SignError::Mismatch { .. })));
    // Missing sign.
    let body = b"<xml><return_code>SUCCESS</return_code></xml>";
    let rejection = check_response("/pay/orderquery", StatusCode::OK, body, &k).unwrap_err();
    assert_eq!(rejection.kind(), &RejectionKind::Verification(SignError::MissingSign));
    // DOCTYPE in an answer: a decode rejection.
    let body = br#"<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><return_code>&e;</return_code></xml>"#;
    let rejection = check_response("/pay/orderquery", StatusCode::OK, body, &k).unwrap_err();
    assert_eq!(rejection.kind(), &RejectionKind::Decode(XmlError::Doctype));
    assert!(rejection.to_string().contains("DOCTYPE"), "{rejection}");
}

// ---------------------------------------------------------------------------------------------
// Notifications
// ---------------------------------------------------------------------------------------------

fn payment_notification(k: &ApiV2Key) -> Map<String, Value> {
    let mut fields = obj(&json!({
        "appid": "wx2421b1c4370ec43b", "attach": "支付测试", "bank_type": "CFT", "fee_type": "CNY",
        "is_subscribe": "Y", "mch_id": "1900000001", "nonce_str": "5d2b6c2a8db53831f7eda20af46e531c",
        "openid": "oUpF8uMEb4qRXf22hE3X68TekukE", "out_trade_no": "1409811653", "result_code": "SUCCESS",
        "return_code": "SUCCESS", "sub_mch_id": "10000100", "time_end": "20140903131540", "total_fee": "1",
        "coupon_fee_0": "10", "coupon_count": "1", "coupon_type": "CASH", "coupon_id": "10000",
        "trade_type": "JSAPI", "transaction_id": "1004400740201409030005092168",
    }));
    sign::sign_fields(&mut fields, k).unwrap();
    fields
}

#[test]
fn payment_notifications() {
    let k = key();
    let fields = payment_notification(&k);
    let body = to_xml(&fields).unwrap();
    assert_eq!(notify::verify_notification(body.as_bytes(), &k).unwrap(), fields);
    // Tampered.
    let tampered = body.replace("<total_fee>1</total_fee>", "<total_fee>100</total_fee>");
    assert!(matches!(
        notify::verify_notification(tampered.as_bytes(), &k),
        Err(NotifyError::Signature(SignError::Mismatch { .. }))
    ));
    // return_code FAIL.
    let fail = b"<xml><return_code>FAIL</return_code><return_msg>bad</return_msg></xml>";
    assert_eq!(
        notify::verify_notification(fail, &k),
        Err(NotifyError::ReturnCode { return_code: Some("FAIL".into()), return_msg: Some("bad".into()) })
    );
    // Not XML; XXE.
    assert!(matches!(notify::verify_notification(b"{}", &k), Err(NotifyError::Xml(_))));
    let xxe = br#"<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><return_code>&e;</return_code></xml>"#;
    assert_eq!(notify::verify_notification(xxe, &k), Err(NotifyError::Xml(XmlError::Doctype)));
    // Too large.
    let huge = vec![b' '; notify::MAX_NOTIFICATION_BODY + 1];
    assert!(matches!(notify::verify_notification(&huge, &k), Err(NotifyError::Xml(XmlError::TooLarge { .. }))));
}

fn refund_req_info() -> (String, String) {
    // A fixture from the repository's file, picked by its shape: a refund `<root>` under the vectors' key.
    let case = common::cases("v2.json")
        .into_iter()
        .find(|c| {
            c["kind"] == "aes-ecb"
                && c["input"]["apiv2_key"] == APIV2_KEY
                && c["output"]["plaintext"].as_str().is_some_and(|p| p.contains("<refund_fee>"))
        })
        .expect("refund vector");
    (case["input"]["ciphertext"].as_str().unwrap().to_owned(), case["output"]["plaintext"].as_str().unwrap().to_owned())
}

fn refund_body(req_info: &str) -> String {
    format!(
        "<xml><return_code>SUCCESS</return_code><appid><![CDATA[wx2421b1c4370ec43b]]></appid>\
         <mch_id><![CDATA[1900000001]]></mch_id><nonce_str><![CDATA[TeqClE3i0mvn3DrK]]></nonce_str>\
         <req_info><![CDATA[{req_info}]]></req_info></xml>"
    )
}

#[test]
fn refund_notifications() {
    let k = key();
    let (req_info, plaintext) = refund_req_info();
    let body = refund_body(&req_info);
    let refund: RefundNotification = notify::decrypt_refund_notification(body.as_bytes(), &k).unwrap();
    assert_eq!(refund.info(), &parse(plaintext.as_bytes()).unwrap());
    assert_eq!(refund.get("refund_status"), Some("SUCCESS"));
    assert_eq!(refund.get("refund_recv_accout"), Some("支付用户零钱"));
    assert_eq!(refund.get("out_refund_no"), Some("131811191610442717309"));
    assert_eq!(refund.fields()["mch_id"], "1900000001");
    assert!(!refund.fields().contains_key("req_info"));
    // Debug shows the decrypted field names only.
    let debug = format!("{refund:?}");
    assert!(debug.contains("out_refund_no") && !debug.contains("131811191610442717309") && !debug.contains("3960"));
    // A refund notification is not a signed one.
    assert_eq!(notify::verify_notification(body.as_bytes(), &k), Err(NotifyError::RefundNotification));
    // Wrong key.
    let other = ApiV2Key::new("AnotherKeyAnotherKeyAnotherKey12").unwrap();
    let error = notify::decrypt_refund_notification(body.as_bytes(), &other).unwrap_err();
    assert_eq!(error, NotifyError::ReqInfo(EcbError::Padding));
    assert!(!format!("{error} {error:?}").contains("131811191610442717309"));
    // Missing or broken req_info.
    let missing = b"<xml><return_code>SUCCESS</return_code></xml>";
    assert_eq!(notify::decrypt_refund_notification(missing, &k).unwrap_err(), NotifyError::MissingReqInfo);
    let broken = refund_body("@@@");
    assert!(matches!(
        notify::decrypt_refund_notification(broken.as_bytes(), &k),
        Err(NotifyError::ReqInfo(EcbError::Base64(_)))
    ));
    // req_info that decrypts to hostile XML is parsed with the same rules.
    let ecb = EcbKey::from_apiv2_key(&k);
    let hostile = crypto::encrypt(&ecb, br#"<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><root>&e;</root>"#);
    assert_eq!(
        notify::decrypt_refund_notification(refund_body(&hostile).as_bytes(), &k).unwrap_err(),
        NotifyError::ReqInfoXml(XmlError::Doctype)
    );
    // A req_info built by our writer round-trips.
    let info = obj(&json!({"out_refund_no": "r1", "refund_status": "CHANGE", "refund_fee": "1"}));
    let sealed = crypto::encrypt(&ecb, xml::to_xml_with_root("root", &info).unwrap().as_bytes());
    let refund = notify::decrypt_refund_notification(refund_body(&sealed).as_bytes(), &k).unwrap();
    assert_eq!(refund.into_parts().1, info);
}

#[test]
fn replies() {
    assert_eq!(
        notify::success_reply(),
        "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>"
    );
    let reply = notify::failure_reply("db ]]> down\u{1}\r\n");
    let parsed = parse(reply.as_bytes()).unwrap();
    assert_eq!(parsed["return_code"], "FAIL");
    assert_eq!(parsed["return_msg"], "db ]]> down\u{FFFD}\n\n");
    assert_eq!(parse(notify::success_reply().as_bytes()).unwrap()["return_msg"], "OK");
}
