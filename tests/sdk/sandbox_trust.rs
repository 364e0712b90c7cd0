//! The sandbox side of the trust lifecycle: sign modes and the request's `Wechatpay-Serial`,
//! `GET /v3/certificates`, certificate rotation and expiry, forged notifications and their delivery.
//! Decryption here uses ring directly, not the SDK.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::aead;
use serde_json::{Value, json};
use wechatpay_chain::auth::Verifier;
use wechatpay_chain::error::VerificationFailure;
use wechatpay_chain::{Client, Clock, Error, Verification};
use wechatpay_sandbox::*;

/// 2024-11-25T13:29:35+08:00: certificates made now start 2024-11-24T13:29:35+08:00.
const FIXED: i64 = 1_732_512_575;

fn fixed() -> i64 {
    FIXED
}

/// AES-256-GCM decryption with ring: `ciphertext` is base64 of ciphertext || tag.
fn open(key: &str, nonce: &str, aad: &str, ciphertext: &str) -> Result<Vec<u8>, String> {
    let mut data = STANDARD.decode(ciphertext).map_err(|e| e.to_string())?;
    let key =
        aead::LessSafeKey::new(aead::UnboundKey::new(&aead::AES_256_GCM, key.as_bytes()).map_err(|e| e.to_string())?);
    let nonce = aead::Nonce::try_assume_unique_for_key(nonce.as_bytes()).map_err(|e| e.to_string())?;
    let plain = key.open_in_place(nonce, aead::Aad::from(aad.as_bytes()), &mut data).map_err(|e| e.to_string())?;
    Ok(plain.to_vec())
}

fn seed() -> Value {
    json!({"face_sid": "aabbccdd12345", "query": {"info_type": "ASK_UNIONID", "appid": "wx2b029c08a6233333"}})
}

/// The seed call, asking for the answer to be signed with `serial` when given; returns the signing key id.
fn signed_by(client: &Client, serial: Option<&str>) -> String {
    let mut options = seed();
    if let Some(serial) = serial {
        options["headers"] = json!({"Wechatpay-Serial": serial});
    }
    let res = client.chain("v3/facemch/users/{face_sid}").get(options).expect("verified answer");
    match res.verification() {
        Verification::Signed { key_id } => key_id.clone(),
        other => panic!("{other:?}"),
    }
}

/// `GET v3/certificates` → `(serial, decrypted PEM, effective_time, expire_time)` per entry.
fn download_certificates(client: &Client, apiv3_key: &str) -> Vec<(String, String, String, String)> {
    let res = client.chain("v3/certificates").get(Value::Null).expect("certificates");
    let doc = res.json().expect("JSON");
    let data = doc["data"].as_array().expect("data");
    data.iter()
        .map(|entry| {
            let enc = &entry["encrypt_certificate"];
            assert_eq!(enc["algorithm"], "AEAD_AES_256_GCM");
            assert_eq!(enc["associated_data"], "certificate");
            let nonce = enc["nonce"].as_str().expect("nonce");
            assert!(nonce.len() == 12 && nonce.bytes().all(|b| b.is_ascii_alphanumeric()), "{nonce}");
            let plain = open(apiv3_key, nonce, "certificate", enc["ciphertext"].as_str().expect("ciphertext"))
                .expect("decrypts with the APIv3 key");
            let text = |k: &str| entry[k].as_str().expect(k).to_owned();
            (
                text("serial_no"),
                String::from_utf8(plain).expect("PEM text"),
                text("effective_time"),
                text("expire_time"),
            )
        })
        .collect()
}

