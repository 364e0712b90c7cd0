//! The sandbox's HTTPS side, on the same port as plain HTTP, with optional client certificates.
//!
//! Each accepted connection is sniffed: a first byte of `0x16` (a TLS handshake record) means TLS,
//! anything else plain HTTP. TLS is served by rustls with a self-signed certificate for `127.0.0.1` and
//! `localhost` that each sandbox makes at start ([`Sandbox::tls_root_pem`](super::Sandbox::tls_root_pem)).
//! The server asks every TLS client for a certificate but does not insist; the handshake proves that a
//! client presenting one holds its private key, and a connection counts as the merchant's when the
//! certificate carries the merchant's public key (mutual TLS of APIv2 `security` endpoints).

use std::sync::Arc;

use rustls::DistinguishedName;
use rustls::SignatureScheme;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use x509_cert::der::{Decode, Encode};

use super::keys::KeyPair;

/// What the sandbox knows about the connection a request came on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Connection {
    /// The connection is TLS (`https://`).
    pub(crate) tls: bool,
    /// The client presented a certificate for the merchant's key (mutual TLS; possession of the key was
    /// proven in the handshake).
    pub(crate) merchant_cert: bool,
}

/// The TLS side of a sandbox: the acceptor and the server certificate clients must trust.
pub(crate) struct TlsServer {
    pub(crate) acceptor: tokio_rustls::TlsAcceptor,
    pub(crate) root_pem: String,
}

impl TlsServer {
    /// A server certificate for `key` made at `now`, and a rustls configuration that offers (but does not
    /// require) client authentication.
    pub(crate) fn new(key: &KeyPair, now: i64) -> Result<TlsServer, String> {
        let (root_pem, cert_der) = key.tls_server_certificate(now)?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = Arc::new(OptionalClientCert { algorithms: provider.signature_verification_algorithms });
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("the sandbox TLS configuration failed: {e}"))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                vec![CertificateDer::from(cert_der)],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.pkcs8_der.clone())),
            )
            .map_err(|e| format!("the sandbox TLS certificate was refused: {e}"))?;
        Ok(TlsServer { acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)), root_pem })
    }
}

/// Whether the first certificate of `presented` carries the public key `merchant_spki` (DER).
pub(crate) fn is_merchant(presented: Option<&[CertificateDer<'_>]>, merchant_spki: &[u8]) -> bool {
    let Some(end_entity) = presented.and_then(<[_]>::first) else { return false };
    x509_cert::Certificate::from_der(end_entity.as_ref())
        .ok()
        .and_then(|cert| cert.tbs_certificate().subject_public_key_info().to_der().ok())
        .is_some_and(|spki| spki == merchant_spki)
}

/// Offers client authentication without requiring it, takes any well-formed certificate (which one it
/// was is judged per connection, with [`is_merchant`]), and checks the handshake signature that proves
/// possession of its key with the ring provider's algorithms.
#[derive(Debug)]
struct OptionalClientCert {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for OptionalClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // No hints: a client then presents whatever certificate it has.
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        x509_cert::Certificate::from_der(end_entity.as_ref())
            .map(|_| ClientCertVerified::assertion())
            .map_err(|_| rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
