//! Trust lifecycle against the sandbox: the modes (public key, certificates, both, automatic), the
//! `Wechatpay-Serial` request header, certificate download with bootstrap verification, rotation,
//! refresh on unknown serials (single-flight, rate-limited), and refresh failures.

use crate::common;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wechatpay_chain::auth::TrustEvent;
use wechatpay_chain::error::{CertificateErrorKind, VerificationFailure};
use wechatpay_chain::{Client, ClientBuilder, Error, Response, Sent, Verification};
use wechatpay_sandbox::{Sandbox, SandboxKeys, SignMode};

fn face_query(serial: Option<&str>) -> Value {
    let mut options = json!({
        "face_sid": "aabbccdd12345",
        "query": {"info_type": "ASK_UNIONID", "appid": "wx2b029c08a6233333"},
    });
    if let Some(serial) = serial {
        options["headers"] = json!({"Wechatpay-Serial": serial});
    }
    options
}

fn call(client: &Client) -> Result<Response, Error> {
    client.chain("v3/facemch/users/{face_sid}").get(face_query(None))
}

fn call_naming(client: &Client, serial: &str) -> Result<Response, Error> {
    client.chain("v3/facemch/users/{face_sid}").get(face_query(Some(serial)))
}

fn signed_by(response: &Response) -> String {
    match response.verification() {
        Verification::Signed { key_id } => key_id.clone(),
        other => panic!("not signed: {other:?}"),
    }
}

/// Pure public-key mode, with the APIv3 key for notifications.
fn with_public_key(sandbox: &Sandbox) -> ClientBuilder {
    let keys = sandbox.keys();
    sandbox.merchant_builder().public_key(keys.public_key_id(), keys.public_key_pem()).apiv3_key(keys.apiv3_key())
}

fn automatic(sandbox: &Sandbox) -> ClientBuilder {
    sandbox.merchant_builder().apiv3_key(sandbox.keys().apiv3_key())
}

fn certificate_downloads(sandbox: &Sandbox) -> usize {
    sandbox.requests().iter().filter(|r| r.method == "GET" && r.target == "/v3/certificates").count()
}

