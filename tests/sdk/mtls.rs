//! HTTPS to the sandbox and the merchant TLS identity (mutual TLS for APIv2 `security` endpoints):
//! trusting the sandbox's certificate with `root_certificate`, the PEM pair and PKCS#12 in the builder,
//! and the configuration errors. That an APIv2 `security` request presents the certificate (and an
//! ordinary one does not) is tested with the sandbox's APIv2 slice in `tests/sdk/sandbox_v2.rs`.

use crate::common::{MCHID, MERCHANT_SERIAL, data, key_text, key_uri};
use serde_json::{Value, json};
use wechatpay_chain::{Client, ClientBuilder, Error, Sent};
use wechatpay_sandbox::Sandbox;

fn users_options() -> Value {
    json!({
        "face_sid": "aabbccdd12345",
        "query": {"info_type": "ASK_UNIONID", "appid": "wx2b029c08a6233333"},
    })
}

/// A client for `sandbox` configured by hand: no `root_certificate`, no merchant TLS identity.
fn bare_builder(sandbox: &Sandbox) -> ClientBuilder {
    let keys = sandbox.keys();
    Client::builder()
        .mchid(keys.mchid())
        .serial(keys.merchant_serial())
        .private_key(keys.merchant_private_key_pem())
        .public_key(keys.public_key_id(), keys.public_key_pem())
}

/// A sandbox with the vector merchant key, whose certificate and PKCS#12 are fixtures.
fn vector_merchant_sandbox() -> Sandbox {
    Sandbox::builder().merchant_key(MERCHANT_SERIAL, key_text("merchant_apiclient_key.pem")).start().expect("sandbox")
}

fn config_error(result: Result<Client, Error>) -> (String, String) {
    match result {
        Err(Error::Config(e)) => (e.setting().to_owned(), e.to_string()),
        Err(other) => panic!("expected a configuration error, got {other:?}"),
        Ok(client) => panic!("expected a configuration error, built {client:?}"),
    }
}

/// Lines of the PEM body of `pem`, none of which may appear in an error message.
fn pem_lines(pem: &str) -> Vec<String> {
    pem.lines().filter(|l| !l.starts_with("-----") && l.len() > 16).map(str::to_owned).collect()
}

#[test]
fn https_with_the_sandbox_root_works_and_is_logged() {
    let sandbox = Sandbox::start().expect("sandbox");
    assert!(sandbox.https_base_uri().starts_with("https://127.0.0.1:"));
    assert!(sandbox.tls_root_pem().starts_with("-----BEGIN CERTIFICATE-----"));

    let client = sandbox.client_builder().base_uri(sandbox.https_base_uri()).build().expect("client");
    let res = client.chain("v3/facemch/users/{face_sid}").get(users_options()).expect("answer over https");
    assert!(res.json().expect("json")["openid"].is_string());
    // The same port still speaks plain HTTP.
    let plain = sandbox.client_builder().build().expect("client");
    plain.chain("v3/facemch/users/{face_sid}").get(users_options()).expect("answer over http");

    let log = sandbox.requests();
    assert_eq!(
        log.iter().map(|r| (r.tls, r.client_cert, r.status)).collect::<Vec<_>>(),
        [(true, false, 200), (false, false, 200)]
    );
}

#[test]
fn bare_builder_root_certificate_is_enough_for_https() {
    let sandbox = Sandbox::start().expect("sandbox");
    let client = bare_builder(&sandbox)
        .base_uri(sandbox.https_base_uri())
        .root_certificate(sandbox.tls_root_pem())
        .build()
        .expect("client");
    client.chain("v3/facemch/users/{face_sid}").get(users_options()).expect("answer over https");
    assert!(sandbox.requests()[0].tls);
}

#[test]
fn https_without_the_root_certificate_fails_before_sending() {
    let sandbox = Sandbox::start().expect("sandbox");
    let client = bare_builder(&sandbox).base_uri(sandbox.https_base_uri()).build().expect("client");
    let err = client.chain("v3/facemch/users/{face_sid}").get(users_options()).expect_err("untrusted server");
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert_eq!(err.sent(), Sent::No);
    assert!(err.to_string().contains("TLS handshake"), "{err}");
    assert!(sandbox.requests().is_empty(), "nothing reached the sandbox");
}