#[test]
fn certificates_are_listed_encrypted_with_the_apiv3_key() {
    for mode in [SignMode::Certificate, SignMode::Mixed] {
        let sandbox = Sandbox::builder().sign_mode(mode).clock(fixed).start().expect("sandbox");
        let client = sandbox.client_builder().clock(fixed).build().expect("client");
        let keys = sandbox.keys();
        let listed = download_certificates(&client, keys.apiv3_key());
        let expected = sandbox.platform_certificates();
        assert_eq!(expected, [(keys.platform_serial().to_owned(), keys.platform_certificate_pem().to_owned())]);
        assert_eq!(listed.len(), 1);
        let (serial, pem, effective, expire) = &listed[0];
        assert_eq!((serial, pem), (&expected[0].0, &expected[0].1), "{mode:?}");
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(effective, "2024-11-24T13:29:35+08:00");
        assert_eq!(expire, "2029-11-23T13:29:35+08:00");
        // The decrypted certificate is the one the answer was signed with.
        let cert = wechatpay_chain::crypto::PublicKey::load(pem).expect("certificate");
        assert_eq!(cert.certificate().map(|c| c.serial.as_str()), Some(serial.as_str()));

        let log = sandbox.requests();
        assert_eq!(log.len(), 1);
        assert_eq!((log[0].method.as_str(), log[0].target.as_str(), log[0].status), ("GET", "/v3/certificates", 200));
        assert_eq!(log[0].verdict, Verdict::Authenticated);
    }
}

#[test]
fn public_key_merchants_have_no_certificates() {
    let sandbox = Sandbox::start().expect("sandbox");
    let client = sandbox.client_builder().build().expect("client");
    let err = client.chain("v3/certificates").get(json!({})).expect_err("404");
    let Error::Api(api) = &err else { panic!("{err}") };
    assert_eq!((api.status().as_u16(), api.code()), (404, Some("RESOURCE_NOT_EXISTS")));
    assert_eq!(api.message(), Some("无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥"));
    assert_eq!(api.signed_by(), Some(sandbox.keys().public_key_id()));
    // Only GET is routed.
    let err = client.chain("v3/certificates").post(json!({"json": {}})).expect_err("405");
    assert_eq!(err.api().map(|a| a.status().as_u16()), Some(405));
    assert_eq!(sandbox.requests().len(), 2);
}

#[test]
fn the_signing_key_follows_the_mode_and_the_request_header() {
    for mode in [SignMode::PublicKey, SignMode::Certificate, SignMode::Mixed] {
        let sandbox = Sandbox::builder().sign_mode(mode).start().expect("sandbox");
        let client = sandbox.client_builder().build().expect("client");
        let keys = sandbox.keys();
        let (public, cert) = (keys.public_key_id(), keys.platform_serial());
        let unknown = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
        // (requested, expected). `None` leaves the header to the client, which names its preferred key:
        // the public key, since `client_builder()` configures one.
        let cases: [(Option<&str>, &str); 4] = match mode {
            SignMode::PublicKey => {
                [(None, public), (Some(public), public), (Some(cert), public), (Some(unknown), public)]
            }
            SignMode::Certificate => [(None, cert), (Some(public), cert), (Some(cert), cert), (Some(unknown), cert)],
            _ => [(None, public), (Some(public), public), (Some(cert), cert), (Some(unknown), cert)],
        };
        for (requested, expected) in cases {
            assert_eq!(signed_by(&client, requested), expected, "{mode:?} asked for {requested:?}");
        }
        let log = sandbox.requests();
        assert_eq!(log.len(), 4);
        assert_eq!(log[1].header("wechatpay-serial"), Some(public), "the header reached the sandbox");

        // Faults apply on top of the chosen key.
        let err = client
            .chain("v3/facemch/users/{face_sid}")
            .get(json!({
                "face_sid": "x",
                "query": {"info_type": "ASK_UNIONID", "appid": "wx1"},
                "headers": {"X-Sandbox-Fault": "bad-signature", "Wechatpay-Serial": public},
            }))
            .expect_err("bad signature");
        let expected = if mode == SignMode::Mixed || mode == SignMode::PublicKey { public } else { cert };
        assert_eq!(
            err.verification().map(|v| v.failure().clone()),
            Some(VerificationFailure::BadSignature { serial: expected.to_owned() }),
            "{mode:?}"
        );
    }
}

