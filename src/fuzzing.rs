//! Fuzzing entry points. **Not API**: compiled only with the `fuzzing` feature, hidden from the
//! documentation, and changed whenever the fuzz targets change.
//!
//! Every target of `fuzz/` (cargo-fuzz, nightly) is a one-line `fuzz_target!` calling one function of
//! [`TARGETS`], and `tests/fuzz_replay.rs` (stable, `cargo test --all-features`) runs the same functions
//! over every committed corpus and regression input, so the two cannot drift apart.
//!
//! Each function takes arbitrary bytes, drives one part of the SDK with them (through its public API;
//! downloads go through a real HTTP exchange with an in-process server on 127.0.0.1), and checks
//! properties: no panic, nothing accepted that was not signed or does not decrypt, round trips,
//! redaction. A function panics only when a property is violated, with a message saying which one.
//!
//! Inputs are read as a few leading bytes, NUL-terminated fields and a rest (see `Input`); what each
//! byte and field means is written at the top of each function. `fuzz/README.md` lists what each target
//! checks.
//!
//! Known open bugs that a property detects are tagged; a long fuzzing run may step over them with
//! `WECHATPAY_FUZZ_KNOWN=tag,tag` (see `fuzz/README.md`). Without that variable every violation panics.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use ring::digest;
use serde_json::{Map, Value, json};

use crate::auth::Signer;
use crate::crypto::{AeadError, ApiV3Key, OaepError, PrivateKey, PublicKey, aead, pkcs1_to_spki};
use crate::download::{BillLink, HashType};
use crate::error::{NotificationErrorKind, VerificationFailure};
use crate::request::Api;
use crate::v2::crypto::EcbKey;
use crate::v2::{ApiV2Key, xml};
use crate::{Client, Clock, Error, Media, Options, Sent, Verification};

/// A fuzz target's entry function.
pub type Target = fn(&[u8]);

/// Every fuzz target: its name (the cargo-fuzz binary and the corpus directory) and its function.
pub const TARGETS: &[(&str, Target)] = &[
    ("verify_response", verify_response),
    ("notification_v3", notification_v3),
    ("notification_v2", notification_v2),
    ("notification_v2_refund", notification_v2_refund),
    ("prepare_json", prepare_json),
    ("prepare_typed", prepare_typed),
    ("key_load", key_load),
    ("xml", xml),
    ("aes_gcm", aes_gcm),
    ("aes_ecb", aes_ecb),
    ("rsa_oaep", rsa_oaep),
    ("multipart", multipart),
    ("download", download),
];

/// The environment variable listing known-bug tags a fuzzing run steps over.
pub const KNOWN_BUGS_VARIABLE: &str = "WECHATPAY_FUZZ_KNOWN";

// ---------------------------------------------------------------------------------------------
// Fixture: the throwaway keys of tests/data (see tests/data/README.md)
// ---------------------------------------------------------------------------------------------

const MCHID: &str = "1900000001";
const MERCHANT_SERIAL: &str = "1946DD7BDF37823B2192F1DB21574B1D465D9A21";
const PLATFORM_SERIAL: &str = "7B9F2C366F58149F90CC94CDEEAD667C4816FFDC";
const PUB_KEY_ID: &str = "PUB_KEY_ID_0112345678202411240000000000000000";
const APIV3_KEY: &str = "pJKrljmXR68AHQ5YJK2AaVG8opcVCFfX";
const APIV2_KEY: &str = "GcOWSRrXHahnYIF9qpp0u4AMvS9IKGu1";
/// The clock of the golden vectors, so that their signed answers verify.
const NOW: i64 = 1_795_562_040;

const MERCHANT_KEY: &str = include_str!("../tests/data/keys/merchant_apiclient_key.pem");
const PLATFORM_KEY: &str = include_str!("../tests/data/keys/platform_private_key.pem");
const PLATFORM_CERT: &str = include_str!("../tests/data/keys/platform_cert.pem");
const WECHATPAY_KEY: &str = include_str!("../tests/data/keys/wechatpay_pubkey_private_key.pem");
const WECHATPAY_PUBLIC: &str = include_str!("../tests/data/keys/wechatpay_public_key.pem");

const UNSIGNED_DOWNLOAD_PREFIXES: [&str; 5] = [
    "/v3/billdownload/file",
    "/v3/transferdownload/",
    "/v3/merchant-service/images/",
    "/v3/global/merchant-service/images/",
    "/invoicing/fapiao/fapiao-file",
];
const STATEMENTS: [&str; 2] = ["/hk/v3/statements", "/v3/global/statements"];
const SIGNATURE_HEADERS: [&str; 4] = ["wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature", "wechatpay-serial"];
/// Header names a one-byte name field (1 to 8) stands for, so the fuzzer reaches them without guessing.
const WELL_KNOWN_HEADERS: [&str; 8] = [
    "wechatpay-timestamp",
    "wechatpay-nonce",
    "wechatpay-signature",
    "wechatpay-serial",
    "wechatpay-statement-sha1",
    "request-id",
    "content-type",
    "accept",
];
const METHODS: [Method; 5] = [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE];

struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> i64 {
        NOW
    }
}

/// Requests are prepared and downloads sent, never answered by WeChat Pay: no need for real RSA work.
struct NullSigner;

impl Signer for NullSigner {
    fn sign(&self, _message: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(vec![0; 256])
    }
}

struct Fixture {
    client: Client,
    merchant: PrivateKey,
    platform: PrivateKey,
    wechatpay: PrivateKey,
    platform_public: PublicKey,
    wechatpay_public: PublicKey,
    v3: ApiV3Key,
    v2: ApiV2Key,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        // The keys are compiled in from tests/data; failing here is a broken checkout, not an input.
        let load = |pem: &str| PrivateKey::load(pem).expect("the fuzzing fixture's private keys load");
        let public = |pem: &str| PublicKey::load(pem).expect("the fuzzing fixture's public keys load");
        let client = Client::builder()
            .mchid(MCHID)
            .serial(MERCHANT_SERIAL)
            .signer(Arc::new(NullSigner))
            .cert(PLATFORM_SERIAL, PLATFORM_CERT)
            .public_key(PUB_KEY_ID, WECHATPAY_PUBLIC)
            .apiv3_key(APIV3_KEY)
            .apiv2_key(APIV2_KEY)
            .auto_certificates(false)
            .clock(FixedClock)
            .timeout(Duration::from_secs(20))
            .build()
            .expect("the fuzzing fixture's client builds");
        Fixture {
            client,
            merchant: load(MERCHANT_KEY),
            platform: load(PLATFORM_KEY),
            wechatpay: load(WECHATPAY_KEY),
            platform_public: public(PLATFORM_CERT),
            wechatpay_public: public(WECHATPAY_PUBLIC),
            v3: ApiV3Key::new(APIV3_KEY).expect("the fixture's APIv3 key is 32 bytes"),
            v2: ApiV2Key::new(APIV2_KEY).expect("the fixture's APIv2 key is valid"),
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Input framing and property checks
// ---------------------------------------------------------------------------------------------

/// Fuzz bytes read front to back: single bytes (0 once exhausted), NUL-terminated fields (the last
/// one may run to the end), and the rest.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    fn field(&mut self) -> &'a [u8] {
        match self.0.iter().position(|&b| b == 0) {
            Some(at) => {
                let (field, rest) = self.0.split_at(at);
                self.0 = &rest[1..];
                field
            }
            None => std::mem::take(&mut self.0),
        }
    }

    fn text(&mut self) -> String {
        String::from_utf8_lossy(self.field()).into_owned()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn rest(self) -> &'a [u8] {
        self.0
    }
}

/// Panics with "property violated" unless `$cond` holds.
macro_rules! check {
    ($cond:expr, $($message:tt)+) => {
        if !$cond {
            panic!("fuzzing property violated: {}", format_args!($($message)+));
        }
    };
}

/// Like `check!` for a property a known open bug breaks: a run with the tag in
/// `KNOWN_BUGS_VARIABLE` returns from the target instead of panicking.
macro_rules! check_known {
    ($tag:expr, $cond:expr, $($message:tt)+) => {
        if !$cond {
            if tolerated($tag) {
                return;
            }
            panic!("fuzzing property violated (known bug `{}`): {}", $tag, format_args!($($message)+));
        }
    };
}

fn tolerated(tag: &str) -> bool {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    TAGS.get_or_init(|| {
        std::env::var(KNOWN_BUGS_VARIABLE)
            .unwrap_or_default()
            .split(',')
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect()
    })
    .iter()
    .any(|t| t == tag)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn digest_hex(algorithm: &'static digest::Algorithm, bytes: &[u8]) -> String {
    hex(digest::digest(algorithm, bytes).as_ref())
}

fn decode_compact(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD.decode(compact).ok()
}

/// PHP `rawurlencode`: RFC 3986 unreserved characters kept, every other byte `%XX` (upper case).
fn rawurlencode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Whether `shown` (a `Debug` or `Display` text) contains `secret`, raw or as `Debug` escapes it.
fn shows(shown: &str, secret: &str) -> bool {
    let escaped = format!("{secret:?}");
    shown.contains(secret) || shown.contains(&escaped[1..escaped.len() - 1])
}

/// The headers of a fuzz input: a count byte, then name and value fields. A one-byte name 1 to 8
/// stands for one of `WELL_KNOWN_HEADERS`. Names and values the `http` crate refuses are skipped.
fn read_headers(input: &mut Input<'_>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for _ in 0..input.byte() % 10 {
        let name = input.field();
        let value = input.field();
        let name = match name {
            [b @ 1..=8] => WELL_KNOWN_HEADERS[usize::from(*b) - 1].as_bytes(),
            other => other,
        };
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value)) {
            headers.append(name, value);
        }
    }
    headers
}

/// The `Wechatpay-*` headers WeChat Pay would send for `payload`, signed with `key` under `id`.
fn signed_headers(key: &PrivateKey, id: &str, timestamp: i64, nonce: &str, payload: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let mut insert = |name: &'static str, value: String| {
        // Callers pass printable ASCII only.
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    insert("wechatpay-timestamp", timestamp.to_string());
    insert("wechatpay-nonce", nonce.to_owned());
    insert("wechatpay-serial", id.to_owned());
    insert("wechatpay-signature", signature(key, timestamp, nonce, payload));
    headers
}

fn signature(key: &PrivateKey, timestamp: i64, nonce: &str, payload: &[u8]) -> String {
    let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(payload);
    message.push(b'\n');
    // Signing with a valid key only fails when the system RNG does, which is not an input property.
    STANDARD.encode(key.sign_sha256(&message).expect("RSA signing with the fixture key"))
}

