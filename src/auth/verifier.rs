//! Response verification over the one [`KeyStore`].

use std::sync::Arc;

use crate::crypto::backend::digest;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, Method};

use super::Clock;
use super::KeyStore;
use super::{Verification, VerificationFailure};

/// The largest allowed difference between `Wechatpay-Timestamp` and the local clock, in seconds.
pub const MAX_CLOCK_OFFSET: i64 = 300;

/// Responses WeChat Pay sends without a signature: file downloads whose integrity is checked against
/// the digest returned by the call that issued the download link. These are the **only** 2xx
/// responses the client accepts unverified, and only for `GET`. Patterns match the URL path
/// case-insensitively, with or without the base URI's path prefix.
///
/// | pattern | what |
/// | --- | --- |
/// | `/v3/billdownload/file` | trade and fund-flow bills |
/// | `/v3/transferdownload/*` | transfer e-receipts (`elecvoucherfile`, `signfile`) |
/// | `/v3/merchant-service/images/*` (not `…/upload`) | complaint images |
/// | `/v3/global/merchant-service/images/*` (not `…/upload`) | complaint images, overseas |
/// | `/invoicing/fapiao/fapiao-file` | fapiao files (`pay.wechatpay.cn`) |
///
/// Overseas statements (`/v3/global/statements`, `/hk/v3/statements`) are signed differently and are
/// verified, see [`Verifier`].
pub const UNSIGNED_DOWNLOADS: &[&str] = &[
    "/v3/billdownload/file",
    "/v3/transferdownload/*",
    "/v3/merchant-service/images/*",
    "/v3/global/merchant-service/images/*",
    "/invoicing/fapiao/fapiao-file",
];

/// Whether a `method` + URL `path` response is on the [`UNSIGNED_DOWNLOADS`] list.
///
/// ```
/// use http::Method;
/// use wechatpay_chain::auth::is_unsigned_download;
/// assert!(is_unsigned_download(&Method::GET, "/v3/billdownload/file"));
/// assert!(is_unsigned_download(&Method::GET, "/v3/merchant-service/images/abc"));
/// assert!(!is_unsigned_download(&Method::POST, "/v3/merchant-service/images/upload"));
/// assert!(!is_unsigned_download(&Method::GET, "/v3/billdownload/file/extra"));
/// ```
pub fn is_unsigned_download(method: &Method, path: &str) -> bool {
    if method != Method::GET {
        return false;
    }
    UNSIGNED_DOWNLOADS.iter().any(|pattern| match pattern.strip_suffix('*') {
        Some(prefix) => {
            let rest = path.get(prefix.len()..).unwrap_or_default();
            !rest.is_empty()
                && path.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix))
                && !(prefix.ends_with("/images/") && rest.eq_ignore_ascii_case("upload"))
        }
        None => path.eq_ignore_ascii_case(pattern),
    })
}

const STATEMENT_PATHS: [&str; 2] = ["/hk/v3/statements", "/v3/global/statements"];

/// Whether `path` is an overseas statement download, signed over `{"sha1":"<Wechatpay-Statement-Sha1>"}`.
pub(crate) fn is_statement(path: &str) -> bool {
    STATEMENT_PATHS.iter().any(|s| path.eq_ignore_ascii_case(s))
}

/// Verifies APIv3 responses: the four `Wechatpay-*` headers, the ±300 s clock window, the key id,
/// and RSA-SHA256 over `TIMESTAMP\nNONCE\nBODY\n`.
///
/// For overseas statements (`/hk/v3/statements`, `/v3/global/statements`) carrying
/// `Wechatpay-Statement-Sha1`, WeChat Pay signs `{"sha1":"<header>"}` instead of the body; the
/// verifier checks that signature and that the body's SHA-1 equals the header.
#[derive(Clone)]
pub struct Verifier {
    keys: KeyStore,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").field("keys", &self.keys.ids()).finish()
    }
}

/// The one signature algorithm this client verifies, as `Wechatpay-Signature-Type` names it.
pub const SIGNATURE_TYPE: &str = "WECHATPAY2-SHA256-RSA2048";

/// A signature header as sent: absent, once as text, more than once, or not text.
enum Header<'a> {
    Missing,
    Text(&'a str),
    Duplicate,
    Invalid,
}

/// Reads the signature header `name` (lowercase) strictly: a second copy or a value that is not
/// visible ASCII is reported, never resolved by picking one or treated as absent.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Header<'a> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Header::Missing;
    };
    if values.next().is_some() {
        return Header::Duplicate;
    }
    match first.to_str() {
        Ok(text) => Header::Text(text),
        Err(_) => Header::Invalid,
    }
}

