//! The `rustls` TLS backend: hyper-rustls over rustls, with the crypto provider of the crypto backend
//! (aws-lc-rs, or ring) and Mozilla's root store (webpki-roots) plus any `root_certificate`.
//!
//! Why Mozilla's roots rather than the operating system's: the same trust on every machine, including
//! scratch and distroless images that ship no CA bundle, and no system OpenSSL to link. WeChat Pay's
//! servers use public CAs in that list. A TLS-intercepting proxy's CA goes in `root_certificate`.

use std::sync::Arc;

use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ClientConfig, RootCertStore};

use super::{Identity, MERCHANT, ROOT};
use crate::error::Error;

/// A TLS client configuration, shared by every connection of its pool.
pub(crate) type Connector = Arc<ClientConfig>;
/// The HTTPS connector of a pool.
pub(crate) type Https = HttpsConnector<HttpConnector>;

fn provider() -> Arc<CryptoProvider> {
    #[cfg(feature = "aws-lc-rs")]
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    #[cfg(not(feature = "aws-lc-rs"))]
    let provider = rustls::crypto::ring::default_provider();
    Arc::new(provider)
}

/// A client configuration: TLS 1.2 and 1.3, Mozilla's roots and `roots`, and the merchant identity when
/// given (its certificate and key must be a pair).
pub(crate) fn connector(roots: &[Vec<u8>], identity: Option<Identity<'_>>) -> Result<Connector, Error> {
    let mut store = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    for (i, der) in roots.iter().enumerate() {
        store
            .add(CertificateDer::from(der.clone()))
            .map_err(|e| Error::config(ROOT, format!("certificate #{} cannot be a trust anchor ({e})", i + 1)))?;
    }
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::config("transport", format!("the TLS configuration could not be made ({e})")))?
        .with_root_certificates(store);
    let Some(identity) = identity else {
        return Ok(Arc::new(builder.with_no_client_auth()));
    };
    let fail = |message: String| Error::config(MERCHANT, message);
    let (chain, key) = match identity {
        Identity::Pem { chain, key } => (chain, key),
        Identity::Pkcs12 { der, password, which } => {
            let store = p12_keystore::KeyStore::from_pkcs12(der, password, p12_keystore::Pkcs12ImportPolicy::Strict)
                .map_err(|e| {
                    fail(format!(
                        "the PKCS#12 (.p12) data could not be opened with {which}: a wrong password or not a PKCS#12 \
                         file ({e})"
                    ))
                })?;
            let (_, pair) = store
                .private_key_chain()
                .ok_or_else(|| fail("the PKCS#12 (.p12) file holds no private key with its certificate".to_owned()))?;
            let chain = pair.certs().iter().map(|c| c.as_der().to_vec()).collect();
            (chain, pair.key().as_der().to_vec())
        }
    };
    if chain.is_empty() {
        return Err(fail("no certificate was found for the merchant TLS identity".to_owned()));
    }
    let chain = chain.into_iter().map(CertificateDer::from).collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key));
    let config = builder.with_client_auth_cert(chain, key).map_err(|e| {
        fail(format!(
            "the merchant TLS certificate and private key were refused together; are they a pair (the certificate \
             apiclient_cert.pem and the key apiclient_key.pem of one download)? ({e})"
        ))
    })?;
    Ok(Arc::new(config))
}

/// The HTTPS connector over `http` with `tls` (plain `http://` stays possible for loopback base URIs,
/// which the builder alone allows).
pub(crate) fn https(http: HttpConnector, tls: &Connector) -> Https {
    HttpsConnectorBuilder::new()
        .with_tls_config(ClientConfig::clone(tls))
        .https_or_http()
        .enable_http1()
        .wrap_connector(http)
}

/// Whether `error` (or one of its sources) is a TLS failure. rustls errors arrive wrapped in
/// `io::Error`s (tokio-rustls wraps them, hyper-rustls wraps that again), whose `source()` skips the
/// wrapped error itself, so those are looked into.
pub(crate) fn is_tls_error(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if e.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        if let Some(inner) = e.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref)
            && is_tls_error(inner)
        {
            return true;
        }
        next = e.source();
    }
    false
}