/// After any accepted signature: each `Wechatpay-*` header was there exactly once, in the window, and
/// the signature verifies (checked here with ring directly) over the message built from those values.
/// Returns `false` when a tolerated known bug stopped the check.
fn check_signature(headers: &HeaderMap, key_id: &str, payload: &[u8]) -> bool {
    let f = fixture();
    let mut values = Vec::with_capacity(4);
    for name in SIGNATURE_HEADERS {
        let all: Vec<&HeaderValue> = headers.get_all(name).iter().collect();
        if all.len() != 1 && tolerated("verify-duplicate-headers") {
            return false;
        }
        check!(
            all.len() == 1,
            "a signature was accepted although `{name}` came {} times (known bug `verify-duplicate-headers`)",
            all.len()
        );
        let text = all[0].to_str();
        check!(text.is_ok(), "a signature was accepted with a non-UTF-8 `{name}`");
        values.push(text.unwrap_or_default());
    }
    let (timestamp, nonce, signature, serial) = (values[0], values[1], values[2], values[3]);
    check!(serial == key_id, "accepted key id `{key_id}` is not the Wechatpay-Serial `{serial}`");
    let key = match key_id {
        PLATFORM_SERIAL => &f.platform_public,
        PUB_KEY_ID => &f.wechatpay_public,
        other => panic!("fuzzing property violated: accepted unknown key id `{other}`"),
    };
    let seconds: Option<i64> =
        (timestamp.bytes().all(|b| b.is_ascii_digit()) && !timestamp.is_empty()).then(|| timestamp.parse().ok()).flatten();
    check!(seconds.is_some_and(|s| (s - NOW).abs() <= 300), "accepted Wechatpay-Timestamp `{timestamp}` outside ±300 s");
    let raw = STANDARD.decode(signature.trim());
    check!(raw.is_ok(), "accepted a Wechatpay-Signature that is not base64");
    let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(payload);
    message.push(b'\n');
    let verified = ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        key.rsa_public_key_der(),
    )
    .verify(&message, &raw.unwrap_or_default())
    .is_ok();
    check!(verified, "accepted a signature that does not verify over the headers' values and the payload");
    true
}

// ---------------------------------------------------------------------------------------------
// Response verification
// ---------------------------------------------------------------------------------------------

/// `Verifier::verify_response`. Byte 0: mode (`% 4 == 0`: sign, verify, tamper; otherwise the rest
/// is arbitrary: method `(byte / 4) % 5`, path field, alternate-path field, headers, body).
///
/// Properties: only a listed download path on `GET` passes unsigned; an accepted signature is exactly
/// one set of headers whose signature verifies over the body (statements: over the SHA-1 whose value
/// matches the body); a freshly signed answer verifies and any tampering (body, nonce, timestamp,
/// serial, other key, statement body) is refused.
pub fn verify_response(data: &[u8]) {
    let mut input = Input(data);
    let mode = input.byte();
    if mode % 4 == 0 {
        verify_signed_then_tampered(input);
        return;
    }
    let f = fixture();
    let method = METHODS[usize::from(mode / 4) % METHODS.len()].clone();
    let path = input.text();
    let alternate = input.text();
    let alternate = (!alternate.is_empty()).then_some(alternate.as_str());
    let headers = read_headers(&mut input);
    let body = input.rest();
    let candidates = || std::iter::once(path.as_str()).chain(alternate);
    match f.client.verifier().verify_response(&method, &path, alternate, &headers, body) {
        Ok(Verification::UnsignedDownload) => {
            let listed = candidates().any(|p| {
                let lower = p.to_ascii_lowercase();
                UNSIGNED_DOWNLOAD_PREFIXES.iter().any(|prefix| match prefix.strip_suffix('/') {
                    Some(_) => lower.len() > prefix.len() && lower.starts_with(prefix),
                    None => lower == *prefix,
                })
            });
            check!(method == Method::GET && listed, "{method} {path} ({alternate:?}) passed as an unsigned download");
        }
        Ok(Verification::Signed { key_id }) => {
            let statement = candidates().any(|p| STATEMENTS.iter().any(|s| p.eq_ignore_ascii_case(s)));
            let sha1 = headers.get("wechatpay-statement-sha1").and_then(|v| v.to_str().ok());
            match (statement, sha1) {
                (true, Some(sha1)) => {
                    let actual = digest_hex(&digest::SHA1_FOR_LEGACY_USE_ONLY, body);
                    check!(actual.eq_ignore_ascii_case(sha1), "a statement with SHA-1 {actual} passed as `{sha1}`");
                    check_signature(&headers, &key_id, format!("{{\"sha1\":\"{sha1}\"}}").as_bytes());
                }
                _ => {
                    check_signature(&headers, &key_id, body);
                }
            }
        }
        Ok(other) => panic!("fuzzing property violated: an APIv3 verification ended as {other:?}"),
        Err(failure) => {
            let _ = (failure.to_string(), format!("{failure:?}"));
        }
    }
}

/// Byte: key and path (bit 0: platform certificate or WeChat Pay public key; bit 1: an overseas
/// statement); 2 bytes: clock offset; nonce field; tamper byte; 2 bytes: position; body = rest.
fn verify_signed_then_tampered(mut input: Input<'_>) {
    let f = fixture();
    let which = input.byte();
    let (key, other_key, id, other_id) = if which & 1 == 0 {
        (&f.platform, &f.wechatpay, PLATFORM_SERIAL, PUB_KEY_ID)
    } else {
        (&f.wechatpay, &f.platform, PUB_KEY_ID, PLATFORM_SERIAL)
    };
    let statement = which & 2 != 0;
    let offset = i64::from(input.u16() as i16) % 400;
    let nonce: String = input.text().chars().filter(char::is_ascii_graphic).take(64).collect();
    let tamper = input.byte();
    let position = usize::from(input.u16());
    let body = input.rest();
    let timestamp = NOW + offset;
    let path = if statement { "/v3/global/statements" } else { "/v3/pay/transactions/id/4200000000202411240000000001" };
    let sha1 = digest_hex(&digest::SHA1_FOR_LEGACY_USE_ONLY, body);
    let payload = if statement { format!("{{\"sha1\":\"{sha1}\"}}").into_bytes() } else { body.to_vec() };
    let mut headers = signed_headers(key, id, timestamp, &nonce, &payload);
    if statement {
        headers.insert("wechatpay-statement-sha1", HeaderValue::from_str(&sha1).unwrap_or(HeaderValue::from_static("")));
    }
    let verify = |headers: &HeaderMap, body: &[u8]| f.client.verifier().verify_response(&Method::GET, path, None, headers, body);

    let result = verify(&headers, body);
    if offset.abs() > 300 {
        check!(
            matches!(result, Err(VerificationFailure::ClockSkew { .. })),
            "a signature {offset} s off the clock gave {result:?}"
        );
        return;
    }
    check!(
        result == Ok(Verification::Signed { key_id: id.to_owned() }),
        "a freshly signed answer (nonce `{nonce}`, {} bytes) gave {result:?}",
        body.len()
    );

    let mut tampered_headers = headers.clone();
    let mut tampered_body = body.to_vec();
    let set = |headers: &mut HeaderMap, name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    let what = match tamper % 7 {
        0 if !body.is_empty() => {
            let at = position % body.len();
            tampered_body[at] ^= 1 << (tamper / 8 % 8);
            "one body bit"
        }
        1 => {
            set(&mut tampered_headers, "wechatpay-nonce", &format!("{nonce}x"));
            "the nonce"
        }
        2 => {
            let moved = if offset < 300 { timestamp + 1 } else { timestamp - 1 };
            set(&mut tampered_headers, "wechatpay-timestamp", &moved.to_string());
            "the timestamp"
        }
        3 => {
            set(&mut tampered_headers, "wechatpay-serial", other_id);
            "the serial"
        }
        4 => {
            set(&mut tampered_headers, "wechatpay-signature", &signature(other_key, timestamp, &nonce, &payload));
            "the signing key"
        }
        5 => {
            tampered_body.push(tamper);
            "an appended byte"
        }
        _ if !body.is_empty() => {
            tampered_body.truncate(position % body.len());
            "a truncation"
        }
        _ => return,
    };
    let result = verify(&tampered_headers, &tampered_body);
    check!(result.is_err(), "an answer with {what} changed after signing still verified: {result:?}");
}

// ---------------------------------------------------------------------------------------------
// Notifications
// ---------------------------------------------------------------------------------------------

/// `Client::notification` (APIv3). Byte 0: mode (`% 4 == 0`: build a valid notification, open it,
/// tamper; otherwise headers, then body = rest).
///
/// Properties: a signature probe is always refused as one; an accepted notification carries one
/// verifying signature over the body and a resource that decrypts, independently, to exactly the
/// plaintext and JSON returned; `Debug` does not show the plaintext; every refusal has `Sent::No`, a
/// 4xx/5xx answer and no APIv3 key in its text; a freshly built notification opens to what was
/// sealed, and a changed ciphertext, algorithm, associated data or body is refused.
pub fn notification_v3(data: &[u8]) {
    let mut input = Input(data);
    if input.byte() % 4 == 0 {
        notification_v3_built(input);
        return;
    }
    let f = fixture();
    let headers = read_headers(&mut input);
    let body = input.rest();
    let probe = headers
        .get_all("wechatpay-signature")
        .iter()
        .any(|v| v.as_bytes().starts_with(crate::notify::SIGNATURE_PROBE_PREFIX.as_bytes()));
    match f.client.notification(&headers, body) {
        Ok(notification) => {
            check!(!probe, "a signature probe was accepted");
            if !check_signature(&headers, notification.signed_by(), body) {
                return;
            }
            let envelope: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let resource = &envelope["resource"];
            check!(resource["algorithm"] == "AEAD_AES_256_GCM", "accepted resource.algorithm {}", resource["algorithm"]);
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            let plain = aead::decrypt(
                &f.v3,
                text(&resource["nonce"]).as_bytes(),
                text(&resource["associated_data"]).as_bytes(),
                &text(&resource["ciphertext"]),
            );
            check!(plain.as_deref() == Ok(notification.plaintext()), "the returned plaintext is not the resource's");
            let json: Result<Value, _> = serde_json::from_slice(notification.plaintext());
            check!(json.ok().as_ref() == Some(notification.resource()), "resource() is not the plaintext's JSON");
            check!(envelope["id"] == notification.id(), "id() is not the envelope's");
            check!(envelope["event_type"] == notification.event_type(), "event_type() is not the envelope's");
            check_notification_redacted(&notification);
        }
        Err(e) => {
            check!(e.sent() == Sent::No, "a refused notification says sent = {:?}", e.sent());
            let Some(refusal) = e.notification() else {
                panic!("fuzzing property violated: a notification was refused with a non-notification error: {e}");
            };
            let status = refusal.http_status().as_u16();
            check!((400..600).contains(&status), "a refusal answers {status}");
            if probe {
                check!(
                    *refusal.kind() == NotificationErrorKind::SignatureProbe,
                    "a signature probe was refused as {:?}",
                    refusal.kind()
                );
            }
            check_no_key(&e, data, APIV3_KEY);
        }
    }
}

