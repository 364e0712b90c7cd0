//! Fuzzing entry points. **Not API**: compiled only with the `fuzzing` feature, hidden from the
//! documentation, and changed whenever the fuzz targets change.
//!
//! Every target of `fuzz/` (cargo-fuzz, nightly) is a one-line `fuzz_target!` calling one function of
//! [`TARGETS`], and `tests/sdk/fuzz_replay.rs` (stable, `cargo test --all-features`) runs the same functions
//! over every committed corpus and regression input, so the two cannot drift apart.
//!
//! Each function takes arbitrary bytes, drives one part of the SDK with them (through its public API;
//! downloads go through a real HTTP exchange with an in-process server on 127.0.0.1), and checks
//! properties: no panic, nothing accepted that was not signed or does not decrypt, round trips,
//! redaction. A function panics only when a property is violated, with a message saying which one.
//!
//! Inputs are read as a few leading bytes, NUL-terminated fields and a rest (see `Input`); what each
//! byte and field means is written at the top of each function. `fuzz/README.md` lists what each target
//! checks. One submodule per area: `verify`, `notify`, `prepare`, `keys`, `v2_xml`, `ciphers`,
//! `multipart`, `download`; this module holds the fixture, the input framing and the shared checks.

use std::collections::HashMap;
use std::fmt;
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
use crate::error::{NotificationError, NotificationErrorKind, VerificationFailure};
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

const MERCHANT_KEY: &str = include_str!("../../tests/data/keys/merchant_apiclient_key.pem");
const PLATFORM_KEY: &str = include_str!("../../tests/data/keys/platform_private_key.pem");
const PLATFORM_CERT: &str = include_str!("../../tests/data/keys/platform_cert.pem");
const WECHATPAY_KEY: &str = include_str!("../../tests/data/keys/wechatpay_pubkey_private_key.pem");
const WECHATPAY_PUBLIC: &str = include_str!("../../tests/data/keys/wechatpay_public_key.pem");

const UNSIGNED_DOWNLOAD_PREFIXES: [&str; 5] = [
    "/v3/billdownload/file",
    "/v3/transferdownload/",
    "/v3/merchant-service/images/",
    "/v3/global/merchant-service/images/",
    "/invoicing/fapiao/fapiao-file",
];
const STATEMENTS: [&str; 2] = ["/hk/v3/statements", "/v3/global/statements"];
const SIGNATURE_HEADERS: [&str; 4] =
    ["wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature", "wechatpay-serial"];
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
fn check_signature(headers: &HeaderMap, key_id: &str, payload: &[u8]) {
    let f = fixture();
    let mut values = Vec::with_capacity(4);
    for name in SIGNATURE_HEADERS {
        let all: Vec<&HeaderValue> = headers.get_all(name).iter().collect();
        check!(all.len() == 1, "a signature was accepted although `{name}` came {} times", all.len());
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
    let seconds: Option<i64> = (timestamp.bytes().all(|b| b.is_ascii_digit()) && !timestamp.is_empty())
        .then(|| timestamp.parse().ok())
        .flatten();
    check!(
        seconds.is_some_and(|s| (s - NOW).abs() <= 300),
        "accepted Wechatpay-Timestamp `{timestamp}` outside ±300 s"
    );
    let raw = STANDARD.decode(signature.trim());
    check!(raw.is_ok(), "accepted a Wechatpay-Signature that is not base64");
    let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(payload);
    message.push(b'\n');
    let verified =
        ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, key.rsa_public_key_der())
            .verify(&message, &raw.unwrap_or_default())
            .is_ok();
    check!(verified, "accepted a signature that does not verify over the headers' values and the payload");
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

/// A JSON value from a field: the field as JSON if it is, else the field as a string.
fn json_value(field: &[u8]) -> Value {
    serde_json::from_slice(field).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(field).into_owned()))
}

mod ciphers;
mod download;
mod keys;
mod multipart;
mod notify;
mod prepare;
mod v2_xml;
mod verify;

pub use self::ciphers::{aes_ecb, aes_gcm, rsa_oaep};
pub use self::download::download;
pub use self::keys::key_load;
pub use self::multipart::multipart;
pub use self::notify::{notification_v2, notification_v2_refund, notification_v3};
pub use self::prepare::{prepare_json, prepare_typed};
pub use self::v2_xml::xml;
pub use self::verify::verify_response;

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