#[test]
fn rotation_adds_a_certificate_that_signs_by_default_until_the_old_one_expires() {
    let start = wechatpay_chain::SystemClock.now();
    let time = Arc::new(AtomicI64::new(start));
    let clock = |time: &Arc<AtomicI64>| {
        let time = Arc::clone(time);
        move || time.load(Ordering::SeqCst)
    };
    let sandbox = Sandbox::builder().sign_mode(SignMode::Certificate).clock(clock(&time)).start().expect("sandbox");
    let old = sandbox.keys();
    let (old_serial, old_pem) = (old.platform_serial().to_owned(), old.platform_certificate_pem().to_owned());

    // A thousand days later WeChat Pay issues a new certificate.
    time.store(start + 1000 * 86_400, Ordering::SeqCst);
    let new_serial = sandbox.rotate_certificate().expect("rotate");
    assert_ne!(new_serial, old_serial);
    assert!(new_serial.len() == 40 && new_serial.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase()));
    let keys = sandbox.keys();
    assert_eq!(keys.platform_serial(), new_serial);
    assert_ne!(keys.platform_certificate_pem(), old_pem);
    assert_eq!(keys.public_key_id(), old.public_key_id(), "the rest of the snapshot is unchanged");
    let listed = sandbox.platform_certificates();
    assert_eq!(listed.len(), 2);
    assert_eq!((listed[0].0.as_str(), listed[1].0.as_str()), (new_serial.as_str(), old_serial.as_str()));
    assert_eq!(listed[1].1, old_pem);

    // The client holds the new certificate (client_builder) and keeps the old one.
    let client =
        sandbox.client_builder().cert(old_serial.clone(), old_pem.clone()).clock(clock(&time)).build().expect("client");
    let downloaded = download_certificates(&client, keys.apiv3_key());
    let serials: Vec<_> = downloaded.iter().map(|d| d.0.clone()).collect();
    assert_eq!(serials, [new_serial.clone(), old_serial.clone()]);
    let pems: Vec<_> = downloaded.iter().map(|d| (d.0.clone(), d.1.clone())).collect();
    assert_eq!(pems, listed);
    assert_eq!(signed_by(&client, None), new_serial);
    assert_eq!(signed_by(&client, Some(&old_serial)), old_serial);
    assert_eq!(signed_by(&client, Some(&new_serial)), new_serial);

    // The old certificate expires (it was made at `start`: valid until start − 1 day + 5 years).
    time.store(start - 86_400 + 5 * 365 * 86_400 + 1, Ordering::SeqCst);
    assert_eq!(sandbox.platform_certificates(), [listed[0].clone()]);
    let downloaded = download_certificates(&client, keys.apiv3_key());
    assert_eq!(downloaded.len(), 1);
    assert_eq!(downloaded[0].0, new_serial);
    assert_eq!(signed_by(&client, Some(&old_serial)), new_serial, "an expired certificate no longer signs");
    assert_eq!(sandbox.keys().platform_serial(), new_serial);
}

/// A sandbox in mixed mode whose certificate was rotated, and a client trusting both certificates and
/// the public key: `(sandbox, old serial, new serial, client)`.
fn rotated_mixed_sandbox() -> (Sandbox, String, String, Client) {
    // The new certificate is issued a minute later (within the ±300 s window of the clients' clocks), so
    // that "newest" is decided by notBefore, as between real certificates.
    let start = wechatpay_chain::SystemClock.now();
    let time = Arc::new(AtomicI64::new(start));
    let now = Arc::clone(&time);
    let sandbox = Sandbox::builder()
        .sign_mode(SignMode::Mixed)
        .clock(move || now.load(Ordering::SeqCst))
        .start()
        .expect("sandbox");
    let old = sandbox.keys().platform_serial().to_owned();
    time.store(start + 60, Ordering::SeqCst);
    let new = sandbox.rotate_certificate().expect("rotate");
    let client = sandbox.client_builder().cert(old.clone(), sandbox.platform_certificates()[1].1.clone()).build();
    (sandbox, old, new, client.expect("client"))
}

#[test]
fn mixed_mode_honours_old_certificates_and_the_public_key_after_rotation() {
    let (sandbox, old, new, client) = rotated_mixed_sandbox();
    let public = sandbox.keys().public_key_id().to_owned();
    assert_eq!(signed_by(&client, None), public, "the client names its public key");
    assert_eq!(signed_by(&client, Some(&new)), new);
    assert_eq!(signed_by(&client, Some(&old)), old);
    assert_eq!(signed_by(&client, Some(&public)), public);
    // A client holding certificates only names the newest one.
    let certificates_only = sandbox.merchant_builder().certs(sandbox.platform_certificates()).build().expect("client");
    assert_eq!(signed_by(&certificates_only, None), new);
}