fn check_notification_redacted(notification: &crate::notify::Notification) {
    let Ok(plain) = std::str::from_utf8(notification.plaintext()) else {
        return;
    };
    let fields = format!(
        "{:?}{:?}{:?}{:?}{:?}{:?}",
        notification.id(),
        notification.create_time(),
        notification.event_type(),
        notification.resource_type(),
        notification.original_type(),
        notification.signed_by()
    );
    if plain.len() >= 8 && !shows(&fields, plain) {
        check!(!shows(&format!("{notification:?}"), plain), "Debug of a notification shows the decrypted resource");
    }
}

fn check_no_key(e: &Error, input: &[u8], key: &str) {
    if input.windows(key.len()).any(|w| w == key.as_bytes()) {
        return;
    }
    check!(!format!("{e}").contains(key) && !format!("{e:?}").contains(key), "an error shows the key");
}

/// Fields: id, event_type, nonce, associated data, plaintext (JSON, or text made a JSON string);
/// tamper byte; 2 bytes: position.
fn notification_v3_built(mut input: Input<'_>) {
    let f = fixture();
    let id = input.text();
    let event_type = input.text();
    let nonce = input.text();
    let associated_data = input.text();
    let plain_field = input.field();
    let tamper = input.byte();
    let position = usize::from(input.u16());
    let plaintext = match serde_json::from_slice::<Value>(plain_field) {
        Ok(_) => plain_field.to_vec(),
        Err(_) => serde_json::to_vec(&Value::String(String::from_utf8_lossy(plain_field).into_owned())).unwrap_or_default(),
    };
    let sealed = aead::encrypt(&f.v3, nonce.as_bytes(), associated_data.as_bytes(), &plaintext);
    let ciphertext = match sealed {
        Ok(c) => c,
        Err(e) => {
            check!(
                e == AeadError::NonceLength { length: nonce.len() } && !(1..=64).contains(&nonce.len()),
                "sealing with a {}-byte nonce failed: {e}",
                nonce.len()
            );
            return;
        }
    };
    let envelope = |algorithm: &str, ciphertext: &str, associated_data: &str| {
        json!({
            "id": id, "create_time": "2026-11-24T23:14:00+08:00", "resource_type": "encrypt-resource",
            "event_type": event_type, "summary": "fuzz",
            "resource": {"original_type": "transaction", "algorithm": algorithm, "ciphertext": ciphertext,
                         "associated_data": associated_data, "nonce": nonce},
        })
        .to_string()
        .into_bytes()
    };
    let open = |body: &[u8]| {
        let headers = signed_headers(&f.platform, PLATFORM_SERIAL, NOW, "fuzz-notification-nonce", body);
        f.client.notification(&headers, body)
    };
    let body = envelope("AEAD_AES_256_GCM", &ciphertext, &associated_data);
    match open(&body) {
        Ok(n) => {
            check!(n.plaintext() == plaintext, "a sealed resource opened to other bytes");
            check!(Some(n.resource()) == serde_json::from_slice::<Value>(&plaintext).ok().as_ref(), "resource() differs");
            check!(n.id() == id && n.event_type() == event_type, "id or event_type changed");
            check!(n.signed_by() == PLATFORM_SERIAL, "signed_by() is `{}`", n.signed_by());
            check_notification_redacted(&n);
        }
        Err(e) => panic!("fuzzing property violated: a valid notification was refused: {e}"),
    }

    let kind = |result: Result<crate::notify::Notification, Error>| match result {
        Ok(_) => None,
        Err(e) => Some(e.notification().map(|n| n.kind().clone())),
    };
    match tamper % 4 {
        0 => {
            let mut chars: Vec<char> = ciphertext.chars().collect();
            let at = position % chars.len();
            chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
            let changed: String = chars.into_iter().collect();
            let got = kind(open(&envelope("AEAD_AES_256_GCM", &changed, &associated_data)));
            check!(
                matches!(got, Some(Some(NotificationErrorKind::Decrypt(_)))),
                "a changed ciphertext (position {at}) gave {got:?}"
            );
        }
        1 => {
            let got = kind(open(&envelope("AEAD_AES_256_GCM ", &ciphertext, &associated_data)));
            check!(matches!(got, Some(Some(NotificationErrorKind::Algorithm(_)))), "another algorithm gave {got:?}");
        }
        2 => {
            let got = kind(open(&envelope("AEAD_AES_256_GCM", &ciphertext, &format!("{associated_data}x"))));
            check!(
                matches!(got, Some(Some(NotificationErrorKind::Decrypt(AeadError::Authentication)))),
                "other associated data gave {got:?}"
            );
        }
        _ => {
            let headers = signed_headers(&f.platform, PLATFORM_SERIAL, NOW, "fuzz-notification-nonce", &body);
            let mut changed = body.clone();
            let at = position % changed.len();
            changed[at] ^= 1 << (tamper / 4 % 8);
            let got = kind(f.client.notification(&headers, &changed));
            check!(
                matches!(got, Some(Some(NotificationErrorKind::Signature(_)))),
                "a body changed after signing (byte {at}) gave {got:?}"
            );
        }
    }
}

/// The APIv2 signature computed here, independently of `v2::sign`: sorted `k=v` pairs without `sign`
/// and empty values, `&key=`, then MD5 or HMAC-SHA256 (upper-case hex). `None` for nested values.
fn v2_signature(fields: &Map<String, Value>, hmac: bool) -> Option<String> {
    let mut pairs = Vec::with_capacity(fields.len());
    for (k, v) in fields {
        match v {
            Value::String(s) if k != "sign" && !s.is_empty() => pairs.push((k.as_str(), s.as_str())),
            Value::String(_) | Value::Null => {}
            _ if k == "sign" => {}
            _ => return None,
        }
    }
    pairs.sort_unstable();
    let mut text = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    text.push_str("&key=");
    text.push_str(APIV2_KEY);
    let raw = if hmac {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, APIV2_KEY.as_bytes());
        ring::hmac::sign(&key, text.as_bytes()).as_ref().to_vec()
    } else {
        use md5::Digest;
        md5::Md5::digest(text.as_bytes()).to_vec()
    };
    Some(hex(&raw).to_ascii_uppercase())
}

/// Up to `count % 8` fields of element-name keys (no `sign`) and XML-writable values.
fn v2_fields(input: &mut Input<'_>) -> Map<String, Value> {
    let mut fields = Map::new();
    for _ in 0..input.byte() % 8 {
        let key = input.text();
        let value = input.text();
        if xml::is_element_name(&key) && key != "sign" && key != "sign_type" && value.chars().all(is_xml_char) {
            fields.entry(key).or_insert(Value::String(value));
        }
    }
    fields
}

/// `Client::v2_notification`. Byte 0: mode (`% 4 == 0`: build, sign, open, tamper, with HMAC-SHA256
/// when bit 2 is set; otherwise body = rest).
///
/// Properties: an accepted notification parses to the returned fields, has `return_code` `SUCCESS`
/// and a `sign` equal to the signature computed independently here; refusals have `Sent::No`, a 4xx
/// answer and no APIv2 key in their text; a freshly signed notification opens to its fields, and one
/// with a changed value is refused.
pub fn notification_v2(data: &[u8]) {
    let f = fixture();
    let mut input = Input(data);
    let mode = input.byte();
    if mode % 4 != 0 {
        let body = input.rest();
        match f.client.v2_notification(body) {
            Ok(fields) => {
                check!(xml::parse(body).ok().as_ref() == Some(&fields), "the returned fields are not the body's");
                check!(fields.get("return_code") == Some(&json!("SUCCESS")), "accepted return_code {:?}", fields.get("return_code"));
                let sign = fields.get("sign").and_then(Value::as_str).unwrap_or_default();
                let expected = v2_signature(&fields, sign.len() == 64);
                check!(expected.as_deref() == Some(sign), "accepted sign `{sign}`, expected {expected:?}");
            }
            Err(e) => check_v2_refusal(&e, data),
        }
        return;
    }
    let hmac = mode & 4 != 0;
    let mut fields = v2_fields(&mut input);
    let tamper = usize::from(input.byte());
    fields.insert("return_code".to_owned(), json!("SUCCESS"));
    if hmac {
        fields.insert("sign_type".to_owned(), json!("HMAC-SHA256"));
    }
    let Some(sign) = v2_signature(&fields, hmac) else { return };
    fields.insert("sign".to_owned(), Value::String(sign));
    let Ok(body) = xml::to_xml(&fields) else { return };
    match f.client.v2_notification(body.as_bytes()) {
        Ok(opened) => check!(opened == fields, "a signed notification opened to other fields"),
        Err(e) => panic!("fuzzing property violated: a signed APIv2 notification was refused: {e}"),
    }
    let names: Vec<String> = fields.keys().filter(|k| *k != "sign").cloned().collect();
    let name = &names[tamper % names.len()];
    if let Some(Value::String(value)) = fields.get_mut(name) {
        value.push('x');
    }
    let Ok(body) = xml::to_xml(&fields) else { return };
    let result = f.client.v2_notification(body.as_bytes());
    check!(result.is_err(), "a notification with `{name}` changed after signing was accepted");
}

fn check_v2_refusal(e: &Error, input: &[u8]) {
    check!(e.sent() == Sent::No, "a refused APIv2 notification says sent = {:?}", e.sent());
    let Some(refusal) = e.notification() else {
        panic!("fuzzing property violated: an APIv2 notification was refused with a non-notification error: {e}");
    };
    let status = refusal.http_status().as_u16();
    check!((400..500).contains(&status), "an APIv2 refusal answers {status}");
    check_no_key(e, input, APIV2_KEY);
}