/// The four signature headers, checked together: every duplicated one, else every missing one, else
/// the first invalid one is the failure.
fn signature_headers(headers: &HeaderMap) -> Result<[&str; 4], VerificationFailure> {
    const NAMES: [(&str, &str); 4] = [
        ("wechatpay-timestamp", "Wechatpay-Timestamp"),
        ("wechatpay-nonce", "Wechatpay-Nonce"),
        ("wechatpay-signature", "Wechatpay-Signature"),
        ("wechatpay-serial", "Wechatpay-Serial"),
    ];
    let found = NAMES.map(|(lower, _)| header(headers, lower));
    let named = |want: fn(&Header<'_>) -> bool| -> Vec<&'static str> {
        NAMES.iter().zip(&found).filter(|(_, h)| want(h)).map(|((_, name), _)| *name).collect()
    };
    let duplicated = named(|h| matches!(h, Header::Duplicate));
    if !duplicated.is_empty() {
        return Err(VerificationFailure::DuplicateHeaders(duplicated));
    }
    let missing = named(|h| matches!(h, Header::Missing));
    if !missing.is_empty() {
        return Err(VerificationFailure::MissingHeaders(missing));
    }
    if let Some(name) = named(|h| matches!(h, Header::Invalid)).first() {
        return Err(VerificationFailure::InvalidHeader { name });
    }
    let mut texts = [""; 4];
    for (text, found) in texts.iter_mut().zip(&found) {
        if let Header::Text(value) = found {
            *text = value;
        }
    }
    Ok(texts)
}

/// `Wechatpay-Signature-Type`: absent or [`SIGNATURE_TYPE`] passes; any other value (or a duplicate, or
/// a value that is not text) fails, naming what was sent.
fn check_signature_type(headers: &HeaderMap) -> Result<(), VerificationFailure> {
    match header(headers, "wechatpay-signature-type") {
        Header::Missing => Ok(()),
        Header::Text(kind) if kind == SIGNATURE_TYPE => Ok(()),
        Header::Text(kind) => Err(VerificationFailure::UnsupportedSignatureType(clip(kind))),
        Header::Duplicate => Err(VerificationFailure::DuplicateHeaders(vec!["Wechatpay-Signature-Type"])),
        Header::Invalid => {
            let raw = headers.get("wechatpay-signature-type").map(|v| v.as_bytes()).unwrap_or_default();
            Err(VerificationFailure::UnsupportedSignatureType(clip(&String::from_utf8_lossy(raw))))
        }
    }
}

/// A header value as quoted in an error: escaped, at most 64 characters.
fn clip(value: &str) -> String {
    let escaped: String = value.escape_debug().collect();
    match escaped.char_indices().nth(64) {
        Some((at, _)) => format!("{}…", &escaped[..at]),
        None => escaped,
    }
}

/// `Wechatpay-Statement-Sha1`: `None` when absent; a duplicate or a value that is not text fails.
fn statement_sha1(headers: &HeaderMap) -> Result<Option<&str>, VerificationFailure> {
    match header(headers, "wechatpay-statement-sha1") {
        Header::Missing => Ok(None),
        Header::Text(sha1) => Ok(Some(sha1)),
        Header::Duplicate => Err(VerificationFailure::DuplicateHeaders(vec!["Wechatpay-Statement-Sha1"])),
        Header::Invalid => Err(VerificationFailure::InvalidHeader { name: "Wechatpay-Statement-Sha1" }),
    }
}

impl Verifier {
    /// A verifier over `keys`, reading the time from `clock`.
    pub fn new(keys: KeyStore, clock: Arc<dyn Clock>) -> Self {
        Verifier { keys, clock }
    }

    /// The key store.
    pub fn keys(&self) -> &KeyStore {
        &self.keys
    }

    /// Verifies a 2xx response to `method` on URL `path` (the path as sent, e.g. `/v3/certificates`).
    /// `alternate_path` is the same path without the base URI's prefix, if it had one; both are
    /// checked against the unsigned-download and statement rules.
    pub fn verify_response(
        &self,
        method: &Method,
        path: &str,
        alternate_path: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Verification, VerificationFailure> {
        let candidates = || std::iter::once(path).chain(alternate_path);
        if candidates().any(|p| is_unsigned_download(method, p)) {
            return Ok(Verification::UnsignedDownload);
        }
        if candidates().any(is_statement)
            && let Some(sha1) = statement_sha1(headers)?
        {
            let actual = hex(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, body).as_ref());
            let signed = format!("{{\"sha1\":\"{sha1}\"}}");
            let key_id = self.verify_signature(headers, signed.as_bytes())?;
            if !actual.eq_ignore_ascii_case(sha1) {
                return Err(VerificationFailure::DigestMismatch { announced: sha1.to_owned(), actual });
            }
            return Ok(Verification::Signed { key_id });
        }
        let key_id = self.verify_signature(headers, body)?;
        Ok(Verification::Signed { key_id })
    }

    /// The head of an overseas statement download: `Wechatpay-Statement-Sha1` (required, once) and the
    /// signature over `{"sha1":"<it>"}`. Returns the key id and the announced SHA-1, which the body
    /// must then match.
    pub(crate) fn verify_statement_head(&self, headers: &HeaderMap) -> Result<(String, String), VerificationFailure> {
        let Some(sha1) = statement_sha1(headers)? else {
            return Err(VerificationFailure::MissingHeaders(vec!["Wechatpay-Statement-Sha1"]));
        };
        let signed = format!("{{\"sha1\":\"{sha1}\"}}");
        let key_id = self.verify_signature(headers, signed.as_bytes())?;
        Ok((key_id, sha1.to_owned()))
    }

    /// Checks the `Wechatpay-*` signature headers over `signed_body` and returns the key id used.
    /// This is the check shared by responses and notifications.
    ///
    /// The headers are read strictly: each of `Wechatpay-Timestamp`, `Wechatpay-Nonce`,
    /// `Wechatpay-Signature` and `Wechatpay-Serial` must be present exactly once as ASCII text
    /// ([`VerificationFailure::DuplicateHeaders`], [`MissingHeaders`](VerificationFailure::MissingHeaders),
    /// [`InvalidHeader`](VerificationFailure::InvalidHeader)), and `Wechatpay-Signature-Type`, when
    /// present, must be [`SIGNATURE_TYPE`]
    /// ([`UnsupportedSignatureType`](VerificationFailure::UnsupportedSignatureType)).
    pub fn verify_signature(&self, headers: &HeaderMap, signed_body: &[u8]) -> Result<String, VerificationFailure> {
        let [timestamp, nonce, signature, serial] = signature_headers(headers)?;
        check_signature_type(headers)?;

        let server = parse_timestamp(timestamp)?;
        let local = self.clock.now();
        if (i128::from(local) - i128::from(server)).abs() > i128::from(MAX_CLOCK_OFFSET) {
            return Err(VerificationFailure::ClockSkew { server, local, allowed: MAX_CLOCK_OFFSET });
        }

        let Some(key) = self.keys.get(serial) else {
            return Err(VerificationFailure::UnknownKey { serial: serial.to_owned(), known: self.keys.ids() });
        };
        let bad = || VerificationFailure::BadSignature { serial: serial.to_owned() };
        let signature = STANDARD.decode(signature.trim()).map_err(|_| bad())?;

        let mut message = Vec::with_capacity(timestamp.len() + nonce.len() + signed_body.len() + 3);
        message.extend_from_slice(timestamp.as_bytes());
        message.push(b'\n');
        message.extend_from_slice(nonce.as_bytes());
        message.push(b'\n');
        message.extend_from_slice(signed_body);
        message.push(b'\n');
        if key.verify_sha256(&message, &signature) { Ok(serial.to_owned()) } else { Err(bad()) }
    }
}

/// Strict Unix seconds: 1 to 18 ASCII digits (WeChat Pay sends 10).
fn parse_timestamp(value: &str) -> Result<i64, VerificationFailure> {
    if value.is_empty() || value.len() > 18 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(VerificationFailure::MalformedTimestamp(value.to_owned()));
    }
    value.parse().map_err(|_| VerificationFailure::MalformedTimestamp(value.to_owned()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsigned_download_rules() {
        let get = Method::GET;
        for p in [
            "/v3/billdownload/file",
            "/V3/BillDownload/File",
            "/v3/transferdownload/signfile",
            "/v3/transferdownload/elecvoucherfile",
            "/v3/merchant-service/images/xyz%2F1",
            "/v3/global/merchant-service/images/abc",
            "/invoicing/fapiao/fapiao-file",
        ] {
            assert!(is_unsigned_download(&get, p), "{p}");
        }
        for p in [
            "/v3/billdownload/file/extra",
            "/v3/billdownload",
            "/v3/merchant-service/images/upload",
            "/v3/merchant-service/images/",
            "/v3/transferdownload/",
            "/v3/bill/tradebill",
            "/hk/v3/statements",
        ] {
            assert!(!is_unsigned_download(&get, p), "{p}");
        }
        assert!(!is_unsigned_download(&Method::POST, "/v3/billdownload/file"));
    }

    #[test]
    fn timestamps_are_strict() {
        assert_eq!(parse_timestamp("1795562040"), Ok(1795562040));
        for bad in ["", "abc", "1795562040xyz", "-1", " 1", "1234567890123456789"] {
            assert!(parse_timestamp(bad).is_err(), "{bad}");
        }
    }
}
