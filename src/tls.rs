//! The client's TLS configuration: extra trusted root certificates and the merchant's TLS identity.
//!
//! APIv2 "security" endpoints (`secapi/pay/refund`, red packets, transfers, …) want the merchant API
//! certificate as a TLS client certificate (mutual TLS): `apiclient_cert.pem` + `apiclient_key.pem`,
//! or `apiclient_cert.p12` whose password is the merchant id. Both are loaded once, at
//! [`ClientBuilder::build`](crate::ClientBuilder::build), into a second connection pool that only
//! requests asking for it ([`Security::Required`]) use: ordinary requests never present the certificate,
//! and a pooled connection of one kind is never reused for the other.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

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

/// The two TLS connectors of a client.
pub(crate) struct Connectors {
    /// For every ordinary request: no client certificate.
    pub(crate) standard: native_tls::TlsConnector,
    /// With the merchant identity, for [`Security::Required`] requests; `None` without one.
    pub(crate) merchant: Option<native_tls::TlsConnector>,
}

const ROOT: &str = "root_certificate";
const MERCHANT: &str = "merchant_tls";

/// Checks the TLS settings and builds the connectors (TLS ≥ 1.2, the system roots plus `roots`).
pub(crate) fn connectors(roots: &[String], merchant: Option<&MerchantTls>, mchid: &str) -> Result<Connectors, Error> {
    let mut certificates = Vec::new();
    for (i, root) in roots.iter().enumerate() {
        certificates.extend(load_roots(root).map_err(|e| Error::config(ROOT, format!("certificate #{}: {e}", i + 1)))?);
    }
    let builder = || {
        let mut builder = native_tls::TlsConnector::builder();
        builder.min_protocol_version(Some(native_tls::Protocol::Tlsv12));
        for certificate in &certificates {
            builder.add_root_certificate(certificate.clone());
        }
        builder
    };
    let standard = builder()
        .build()
        .map_err(|e| Error::config("transport", format!("the TLS context could not be created ({e})")))?;
    let merchant = match merchant {
        None => None,
        Some(given) => {
            let identity = identity(given, mchid)?;
            let connector = builder().identity(identity).build().map_err(|e| {
                Error::config(
                    MERCHANT,
                    format!(
                        "the merchant TLS certificate and private key were refused together; are they a pair (the \
                         certificate apiclient_cert.pem and the key apiclient_key.pem of one download)? ({e})"
                    ),
                )
            })?;
            Some(connector)
        }
    };
    Ok(Connectors { standard, merchant })
}

/// Reads `input`: `file://<path>` or the text itself.
fn read(input: &str, what: &str) -> Result<Vec<u8>, String> {
    match input.trim_start().strip_prefix("file://") {
        Some(path) => crate::crypto::file::read_bounded(path.trim_end(), what),
        None => Ok(input.as_bytes().to_vec()),
    }
}

fn load_roots(input: &str) -> Result<Vec<native_tls::Certificate>, String> {
    let bytes = read(input, "certificate")?;
    if bytes.is_empty() || bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("it is empty".to_owned());
    }
    if !contains(&bytes, b"-----BEGIN") {
        // A binary file: one DER certificate.
        return native_tls::Certificate::from_der(&bytes)
            .map(|c| vec![c])
            .map_err(|e| format!("not a PEM or DER X.509 certificate ({e})"));
    }
    if contains(&bytes, b"PRIVATE KEY-----") {
        return Err("this PEM holds a private key; `root_certificate` takes a CA or server certificate".to_owned());
    }
    match native_tls::Certificate::stack_from_pem(&bytes) {
        Ok(list) if !list.is_empty() => Ok(list),
        Ok(_) => Err("no `-----BEGIN CERTIFICATE-----` block found".to_owned()),
        Err(e) => Err(format!("not a PEM X.509 certificate ({e})")),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Loads the identity. Error messages never quote the material itself.
fn identity(given: &MerchantTls, mchid: &str) -> Result<native_tls::Identity, Error> {
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
            let key = pkcs8_pem(&key).map_err(fail)?;
            native_tls::Identity::from_pkcs8(&cert, key.as_bytes())
                .map_err(|e| fail(format!("the certificate or the private key could not be loaded ({e})")))
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
            let (password, which) = match password {
                Some(p) => (p.as_str(), "the given password"),
                None => (mchid, "the merchant id as password (WeChat Pay's default)"),
            };
            native_tls::Identity::from_pkcs12(der, password).map_err(|e| {
                fail(format!(
                    "the PKCS#12 (.p12) data could not be opened with {which}: a wrong password or not a PKCS#12 \
                     file. Older apiclient_cert.p12 files use RC2 encryption, which OpenSSL 3 refuses; use \
                     apiclient_cert.pem and apiclient_key.pem from the same download with `merchant_tls_pem` \
                     then ({e})"
                ))
            })
        }
    }
}