/// `Client::v2_refund_notification`. Byte 0: mode (`% 4 == 0`: encrypt fields into `req_info`,
/// open, tamper; otherwise body = rest).
///
/// Properties: an accepted notification's outer fields are the body's without `req_info`, and its
/// decrypted fields are what `req_info` decrypts (AES-256-ECB) and parses to; `Debug` shows the names
/// of the decrypted fields, never their values; refusals as for `notification_v2`; an encrypted
/// `req_info` opens to the fields put in; a changed one never panics.
pub fn notification_v2_refund(data: &[u8]) {
    let f = fixture();
    let mut input = Input(data);
    let mode = input.byte();
    if mode % 4 != 0 {
        let body = input.rest();
        match f.client.v2_refund_notification(body) {
            Ok(notification) => {
                let Ok(mut fields) = xml::parse(body) else {
                    panic!("fuzzing property violated: an accepted refund notification does not parse");
                };
                check!(fields.get("return_code") == Some(&json!("SUCCESS")), "accepted return_code {:?}", fields.get("return_code"));
                let req_info = fields.shift_remove("req_info");
                check!(notification.fields() == &fields, "fields() are not the body's without req_info");
                let plain = req_info
                    .as_ref()
                    .and_then(Value::as_str)
                    .and_then(|r| crate::v2::crypto::decrypt(&EcbKey::from_apiv2_key(&f.v2), r).ok())
                    .and_then(|p| String::from_utf8(p).ok());
                let info = plain.and_then(|p| xml::parse(p.as_bytes()).ok());
                check!(info.as_ref() == Some(notification.info()), "info() is not what req_info decrypts to");
                check_refund_redacted(&notification);
            }
            Err(e) => check_v2_refusal(&e, data),
        }
        return;
    }
    let info = v2_fields(&mut input);
    let tamper = input.byte();
    let position = usize::from(input.u16());
    let Ok(inner) = xml::to_xml_with_root("root", &info) else { return };
    let req_info = crate::v2::crypto::encrypt(&EcbKey::from_apiv2_key(&f.v2), inner.as_bytes());
    let body = |req_info: &str| {
        let outer = json!({"return_code": "SUCCESS", "appid": "wx2421b1c4370ec43b", "mch_id": MCHID,
                           "nonce_str": "TeqClE3i0mvn3DrK", "req_info": req_info});
        xml::to_xml(outer.as_object().unwrap_or(&Map::new())).unwrap_or_default()
    };
    match f.client.v2_refund_notification(body(&req_info).as_bytes()) {
        Ok(n) => {
            check!(n.info() == &info, "an encrypted req_info opened to other fields");
            check_refund_redacted(&n);
        }
        Err(e) => panic!("fuzzing property violated: a valid refund notification was refused: {e}"),
    }
    let mut chars: Vec<char> = req_info.chars().collect();
    let at = position % chars.len();
    chars[at] = char::from(b'A' + tamper % 26);
    let changed: String = chars.into_iter().collect();
    if let Err(e) = f.client.v2_refund_notification(body(&changed).as_bytes()) {
        check_v2_refusal(&e, data);
    }
}

fn check_refund_redacted(notification: &crate::v2::notify::RefundNotification) {
    let shown = format!("{notification:?}");
    let visible = format!("{:?}{:?}", notification.fields(), notification.info().keys().collect::<Vec<_>>());
    for value in notification.info().values().filter_map(Value::as_str) {
        if value.chars().count() >= 8 && !shows(&visible, value) {
            check!(!shows(&shown, value), "Debug of a refund notification shows a decrypted value");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Request preparation
// ---------------------------------------------------------------------------------------------

/// `Client::chain(template).prepare(method, options)` with JSON options. Byte 0: method (`% 5`);
/// template field; options = the rest as JSON (empty = none; other non-JSON inputs are skipped).
///
/// Properties: as `check_prepared`, plus: a `json` option is the body byte for byte, a `body` option
/// is sent verbatim; APIv2 bodies are XML that carries the configured mchid and a `sign` that verifies
/// (computed independently); APIv3 preparation is deterministic; every refusal has `Sent::No`.
pub fn prepare_json(data: &[u8]) {
    let f = fixture();
    let mut input = Input(data);
    let method = METHODS[usize::from(input.byte()) % METHODS.len()].clone();
    let template = input.text();
    let rest = input.rest();
    let options: Value = match serde_json::from_slice(rest) {
        Ok(v) => v,
        Err(_) if rest.is_empty() => Value::Null,
        Err(_) => return,
    };
    let chain = f.client.chain(&template);
    match chain.prepare(method.clone(), options.clone()) {
        Ok(request) => {
            check_prepared(&request, &method, has_false(&options));
            let custom_type = options
                .get("headers")
                .and_then(Value::as_object)
                .is_some_and(|h| h.keys().any(|k| k.eq_ignore_ascii_case("content-type")));
            if request.api() == Api::V3 {
                match (options.get("json").filter(|v| !v.is_null()), options.get("body").and_then(Value::as_str)) {
                    (Some(json), _) => {
                        check!(serde_json::to_vec(json).ok().as_deref() == Some(&request.body()[..]), "the body is not the `json` option");
                        if !custom_type {
                            check!(
                                request.headers().get("content-type") == Some(&HeaderValue::from_static("application/json")),
                                "a JSON body without Content-Type: application/json"
                            );
                        }
                    }
                    (None, Some(body)) => check!(request.body() == body.as_bytes(), "the `body` option was not sent verbatim"),
                    (None, None) => check!(request.body().is_empty(), "a body appeared from nowhere"),
                }
                let again = chain.prepare(method, options);
                check!(
                    again.as_ref().is_ok_and(|a| a.url() == request.url()
                        && a.headers() == request.headers()
                        && a.body() == request.body()),
                    "preparing the same request twice gave different results"
                );
            }
        }
        Err(e) => check!(e.sent() == Sent::No, "a refused preparation says sent = {:?}: {e}", e.sent()),
    }
}

/// Properties of every prepared request: the method kept; https (http only for loopback hosts); a
/// request target of RFC 3986 characters with valid escapes and no `.`/`..` segment; the signature
/// message is `METHOD\nTARGET\nTS\nNONCE\nBODY\n`; `Debug` does not show the body; APIv2 requests
/// carry the configured mchid and a `sign` that verifies.
fn check_prepared(request: &crate::PreparedRequest, method: &Method, has_false: bool) {
    check!(request.method() == method, "the method changed to {}", request.method());
    let url = request.url();
    let host = url.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match url.scheme_str() {
        Some("https") => {}
        Some("http") => check!(loopback, "plain http to {host}"),
        other => panic!("fuzzing property violated: the URL scheme is {other:?}"),
    }
    check!(!host.is_empty() && url.authority().is_some_and(|a| !a.as_str().contains('@')), "URL authority `{url}`");
    let after_host = url.authority().map_or("", |a| a.as_str().rsplit_once(']').map_or(a.as_str(), |(_, rest)| rest));
    if let Some((_, port)) = after_host.rsplit_once(':') {
        check!(port.parse::<u16>().is_ok_and(|p| p != 0), "URL port `{port}` in `{url}`");
    }
    let target = request.request_target();
    check!(target.starts_with('/'), "request target `{target}`");
    let bytes = target.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let allowed = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b);
        check!(allowed, "request target `{target}` has byte {b:#04x}");
        if b == b'%' {
            let escape = bytes.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
            check!(escape, "request target `{target}` has a bare %");
        }
    }
    let path = target.split('?').next().unwrap_or_default();
    for segment in path.split('/') {
        let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
        check!(decoded != "." && decoded != "..", "request target `{target}` has a dot segment");
    }
    let mut expected = format!("{method}\n{target}\n1795562040\nNONCE\n").into_bytes();
    expected.extend_from_slice(request.signed_body());
    expected.push(b'\n');
    check!(request.sign_message(NOW, "NONCE") == expected, "the signature message is not METHOD\\nTARGET\\nTS\\nNONCE\\nBODY\\n");
    if let Ok(body) = std::str::from_utf8(request.body()) {
        let names = format!("{:?}", request.headers().keys().collect::<Vec<_>>());
        if body.len() >= 16 && !url.to_string().contains(body) && !shows(&names, body) {
            check!(!shows(&format!("{request:?}"), body), "Debug of a prepared request shows the body");
        }
    }
    if let Api::V2 { .. } = request.api() {
        let fields = if method == Method::GET {
            check!(request.body().is_empty(), "an APIv2 GET has a body");
            let query = url.query().unwrap_or_default();
            let mut map = Map::new();
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
                map.insert(decode(k), Value::String(decode(v)));
            }
            map
        } else {
            match xml::parse(request.body()) {
                Ok(map) => map,
                Err(e) => panic!("fuzzing property violated: an APIv2 body does not parse back: {e}"),
            }
        };
        let mchid = ["mch_id", "mchid", "combine_mch_id"].iter().find_map(|k| fields.get(*k).filter(|v| !v.is_null()));
        check!(mchid == Some(&json!(MCHID)), "an APIv2 request for mchid {mchid:?}");
        let sign = fields.get("sign").and_then(Value::as_str).unwrap_or_default();
        let hmac = fields.get("sign_type") == Some(&json!("HMAC-SHA256"));
        // `false` is signed as `k=` but written as an empty value, which the receiver leaves out (the PHP
        // SDK does the same), so requests with a `false` field are not compared.
        if let (Some(expected), false) = (v2_signature(&fields, hmac), has_false) {
            check!(sign == expected, "an APIv2 request signed `{sign}`, expected `{expected}`");
        }
    }
}

/// Whether `value` holds a `false` anywhere.
fn has_false(value: &Value) -> bool {
    match value {
        Value::Bool(b) => !b,
        Value::Array(items) => items.iter().any(has_false),
        Value::Object(map) => map.values().any(has_false),
        _ => false,
    }
}

/// A JSON value from a field: the field as JSON if it is, else the field as a string.
fn json_value(field: &[u8]) -> Value {
    serde_json::from_slice(field).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(field).into_owned()))
}

