//! Core benchmarks: chain building and template expansion, request signing, response verification,
//! the client's whole per-call CPU path without I/O, a loopback round trip against the sandbox
//! (blocking and async), and the bare ring RSA-2048 sign + verify that the per-call cost is compared with.
//!
//! `cargo bench --bench core`; results and the machine are recorded in BENCHMARKS.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue, Method};
use ring::rand::SystemRandom;
use ring::signature::{self, RsaKeyPair};
use serde_json::{Value, json};
use wechatpay_chain::crypto::{ApiV3Key, PrivateKey, aead};
use wechatpay_chain::{Client, Options};
use wechatpay_sandbox::Sandbox;

const NOW: i64 = 1795562040;

fn key_path(name: &str) -> String {
    format!("{}/tests/data/keys/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn vector_builder() -> wechatpay_chain::ClientBuilder {
    Client::builder()
        .mchid("1900000001")
        .serial("1946DD7BDF37823B2192F1DB21574B1D465D9A21")
        .private_key(format!("file://{}", key_path("merchant_apiclient_key.pem")))
        .cert("7B9F2C366F58149F90CC94CDEEAD667C4816FFDC", format!("file://{}", key_path("platform_cert.pem")))
        .clock(|| NOW)
}

fn vector_client() -> Client {
    vector_builder()
        .cert(
            "PUB_KEY_ID_0112345678202411240000000000000000",
            format!("file://{}", key_path("wechatpay_public_key.pem")),
        )
        .build()
        .expect("client")
}

const APIV3_KEY: &str = "pJKrljmXR68AHQ5YJK2AaVG8opcVCFfX";

fn vector_client_with_apiv3_key() -> Client {
    vector_builder().apiv3_key(APIV3_KEY).auto_certificates(false).build().expect("client")
}

/// Headers of a notification signed by the vector platform key at `NOW`.
fn signed_headers(body: &[u8]) -> HeaderMap {
    use base64::Engine;
    let key = PrivateKey::load(&format!("file://{}", key_path("platform_private_key.pem"))).expect("key");
    let nonce = "benchNonce0123456789abcdefABCDEF";
    let mut message = format!("{NOW}\n{nonce}\n").into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    let signature = base64::engine::general_purpose::STANDARD.encode(key.sign_sha256(&message).expect("sign"));
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("wechatpay-timestamp", NOW.to_string()),
        ("wechatpay-nonce", nonce.to_owned()),
        ("wechatpay-serial", "7B9F2C366F58149F90CC94CDEEAD667C4816FFDC".to_owned()),
        ("wechatpay-signature", signature),
    ] {
        headers.insert(name, HeaderValue::from_str(&value).expect("value"));
    }
    headers
}

fn seed_options() -> Value {
    json!({
        "face_sid": "aabbccdd12345",
        "query": {"info_type": "ASK_UNIONID", "appid": "wx2b029c08a6233333", "sub_mchid": "123456789",
                  "sub_appid": "wx2b029c08a6255555", "sub_serial_no": "wx2b029c08a6255555"},
    })
}

/// The `valid-platform-certificate` answer of verify.json: headers and body, signed by the platform key.
fn captured_response() -> (HeaderMap, Vec<u8>) {
    let text = std::fs::read_to_string(format!("{}/tests/data/vectors/verify.json", env!("CARGO_MANIFEST_DIR")))
        .expect("verify.json");
    let doc: Value = serde_json::from_str(&text).expect("json");
    let case =
        doc["cases"].as_array().and_then(|c| c.iter().find(|c| c["id"] == "valid-platform-certificate")).expect("case");
    let response = &case["input"]["response"];
    let mut headers = HeaderMap::new();
    for (k, v) in response["headers"].as_object().expect("headers") {
        let name: http::HeaderName = k.parse().expect("name");
        headers.insert(name, HeaderValue::from_str(v.as_str().expect("value")).expect("value"));
    }
    (headers, response["body"].as_str().expect("body").as_bytes().to_vec())
}

fn pem_der(name: &str) -> Vec<u8> {
    use base64::Engine;
    let text = std::fs::read_to_string(key_path(name)).expect("pem");
    let b64: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(b64).expect("base64")
}