fn resource() -> Value {
    json!({
        "mchid": "1900000001",
        "appid": "wxd678efh567hg6787",
        "out_trade_no": "1217752501201407033233368018",
        "transaction_id": "1217752501201407033233368018",
        "trade_state": "SUCCESS",
        "amount": {"total": 100, "currency": "CNY"},
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
    })
}

/// Decrypts a notification body's resource with ring, using the aad the envelope names.
fn decrypt_notification(body: &[u8], apiv3_key: &str) -> Result<Value, String> {
    let doc: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let r = &doc["resource"];
    let text = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
    let plain = open(apiv3_key, &text("nonce"), &text("associated_data"), &text("ciphertext"))?;
    serde_json::from_slice(&plain).map_err(|e| e.to_string())
}

#[test]
fn forged_notifications_verify_and_decrypt() {
    let sandbox = Sandbox::builder().clock(fixed).start().expect("sandbox");
    let client = sandbox.client_builder().clock(fixed).build().expect("client");
    let keys = sandbox.keys();
    let forged = sandbox.notification(&NotificationSpec::new("TRANSACTION.SUCCESS", resource())).expect("forge");

    assert_eq!(client.verifier().verify_signature(&forged.headers, &forged.body), Ok(keys.public_key_id().to_owned()));
    let header = |name: &str| forged.headers.get(name).and_then(|v| v.to_str().ok()).expect(name).to_owned();
    assert_eq!(header("wechatpay-timestamp"), FIXED.to_string());
    assert_eq!(header("wechatpay-serial"), keys.public_key_id());
    assert_eq!(header("wechatpay-signature-type"), "WECHATPAY2-SHA256-RSA2048");
    assert_eq!(header("content-type"), "application/json");
    let nonce = header("wechatpay-nonce");
    assert!(nonce.len() == 32 && nonce.bytes().all(|b| b.is_ascii_alphanumeric()), "{nonce}");

    // Compact JSON in WeChat Pay's key order.
    let text = std::str::from_utf8(&forged.body).expect("UTF-8");
    let doc: Value = serde_json::from_str(text).expect("JSON");
    assert_eq!(doc.to_string(), text, "compact");
    let order: Vec<_> = doc.as_object().expect("object").keys().cloned().collect();
    assert_eq!(order, ["id", "create_time", "resource_type", "event_type", "summary", "resource"]);
    let order: Vec<_> = doc["resource"].as_object().expect("resource").keys().cloned().collect();
    assert_eq!(order, ["original_type", "algorithm", "ciphertext", "associated_data", "nonce"]);
    assert_eq!(doc["id"], forged.id);
    assert!(forged.id.starts_with("EV-") && forged.id.len() > 3);
    assert_eq!(doc["create_time"], "2024-11-25T13:29:35+08:00");
    assert_eq!(doc["resource_type"], "encrypt-resource");
    assert_eq!(doc["event_type"], "TRANSACTION.SUCCESS");
    assert_eq!(doc["summary"], "支付成功");
    assert_eq!(doc["resource"]["original_type"], "transaction");
    assert_eq!(doc["resource"]["algorithm"], "AEAD_AES_256_GCM");
    assert_eq!(doc["resource"]["associated_data"], "transaction");
    let nonce = doc["resource"]["nonce"].as_str().expect("nonce");
    assert!(nonce.len() == 12 && nonce.bytes().all(|b| b.is_ascii_alphanumeric()), "{nonce}");
    assert_eq!(decrypt_notification(&forged.body, keys.apiv3_key()), Ok(resource()));
    assert!(!format!("{:?}", NotificationSpec::new("X", resource())).contains("oUpF8u"), "resource redacted");

    // Other fields, and another key.
    let spec = NotificationSpec::new("REFUND.SUCCESS", json!({"refund_status": "SUCCESS"}))
        .original_type("refund")
        .associated_data("refund")
        .summary("退款成功")
        .signed_by(keys.platform_serial());
    let refund = sandbox.notification(&spec).expect("forge");
    assert_eq!(
        client.verifier().verify_signature(&refund.headers, &refund.body),
        Ok(keys.platform_serial().to_owned())
    );
    let doc: Value = serde_json::from_slice(&refund.body).expect("JSON");
    assert_eq!(
        (&doc["event_type"], &doc["summary"], &doc["resource"]["original_type"], &doc["resource"]["associated_data"]),
        (&json!("REFUND.SUCCESS"), &json!("退款成功"), &json!("refund"), &json!("refund"))
    );
    assert_eq!(decrypt_notification(&refund.body, keys.apiv3_key()), Ok(json!({"refund_status": "SUCCESS"})));

    let err = sandbox.notification(&spec.clone().signed_by("PUB_KEY_ID_nobody")).expect_err("unknown key");
    assert!(err.to_string().contains("PUB_KEY_ID_nobody"), "{err}");
}