fn serial_headers(sandbox: &Sandbox) -> Vec<Option<String>> {
    sandbox
        .requests()
        .iter()
        .filter(|r| r.target.starts_with("/v3/facemch"))
        .map(|r| r.header("wechatpay-serial").map(str::to_owned))
        .collect()
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(20), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn events(builder: ClientBuilder) -> (ClientBuilder, Arc<Mutex<Vec<TrustEvent>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    (builder.on_trust_event(move |e| sink.lock().unwrap().push(e.clone())), seen)
}

#[test]
fn public_key_only_never_calls_certificates() {
    let sandbox = Sandbox::builder().sign_mode(SignMode::PublicKey).start().unwrap();
    let keys = sandbox.keys();
    let client = with_public_key(&sandbox).build().unwrap();
    for _ in 0..3 {
        assert_eq!(signed_by(&call(&client).unwrap()), keys.public_key_id());
    }
    std::thread::sleep(Duration::from_millis(1200)); // a scheduler, if one ran, would have ticked
    assert_eq!(certificate_downloads(&sandbox), 0);
    assert_eq!(client.certificate_downloads(), 0);
    assert_eq!(serial_headers(&sandbox), vec![Some(keys.public_key_id().to_owned()); 3]);
    assert_eq!(client.keys().ids(), [keys.public_key_id()]);
}

#[test]
fn static_certificates_name_the_newest_valid_certificate() {
    let sandbox = Sandbox::builder().sign_mode(SignMode::Certificate).start().unwrap();
    let keys = sandbox.keys();
    let client =
        sandbox.merchant_builder().cert(keys.platform_serial(), keys.platform_certificate_pem()).build().unwrap();
    assert_eq!(signed_by(&call(&client).unwrap()), keys.platform_serial());
    assert_eq!(serial_headers(&sandbox), [Some(keys.platform_serial().to_owned())]);
    assert_eq!(certificate_downloads(&sandbox), 0);
}

#[test]
fn explicit_wechatpay_serial_header_is_kept() {
    let sandbox = Sandbox::builder().sign_mode(SignMode::Mixed).start().unwrap();
    let keys = sandbox.keys();
    let client = sandbox.client_builder().build().unwrap();
    // The client prefers the public key; the caller asks for the certificate instead.
    assert_eq!(signed_by(&call(&client).unwrap()), keys.public_key_id());
    assert_eq!(signed_by(&call_naming(&client, keys.platform_serial()).unwrap()), keys.platform_serial());
    assert_eq!(
        serial_headers(&sandbox),
        [Some(keys.public_key_id().to_owned()), Some(keys.platform_serial().to_owned())]
    );
}

#[test]
fn automatic_mode_downloads_before_the_first_call() {
    let sandbox = Sandbox::builder().sign_mode(SignMode::Certificate).start().unwrap();
    let keys = sandbox.keys();
    let (builder, seen) = events(automatic(&sandbox));
    let client = builder.build().unwrap();
    assert_eq!(signed_by(&call(&client).unwrap()), keys.platform_serial());
    assert_eq!(client.keys().ids(), [keys.platform_serial()]);
    assert_eq!(certificate_downloads(&sandbox), 1);
    let log = sandbox.requests();
    assert_eq!(log[0].target, "/v3/certificates", "the download precedes the call");
    assert_eq!(log[1].header("wechatpay-serial"), Some(keys.platform_serial()));
    let seen = seen.lock().unwrap();
    assert!(
        matches!(&seen[..], [TrustEvent::KeysChanged { added, removed, ids }]
            if added == &[keys.platform_serial()] && removed.is_empty() && ids == &[keys.platform_serial()]),
        "{seen:?}"
    );
}

#[test]
fn download_certificates_returns_them_without_installing() {
    let sandbox = Sandbox::builder().sign_mode(SignMode::Mixed).start().unwrap();
    let keys = sandbox.keys();
    let client = with_public_key(&sandbox).build().unwrap();
    let downloaded = client.download_certificates().unwrap();
    assert_eq!(downloaded.len(), 1);
    assert_eq!(downloaded[0].serial(), keys.platform_serial());
    assert_eq!(downloaded[0].pem(), keys.platform_certificate_pem());
    assert!(downloaded[0].not_before() < downloaded[0].not_after());
    assert!(downloaded[0].expire_time().ends_with("+08:00"), "{}", downloaded[0].expire_time());
    assert_eq!(client.keys().ids(), [keys.public_key_id()], "download alone installs nothing");
    let installed = client.refresh_certificates().unwrap();
    assert_eq!(installed.len(), 1);
    let mut ids = vec![keys.public_key_id().to_owned(), keys.platform_serial().to_owned()];
    ids.sort();
    assert_eq!(client.keys().ids(), ids);
    // Migration: with both, the public key is still the one named in requests.
    assert_eq!(signed_by(&call(&client).unwrap()), keys.public_key_id());
}

#[test]
fn migration_with_both_verifies_either_signature() {
    let sandbox = Sandbox::builder().sign_mode(SignMode::Mixed).start().unwrap();
    let keys = sandbox.keys();
    let client = with_public_key(&sandbox).auto_certificates(true).build().unwrap();
    assert_eq!(signed_by(&call(&client).unwrap()), keys.public_key_id());
    wait_until("the background download", || client.keys().len() == 2);
    assert_eq!(signed_by(&call_naming(&client, keys.platform_serial()).unwrap()), keys.platform_serial());
    assert_eq!(certificate_downloads(&sandbox), 1);
}

#[test]
fn public_key_merchant_forced_into_certificates_gets_a_clear_error() {
    let sandbox = Sandbox::builder().sign_mode(SignMode::PublicKey).start().unwrap();
    let keys = sandbox.keys();
    let (builder, seen) = events(with_public_key(&sandbox).auto_certificates(true));
    let client = builder.build().unwrap();
    // The failed downloads never stop calls: the public key verifies them.
    assert_eq!(signed_by(&call(&client).unwrap()), keys.public_key_id());
    let error = client.refresh_certificates().unwrap_err();
    let certificates = error.certificates().expect("a certificate error");
    assert_eq!(certificates.kind(), CertificateErrorKind::Download);
    let api = certificates.cause().and_then(Error::api).expect("the API error underneath");
    assert_eq!(api.code(), Some("RESOURCE_NOT_EXISTS"));
    assert_eq!(client.keys().ids(), [keys.public_key_id()], "the store is kept");
    wait_until("a RefreshFailed event", || {
        seen.lock()
            .unwrap()
            .iter()
            .any(|e| matches!(e, TrustEvent::RefreshFailed { reason } if reason.contains("RESOURCE_NOT_EXISTS")))
    });
}

#[test]
fn a_call_without_keys_is_not_sent_when_the_download_fails() {
    let sandbox = Sandbox::builder().sign_mode(SignMode::Certificate).start().unwrap();
    let (builder, seen) = events(sandbox.merchant_builder().apiv3_key("0123456789abcdef0123456789abcdef"));
    let client = builder.build().unwrap();
    let error = call(&client).unwrap_err();
    assert_eq!(error.sent(), Sent::No, "{error}");
    let kind = error.certificates().map(|c| c.kind());
    assert!(matches!(kind, Some(CertificateErrorKind::Decrypt | CertificateErrorKind::RateLimited)), "{error}");
    assert!(sandbox.requests().iter().all(|r| r.target == "/v3/certificates"), "the call itself never went out");
    assert!(client.keys().is_empty());
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|e| matches!(e, TrustEvent::RefreshFailed { reason } if reason.contains("APIv3 key")))
    );
}

