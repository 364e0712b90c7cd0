//! Platform certificates: the `GET v3/certificates` download, its decryption and checks, and the
//! single-flight, rate-limited refresh of automatic certificate mode.
//!
//! Automatic mode is on when the client has an APIv3 key and no WeChat Pay public key (or when
//! [`ClientBuilder::auto_certificates`](crate::ClientBuilder::auto_certificates) says so). Then:
//! - right after `build()`, and every [`DEFAULT_REFRESH_INTERVAL`] (configurable between
//!   [`MIN_REFRESH_INTERVAL`] and [`MAX_REFRESH_INTERVAL`]), a background task downloads the
//!   certificates, installs the valid ones and drops expired ones; after a failure it retries sooner
//!   (30 s, doubling, up to the interval) and keeps the old store;
//! - a call made while the store has no usable key waits for that download (and is not sent if it fails);
//! - a response or notification signed with an unknown certificate serial triggers one download, at
//!   most once per [`ON_DEMAND_REFRESH_INTERVAL`], shared by every caller waiting on it, so a burst of
//!   calls (or an attacker choosing serials) causes at most one request to WeChat Pay.
//!
//! Every download is checked like PHP's `CertificateDownloader`: each `encrypt_certificate` is
//! decrypted with the APIv3 key, parsed as X.509 (its serial must equal `serial_no`), and the
//! download's own signature must verify with one of the downloaded certificates (or a key already
//! trusted). Only certificates valid now are installed.

mod manager;
mod refresher;

use std::time::Duration;

use serde::Deserialize;

pub(crate) use manager::Certificates;

use crate::auth::PUBLIC_KEY_ID_PREFIX;
use crate::crypto::{ApiV3Key, PublicKey, aead};
use crate::error::{CertificateError, CertificateErrorKind};

/// Default period of the background certificate refresh.
pub const DEFAULT_REFRESH_INTERVAL: Duration = Duration::from_secs(60 * 60);
/// Shortest allowed refresh period.
pub const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(60);
/// Longest allowed refresh period.
pub const MAX_REFRESH_INTERVAL: Duration = Duration::from_secs(24 * 60 * 60);
/// Least time between two downloads triggered by unknown serials.
pub const ON_DEMAND_REFRESH_INTERVAL: Duration = Duration::from_secs(60);
/// First retry delay after a failed scheduled refresh (doubles up to the refresh interval).
pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(30);

/// A platform certificate from `GET v3/certificates`, decrypted and parsed.
#[derive(Clone)]
pub struct DownloadedCertificate {
    serial_no: String,
    effective_time: String,
    expire_time: String,
    pem: String,
    key: PublicKey,
}

impl std::fmt::Debug for DownloadedCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadedCertificate")
            .field("serial_no", &self.serial_no)
            .field("effective_time", &self.effective_time)
            .field("expire_time", &self.expire_time)
            .finish_non_exhaustive()
    }
}

impl DownloadedCertificate {
    /// The serial as WeChat Pay sends it in `Wechatpay-Serial`.
    pub fn serial(&self) -> &str {
        &self.serial_no
    }

    /// `effective_time` as WeChat Pay wrote it (RFC 3339).
    pub fn effective_time(&self) -> &str {
        &self.effective_time
    }

    /// `expire_time` as WeChat Pay wrote it (RFC 3339).
    pub fn expire_time(&self) -> &str {
        &self.expire_time
    }

    /// The certificate, PEM (what `wechatpay_<serial>.pem` files hold).
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// `notBefore` of the certificate, Unix seconds.
    pub fn not_before(&self) -> i64 {
        self.key.certificate().map_or(i64::MIN, |c| c.not_before)
    }

    /// `notAfter` of the certificate, Unix seconds.
    pub fn not_after(&self) -> i64 {
        self.key.certificate().map_or(i64::MAX, |c| c.not_after)
    }

    /// Whether the certificate is valid at `now` (Unix seconds).
    pub fn is_valid_at(&self, now: i64) -> bool {
        self.not_before() <= now && now <= self.not_after()
    }

    /// The public key, ready for a [`KeyStore`](crate::auth::KeyStore).
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }
}

#[derive(Deserialize)]
struct Listing {
    data: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    serial_no: String,
    #[serde(default)]
    effective_time: String,
    #[serde(default)]
    expire_time: String,
    encrypt_certificate: Sealed,
}

#[derive(Deserialize)]
struct Sealed {
    algorithm: String,
    nonce: String,
    #[serde(default)]
    associated_data: String,
    ciphertext: String,
}

/// Decrypts and parses the body of `GET v3/certificates`. Does not check the response signature.
pub(crate) fn parse_listing(body: &[u8], key: &ApiV3Key) -> Result<Vec<DownloadedCertificate>, CertificateError> {
    let listing: Listing = serde_json::from_slice(body).map_err(|e| {
        CertificateError::new(
            CertificateErrorKind::Download,
            format!("the v3/certificates answer is not the expected {{\"data\":[…]}} listing ({e})"),
        )
    })?;
    let mut out = Vec::with_capacity(listing.data.len());
    for entry in listing.data {
        let serial = &entry.serial_no;
        let sealed = &entry.encrypt_certificate;
        if sealed.algorithm != "AEAD_AES_256_GCM" {
            return Err(CertificateError::new(
                CertificateErrorKind::Decrypt,
                format!("certificate `{serial}` uses algorithm `{}`, not AEAD_AES_256_GCM", sealed.algorithm),
            ));
        }
        let plain = aead::decrypt(key, sealed.nonce.as_bytes(), sealed.associated_data.as_bytes(), &sealed.ciphertext)
            .map_err(|e| {
                CertificateError::new(
                    CertificateErrorKind::Decrypt,
                    format!("certificate `{serial}` did not decrypt ({e}); check the APIv3 key"),
                )
            })?;
        let pem = String::from_utf8(plain).map_err(|_| {
            CertificateError::new(CertificateErrorKind::Certificate, format!("certificate `{serial}` is not PEM text"))
        })?;
        let key = PublicKey::load(&pem).map_err(|e| {
            CertificateError::new(CertificateErrorKind::Certificate, format!("certificate `{serial}`: {e}"))
        })?;
        match key.certificate() {
            Some(info) if info.serial.eq_ignore_ascii_case(serial) => {}
            Some(info) => {
                return Err(CertificateError::new(
                    CertificateErrorKind::Certificate,
                    format!("the certificate listed as `{serial}` has serial `{}`", info.serial),
                ));
            }
            None => {
                return Err(CertificateError::new(
                    CertificateErrorKind::Certificate,
                    format!("`{serial}` decrypted to a bare key, not an X.509 certificate"),
                ));
            }
        }
        out.push(DownloadedCertificate {
            serial_no: entry.serial_no,
            effective_time: entry.effective_time,
            expire_time: entry.expire_time,
            pem,
            key,
        });
    }
    Ok(out)
}

/// Whether `id` can name a platform certificate (and so might appear after a download): 1 to 40 hex
/// digits. Public key ids and anything else never trigger a download.
pub(crate) fn may_be_certificate_serial(id: &str) -> bool {
    !id.starts_with(PUBLIC_KEY_ID_PREFIX) && (1..=40).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_shapes() {
        assert!(may_be_certificate_serial("7B9F2C366F58149F90CC94CDEEAD667C4816FFDC"));
        assert!(!may_be_certificate_serial("PUB_KEY_ID_0112345678202411240000000000000000"));
        assert!(!may_be_certificate_serial("../../etc"));
        assert!(!may_be_certificate_serial(&"A".repeat(41)));
    }
}
