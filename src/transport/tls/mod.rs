//! The client's TLS configuration: extra trusted root certificates and the merchant's TLS identity,
//! checked once and handed to the TLS backend chosen by cargo feature: `rustls` (default, see
//! [`rustls`]) or `native-tls`. With both features on, rustls is used.
//!
//! APIv2 "security" endpoints (`secapi/pay/refund`, red packets, transfers, …) want the merchant API
//! certificate as a TLS client certificate (mutual TLS): `apiclient_cert.pem` + `apiclient_key.pem`,
//! or `apiclient_cert.p12` whose password is the merchant id. Both are loaded once, at
//! [`ClientBuilder::build`](crate::ClientBuilder::build), into a second connection pool that only
//! requests asking for it ([`Security::Required`]) use: ordinary requests never present the certificate,
//! and a pooled connection of one kind is never reused for the other.

#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
compile_error!("wechatpay-chain needs a TLS backend: enable the `rustls` (default) or the `native-tls` feature");

#[cfg(all(feature = "native-tls", not(feature = "rustls")))]
mod native;
#[cfg(feature = "rustls")]
mod rustls;

use std::fmt;

#[cfg(feature = "rustls")]
use self::rustls as backend;
pub(crate) use backend::{Connector, Https, https, is_tls_error};
#[cfg(all(feature = "native-tls", not(feature = "rustls")))]
use native as backend;

use crate::crypto::pem;
use crate::error::Error;

/// Whether a request presents the merchant's TLS client certificate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Security {
    /// No client certificate (every APIv3 request, and APIv2 requests without `security`).
    #[default]
    Standard,
    /// Mutual TLS with the merchant certificate (APIv2 `security: true` endpoints). Fails with
    /// [`Error::Config`] before sending when the client has no merchant TLS identity.
    Required,
}

impl From<bool> for Security {
    fn from(required: bool) -> Security {
        if required { Security::Required } else { Security::Standard }
    }
}

/// The merchant TLS identity as given to the builder; checked in [`connectors`].
#[derive(Clone)]
pub(crate) enum MerchantTls {
    /// `apiclient_cert.pem` and `apiclient_key.pem`: PEM text or `file://` paths.
    Pem { cert: String, key: String },
    /// `apiclient_cert.p12` bytes; no password means the merchant id.
    Pkcs12 { der: Vec<u8>, password: Option<String> },
}

impl fmt::Debug for MerchantTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MerchantTls::Pem { .. } => f.write_str("Pem(<redacted>)"),
            MerchantTls::Pkcs12 { der, .. } => write!(f, "Pkcs12({} bytes, <redacted>)", der.len()),
        }
    }
}

/// A merchant identity, read and checked, in the form the backends take.
pub(crate) enum Identity<'a> {
    /// The certificate chain (leaf first) and the private key as PKCS#8, both DER.
    Pem { chain: Vec<Vec<u8>>, key: Vec<u8> },
    /// PKCS#12 bytes and the password to open them with (`which` names it in errors).
    Pkcs12 { der: &'a [u8], password: &'a str, which: &'static str },
}

/// The two TLS connectors of a client (cloning shares them).
#[derive(Clone)]
pub(crate) struct Connectors {
    /// For every ordinary request: no client certificate.
    pub(crate) standard: Connector,
    /// With the merchant identity, for [`Security::Required`] requests; `None` without one.
    pub(crate) merchant: Option<Connector>,
}

const ROOT: &str = "root_certificate";
const MERCHANT: &str = "merchant_tls";

/// Checks the TLS settings and builds the connectors (TLS ≥ 1.2, the backend's roots plus `roots`).
pub(crate) fn connectors(roots: &[String], merchant: Option<&MerchantTls>, mchid: &str) -> Result<Connectors, Error> {
    let mut certificates = Vec::new();
    for (i, root) in roots.iter().enumerate() {
        certificates.extend(load_roots(root).map_err(|e| Error::config(ROOT, format!("certificate #{}: {e}", i + 1)))?);
    }
    let standard = backend::connector(&certificates, None)?;
    let merchant = match merchant {
        None => None,
        Some(given) => Some(backend::connector(&certificates, Some(identity(given, mchid)?))?),
    };
    Ok(Connectors { standard, merchant })
}

/// Reads `input`: `file://<path>` or the text itself.
fn read(input: &str, what: &str) -> Result<Vec<u8>, String> {
    match input.trim_start().strip_prefix("file://") {
        Some(path) => crate::crypto::file::read_bounded(std::path::Path::new(path.trim_end()), what),
        None => Ok(input.as_bytes().to_vec()),
    }
}

/// The DER certificates of a `root_certificate` input: PEM (one or more) or one DER certificate.
fn load_roots(input: &str) -> Result<Vec<Vec<u8>>, String> {
    use der::Decode;
    let bytes = read(input, "certificate")?;
    if bytes.is_empty() || bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("it is empty".to_owned());
    }
    let check = |der: &[u8]| {
        x509_cert::Certificate::from_der(der).map(|_| ()).map_err(|e| format!("not an X.509 certificate ({e})"))
    };
    if !contains(&bytes, b"-----BEGIN") {
        // A binary file: one DER certificate.
        check(&bytes).map_err(|e| format!("not a PEM or DER X.509 certificate: {e}"))?;
        return Ok(vec![bytes]);
    }
    if contains(&bytes, b"PRIVATE KEY-----") {
        return Err("this PEM holds a private key; `root_certificate` takes a CA or server certificate".to_owned());
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| "the PEM text is not UTF-8".to_owned())?;
    let blocks = pem::decode_all(text).map_err(|e| format!("not a PEM X.509 certificate ({e})"))?;
    let mut out = Vec::new();
    for block in blocks.into_iter().filter(|b| b.label == "CERTIFICATE" || b.label == "X509 CERTIFICATE") {
        check(&block.der)?;
        out.push(block.der);
    }
    if out.is_empty() {
        return Err("no `-----BEGIN CERTIFICATE-----` block found".to_owned());
    }
    Ok(out)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Reads and checks the identity. Error messages never quote the material itself.
