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
        let provider = Arc::new(rustls::crypto::ring::default_provider());
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

#[cfg(test)]
mod tests {
    //! Requests with the `security` flag, end to end against the sandbox (the flag has no public switch
    //! until the APIv2 pipeline gives it one).

    use http::Method;
    use serde_json::json;

    use crate::sandbox::Sandbox;
    use crate::{Client, Error, PreparedRequest, Sent};

    fn prepare(client: &Client, security: bool) -> PreparedRequest {
        let options =
            json!({"face_sid": "aabbccdd12345", "query": {"info_type": "ASK_UNIONID", "appid": "wx2b029c08a6233333"}});
        let mut prepared = client.chain("v3/facemch/users/{face_sid}").prepare(Method::GET, options).expect("prepared");
        prepared.security = security;
        prepared
    }

    fn vector_key(name: &str) -> String {
        std::fs::read_to_string(format!("{}/tests/data/keys/{name}", env!("CARGO_MANIFEST_DIR"))).expect("vector key")
    }

    const VECTOR_SERIAL: &str = "1946DD7BDF37823B2192F1DB21574B1D465D9A21";

    fn client_certs(sandbox: &Sandbox) -> Vec<(bool, bool, u16)> {
        sandbox.requests().iter().map(|r| (r.tls, r.client_cert, r.status)).collect()
    }

    #[test]
    fn security_requests_present_the_merchant_certificate_and_others_do_not() {
        let sandbox = Sandbox::start().expect("sandbox");
        let client = sandbox.client_builder().base_uri(sandbox.https_base_uri()).build().expect("client");
        for security in [true, false, true] {
            client.send_blocking(prepare(&client, security)).expect("answer");
        }
        assert_eq!(client_certs(&sandbox), [(true, true, 200), (true, false, 200), (true, true, 200)]);
    }

    #[tokio::test]
    async fn security_requests_work_async() {
        let sandbox = Sandbox::start().expect("sandbox");
        let client = sandbox.client_builder().base_uri(sandbox.https_base_uri()).build().expect("client");
        client.send_async(prepare(&client, false)).await.expect("answer");
        client.send_async(prepare(&client, true)).await.expect("answer");
        assert_eq!(client_certs(&sandbox), [(true, false, 200), (true, true, 200)]);
    }

    #[test]
    fn pem_pair_and_pkcs12_both_present_the_certificate() {
        let sandbox = Sandbox::builder()
            .merchant_key(VECTOR_SERIAL, vector_key("merchant_apiclient_key.pem"))
            .start()
            .expect("sandbox");
        let p12 = std::fs::read(format!("{}/tests/data/keys/merchant_apiclient_cert.p12", env!("CARGO_MANIFEST_DIR")))
            .expect("p12 fixture");
        let builders = [
            sandbox.client_builder().merchant_tls_pem(
                vector_key("merchant_apiclient_cert.pem"),
                vector_key("merchant_apiclient_key_pkcs1.pem"),
            ),
            sandbox.client_builder().merchant_tls_pkcs12(p12, None),
        ];
        for builder in builders {
            let client = builder.base_uri(sandbox.https_base_uri()).build().expect("client");
            client.send_blocking(prepare(&client, true)).expect("answer");
        }
        assert_eq!(client_certs(&sandbox), [(true, true, 200), (true, true, 200)]);
    }

    #[test]
    fn another_certificate_is_not_the_merchants() {
        let sandbox = Sandbox::builder()
            .merchant_key(VECTOR_SERIAL, vector_key("merchant_apiclient_key.pem"))
            .start()
            .expect("sandbox");
        let other = Sandbox::start().expect("another sandbox").keys();
        let client = sandbox
            .client_builder()
            .merchant_tls_pem(other.merchant_certificate_pem().expect("certificate"), other.merchant_private_key_pem())
            .base_uri(sandbox.https_base_uri())
            .build()
            .expect("client");
        client.send_blocking(prepare(&client, true)).expect("answer");
        assert_eq!(client_certs(&sandbox), [(true, false, 200)]);
    }

    #[test]
    fn security_without_an_identity_is_refused_before_sending() {
        // A given merchant key comes without a certificate, so the sandbox's builder has no identity.
        let sandbox = Sandbox::builder()
            .merchant_key(VECTOR_SERIAL, vector_key("merchant_apiclient_key.pem"))
            .start()
            .expect("sandbox");
        let client = sandbox.client_builder().base_uri(sandbox.https_base_uri()).build().expect("client");
        let err = client.send_blocking(prepare(&client, true)).expect_err("no identity");
        let Error::Config(config) = &err else { panic!("expected a configuration error, got {err:?}") };
        assert_eq!(config.setting(), "merchant_tls");
        assert!(config.message().contains("merchant_tls_pem"), "{err}");
        assert_eq!(err.sent(), Sent::No);
        assert!(sandbox.requests().is_empty());
    }

    #[test]
    fn a_plain_http_connection_has_no_certificate_even_for_security_requests() {
        // Over http:// there is no TLS to present a certificate in; the sandbox sees none.
        let sandbox = Sandbox::start().expect("sandbox");
        let client = sandbox.client_builder().build().expect("client");
        client.send_blocking(prepare(&client, true)).expect("answer");
        assert_eq!(client_certs(&sandbox), [(false, false, 200)]);
    }
}