/// The typed `Options` builder and `Chain::seg`/`param`. Byte 0: method (`% 5`); template field;
/// then up to 24 operations, each an opcode byte and its fields (see the match below).
///
/// Properties: as `check_prepared`, plus, for APIv3: a single string path value appears
/// `rawurlencode`d in the target where its `{name}` expression was; a single string query value
/// appears as `rawurlencode(name)=rawurlencode(value)`; the last value given for a header is sent;
/// a media upload is `multipart/form-data` signed over its meta.
pub fn prepare_typed(data: &[u8]) {
    let f = fixture();
    let mut input = Input(data);
    let method = METHODS[usize::from(input.byte()) % METHODS.len()].clone();
    let mut chain = f.client.chain(&input.text());
    let mut options = Options::new();
    let mut params: Vec<(String, Value)> = Vec::new();
    let mut queries: Vec<(String, Value)> = Vec::new();
    let mut raw_query = false;
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut media: Option<Media> = None;
    let mut has_any_false = false;
    for _ in 0..24 {
        if input.is_empty() {
            break;
        }
        match input.byte() % 14 {
            0 => chain = chain.seg(&input.text()),
            1 => chain = chain.param(&input.text()),
            2 => {
                let (name, value) = (input.text(), json_value(input.field()));
                params.push((name.clone(), value.clone()));
                options = options.param(name, value);
            }
            3 => {
                let (name, value) = (input.text(), json_value(input.field()));
                has_any_false |= has_false(&value);
                queries.push((name.clone(), value.clone()));
                options = options.query(name, value);
            }
            4 => {
                raw_query = true;
                options = options.query_string(input.text());
            }
            5 => options = options.json(&json_value(input.field())),
            6 => options = options.body(input.field().to_vec()),
            7 => {
                let (name, value) = (input.text(), input.text());
                headers.push((name.clone(), value.clone()));
                options = options.header(name, value);
            }
            8 => options = options.base_uri(input.text()),
            9 => options = options.timeout(Duration::from_millis(u64::from(input.u16()))),
            10 => {
                let value = json_value(input.field());
                has_any_false |= has_false(&value);
                options = options.xml(&value);
            }
            11 => options = options.nonceless(),
            12 => options = options.security(),
            _ => {
                let name = input.text();
                if let Ok(m) = Media::from_bytes(name, input.field().to_vec()) {
                    media = Some(m.clone());
                    options = options.media(m);
                }
            }
        }
    }
    let template = chain.template().to_owned();
    let Ok(request) = chain.prepare(method.clone(), options) else { return };
    check_prepared(&request, &method, has_any_false);
    if request.api() != Api::V3 {
        return;
    }
    let target = request.request_target();
    if let [(name, Value::String(value))] = params.as_slice() {
        if template.contains(&format!("{{{name}}}")) && !value.is_empty() {
            check!(target.contains(&rawurlencode(value)), "path value `{value}` is not `{}` in `{target}`", rawurlencode(value));
        }
    }
    if let ([(name, Value::String(value))], false) = (queries.as_slice(), raw_query) {
        let pair = format!("{}={}", rawurlencode(name), rawurlencode(value));
        let query = target.split_once('?').map(|(_, q)| q).unwrap_or_default();
        check!(query.split('&').any(|p| p == pair), "query `{query}` lacks `{pair}`");
    }
    let mut last: HashMap<HeaderName, &str> = HashMap::new();
    for (name, value) in &headers {
        if let Ok(name) = HeaderName::from_bytes(name.as_bytes()) {
            last.insert(name, value);
        }
    }
    for (name, value) in last {
        let sent = request.headers().get_all(&name).iter().any(|v| v.as_bytes() == value.as_bytes());
        check!(sent, "header `{name}: {value}` was accepted but not sent");
    }
    if let Some(media) = media {
        let content_type = request.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
        check!(content_type.starts_with("multipart/form-data; boundary="), "a media upload sent as `{content_type}`");
        check!(request.signed_body() == &media.meta_bytes(), "a media upload is not signed over its meta");
    }
}

// ---------------------------------------------------------------------------------------------
// Keys and certificates
// ---------------------------------------------------------------------------------------------

