//! The `native-tls` TLS backend: hyper-tls over the operating system's TLS (OpenSSL on Linux) and its
//! trust store, plus any `root_certificate`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hyper_tls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;

use super::{Identity, MERCHANT, ROOT};
use crate::error::Error;

/// A TLS connector, shared by every connection of its pool.
pub(crate) type Connector = native_tls::TlsConnector;
/// The HTTPS connector of a pool.
pub(crate) type Https = HttpsConnector<HttpConnector>;

/// A connector: TLS ≥ 1.2, the system's roots and `roots`, and the merchant identity when given.
pub(crate) fn connector(roots: &[Vec<u8>], identity: Option<Identity<'_>>) -> Result<Connector, Error> {
    let mut builder = native_tls::TlsConnector::builder();
    builder.min_protocol_version(Some(native_tls::Protocol::Tlsv12));
    for (i, der) in roots.iter().enumerate() {
        let certificate = native_tls::Certificate::from_der(der)
            .map_err(|e| Error::config(ROOT, format!("certificate #{}: not usable ({e})", i + 1)))?;
        builder.add_root_certificate(certificate);
    }
    let fail = |message: String| Error::config(MERCHANT, message);
    match identity {
        None => {}
        Some(Identity::Pem { chain, key }) => {
            let chain: String = chain.iter().map(|der| pem_encode("CERTIFICATE", der)).collect();
            let key = pem_encode("PRIVATE KEY", &key);
            let identity = native_tls::Identity::from_pkcs8(chain.as_bytes(), key.as_bytes())
                .map_err(|e| fail(format!("the certificate or the private key could not be loaded ({e})")))?;
            builder.identity(identity);
        }
        Some(Identity::Pkcs12 { der, password, which }) => {
            let identity = native_tls::Identity::from_pkcs12(der, password).map_err(|e| {
                fail(format!(
                    "the PKCS#12 (.p12) data could not be opened with {which}: a wrong password or not a PKCS#12 \
                     file. Older apiclient_cert.p12 files use RC2 encryption, which OpenSSL 3 refuses; use \
                     apiclient_cert.pem and apiclient_key.pem from the same download with `merchant_tls_pem` then, \
                     or the default `rustls` backend, which opens them ({e})"
                ))
            })?;
            builder.identity(identity);
        }
    }
    builder.build().map_err(|e| {
        Error::config(
            MERCHANT,
            format!(
                "the TLS context could not be created; with a merchant identity: are the certificate and key a pair \
                 (apiclient_cert.pem and apiclient_key.pem of one download)? ({e})"
            ),
        )
    })
}

/// The HTTPS connector over `http` with `tls` (plain `http://` stays possible for loopback base URIs).
pub(crate) fn https(http: HttpConnector, tls: &Connector) -> Https {
    HttpsConnector::from((http, tls.clone().into()))
}

/// Whether `error` (or one of its sources) is a TLS failure.
pub(crate) fn is_tls_error(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if e.downcast_ref::<native_tls::Error>().is_some() {
            return true;
        }
        next = e.source();
    }
    false
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

    #[test]
    fn pem_encoding_round_trips() {
        let der: Vec<u8> = (0u8..=255).cycle().take(700).collect();
        let pem = pem_encode("PRIVATE KEY", &der);
        assert!(pem.lines().all(|l| l.len() <= 64));
        assert_eq!(crate::crypto::pem::decode(&pem).map(|p| p.der).ok(), Some(der));
    }
}