#[tokio::test]
async fn https_works_async_too() {
    let sandbox = Sandbox::start().expect("sandbox");
    let client = sandbox.client_builder().base_uri(sandbox.https_base_uri()).build().expect("client");
    let res = client.chain("v3/facemch/users/{face_sid}").get_async(users_options()).await.expect("answer");
    assert_eq!(res.status(), 200);

    let untrusted = bare_builder(&sandbox).base_uri(sandbox.https_base_uri()).build().expect("client");
    let err = untrusted.chain("v3/facemch/users/{face_sid}").get_async(users_options()).await.expect_err("untrusted");
    assert_eq!(err.sent(), Sent::No);
    assert_eq!(sandbox.requests().len(), 1);
}

#[test]
fn pem_pair_and_pkcs12_build_and_never_show_in_debug() {
    let sandbox = vector_merchant_sandbox();
    let p12 = std::fs::read(data("keys/merchant_apiclient_cert.p12")).expect("p12 fixture");
    let key_pem = key_text("merchant_apiclient_key.pem");
    let builders = [
        bare_builder(&sandbox)
            .merchant_tls_pem(key_uri("merchant_apiclient_cert.pem"), key_uri("merchant_apiclient_key.pem")),
        bare_builder(&sandbox).merchant_tls_pem(key_text("merchant_apiclient_cert.pem"), key_pem.clone()),
        bare_builder(&sandbox)
            .merchant_tls_pem(key_text("merchant_apiclient_cert.pem"), key_text("merchant_apiclient_key_pkcs1.pem")),
        // WeChat Pay's apiclient_cert.p12 password is the merchant id: the default.
        bare_builder(&sandbox).merchant_tls_pkcs12(p12.clone(), None),
        bare_builder(&sandbox).merchant_tls_pkcs12(p12.clone(), Some(MCHID)),
    ];
    for builder in builders {
        let shown = format!("{builder:?}");
        assert!(pem_lines(&key_pem).iter().all(|l| !shown.contains(l.as_str())), "{shown}");
        let client = builder.base_uri(sandbox.https_base_uri()).root_certificate(sandbox.tls_root_pem()).build();
        let client = client.expect("the merchant TLS identity loads");
        assert!(format!("{client:?}").contains("merchant_tls: true"), "{client:?}");
        // Ordinary (APIv3) requests never present the certificate.
        client.chain("v3/facemch/users/{face_sid}").get(users_options()).expect("answer");
    }
    assert!(sandbox.requests().iter().all(|r| r.tls && !r.client_cert && r.status == 200));
    let with_password = bare_builder(&sandbox).merchant_tls_pkcs12(p12, Some("debug-secret"));
    assert!(!format!("{with_password:?}").contains("debug-secret"), "{with_password:?}");
}

#[test]
fn sandbox_builders_carry_the_merchant_identity_when_the_sandbox_made_the_certificate() {
    let sandbox = Sandbox::start().expect("sandbox");
    let client = sandbox.client_builder().build().expect("client");
    assert!(format!("{client:?}").contains("merchant_tls: true"), "{client:?}");
    // A given merchant key comes without a certificate: no identity, but still HTTPS-capable.
    let given = vector_merchant_sandbox();
    let client = given.client_builder().base_uri(given.https_base_uri()).build().expect("client");
    assert!(format!("{client:?}").contains("merchant_tls: false"), "{client:?}");
    client.chain("v3/facemch/users/{face_sid}").get(users_options()).expect("answer over https");
}