fn identity<'a>(given: &'a MerchantTls, mchid: &'a str) -> Result<Identity<'a>, Error> {
    let fail = |message: String| Error::config(MERCHANT, message);
    match given {
        MerchantTls::Pem { cert, key } => {
            let cert = read(cert, "certificate").map_err(fail)?;
            let key = read(key, "private key").map_err(fail)?;
            if !contains(&cert, b"-----BEGIN CERTIFICATE-----") {
                let hint = if contains(&cert, b"PRIVATE KEY-----") {
                    "the first argument holds a private key; the order is (apiclient_cert.pem, apiclient_key.pem)"
                } else {
                    "the certificate is not PEM (`-----BEGIN CERTIFICATE-----`); pass the text of apiclient_cert.pem \
                     or `file:///path/to/apiclient_cert.pem`"
                };
                return Err(fail(hint.to_owned()));
            }
            let text = std::str::from_utf8(&cert).map_err(|_| fail("the certificate is not UTF-8 PEM text".into()))?;
            let chain: Vec<Vec<u8>> = pem::decode_all(text)
                .map_err(|e| fail(format!("the certificate PEM is malformed ({e})")))?
                .into_iter()
                .filter(|b| b.label == "CERTIFICATE")
                .map(|b| b.der)
                .collect();
            let key = pkcs8_der(&key).map_err(fail)?;
            Ok(Identity::Pem { chain, key })
        }
        MerchantTls::Pkcs12 { der, password } => {
            if der.is_empty() {
                return Err(fail("the PKCS#12 (.p12) data is empty".to_owned()));
            }
            if der.starts_with(b"-----BEGIN") {
                return Err(fail(
                    "this is PEM text, not PKCS#12; use `merchant_tls_pem(cert, key)` for apiclient_cert.pem and \
                     apiclient_key.pem"
                        .to_owned(),
                ));
            }
            Ok(match password {
                Some(p) => Identity::Pkcs12 { der, password: p, which: "the given password" },
                None => Identity::Pkcs12 {
                    der,
                    password: mchid,
                    which: "the merchant id as password (WeChat Pay's default)",
                },
            })
        }
    }
}

/// The private key as unencrypted PKCS#8 DER: PKCS#8 as is, PKCS#1 (`RSA PRIVATE KEY`) wrapped.
fn pkcs8_der(key: &[u8]) -> Result<Vec<u8>, String> {
    let text = std::str::from_utf8(key).map_err(|_| {
        "the private key is not PEM text; pass the text of apiclient_key.pem or `file:///path/to/apiclient_key.pem`"
            .to_owned()
    })?;
    let block = pem::decode(text).map_err(|e| format!("the private key is not PEM: {e}"))?;
    let encrypted = "the private key is encrypted; the SDK takes an unencrypted key such as apiclient_key.pem";
    if block.legacy_encrypted {
        return Err(encrypted.to_owned());
    }
    let der = match block.label.as_str() {
        "PRIVATE KEY" => block.der,
        "RSA PRIVATE KEY" => crate::crypto::pkcs8_from_pkcs1(&block.der)?,
        "ENCRYPTED PRIVATE KEY" => return Err(encrypted.to_owned()),
        "CERTIFICATE" => {
            return Err(
                "the second argument holds a certificate; the order is (apiclient_cert.pem, apiclient_key.pem)"
                    .to_owned(),
            );
        }
        other => return Err(format!("unsupported PEM block `{other}` for the private key; expected PRIVATE KEY")),
    };
    crate::crypto::backend::RsaPrivate::from_pkcs8(&der)
        .map_err(|e| format!("the private key could not be loaded: it must be an unencrypted RSA key ({e})"))?;
    Ok(der)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_file(name: &str) -> String {
        format!("file://{}/tests/data/keys/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn security_from_bool() {
        assert_eq!(Security::from(true), Security::Required);
        assert_eq!(Security::from(false), Security::Standard);
    }

    #[test]
    fn pkcs1_and_pkcs8_keys_give_the_same_identity() {
        let mut keys = Vec::new();
        for key in ["merchant_apiclient_key.pem", "merchant_apiclient_key_pkcs1.pem"] {
            let given = MerchantTls::Pem { cert: key_file("merchant_apiclient_cert.pem"), key: key_file(key) };
            match identity(&given, "1900000001") {
                Ok(Identity::Pem { key, chain }) => {
                    assert_eq!(chain.len(), 1, "{key:?}");
                    keys.push(key);
                }
                _ => panic!("{key}: no PEM identity"),
            }
            let built = connectors(&[], Some(&given), "1900000001");
            assert!(built.is_ok_and(|c| c.merchant.is_some()), "{key}");
        }
        assert_eq!(keys[0], keys[1], "the PKCS#1 key wraps into the PKCS#8 one");
    }

    #[test]
    fn debug_is_redacted() {
        let given = MerchantTls::Pkcs12 { der: vec![1, 2, 3], password: Some("secret-password".into()) };
        assert_eq!(format!("{given:?}"), "Pkcs12(3 bytes, <redacted>)");
    }
}