#[test]
fn a_failed_refresh_keeps_the_old_store() {
    let sandbox = Sandbox::builder().sign_mode(SignMode::Certificate).start().unwrap();
    let keys = sandbox.keys();
    let (builder, seen) = events(
        sandbox
            .merchant_builder()
            .cert(keys.platform_serial(), keys.platform_certificate_pem())
            .apiv3_key("0123456789abcdef0123456789abcdef"),
    );
    let client = builder.build().unwrap();
    let error = client.refresh_certificates().unwrap_err();
    assert_eq!(error.certificates().map(|c| c.kind()), Some(CertificateErrorKind::Decrypt));
    assert_eq!(client.keys().ids(), [keys.platform_serial()]);
    assert_eq!(signed_by(&call(&client).unwrap()), keys.platform_serial());
    assert!(seen.lock().unwrap().iter().all(|e| matches!(e, TrustEvent::RefreshFailed { .. })));
}

/// A clock shared by the sandbox and the client, moved by the test.
fn shared_clock() -> (Arc<AtomicI64>, impl Fn() -> i64 + Clone + Send + Sync + 'static) {
    let now = Arc::new(AtomicI64::new(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64,
    ));
    let read = Arc::clone(&now);
    (now, move || read.load(Ordering::SeqCst))
}

#[test]
fn rotation_new_certificate_is_picked_up_and_the_old_one_dropped_at_expiry() {
    let (now, clock) = shared_clock();
    let sandbox = Sandbox::builder().sign_mode(SignMode::Certificate).clock(clock.clone()).start().unwrap();
    let old = sandbox.keys().platform_serial().to_owned();
    let (builder, seen) =
        events(automatic(&sandbox).clock(clock.clone()).certificate_refresh_interval(Duration::from_secs(60)));
    let client = builder.build().unwrap();
    assert_eq!(signed_by(&call(&client).unwrap()), old);

    // WeChat Pay issues a new certificate some time before the old one expires.
    let old_expiry = sandbox
        .platform_certificates()
        .iter()
        .find(|(s, _)| *s == old)
        .map(|(_, pem)| wechatpay_chain::crypto::PublicKey::load(pem).unwrap().certificate().unwrap().not_after);
    let old_expiry = old_expiry.unwrap();
    now.store(old_expiry - 10 * 86_400, Ordering::SeqCst);
    let new = sandbox.rotate_certificate().unwrap();
    wait_until("the scheduled refresh to install the new certificate", || client.keys().len() == 2);
    assert_eq!(client.keys().preferred_id(now.load(Ordering::SeqCst)).as_deref(), Some(new.as_str()));
    assert_eq!(signed_by(&call(&client).unwrap()), new, "requests now name the newest certificate");
    assert_eq!(signed_by(&call_naming(&client, &old).unwrap()), old, "the old one still verifies");

    // Past the old certificate's notAfter, the next refresh drops it.
    now.store(old_expiry + 1, Ordering::SeqCst);
    wait_until("the expired certificate to be dropped", || client.keys().ids() == [new.clone()]);
    assert_eq!(signed_by(&call(&client).unwrap()), new);
    let seen = seen.lock().unwrap();
    assert!(
        seen.iter().any(|e| matches!(e, TrustEvent::KeysChanged { added, .. } if added == std::slice::from_ref(&new)))
    );
    assert!(
        seen.iter()
            .any(|e| matches!(e, TrustEvent::KeysChanged { removed, .. } if removed == std::slice::from_ref(&old)))
    );
}

