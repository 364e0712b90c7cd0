//! Vectors.

use super::*;

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