#[test]
fn notifications_are_signed_by_the_default_key_of_the_mode() {
    let (sandbox, old, new, client) = rotated_mixed_sandbox();
    let verify = |spec: &NotificationSpec| {
        let n = sandbox.notification(spec).expect("forge");
        client.verifier().verify_signature(&n.headers, &n.body)
    };
    let spec = NotificationSpec::new("TRANSACTION.SUCCESS", resource());
    assert_eq!(verify(&spec), Ok(new));
    assert_eq!(verify(&spec.clone().signed_by(old.clone())), Ok(old));
}

#[test]
fn each_tamper_produces_exactly_its_defect() {
    let sandbox = Sandbox::builder().clock(fixed).start().expect("sandbox");
    let client = sandbox.client_builder().clock(fixed).build().expect("client");
    let keys = sandbox.keys();
    let public = keys.public_key_id().to_owned();
    let spec = NotificationSpec::new("TRANSACTION.SUCCESS", resource());
    let forge = |tamper: Tamper| sandbox.notification(&spec.clone().tamper(tamper)).expect("forge");
    let verify = |n: &ForgedNotification| client.verifier().verify_signature(&n.headers, &n.body);
    let bad_signature = Err(VerificationFailure::BadSignature { serial: public.clone() });

    let n = forge(Tamper::Body);
    assert_eq!(verify(&n), bad_signature);
    let doc: Value = serde_json::from_slice(&n.body).expect("still JSON");
    assert_eq!(doc["id"], n.id, "only the summary changed");
    let summary = doc["summary"].as_str().expect("summary");
    assert_ne!(summary, "支付成功");
    assert_eq!(summary.chars().count(), 4);
    assert_eq!(summary.chars().skip(1).collect::<String>(), "付成功", "one character changed");
    assert_eq!(decrypt_notification(&n.body, keys.apiv3_key()), Ok(resource()));

    let n = forge(Tamper::Signature);
    assert_eq!(verify(&n), bad_signature);
    assert_eq!(decrypt_notification(&n.body, keys.apiv3_key()), Ok(resource()));

    let mut n = forge(Tamper::Serial);
    let serial = n.headers["wechatpay-serial"].to_str().expect("text").to_owned();
    assert!(serial != public && serial.len() == 40, "{serial}");
    match verify(&n) {
        Err(VerificationFailure::UnknownKey { serial: named, .. }) => assert_eq!(named, serial),
        other => panic!("{other:?}"),
    }
    n.headers.insert("wechatpay-serial", public.parse().expect("header"));
    assert_eq!(verify(&n), Ok(public.clone()), "only the serial was wrong");

    let n = forge(Tamper::Timestamp);
    assert_eq!(n.headers["wechatpay-timestamp"], (FIXED - 600).to_string().as_str());
    assert_eq!(verify(&n), Err(VerificationFailure::ClockSkew { server: FIXED - 600, local: FIXED, allowed: 300 }));
    let then = Verifier::new(client.keys().clone(), Arc::new(|| FIXED - 600));
    assert_eq!(then.verify_signature(&n.headers, &n.body), Ok(public.clone()), "correctly signed otherwise");

    let n = forge(Tamper::Ciphertext);
    assert_eq!(verify(&n), Ok(public.clone()));
    assert!(decrypt_notification(&n.body, keys.apiv3_key()).is_err());
    let doc: Value = serde_json::from_slice(&n.body).expect("JSON");
    let sealed = STANDARD.decode(doc["resource"]["ciphertext"].as_str().expect("ciphertext")).expect("base64");
    assert_eq!(sealed.len(), resource().to_string().len() + 16, "same length, one byte flipped");

    let n = forge(Tamper::AssociatedData);
    assert_eq!(verify(&n), Ok(public.clone()));
    assert!(decrypt_notification(&n.body, keys.apiv3_key()).is_err());
    let doc: Value = serde_json::from_slice(&n.body).expect("JSON");
    let r = &doc["resource"];
    assert_ne!(r["associated_data"], "transaction");
    let text = |k: &str| r[k].as_str().expect(k).to_owned();
    let plain = open(keys.apiv3_key(), &text("nonce"), "transaction", &text("ciphertext")).expect("real aad opens");
    assert_eq!(serde_json::from_slice::<Value>(&plain).expect("JSON"), resource());

    let n = forge(Tamper::Probe);
    let signature = n.headers["wechatpay-signature"].to_str().expect("text");
    assert!(signature.starts_with("WECHATPAY/SIGNTEST/") && signature.len() > 19, "{signature}");
    assert_eq!(verify(&n), bad_signature);
    assert_eq!(decrypt_notification(&n.body, keys.apiv3_key()), Ok(resource()));
}