#[test]
fn unknown_serial_storm_causes_one_download() {
    let sandbox = Sandbox::builder().sign_mode(SignMode::Certificate).start().unwrap();
    let client = automatic(&sandbox).build().unwrap();
    call(&client).unwrap();
    assert_eq!(certificate_downloads(&sandbox), 1);
    let new = sandbox.rotate_certificate().unwrap();

    // 1000 concurrent calls each asking WeChat Pay to sign with the certificate the client has not seen.
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let results: Vec<Result<Response, Error>> = runtime.block_on(async {
        let calls = (0..1000).map(|_| client.chain("v3/facemch/users/{face_sid}").get_async(face_query(Some(&new))));
        futures::future::join_all(calls).await
    });
    for result in &results {
        assert_eq!(signed_by(result.as_ref().unwrap()), new);
    }
    assert_eq!(certificate_downloads(&sandbox), 2, "one download for the whole storm");
    assert_eq!(client.certificate_downloads(), 2);
}

#[test]
fn attacker_chosen_serials_cannot_make_the_client_hammer_wechat_pay() {
    let sandbox = Sandbox::builder().sign_mode(SignMode::Certificate).start().unwrap();
    let client = automatic(&sandbox).build().unwrap();
    call(&client).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let client = client.clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    let error = client
                        .chain("v3/facemch/users/{face_sid}")
                        .get({
                            let mut o = face_query(None);
                            o["headers"] = json!({"X-Sandbox-Fault": "wrong-serial"});
                            o
                        })
                        .unwrap_err();
                    assert!(matches!(
                        error.verification().map(|v| v.failure()),
                        Some(VerificationFailure::UnknownKey { .. })
                    ));
                    assert_eq!(error.sent(), Sent::Yes);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // 200 random serials within the rate-limit window: one on-demand download, not 200.
    assert_eq!(certificate_downloads(&sandbox), 2);
    assert_eq!(client.certificate_downloads(), 2);
}

#[test]
fn concurrent_calls_during_refreshes_all_verify() {
    let sandbox = Sandbox::builder().sign_mode(SignMode::Certificate).start().unwrap();
    let client = automatic(&sandbox).build().unwrap();
    call(&client).unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let (client, stop) = (client.clone(), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    call(&client).unwrap();
                    n += 1;
                }
                n
            })
        })
        .collect();
    for _ in 0..3 {
        sandbox.rotate_certificate().unwrap();
        let installed = client.refresh_certificates().unwrap();
        assert!(installed.len() >= 2);
    }
    stop.store(true, Ordering::SeqCst);
    let calls: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(calls > 0);
    assert_eq!(client.keys().len(), 4);
}

#[test]
fn errors_name_the_serial_the_ids_and_the_fix() {
    let sandbox = Sandbox::builder().sign_mode(SignMode::Certificate).start().unwrap();
    let keys: SandboxKeys = sandbox.keys();
    let client = sandbox.merchant_builder().public_key(keys.public_key_id(), keys.public_key_pem()).build().unwrap();
    let error = call_naming(&client, keys.platform_serial()).unwrap_err();
    let text = error.to_string();
    assert!(text.contains(keys.platform_serial()), "{text}");
    assert!(text.contains(keys.public_key_id()), "{text}");
    assert!(text.contains(".cert(") && text.contains(".apiv3_key("), "{text}");
    assert!(text.contains("may already have acted"), "{text}");

    let skewed = sandbox
        .merchant_builder()
        .cert(keys.platform_serial(), keys.platform_certificate_pem())
        .clock(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 + 200);
    let client = skewed.build().unwrap();
    let error = client
        .chain("v3/facemch/users/{face_sid}")
        .get({
            let mut o = face_query(None);
            o["headers"] = json!({"X-Sandbox-Fault": "stale-timestamp"});
            o
        })
        .unwrap_err();
    let text = error.to_string();
    let offset: i64 = text.split("offset ").nth(1).and_then(|t| t.split('s').next()).unwrap().parse().unwrap();
    assert!((795..=805).contains(&offset), "the local clock is 200 s ahead, the answer 600 s old: {text}");
    assert!(text.contains("allowed ±300s") && text.contains("clock"), "{text}");
}