/// `PrivateKey::load` and `PublicKey::load`. Byte 0: form (`% 5`): 0–1 the rest as text (inputs
/// starting `file://` are skipped: they would read files named by the fuzzer); 2 the rest written to a
/// temporary file and loaded as `file://` (the DER sniffing path); 3 a pseudo-URL (next byte picks
/// `private.pkcs1/pkcs8`, `public.pkcs1/spki`) over base64 of the rest; 4 `pkcs1_to_spki` of the rest.
///
/// Properties: nothing loads as both a private and a public key; a loaded private key is RSA-2048..8192,
/// shows no key material in `Debug`, signs what its public key verifies, decrypts what its public key
/// encrypts, and its public key reloads from `public.pkcs1://` unchanged; a loaded public key reloads
/// the same from its PKCS#1 DER, and a certificate's serial is upper-case hex without leading zero
/// bytes; `public.pkcs1://X` and `public.spki://pkcs1_to_spki(X)` load the same key or both fail.
pub fn key_load(data: &[u8]) {
    let mut input = Input(data);
    let form = input.byte() % 5;
    match form {
        0 | 1 => {
            let text = String::from_utf8_lossy(input.rest());
            if text.trim().starts_with("file://") {
                return;
            }
            check_keys(&text);
        }
        2 => {
            static COUNTER: AtomicU64 = AtomicU64::new(0);
            let path = std::env::temp_dir().join(format!(
                "wechatpay-fuzz-key-{}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            if std::fs::write(&path, input.rest()).is_ok() {
                check_keys(&format!("file://{}", path.display()));
            }
            let _ = std::fs::remove_file(&path);
        }
        3 => {
            let prefix = ["private.pkcs1://", "private.pkcs8://", "public.pkcs1://", "public.spki://"]
                [usize::from(input.byte()) % 4];
            check_keys(&format!("{prefix}{}", STANDARD.encode(input.rest())));
        }
        _ => {
            let der = input.rest();
            let pkcs1 = STANDARD.encode(der);
            let spki = pkcs1_to_spki(&pkcs1);
            check!(spki.is_ok(), "pkcs1_to_spki refused {} bytes: {spki:?}", der.len());
            let direct = PublicKey::load(&format!("public.pkcs1://{pkcs1}"));
            let wrapped = PublicKey::load(&format!("public.spki://{}", spki.unwrap_or_default()));
            match (&direct, &wrapped) {
                (Ok(a), Ok(b)) => check!(
                    a.rsa_public_key_der() == b.rsa_public_key_der() && a.bits() == b.bits(),
                    "the PKCS#1 key and its SPKI wrapping load differently"
                ),
                (Err(_), Err(_)) => {}
                _ => panic!(
                    "fuzzing property violated: PKCS#1 {} but its SPKI wrapping {}",
                    if direct.is_ok() { "loads" } else { "fails" },
                    if wrapped.is_ok() { "loads" } else { "fails" }
                ),
            }
            if let Ok(key) = &direct {
                check_public(key);
            }
        }
    }
}

fn check_keys(text: &str) {
    let private = PrivateKey::load(text);
    let public = PublicKey::load(text);
    check!(!(private.is_ok() && public.is_ok()), "the same input loads as a private and as a public key");
    if let Ok(key) = &private {
        let public = key.public_key();
        check!((2048..=8192).contains(&public.bits()), "a {}-bit private key loaded", public.bits());
        check!(
            format!("{key:?}") == format!("PrivateKey(RSA-{}, redacted)", public.bits()),
            "Debug of a private key is `{key:?}`"
        );
        check!(public.rsa_public_key_der() == key.public_key_der(), "public_key() differs from public_key_der()");
        let signed = key.sign_sha256(b"fuzz message");
        check!(
            signed.as_ref().is_ok_and(|s| public.verify_sha256(b"fuzz message", s)),
            "a loaded private key's signature does not verify with its public key"
        );
        let reloaded = PublicKey::load(&format!("public.pkcs1://{}", STANDARD.encode(key.public_key_der())));
        check!(
            reloaded.as_ref().is_ok_and(|r| r.rsa_public_key_der() == key.public_key_der()),
            "a loaded private key's public key does not reload: {reloaded:?}"
        );
        // ring signs with the CRT parameters only; `rsa` also checks the private exponent and may refuse a
        // key ring took, which then cannot decrypt (documented on `PrivateKey`): that is `OaepError::Key`.
        if let Ok(sealed) = public.encrypt_oaep("fuzz 字段") {
            let opened = key.decrypt_oaep(&sealed);
            check!(
                opened.as_ref().is_ok_and(|o| o.expose() == "fuzz 字段") || matches!(opened, Err(OaepError::Key(_))),
                "a loaded private key does not decrypt what its public key encrypted: {opened:?}"
            );
        }
    }
    if let Ok(key) = &public {
        check_public(key);
    }
}

fn check_public(key: &PublicKey) {
    check!((2048..=8192).contains(&key.bits()), "a {}-bit public key loaded", key.bits());
    let reloaded = PublicKey::load(&format!("public.pkcs1://{}", STANDARD.encode(key.rsa_public_key_der())));
    check!(
        reloaded.as_ref().is_ok_and(|r| r.rsa_public_key_der() == key.rsa_public_key_der() && r.bits() == key.bits()),
        "a loaded public key does not reload from its PKCS#1 DER: {reloaded:?}"
    );
    if let Some(info) = key.certificate() {
        let serial = &info.serial;
        check!(
            !serial.is_empty()
                && serial.len() % 2 == 0
                && serial.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
                && (serial.len() == 2 || !serial.starts_with("00")),
            "certificate serial `{serial}`"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// APIv2 XML
// ---------------------------------------------------------------------------------------------

/// `v2::xml`. Byte 0: mode (even: parse the rest; odd: build a map from the rest and write it).
///
/// Parsing properties: no character data is dropped (the non-whitespace characters of the text inside
/// the root equal those of the returned values; known bug `xml-root-mixed-content`); the result writes
/// back (`to_xml`) to XML that parses, and to the same fields where the writer's documented limits
/// allow (element-name keys, no lists, no empty maps); an exact re-serialization (repeated elements,
/// escapes) parses to the same fields. Writing properties: written XML always parses, to the same fields
/// within the same limits; a refusal names an unwritable character, the depth or the root name.
pub fn xml(data: &[u8]) {
    let mut input = Input(data);
    if input.byte() % 2 == 0 {
        xml_parse(input.rest());
    } else {
        xml_write(input);
    }
}

fn xml_parse(text: &[u8]) {
    let _ = xml::parse_with_limits(text, xml::Limits { max_bytes: 64, max_depth: 3 });
    let fields = match xml::parse(text) {
        Ok(fields) => fields,
        Err(e) => {
            let _ = (e.to_string(), format!("{e:?}"));
            return;
        }
    };
    if let Some((inside, at_root)) = character_data(text) {
        let kept = count_text(&Value::Object(fields.clone()));
        if at_root > 0 && inside.checked_sub(kept) == Some(at_root) {
            check_known!(
                "xml-root-mixed-content",
                false,
                "parsing dropped the {at_root} non-whitespace characters of text next to child elements in the root"
            );
        }
        check!(inside == kept, "parsing kept {kept} of {inside} non-whitespace text characters ({at_root} in the root)");
    }
    let written = match xml::to_xml(&fields) {
        Ok(written) => Some(written),
        // The writer puts a list's items one level below its name, so a list at the deepest level the
        // parser allows is too deep to write.
        Err(crate::v2::XmlError::TooDeep { .. }) if has_list(&Value::Object(fields.clone())) => None,
        Err(e) => panic!("fuzzing property violated: parsed fields do not write back: {e:?}"),
    };
    if let Some(written) = written {
        check_written(&fields, &written);
    }
    let mut exact = String::from("<xml>");
    write_exact(&fields, &mut exact);
    exact.push_str("</xml>");
    let again = xml::parse(exact.as_bytes());
    check!(again.as_ref().ok() == Some(&fields), "an exact re-serialization parses differently: {again:?}");
}

fn has_list(value: &Value) -> bool {
    match value {
        Value::Array(_) => true,
        Value::Object(map) => map.values().any(has_list),
        _ => false,
    }
}

fn check_written(fields: &Map<String, Value>, written: &str) {
    let reparsed = xml::parse(written.as_bytes());
    check!(reparsed.is_ok(), "written XML does not parse: {reparsed:?}");
    if round_trips(fields) {
        check!(reparsed.as_ref().ok() == Some(fields), "parse → write → parse changed the fields");
    }
}

/// Non-whitespace characters of the character data inside the root element, and of those directly in
/// the root, read with quick-xml's tokenizer (the parser's, with the same strictness). `None` if the
/// tokenizer disagrees that the document is well-formed.
fn character_data(text: &[u8]) -> Option<(usize, usize)> {
    use quick_xml::events::Event;
    let text = std::str::from_utf8(text).ok()?;
    let mut reader = quick_xml::Reader::from_str(text.strip_prefix('\u{FEFF}').unwrap_or(text));
    reader.config_mut().trim_text(false);
    let count = |s: &str| s.chars().filter(|c| !matches!(c, ' ' | '\t' | '\n' | '\r')).count();
    let (mut depth, mut inside, mut at_root) = (0usize, 0usize, 0usize);
    loop {
        let n = match reader.read_event().ok()? {
            Event::Start(_) => {
                depth += 1;
                0
            }
            Event::End(_) => {
                depth = depth.checked_sub(1)?;
                0
            }
            Event::Text(t) if depth > 0 => count(&t.xml10_content()),
            Event::CData(t) if depth > 0 => count(&t.xml10_content()),
            Event::GeneralRef(r) if depth > 0 => match r.resolve_char_ref() {
                Ok(Some(c)) => count(&c.to_string()),
                _ => 1,
            },
            Event::Eof => return Some((inside, at_root)),
            _ => 0,
        };
        inside += n;
        if depth == 1 {
            at_root += n;
        }
    }
}

fn count_text(value: &Value) -> usize {
    match value {
        Value::String(s) => s.chars().filter(|c| !matches!(c, ' ' | '\t' | '\n' | '\r')).count(),
        Value::Array(items) => items.iter().map(count_text).sum(),
        Value::Object(map) => map.values().map(count_text).sum(),
        _ => 0,
    }
}

/// Whether `to_xml` is documented to give these fields back: keys it writes as themselves, string
/// or non-empty map values, no lists.
fn round_trips(fields: &Map<String, Value>) -> bool {
    fields.iter().all(|(k, v)| {
        xml::is_element_name(k)
            && match v {
                Value::String(_) => true,
                Value::Object(map) => !map.is_empty() && round_trips(map),
                _ => false,
            }
    })
}

/// The parsed shape written back exactly: lists as repeated elements, text escaped, CR as `&#13;`.
fn write_exact(fields: &Map<String, Value>, out: &mut String) {
    for (name, value) in fields {
        let items = match value {
            Value::Array(items) => items.as_slice(),
            other => std::slice::from_ref(other),
        };
        for item in items {
            out.push_str(&format!("<{name}>"));
            match item {
                Value::Object(map) => write_exact(map, out),
                Value::String(s) => {
                    for c in s.chars() {
                        match c {
                            '<' => out.push_str("&lt;"),
                            '&' => out.push_str("&amp;"),
                            '>' => out.push_str("&gt;"),
                            '\r' => out.push_str("&#13;"),
                            c => out.push(c),
                        }
                    }
                }
                _ => {}
            }
            out.push_str(&format!("</{name}>"));
        }
    }
}

/// Root field; then entries: a control byte (bits 0–1: 0 string, 1 list of strings, 2 open a map,
/// 3 close the map; bit 2: the value is the field's raw text, else kept to XML characters), key and
/// value fields.
fn xml_write(mut input: Input<'_>) {
    let root = input.text();
    let root = if root.is_empty() { "xml".to_owned() } else { root };
    let mut stack: Vec<(String, Map<String, Value>)> = vec![(String::new(), Map::new())];
    while !input.is_empty() && stack.len() < 40 {
        let control = input.byte();
        let key = input.text();
        let raw = input.text();
        let value = if control & 4 != 0 { raw } else { raw.chars().filter(|&c| is_xml_char(c)).collect() };
        match control % 4 {
            0 => {
                if let Some((_, map)) = stack.last_mut() {
                    map.insert(key, Value::String(value));
                }
            }
            1 => {
                let list = value.split('|').map(|s| Value::String(s.to_owned())).collect();
                if let Some((_, map)) = stack.last_mut() {
                    map.insert(key, Value::Array(list));
                }
            }
            2 => stack.push((key, Map::new())),
            _ => close_level(&mut stack),
        }
    }
    while stack.len() > 1 {
        close_level(&mut stack);
    }
    let fields = stack.pop().map(|(_, map)| map).unwrap_or_default();
    match xml::to_xml_with_root(&root, &fields) {
        Ok(text) => {
            check!(!contains_unwritable(&Value::Object(fields.clone())), "a value XML cannot carry was written");
            check!(text.starts_with(&format!("<{root}>")) && text.ends_with(&format!("</{root}>")), "root of `{text}`");
            let parsed = xml::parse(text.as_bytes());
            check!(parsed.is_ok(), "written XML does not parse: {parsed:?}");
            if round_trips(&fields) {
                check!(parsed.as_ref().ok() == Some(&fields), "write → parse changed the fields");
            }
        }
        Err(e) => {
            let unwritable = contains_unwritable(&Value::Object(fields.clone()));
            check!(
                matches!(e, crate::v2::XmlError::UnwritableCharacter { .. }) == unwritable
                    || matches!(e, crate::v2::XmlError::TooDeep { .. } | crate::v2::XmlError::InvalidRootName { .. }),
                "writing failed with {e:?}"
            );
        }
    }
}

fn close_level(stack: &mut Vec<(String, Map<String, Value>)>) {
    if stack.len() > 1 {
        if let (Some((key, map)), Some((_, parent))) = (stack.pop(), stack.last_mut()) {
            parent.insert(key, Value::Object(map));
        }
    }
}

fn contains_unwritable(value: &Value) -> bool {
    match value {
        Value::String(s) => !s.chars().all(is_xml_char),
        Value::Array(items) => items.iter().any(contains_unwritable),
        Value::Object(map) => map.values().any(contains_unwritable),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Ciphers
// ---------------------------------------------------------------------------------------------

/// `crypto::aead` (AES-256-GCM). Byte 0: mode (even: decrypt arbitrary input; odd: seal, open,
/// tamper); key field (used when 32 bytes, else the fixture's APIv3 key); nonce field; associated-data
/// field; then the ciphertext text (even) or tamper byte, 2 position bytes and plaintext (odd).
///
/// Properties: whatever decrypts re-encrypts to the same bytes (so nothing opens that the key did not
/// seal); a sealed plaintext opens, also from line-wrapped base64; a flipped bit anywhere, other
/// associated data or another nonce is refused with `Authentication`; nonces outside 1–64 bytes are
/// refused as such.
pub fn aes_gcm(data: &[u8]) {
    let f = fixture();
    let mut input = Input(data);
    let mode = input.byte();
    let key_field = input.field();
    let key = std::str::from_utf8(key_field).ok().and_then(|k| ApiV3Key::new(k).ok());
    check!(key.is_some() == (key_field.len() == 32 && std::str::from_utf8(key_field).is_ok()), "ApiV3Key::new on {} bytes", key_field.len());
    let key = key.unwrap_or_else(|| f.v3.clone());
    let nonce = input.field();
    let associated_data = input.field();
    if mode % 2 == 0 {
        let ciphertext = String::from_utf8_lossy(input.rest());
        if let Ok(plain) = aead::decrypt(&key, nonce, associated_data, &ciphertext) {
            let sealed = aead::encrypt(&key, nonce, associated_data, &plain).ok().and_then(|s| decode_compact(&s));
            check!(sealed.is_some() && sealed == decode_compact(&ciphertext), "a decrypted ciphertext does not re-encrypt to itself");
        }
        return;
    }
    let tamper = input.byte();
    let position = usize::from(input.u16());
    let plaintext = input.rest();
    let sealed = match aead::encrypt(&key, nonce, associated_data, plaintext) {
        Ok(sealed) => sealed,
        Err(e) => {
            check!(
                e == AeadError::NonceLength { length: nonce.len() } && !(1..=64).contains(&nonce.len()),
                "sealing failed: {e:?}"
            );
            return;
        }
    };
    let opened = aead::decrypt(&key, nonce, associated_data, &sealed);
    check!(opened.as_deref() == Ok(plaintext), "a sealed plaintext did not open: {opened:?}");
    let wrapped: String =
        sealed.as_bytes().chunks(64).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("\r\n");
    check!(aead::decrypt(&key, nonce, associated_data, &wrapped).as_deref() == Ok(plaintext), "line-wrapped base64 did not open");
    let mut raw = STANDARD.decode(&sealed).unwrap_or_default();
    let at = position % raw.len();
    raw[at] ^= 1 << (tamper % 8);
    let flipped = aead::decrypt(&key, nonce, associated_data, &STANDARD.encode(&raw));
    check!(flipped == Err(AeadError::Authentication), "a flipped bit at byte {at} gave {flipped:?}");
    let other_ad = [associated_data, b"x"].concat();
    let refused = aead::decrypt(&key, nonce, &other_ad, &sealed);
    check!(refused == Err(AeadError::Authentication), "other associated data gave {refused:?}");
    if nonce.len() < 64 {
        let other_nonce = [nonce, b"x"].concat();
        let refused = aead::decrypt(&key, &other_nonce, associated_data, &sealed);
        check!(refused == Err(AeadError::Authentication), "another nonce gave {refused:?}");
    }
}

/// `v2::crypto` (AES-256-ECB of `req_info`). Byte 0: mode (even: decrypt the rest as text; odd:
/// encrypt the rest, decrypt, decrypt with a wrong key); key field (32 bytes: the raw key; otherwise,
/// if non-empty and a valid APIv2 key, its MD5 key; else the fixture's).
///
/// Properties: whatever decrypts re-encrypts to the same bytes; `decrypt_req_info` agrees with
/// `decrypt` under the APIv2 key's MD5 key; a plaintext round-trips; a wrong key never yields it.
pub fn aes_ecb(data: &[u8]) {
    let f = fixture();
    let mut input = Input(data);
    let mode = input.byte();
    let key_field = input.field();
    let apiv2 = std::str::from_utf8(key_field).ok().and_then(|k| ApiV2Key::new(k).ok());
    let key = match (EcbKey::new(key_field), &apiv2) {
        (Ok(key), _) => key,
        (Err(_), Some(apiv2)) => EcbKey::from_apiv2_key(apiv2),
        (Err(_), None) => EcbKey::from_apiv2_key(&f.v2),
    };
    if mode % 2 == 0 {
        let ciphertext = String::from_utf8_lossy(input.rest());
        let decrypted = crate::v2::crypto::decrypt(&key, &ciphertext);
        if let Ok(plain) = &decrypted {
            let again = decode_compact(&crate::v2::crypto::encrypt(&key, plain));
            check!(again.is_some() && again == decode_compact(&ciphertext), "a decrypted ciphertext does not re-encrypt to itself");
        }
        let apiv2 = apiv2.unwrap_or_else(|| f.v2.clone());
        let by_req_info = crate::v2::crypto::decrypt_req_info(&ciphertext, &apiv2);
        let direct = crate::v2::crypto::decrypt(&EcbKey::from_apiv2_key(&apiv2), &ciphertext);
        match (&by_req_info, &direct) {
            (Ok(text), Ok(bytes)) => check!(text.as_bytes() == bytes.as_slice(), "decrypt_req_info and decrypt disagree"),
            (Ok(_), Err(e)) => panic!("fuzzing property violated: decrypt_req_info succeeded where decrypt gave {e:?}"),
            (Err(crate::v2::EcbError::NotUtf8), Ok(bytes)) => check!(std::str::from_utf8(bytes).is_err(), "NotUtf8 for UTF-8"),
            (Err(a), Err(b)) => check!(a == b, "decrypt_req_info gave {a:?}, decrypt {b:?}"),
            (Err(a), Ok(_)) => panic!("fuzzing property violated: decrypt_req_info gave {a:?} where decrypt succeeded"),
        }
        return;
    }
    let plaintext = input.rest();
    let sealed = crate::v2::crypto::encrypt(&key, plaintext);
    let opened = crate::v2::crypto::decrypt(&key, &sealed);
    check!(opened.as_deref() == Ok(plaintext), "an ECB plaintext did not round-trip: {opened:?}");
    let wrong = EcbKey::new(&digest::digest(&digest::SHA256, key_field).as_ref()[..32]).unwrap_or(key);
    if let Ok(garbled) = crate::v2::crypto::decrypt(&wrong, &sealed) {
        check!(garbled != plaintext, "another key decrypted the plaintext");
    }
}

/// `PrivateKey::decrypt_oaep` (RSA-OAEP, SHA-1). Byte 0: mode (even: decrypt the rest as text; odd:
/// encrypt the rest as text with the merchant's public key, decrypt, then flip bit `tamper` at byte
/// `position`: a tamper byte and 2 position bytes precede the text).
///
/// Properties: a decrypted value is deterministic and its `Debug`/`Display` are exactly the redacted
/// forms; a wrong-length ciphertext is refused as such; plaintexts up to 214 bytes round-trip, longer
/// ones are refused as `TooLong`; any flipped bit is refused.
pub fn rsa_oaep(data: &[u8]) {
    let f = fixture();
    let mut input = Input(data);
    let mode = input.byte();
    if mode % 2 == 0 {
        let text = String::from_utf8_lossy(input.rest());
        match f.merchant.decrypt_oaep(&text) {
            Ok(value) => {
                check!(format!("{value:?}") == format!("Sensitive(<redacted, {} bytes>)", value.len()), "Debug of a decrypted field");
                check!(value.to_string() == format!("<redacted, {} bytes>", value.len()), "Display of a decrypted field");
                let again = f.merchant.decrypt_oaep(&text);
                check!(again.as_ref().is_ok_and(|a| a.expose() == value.expose()), "decrypting twice differed");
            }
            Err(OaepError::CiphertextLength { length, expected }) => {
                check!(expected == 256 && length != 256, "CiphertextLength {{ {length}, {expected} }}");
                check!(decode_compact(&text).is_some_and(|b| b.len() == length), "CiphertextLength of valid base64");
            }
            Err(_) => {}
        }
        return;
    }
    let tamper = input.byte();
    let position = usize::from(input.u16());
    let text = String::from_utf8_lossy(input.rest());
    let public = f.merchant.public_key();
    match public.encrypt_oaep(&text) {
        Ok(sealed) => {
            check!(text.len() <= 214, "a {}-byte plaintext was encrypted", text.len());
            let opened = f.merchant.decrypt_oaep(&sealed);
            check!(opened.as_ref().is_ok_and(|o| o.expose() == text), "an OAEP round trip failed: {opened:?}");
            let mut raw = STANDARD.decode(&sealed).unwrap_or_default();
            let at = position % raw.len();
            raw[at] ^= 1 << (tamper % 8);
            let flipped = f.merchant.decrypt_oaep(&STANDARD.encode(&raw));
            check!(flipped.is_err(), "a ciphertext with bit {} of byte {at} flipped decrypted", tamper % 8);
        }
        Err(e) => check!(
            matches!(e, OaepError::TooLong { max: 214, .. }) && text.len() > 214,
            "encrypting {} bytes failed: {e}",
            text.len()
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Multipart uploads
// ---------------------------------------------------------------------------------------------

const UPLOAD_PATHS: [&str; 5] = [
    "v3/merchant/media/upload",
    "v3/merchant/media/video_upload",
    "v3/marketing/favor/media/image-upload",
    "v3/fuzz/not-catalogued",
    "v3/pay/transactions/jsapi",
];
const IMAGE_EXTENSIONS: [&str; 4] = ["jpg", "jpeg", "png", "bmp"];
const VIDEO_EXTENSIONS: [&str; 10] = ["avi", "wmv", "mpeg", "mp4", "mov", "mkv", "flv", "f4v", "m4v", "rmvb"];

/// `Media` and the upload body of `prepare`. Byte 0: bits 0–2 the endpoint (5–7: a path field), bit
/// 3 not `POST`, bits 4–5 meta (default, `meta` from a JSON field, `meta_json` from a field), bit 6 a
/// custom boundary field; file-name field; then those fields; file bytes = rest.
///
/// Properties: a file name is refused exactly when its last component is empty or has `"`, `\` or a
/// control character; the SHA-256 is the file's; `Debug` shows no file name; an accepted upload is a
/// non-empty file on `POST`, with the documented extensions at the two media endpoints and never at
/// a JSON endpoint; its body parses, independently, as `multipart/form-data` with exactly the meta
/// part (the signed bytes) and the file part (name and bytes), the boundary occurring nowhere else;
/// the boundary in `Content-Type` is an RFC 2045 token or quoted (known bug
/// `multipart-unquoted-boundary`) and an RFC 2046 boundary.
pub fn multipart(data: &[u8]) {
    let f = fixture();
    let mut input = Input(data);
    let control = input.byte();
    let filename = input.text();
    let path = match control % 8 {
        n @ 0..=4 => UPLOAD_PATHS[usize::from(n)].to_owned(),
        _ => input.text(),
    };
    let method = if control & 8 != 0 { [Method::GET, Method::PUT, Method::PATCH, Method::DELETE][usize::from(control >> 4) % 4].clone() } else { Method::POST };
    let meta_field = if control & 0x30 != 0 { Some(input.text()) } else { None };
    let boundary = if control & 0x40 != 0 { Some(input.text()) } else { None };
    let bytes = input.rest().to_vec();

    let base = filename.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_owned();
    let media = Media::from_bytes(filename.clone(), bytes.clone());
    let refusable = base.is_empty() || base.chars().any(|c| c == '"' || c == '\\' || c.is_control());
    check!(media.is_err() == refusable, "file name `{}`: {:?}", filename.escape_debug(), media.as_ref().err());
    let Ok(mut media) = media else { return };
    check!(media.filename() == base, "file name `{}` became `{}`", filename.escape_debug(), media.filename());
    check!(media.sha256() == digest_hex(&digest::SHA256, &bytes), "the SHA-256 is not the file's");
    if base.len() >= 6 {
        check!(!format!("{media:?}").contains(&base), "Debug of a media shows the file name");
    }
    match ((control >> 4) & 3, meta_field) {
        (0, _) | (_, None) => {}
        (1 | 3, Some(text)) => match media.clone().meta(json_value(text.as_bytes())) {
            Ok(m) => media = m,
            Err(_) => return,
        },
        (_, Some(text)) => match media.clone().meta_json(text) {
            Ok(m) => media = m,
            Err(_) => return,
        },
    }
    if let Some(boundary) = boundary {
        match media.clone().boundary(boundary) {
            Ok(m) => media = m,
            Err(_) => return,
        }
    }
    let Ok(request) = f.client.chain(&path).prepare(method.clone(), Options::new().media(media.clone())) else {
        return;
    };
    check!(method == Method::POST, "a media upload was prepared for {method}");
    check!(!bytes.is_empty(), "an empty file was accepted");
    let extension = base.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match path.as_str() {
        "v3/merchant/media/upload" => check!(IMAGE_EXTENSIONS.contains(&extension.as_str()), "`.{extension}` at {path}"),
        "v3/merchant/media/video_upload" => check!(VIDEO_EXTENSIONS.contains(&extension.as_str()), "`.{extension}` at {path}"),
        "v3/pay/transactions/jsapi" => panic!("fuzzing property violated: a media upload to a JSON endpoint"),
        _ => {}
    }
    let content_type = request.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let Some(parameter) = content_type.strip_prefix("multipart/form-data; boundary=") else {
        panic!("fuzzing property violated: an upload sent as `{content_type}`");
    };
    let boundary = match parameter.strip_prefix('"').and_then(|p| p.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => {
            let token = parameter.bytes().all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b));
            check_known!(
                "multipart-unquoted-boundary",
                token,
                "the boundary `{parameter}` is neither an RFC 2045 token nor quoted"
            );
            parameter.to_owned()
        }
    };
    let bchar = |b: u8| b.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&b);
    check!(
        (1..=70).contains(&boundary.len()) && boundary.bytes().all(bchar) && !boundary.ends_with(' '),
        "`{boundary}` is not an RFC 2046 boundary"
    );
    let meta = media.meta_bytes();
    check!(request.signed_body() == &meta, "the upload is not signed over its meta");
    check_multipart(request.body(), &boundary, &meta, media.filename(), &bytes);
}

/// Parses `body` as RFC 2046 `multipart/form-data` and checks it has exactly the meta and the file part.
fn check_multipart(body: &[u8], boundary: &str, meta: &[u8], filename: &str, file: &[u8]) {
    let delimiter = format!("\r\n--{boundary}").into_bytes();
    let mut framed = b"\r\n".to_vec();
    framed.extend_from_slice(body);
    let mut pieces = Vec::new();
    let mut rest = framed.as_slice();
    while let Some(at) = rest.windows(delimiter.len()).position(|w| w == delimiter.as_slice()) {
        pieces.push(&rest[..at]);
        rest = &rest[at + delimiter.len()..];
    }
    pieces.push(rest);
    check!(pieces.len() == 4, "the body splits into {} pieces at its boundary, not preamble + 2 parts + end", pieces.len());
    check!(pieces[0].is_empty() && pieces[3] == b"--\r\n", "preamble or epilogue in the multipart body");
    let part = |piece: &[u8]| -> (String, Vec<u8>) {
        let piece = piece.strip_prefix(b"\r\n").unwrap_or_default();
        match piece.windows(4).position(|w| w == b"\r\n\r\n") {
            Some(at) => (String::from_utf8_lossy(&piece[..at]).into_owned(), piece[at + 4..].to_vec()),
            None => (String::new(), Vec::new()),
        }
    };
    let (meta_headers, meta_content) = part(pieces[1]);
    check!(meta_headers.contains("Content-Disposition: form-data; name=\"meta\""), "meta part headers `{meta_headers}`");
    check!(meta_content == meta, "the meta part is not the signed meta");
    let (file_headers, file_content) = part(pieces[2]);
    check!(
        file_headers.contains(&format!("Content-Disposition: form-data; name=\"file\"; filename=\"{filename}\"")),
        "file part headers `{file_headers}`"
    );
    check!(file_content == file, "the file part is not the file");
}

// ---------------------------------------------------------------------------------------------
// Downloads: a real HTTP exchange with an in-process server
// ---------------------------------------------------------------------------------------------

/// How the loopback server frames a body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    Chunked,
    Length,
    /// Until the connection closes (no length).
    Close,
    /// A `Content-Length` larger than what is sent, then the connection closes.
    ShortLength,
    /// Chunks without the final empty chunk, then the connection closes.
    UnfinishedChunks,
}

struct Plan {
    framing: Framing,
    chunks: Vec<Vec<u8>>,
}

struct Server {
    port: u16,
    plans: Mutex<HashMap<u64, Plan>>,
    next: AtomicU64,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        // Binding 127.0.0.1 port 0 fails only when the machine has no loopback: not an input property.
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port for the download target");
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || serve(stream));
            }
        });
        Server { port, plans: Mutex::new(HashMap::new()), next: AtomicU64::new(0) }
    })
}