/// Accepts one connection, reads one request (headers and a Content-Length body), answers `answer`.
fn serve_once(answer: &'static [u8]) -> (u16, std::thread::JoinHandle<(String, Vec<u8>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        let mut reader = BufReader::new(&stream);
        let mut head = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("line");
            head.push_str(&line);
            if line == "\r\n" || line.is_empty() {
                break;
            }
        }
        let length = head
            .lines()
            .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
            .and_then(|v| v.parse::<usize>().ok())
            .expect("Content-Length");
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).expect("body");
        let mut writer = &stream;
        writer.write_all(answer).expect("answer");
        (head, body)
    });
    (port, handle)
}

#[test]
fn deliver_posts_the_notification_byte_for_byte() {
    let sandbox = Sandbox::start().expect("sandbox");
    let forged = sandbox.notification(&NotificationSpec::new("TRANSACTION.SUCCESS", resource())).expect("forge");

    let (port, server) = serve_once(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    let (status, body) =
        sandbox.deliver(&format!("http://127.0.0.1:{port}/notify/wechatpay?src=test"), &forged).expect("deliver");
    assert_eq!((status, body.len()), (204, 0));
    let (head, received) = server.join().expect("server");
    assert_eq!(received, forged.body.as_ref(), "the body arrives byte-identical");
    let mut lines = head.lines();
    assert_eq!(lines.next(), Some("POST /notify/wechatpay?src=test HTTP/1.1"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let get = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    for name in [
        "wechatpay-timestamp",
        "wechatpay-nonce",
        "wechatpay-serial",
        "wechatpay-signature",
        "wechatpay-signature-type",
        "content-type",
    ] {
        assert_eq!(get(name), forged.headers.get(name).and_then(|v| v.to_str().ok()), "{name}");
    }
    assert_eq!(get("host"), Some(format!("127.0.0.1:{port}").as_str()));
    assert_eq!(get("content-length"), Some(forged.body.len().to_string().as_str()));
    assert_eq!(get("connection"), Some("close"));

    // A handler that refuses, answering with a chunked body, reached through `localhost`.
    let (port, server) = serve_once(
        b"HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\nf\r\n{\"code\":\"FAIL\",\r\n11\r\n\"message\":\"nope\"}\r\n0\r\n\r\n",
    );
    let (status, body) = sandbox.deliver(&format!("http://localhost:{port}/n"), &forged).expect("deliver");
    assert_eq!(status, 500);
    assert_eq!(serde_json::from_slice::<Value>(&body).expect("JSON"), json!({"code": "FAIL", "message": "nope"}));
    server.join().expect("server");
}

#[test]
fn deliver_refuses_remote_urls_and_reports_io_failures() {
    let sandbox = Sandbox::start().expect("sandbox");
    let forged = sandbox.notification(&NotificationSpec::new("TRANSACTION.SUCCESS", resource())).expect("forge");
    for url in ["https://127.0.0.1/notify", "http://example.com/notify", "http://192.168.1.1/", "127.0.0.1:80/"] {
        let err = sandbox.deliver(url, &forged).expect_err(url);
        assert!(!err.message().is_empty(), "{url}: {err}");
    }
    let port = TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    // Nothing listens on `port` any more.
    let err = sandbox.deliver(&format!("http://127.0.0.1:{port}/"), &forged).expect_err("refused");
    assert!(err.to_string().contains("failed"), "{err}");
}