#[test]
fn builder_checks_the_trust_configuration() {
    let sandbox = Sandbox::start().unwrap();
    let keys = sandbox.keys();
    let setting = |b: ClientBuilder| match b.build() {
        Err(Error::Config(c)) => (c.setting(), c.message().to_owned()),
        other => panic!("{other:?}"),
    };
    let (s, m) = setting(sandbox.merchant_builder().public_key(keys.platform_serial(), keys.public_key_pem()));
    assert_eq!(s, "public_key");
    assert!(m.contains("PUB_KEY_ID_"), "{m}");
    let (s, m) = setting(sandbox.merchant_builder().apiv3_key("short"));
    assert_eq!(s, "apiv3_key");
    assert!(m.contains("32"), "{m}");
    let (s, _) = setting(
        sandbox.merchant_builder().public_key(keys.public_key_id(), keys.public_key_pem()).auto_certificates(true),
    );
    assert_eq!(s, "auto_certificates");
    let (s, _) = setting(automatic(&sandbox).certificate_refresh_interval(Duration::from_secs(5)));
    assert_eq!(s, "certificate_refresh_interval");
    let (s, m) = setting(sandbox.merchant_builder());
    assert_eq!(s, "certs");
    assert!(m.contains(".public_key(") && m.contains(".apiv3_key("), "{m}");
    assert!(!format!("{:?}", automatic(&sandbox)).contains(keys.apiv3_key()), "the APIv3 key is redacted");
}

mod download_checks {
    //! `GET v3/certificates` answers crafted with the vector keys and served by a canned server: the
    //! bootstrap signature check, the serial check, and validity.

    use super::common::*;
    use wechatpay_chain::Client;
    use wechatpay_chain::crypto::{ApiV3Key, aead};
    use wechatpay_chain::error::{CertificateErrorKind, VerificationFailure};

    const APIV3_KEY: &str = "pJKrljmXR68AHQ5YJK2AaVG8opcVCFfX";
    const NOW: i64 = 1795562040; // inside the vector certificate's validity (2026-11-24 … 2036-11-21)

    fn listing(serial_no: &str) -> Vec<u8> {
        let key = ApiV3Key::new(APIV3_KEY).unwrap();
        let pem = key_text("platform_cert.pem");
        let ciphertext = aead::encrypt(&key, b"4de73afd28b6", b"certificate", pem.as_bytes()).unwrap();
        serde_json::to_vec(&serde_json::json!({"data": [{
            "serial_no": serial_no,
            "effective_time": "2026-11-25T07:03:46+08:00",
            "expire_time": "2036-11-22T07:03:46+08:00",
            "encrypt_certificate": {
                "algorithm": "AEAD_AES_256_GCM", "nonce": "4de73afd28b6",
                "associated_data": "certificate", "ciphertext": ciphertext,
            },
        }]}))
        .unwrap()
    }

    fn answer(body: Vec<u8>, signing_key: &str, serial: &str) -> Canned {
        answer_at(NOW, body, signing_key, serial)
    }

    fn answer_at(timestamp: i64, body: Vec<u8>, signing_key: &str, serial: &str) -> Canned {
        let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
        headers.extend(wechatpay_signature_headers(signing_key, serial, timestamp, &body));
        Canned { status: 200, headers, body }
    }

    fn client(replay: &Replay, now: i64) -> Client {
        Client::builder()
            .mchid(MCHID)
            .serial(MERCHANT_SERIAL)
            .private_key(key_uri("merchant_apiclient_key.pem"))
            .public_key(PUB_KEY_ID, key_uri("wechatpay_public_key.pem"))
            .apiv3_key(APIV3_KEY)
            .clock(move || now)
            .base_uri(replay.base_uri())
            .build()
            .unwrap()
    }