/// Answers requests on one connection: `GET /v3/billdownload/file?token=N` gets plan N.
fn serve(stream: TcpStream) {
    // Chunks go out as separate small writes: without this, Nagle's algorithm and delayed ACKs add
    // tens of milliseconds to every exchange.
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let token = line.split_once("token=").and_then(|(_, t)| t.split([' ', '&']).next()?.parse::<u64>().ok());
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header == "\r\n" {
                break;
            }
        }
        let plan = token.and_then(|t| server().plans.lock().ok()?.remove(&t));
        let Some(plan) = plan else {
            let _ = writer.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            continue;
        };
        let total: usize = plan.chunks.iter().map(Vec::len).sum();
        let head = match plan.framing {
            Framing::Chunked | Framing::UnfinishedChunks => "Transfer-Encoding: chunked\r\n".to_owned(),
            Framing::Length => format!("Content-Length: {total}\r\n"),
            Framing::Close => "Connection: close\r\n".to_owned(),
            Framing::ShortLength => format!("Content-Length: {}\r\nConnection: close\r\n", total + 7),
        };
        let mut out = format!("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n{head}\r\n").into_bytes();
        for chunk in plan.chunks.iter().filter(|c| !c.is_empty()) {
            if matches!(plan.framing, Framing::Chunked | Framing::UnfinishedChunks) {
                out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                out.extend_from_slice(chunk);
                out.extend_from_slice(b"\r\n");
            } else {
                out.extend_from_slice(chunk);
            }
            if writer.write_all(&out).is_err() {
                return;
            }
            out.clear();
        }
        match plan.framing {
            Framing::Chunked => out.extend_from_slice(b"0\r\n\r\n"),
            Framing::Length => {}
            _ => {
                let _ = writer.write_all(&out);
                let _ = writer.flush();
                let _ = writer.shutdown(std::net::Shutdown::Both);
                return;
            }
        }
        if writer.write_all(&out).and_then(|()| writer.flush()).is_err() {
            return;
        }
    }
}