fn benches(c: &mut Criterion) {
    let client = vector_client();
    let options = seed_options();

    c.bench_function("chain/build typed", |b| {
        b.iter(|| black_box(client.v3().facemch().users().param(black_box("face_sid"))))
    });
    c.bench_function("chain/build + expand + query (prepare)", |b| {
        b.iter(|| {
            let chain = client.v3().facemch().users().param("face_sid");
            black_box(chain.prepare(Method::GET, black_box(&options)).expect("prepare"))
        })
    });
    c.bench_function("chain/prepare from a template string, typed options", |b| {
        b.iter(|| {
            let o = Options::new()
                .param("face_sid", "aabbccdd12345")
                .query("info_type", "ASK_UNIONID")
                .query("appid", "wx2b029c08a6233333");
            black_box(client.chain("v3/facemch/users/{face_sid}").prepare(Method::GET, o).expect("prepare"))
        })
    });

    let prepared = client.v3().facemch().users().param("face_sid").prepare(Method::GET, &options).expect("prepare");
    c.bench_function("sign/authorization header (RSA-2048)", |b| {
        b.iter(|| black_box(client.authorization(&prepared, NOW, "e15mKLKL0UuhK3oMeorrp4xkJZsUyNOV").expect("sign")))
    });
    c.bench_function("sign/nonce", |b| b.iter(|| black_box(wechatpay_chain::auth::nonce().expect("nonce"))));

    let (headers, body) = captured_response();
    let verifier = client.verifier();
    let path = "/v3/pay/transactions/id/4200000000202411240000000001";
    c.bench_function("verify/response (RSA-2048)", |b| {
        b.iter(|| black_box(verifier.verify_response(&Method::GET, path, None, &headers, &body).expect("verified")))
    });

    c.bench_function("pipeline/prepare + sign + verify + json (no I/O)", |b| {
        b.iter(|| {
            let p = client.v3().facemch().users().param("face_sid").prepare(Method::GET, &options).expect("prepare");
            let nonce = wechatpay_chain::auth::nonce().expect("nonce");
            black_box(client.authorization(&p, NOW, &nonce).expect("sign"));
            black_box(client.keys().preferred_id(NOW)); // the Wechatpay-Serial request header
            black_box(verifier.verify_response(&Method::GET, path, None, &headers, &body).expect("verified"));
            black_box(serde_json::from_slice::<Value>(&body).expect("json"))
        })
    });

    c.bench_function("keys/preferred id (Wechatpay-Serial header)", |b| {
        b.iter(|| black_box(client.keys().preferred_id(black_box(NOW))))
    });

    // A 1 KiB notification resource: AES-256-GCM alone, then the whole `client.notification` call
    // (probe and size checks, signature, decryption, JSON) including the hand-off to the SDK runtime.
    let apiv3 = ApiV3Key::new(APIV3_KEY).expect("key");
    let resource = json!({"mchid": "1900000001", "out_trade_no": "1217752501201407033233368018",
                          "attach": "x".repeat(900), "trade_state": "SUCCESS"})
    .to_string();
    let sealed = aead::encrypt(&apiv3, b"fdasflkja484", b"transaction", resource.as_bytes()).expect("seal");
    c.bench_function("notify/AES-256-GCM decrypt (1 KiB)", |b| {
        b.iter(|| black_box(aead::decrypt(&apiv3, b"fdasflkja484", b"transaction", black_box(&sealed)).expect("open")))
    });
    let envelope = json!({"id": "EV-2018022511223320873", "create_time": "2026-11-24T13:29:35+08:00",
        "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
        "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM", "ciphertext": sealed,
                     "associated_data": "transaction", "nonce": "fdasflkja484"}})
    .to_string();
    let notify_headers = signed_headers(envelope.as_bytes());
    let notify_client = vector_client_with_apiv3_key();
    c.bench_function("notify/client.notification (verify + decrypt, 1 KiB)", |b| {
        b.iter(|| black_box(notify_client.notification(&notify_headers, envelope.as_bytes()).expect("notification")))
    });

    // The floor: one bare ring RSA-2048 PKCS#1 SHA-256 sign plus one verify of the same sizes.
    let pair = RsaKeyPair::from_pkcs8(&pem_der("merchant_apiclient_key.pem")).expect("pkcs8");
    let rng = SystemRandom::new();
    let message = prepared.sign_message(NOW, "e15mKLKL0UuhK3oMeorrp4xkJZsUyNOV");
    let mut sig = vec![0u8; pair.public().modulus_len()];
    pair.sign(&signature::RSA_PKCS1_SHA256, &rng, &message, &mut sig).expect("sign");
    let public =
        signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, pair.public().as_ref().to_vec());
    c.bench_function("baseline/ring RSA-2048 sign + verify", |b| {
        b.iter(|| {
            let mut out = vec![0u8; pair.public().modulus_len()];
            pair.sign(&signature::RSA_PKCS1_SHA256, &rng, black_box(&message), &mut out).expect("sign");
            public.verify(black_box(&message), &out).expect("verify");
        })
    });
    c.bench_function("baseline/ring RSA-2048 verify", |b| {
        b.iter(|| public.verify(black_box(&message), black_box(&sig)).expect("verify"))
    });
    {
        use aws_lc_rs::signature::{self as aws, KeyPair};
        let pair = aws::RsaKeyPair::from_pkcs8(&pem_der("merchant_apiclient_key.pem")).expect("pkcs8");
        let public = aws::ParsedPublicKey::new(&aws::RSA_PKCS1_2048_8192_SHA256, pair.public_key().as_ref())
            .expect("public key");
        let rng = aws_lc_rs::rand::SystemRandom::new();
        c.bench_function("baseline/aws-lc-rs RSA-2048 sign + verify", |b| {
            b.iter(|| {
                let mut out = vec![0u8; pair.public_modulus_len()];
                pair.sign(&aws::RSA_PKCS1_SHA256, &rng, black_box(&message), &mut out).expect("sign");
                public.verify_sig(black_box(&message), &out).expect("verify");
            })
        });
    }

    // Loopback round trips: client sign → sandbox verify → sandbox sign → client verify (both on AWS-LC).
    let sandbox = Sandbox::start().expect("sandbox");
    let live = sandbox.client_builder().build().expect("client");
    let chain = live.v3().facemch().users().param("face_sid");
    c.bench_function("roundtrip/loopback sandbox, blocking", |b| {
        b.iter(|| black_box(chain.get(&options).expect("call")))
    });
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    c.bench_function("roundtrip/loopback sandbox, async", |b| {
        b.iter(|| black_box(runtime.block_on(chain.get_async(&options)).expect("call")))
    });
}

fn config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4)).sample_size(40)
}

criterion_group! { name = core; config = config(); targets = benches }
criterion_main!(core);