    #[test]
    fn the_download_verifies_with_its_own_certificate() {
        let replay = Replay::start(answer(listing(PLATFORM_SERIAL), "platform_private_key.pem", PLATFORM_SERIAL));
        let client = client(&replay, NOW);
        let downloaded = client.download_certificates().unwrap();
        assert_eq!(downloaded.len(), 1);
        assert_eq!(downloaded[0].serial(), PLATFORM_SERIAL);
        assert_eq!(downloaded[0].not_before(), 1795561426);
        assert_eq!(downloaded[0].not_after(), 2110921426);
        assert!(replay.seen.lock().unwrap()[0].starts_with("GET /v3/certificates HTTP/1.1"));
    }

    #[test]
    fn a_download_signed_by_a_stranger_is_refused() {
        // Claims the downloaded certificate's serial but is signed with another key.
        let replay =
            Replay::start(answer(listing(PLATFORM_SERIAL), "wechatpay_pubkey_private_key.pem", PLATFORM_SERIAL));
        let client = client(&replay, NOW);
        let error = client.download_certificates().unwrap_err();
        assert!(
            matches!(error.verification().map(|v| v.failure()), Some(VerificationFailure::BadSignature { .. })),
            "{error}"
        );
        let error = client.refresh_certificates().unwrap_err();
        assert_eq!(error.certificates().map(|c| c.kind()), Some(CertificateErrorKind::Download));
        assert_eq!(client.keys().ids(), [PUB_KEY_ID], "nothing installed");
    }

    #[test]
    fn a_certificate_under_another_serial_is_refused() {
        let other = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
        let replay = Replay::start(answer(listing(other), "platform_private_key.pem", PLATFORM_SERIAL));
        let error = client(&replay, NOW).download_certificates().unwrap_err();
        assert_eq!(error.certificates().map(|c| c.kind()), Some(CertificateErrorKind::Certificate), "{error}");
        assert!(error.to_string().contains(other) && error.to_string().contains(PLATFORM_SERIAL));
    }

    #[test]
    fn a_wrong_apiv3_key_says_so() {
        let replay = Replay::start(answer(listing(PLATFORM_SERIAL), "platform_private_key.pem", PLATFORM_SERIAL));
        let client = Client::builder()
            .mchid(MCHID)
            .serial(MERCHANT_SERIAL)
            .private_key(key_uri("merchant_apiclient_key.pem"))
            .public_key(PUB_KEY_ID, key_uri("wechatpay_public_key.pem"))
            .apiv3_key("XfFCVcpo8GVaA2KJY5QHA86RXmjlrKJp")
            .clock(|| NOW)
            .base_uri(replay.base_uri())
            .build()
            .unwrap();
        let error = client.download_certificates().unwrap_err();
        assert_eq!(error.certificates().map(|c| c.kind()), Some(CertificateErrorKind::Decrypt));
        assert!(error.to_string().contains("APIv3 key"), "{error}");
    }

    #[test]
    fn only_certificates_valid_now_are_installed() {
        let replay = Replay::start(answer(listing(PLATFORM_SERIAL), "platform_private_key.pem", PLATFORM_SERIAL));
        let client = client(&replay, NOW);
        assert_eq!(client.refresh_certificates().unwrap().len(), 1);
        assert_eq!(client.keys().len(), 2);

        // Past notAfter the download still verifies (by its own certificate), but nothing is installed.
        let after_expiry = 2110921426 + 1;
        let late = Replay::start(answer_at(
            after_expiry,
            listing(PLATFORM_SERIAL),
            "platform_private_key.pem",
            PLATFORM_SERIAL,
        ));
        let late_client = self::client(&late, after_expiry);
        assert_eq!(late_client.download_certificates().unwrap().len(), 1);
        let error = late_client.refresh_certificates().unwrap_err();
        assert_eq!(error.certificates().map(|c| c.kind()), Some(CertificateErrorKind::NoValidCertificate));
        assert_eq!(late_client.keys().ids(), [PUB_KEY_ID]);
    }
}