/// The streamed download path end to end over HTTP: `save_bill` (blocking and async), and `download`
/// read with `Read` or as a `Stream`, with digest and gunzip. Byte 0: bit 0 `tar_type=GZIP`, bit 1
/// gunzip, bit 2 the harness gzips the payload (else the payload is sent as the file), bit 3 corrupt one
/// byte of it, bits 4–5 the digest (0 right, 1 from a field, 2 wrong, 3 right in upper case), bit 6
/// SHA-256 (else SHA-1), bit 7 unused. Byte 1: framing (`% 5`) and path (`/ 5 % 4`: `save_bill`,
/// `save_bill_async`, `Read`, `Stream`). Byte 2: number of chunk cuts, each 2 bytes; the digest field
/// when asked for; payload = rest.
///
/// Properties: an accepted file is complete (a short or unfinished body is always an error), is
/// exactly the bytes sent (or, gunzipped, what they decompress to), and has the promised digest; a
/// complete file with the right digest is accepted with exactly its content; every failure says the
/// request was sent.
pub fn download(data: &[u8]) {
    let f = fixture();
    let mut input = Input(data);
    let flags = input.byte();
    let shape = input.byte();
    let (gzip, gunzip, compress, corrupt) = (flags & 1 != 0, flags & 2 != 0, flags & 4 != 0, flags & 8 != 0);
    let digest_mode = (flags >> 4) & 3;
    let hash_type = if flags & 0x40 != 0 { HashType::Sha256 } else { HashType::Sha1 };
    let framing =
        [Framing::Chunked, Framing::Length, Framing::Close, Framing::ShortLength, Framing::UnfinishedChunks][usize::from(shape % 5)];
    let path = shape / 5 % 4;
    // `save_bill` knows about gzip; a plain `download` hands out (and digests) the bytes as sent.
    let checked_gzip = gzip && path <= 1;
    let cuts: Vec<usize> = (0..input.byte() % 8).map(|_| usize::from(input.u16())).collect();
    let digest_field = if digest_mode == 1 { Some(input.text()) } else { None };
    let payload = input.rest();

    let mut wire = if gzip && compress {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let _ = encoder.write_all(payload);
        encoder.finish().unwrap_or_default()
    } else {
        payload.to_vec()
    };
    let corrupted = corrupt && !wire.is_empty();
    if corrupted {
        let at = cuts.first().copied().unwrap_or(0) % wire.len();
        wire[at] ^= 0x55;
    }
    let reference = if checked_gzip {
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(wire.as_slice()).read_to_end(&mut plain).ok().map(|_| plain)
    } else {
        Some(wire.clone())
    };
    let algorithm = match hash_type {
        HashType::Sha256 => &digest::SHA256,
        _ => &digest::SHA1_FOR_LEGACY_USE_ONLY,
    };
    let true_digest = reference.as_deref().map(|r| digest_hex(algorithm, r)).unwrap_or_default();
    let hash_value = match (digest_mode, digest_field) {
        (1, Some(text)) => text,
        (2, _) => {
            let mut wrong = true_digest.clone().into_bytes();
            if let Some(first) = wrong.first_mut() {
                *first = if *first == b'0' { b'1' } else { b'0' };
            }
            String::from_utf8(wrong).unwrap_or_default()
        }
        (3, _) => true_digest.to_ascii_uppercase(),
        _ => true_digest.clone(),
    };

    let mut cut_points: Vec<usize> = cuts.iter().map(|c| if wire.is_empty() { 0 } else { c % wire.len() }).collect();
    cut_points.sort_unstable();
    let mut chunks = Vec::new();
    let mut start = 0;
    for cut in cut_points.into_iter().chain(std::iter::once(wire.len())) {
        chunks.push(wire[start..cut].to_vec());
        start = cut;
    }
    let srv = server();
    let token = srv.next.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut plans) = srv.plans.lock() {
        plans.insert(token, Plan { framing, chunks });
    }
    let link = BillLink {
        download_url: format!("http://127.0.0.1:{}/v3/billdownload/file?token={token}", srv.port),
        hash_type,
        hash_value: hash_value.clone(),
        gzip,
    };

    // What the SDK hands out, and whether it calls it complete and verified.
    let (result, out) = match path {
        0 | 1 => {
            let mut out = Vec::new();
            let result = if path == 0 {
                f.client.save_bill(&link, (), gunzip, &mut out)
            } else {
                futures::executor::block_on(f.client.save_bill_async(&link, (), gunzip, &mut out))
            };
            (result, out)
        }
        _ => {
            let mut out = Vec::new();
            let result = read_download(f, &link, path == 2, &mut out);
            (result, out)
        }
    };
    if let Ok(mut plans) = srv.plans.lock() {
        plans.remove(&token);
    }
    let complete = matches!(framing, Framing::Chunked | Framing::Length | Framing::Close);
    let expected_hash = hash_value.trim().to_ascii_lowercase();
    match &result {
        Ok(count) => {
            check!(complete, "a {framing:?} body was accepted as complete");
            check!(*count == out.len() as u64, "{count} bytes reported, {} written", out.len());
            if checked_gzip && gunzip {
                check!(digest_hex(algorithm, &out) == expected_hash, "a gunzipped bill was accepted with another digest");
                if let Some(reference) = &reference {
                    check!(&out == reference, "the gunzipped bill is not the decompressed file");
                }
            } else {
                check!(out == wire, "the file handed out is not the bytes sent");
                let original = if checked_gzip { reference.as_deref() } else { Some(wire.as_slice()) };
                check!(original.is_some(), "a gzip bill that does not decompress was accepted");
                check!(
                    original.is_some_and(|o| digest_hex(algorithm, o) == expected_hash),
                    "a file was accepted although its digest is not `{hash_value}`"
                );
            }
        }
        Err(e) => {
            check!(e.sent() != Sent::No, "a failed download says sent = No: {e}");
            let valid_gzip = !checked_gzip || (compress && !corrupted);
            check!(
                !(complete && matches!(digest_mode, 0 | 3) && valid_gzip && reference.is_some()),
                "a complete file with the right digest was refused ({framing:?}, gzip {checked_gzip}): {e}"
            );
        }
    }
}

/// `Chain::download` with the digest check, read through `Read` (in pieces of varying size) or as a
/// `Stream`, into `out`; returns the byte count like `save_bill`.
fn read_download(f: &Fixture, link: &BillLink, blocking: bool, out: &mut Vec<u8>) -> Result<u64, Error> {
    if blocking {
        let mut download = f.client.chain(&link.download_url).download(())?.expect_digest(link.hash_type, &link.hash_value);
        let mut buffer = [0u8; 1000];
        let mut size = 1;
        loop {
            match download.read(&mut buffer[..size]) {
                Ok(0) => return Ok(out.len() as u64),
                Ok(n) => out.extend_from_slice(&buffer[..n]),
                Err(e) => match e.into_inner().map(|inner| inner.downcast::<Error>()) {
                    Some(Ok(sdk)) => return Err(*sdk),
                    other => panic!("fuzzing property violated: Download::read failed without an SDK error: {other:?}"),
                },
            }
            size = size % 997 + 7;
        }
    }
    futures::executor::block_on(async {
        use futures::StreamExt;
        let mut download =
            f.client.chain(&link.download_url).download_async(()).await?.expect_digest(link.hash_type, &link.hash_value);
        while let Some(chunk) = download.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out.len() as u64)
    })
}

/// Runs `target` on `data` and returns the panic message, if any: for the replay test and tools.
pub fn run(target: Target, data: &[u8]) -> Result<(), String> {
    std::panic::catch_unwind(|| target(data)).map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "a panic without a message".to_owned())
    })
}