#[test]
fn bad_merchant_tls_material_is_a_configuration_error_that_quotes_nothing() {
    let sandbox = Sandbox::start().expect("sandbox");
    let keys = sandbox.keys();
    let key_pem = keys.merchant_private_key_pem().to_owned();
    let cert_pem = keys.merchant_certificate_pem().expect("generated merchant certificate").to_owned();
    let p12 = std::fs::read(data("keys/merchant_apiclient_cert.p12")).expect("p12 fixture");
    let secret_password = "s3cret-Passw0rd";
    let cases: Vec<(&str, ClientBuilder, &str)> = vec![
        (
            "garbage certificate",
            bare_builder(&sandbox).merchant_tls_pem("not a certificate", key_pem.clone()),
            "not PEM",
        ),
        ("swapped", bare_builder(&sandbox).merchant_tls_pem(key_pem.clone(), cert_pem.clone()), "order"),
        (
            "garbage key",
            bare_builder(&sandbox)
                .merchant_tls_pem(cert_pem.clone(), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
            "could not be loaded",
        ),
        (
            "not a pair",
            bare_builder(&sandbox).merchant_tls_pem(cert_pem.clone(), key_text("merchant_apiclient_key.pem")),
            "pair",
        ),
        (
            "missing file",
            bare_builder(&sandbox).merchant_tls_pem("file:///nonexistent/apiclient_cert.pem", key_pem.clone()),
            "cannot read",
        ),
        ("wrong password", bare_builder(&sandbox).merchant_tls_pkcs12(p12.clone(), Some(secret_password)), "password"),
        // The sandbox merchant id is the fixture's, so the default password is right; another mchid is not.
        (
            "default password",
            bare_builder(&sandbox).mchid("1900000002").merchant_tls_pkcs12(p12.clone(), None),
            "merchant id",
        ),
        ("not PKCS#12", bare_builder(&sandbox).merchant_tls_pkcs12(b"garbage".to_vec(), None), "PKCS#12"),
        (
            "PEM as PKCS#12",
            bare_builder(&sandbox).merchant_tls_pkcs12(cert_pem.clone().into_bytes(), None),
            "merchant_tls_pem",
        ),
        (
            "twice",
            bare_builder(&sandbox)
                .merchant_tls_pem(cert_pem.clone(), key_pem.clone())
                .merchant_tls_pkcs12(p12.clone(), None),
            "more than once",
        ),
    ];
    for (name, builder, expected) in cases {
        let (setting, message) = config_error(builder.build());
        assert_eq!(setting, "merchant_tls", "{name}: {message}");
        assert!(message.contains(expected), "{name}: {message}");
        assert!(!message.contains(secret_password), "{name}: {message}");
        for line in pem_lines(&key_pem).iter().chain(&pem_lines(&cert_pem)) {
            assert!(!message.contains(line.as_str()), "{name} quotes key material: {message}");
        }
    }
}

#[test]
fn bad_root_certificates_are_configuration_errors() {
    let sandbox = Sandbox::start().expect("sandbox");
    let keys = sandbox.keys();
    let cases = [
        ("", "empty"),
        ("not a certificate", "not a PEM or DER"),
        ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "certificate #1"),
        (keys.merchant_private_key_pem(), "private key"),
        ("file:///nonexistent/root.pem", "cannot read"),
    ];
    for (given, expected) in cases {
        let (setting, message) = config_error(bare_builder(&sandbox).root_certificate(given).build());
        assert_eq!(setting, "root_certificate", "{message}");
        assert!(message.contains(expected), "{given:?}: {message}");
    }
    // A DER file and a bundle of several certificates both load.
    let dir = std::env::temp_dir().join(format!("wechatpay-mtls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let der_path = dir.join("root.der");
    let body: String = sandbox.tls_root_pem().lines().filter(|l| !l.starts_with("-----")).collect();
    use base64::Engine;
    let der = base64::engine::general_purpose::STANDARD.decode(body).expect("base64");
    std::fs::write(&der_path, der).expect("write");
    let bundle = format!("{}{}", key_text("platform_cert.pem"), sandbox.tls_root_pem());
    for root in [format!("file://{}", der_path.display()), bundle] {
        let client = bare_builder(&sandbox).base_uri(sandbox.https_base_uri()).root_certificate(root).build();
        client.expect("client").chain("v3/facemch/users/{face_sid}").get(users_options()).expect("https");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_server_certificate_follows_the_real_clock_not_the_sandbox_clock() {
    // Years before now: a certificate dated by the sandbox clock would have expired long ago.
    let then = || 1_500_000_000_i64;
    let sandbox = Sandbox::builder().clock(then).start().expect("sandbox");
    let client = sandbox.client_builder().clock(then).base_uri(sandbox.https_base_uri()).build().expect("client");
    client.chain("v3/facemch/users/{face_sid}").get(users_options()).expect("answer over https");
}