/// The private key as the unencrypted PKCS#8 PEM native-tls takes: PKCS#8 is re-encoded as is, PKCS#1
/// (`RSA PRIVATE KEY`) is converted.
fn pkcs8_pem(key: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(key).map_err(|_| {
        "the private key is not PEM text; pass the text of apiclient_key.pem or `file:///path/to/apiclient_key.pem`"
            .to_owned()
    })?;
    let block = crate::crypto::pem::decode(text).map_err(|e| format!("the private key is not PEM: {e}"))?;
    let encrypted = "the private key is encrypted; the SDK takes an unencrypted key such as apiclient_key.pem";
    if block.legacy_encrypted {
        return Err(encrypted.to_owned());
    }
    match block.label.as_str() {
        "PRIVATE KEY" => Ok(pem_encode("PRIVATE KEY", &block.der)),
        "RSA PRIVATE KEY" => {
            use rsa::pkcs1::DecodeRsaPrivateKey;
            use rsa::pkcs8::EncodePrivateKey;
            let key = rsa::PrivateKey::from_pkcs1_der(&block.der)
                .map_err(|e| format!("the PKCS#1 RSA private key was rejected ({e})"))?;
            let der = key.to_pkcs8_der().map_err(|e| format!("the PKCS#1 RSA private key was rejected ({e})"))?;
            Ok(pem_encode("PRIVATE KEY", der.as_bytes()))
        }
        "ENCRYPTED PRIVATE KEY" => Err(encrypted.to_owned()),
        "CERTIFICATE" => {
            Err("the second argument holds a certificate; the order is (apiclient_cert.pem, apiclient_key.pem)"
                .to_owned())
        }
        other => Err(format!("unsupported PEM block `{other}` for the private key; expected PRIVATE KEY")),
    }
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for line in b64.as_bytes().chunks(64) {
        // Base64 output is ASCII.
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
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
        for key in ["merchant_apiclient_key.pem", "merchant_apiclient_key_pkcs1.pem"] {
            let given = MerchantTls::Pem { cert: key_file("merchant_apiclient_cert.pem"), key: key_file(key) };
            let built = connectors(&[], Some(&given), "1900000001");
            assert!(built.is_ok_and(|c| c.merchant.is_some()), "{key}");
        }
    }

    #[test]
    fn debug_is_redacted() {
        let given = MerchantTls::Pkcs12 { der: vec![1, 2, 3], password: Some("secret-password".into()) };
        assert_eq!(format!("{given:?}"), "Pkcs12(3 bytes, <redacted>)");
    }

    #[test]
    fn pem_encoding_round_trips() {
        let der: Vec<u8> = (0u8..=255).cycle().take(700).collect();
        let pem = pem_encode("PRIVATE KEY", &der);
        assert!(pem.lines().all(|l| l.len() <= 64));
        assert_eq!(crate::crypto::pem::decode(&pem).map(|p| p.der).ok(), Some(der));
    }
}
