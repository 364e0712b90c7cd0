//! The sandbox's shared state: its keys and the key each answer is signed with, the ledgers of the
//! imitated endpoints, and the request log.

use std::sync::{Arc, Mutex};

use aws_lc_rs::signature::RsaKeyPair;
use wechatpay_chain::Clock;

use crate::keys::{self, KeyPair};
use crate::log::RequestLog;
use crate::{LoggedRequest, PLATFORM_CN, RequestHook, SignMode, bills, faults, lock, misc, pay, v2};

pub(crate) struct State {
    pub(crate) mchid: String,
    pub(crate) merchant_serial: String,
    pub(crate) merchant_key: rsa::PublicKey,
    /// The same key, parsed for request signature checks.
    pub(crate) merchant_verifier: crate::check::MerchantKey,
    /// The merchant's SubjectPublicKeyInfo DER: a TLS client certificate carrying it is the merchant's.
    pub(crate) merchant_spki: Vec<u8>,
    pub(crate) mode: SignMode,
    /// The WeChat Pay public key.
    pub(crate) public: SigningKey,
    /// The WeChat Pay public key's pair (its private key decrypts sensitive fields sent to it).
    pub(crate) public_key_pair: KeyPair,
    /// Every platform certificate ever held, in the order added (expired ones included).
    pub(crate) platforms: Mutex<Vec<Platform>>,
    pub(crate) apiv3_key: String,
    /// The APIv2 key and the APIv2 slice's orders.
    pub(crate) apiv2_key: String,
    pub(crate) v2: Mutex<v2::Ledger>,
    pub(crate) clock: Arc<dyn Clock>,
    /// The seed, complaint-notification and budget endpoints.
    pub(crate) misc: Mutex<misc::Misc>,
    /// Orders and refunds.
    pub(crate) pay: Mutex<pay::Ledger>,
    pub(crate) log: Mutex<RequestLog>,
    pub(crate) random: Option<faults::RandomFaults>,
    pub(crate) on_request: Option<RequestHook>,
    /// Bill downloads.
    pub(crate) bills: bills::Bills,
    /// Requests whose client went away before they were answered.
    pub(crate) abandoned: std::sync::atomic::AtomicU64,
}

impl State {
    /// Appends to the request log (bounded: the oldest entries go first) and tells the hook.
    pub(crate) fn record(&self, entry: LoggedRequest) {
        if let Some(hook) = &self.on_request {
            hook(&entry);
        }
        lock(&self.log).push(entry);
    }

    /// The key an answer is signed with, given the request's `Wechatpay-Serial` (see [`SignMode`]).
    pub(crate) fn response_key(&self, requested: Option<&str>, now: i64) -> SigningKey {
        if self.mode == SignMode::PublicKey || (self.mode == SignMode::Mixed && requested == Some(&self.public.id)) {
            return self.public.clone();
        }
        let platforms = lock(&self.platforms);
        let live = newest_first(&platforms, Some(now));
        requested
            .and_then(|id| live.iter().find(|p| p.serial == id))
            .or(live.first())
            // With every certificate expired, the newest expired one still signs.
            .or(newest_first(&platforms, None).first())
            .map_or_else(|| self.public.clone(), |p| p.key.clone())
    }

    /// The public key or any platform certificate key (expired ones included) with this id.
    pub(crate) fn key_by_id(&self, id: &str) -> Option<SigningKey> {
        if id == self.public.id {
            return Some(self.public.clone());
        }
        lock(&self.platforms).iter().find(|p| p.serial == id).map(|p| p.key.clone())
    }

    /// The ids of every key the sandbox holds: the public key id, then certificate serials, newest first.
    pub(crate) fn key_ids(&self) -> Vec<String> {
        let platforms = lock(&self.platforms);
        std::iter::once(self.public.id.clone())
            .chain(newest_first(&platforms, None).into_iter().map(|p| p.serial.clone()))
            .collect()
    }
}

/// A key that signs answers and notifications, with the id it is announced under in `Wechatpay-Serial`.
#[derive(Clone)]
pub(crate) struct SigningKey {
    pub(crate) id: String,
    pub(crate) pair: Arc<RsaKeyPair>,
}

impl SigningKey {
    pub(crate) fn new(id: String, pair: &KeyPair) -> Result<SigningKey, String> {
        let pair = RsaKeyPair::from_pkcs8(&pair.pkcs8_der)
            .map_err(|e| format!("the sandbox signing key `{id}` was rejected: {e}"))?;
        Ok(SigningKey { id, pair: Arc::new(pair) })
    }
}

/// A platform certificate and its key.
pub(crate) struct Platform {
    pub(crate) serial: String,
    pub(crate) key: SigningKey,
    pub(crate) pair: KeyPair,
    pub(crate) certificate_pem: String,
    pub(crate) not_before: i64,
    pub(crate) not_after: i64,
}

impl Platform {
    /// A self-signed certificate for `pair` made at `now` (valid from `now` − 1 day for five years).
    pub(crate) fn new(serial: String, pair: KeyPair, now: i64) -> Result<Platform, String> {
        let certificate_pem = pair.certificate(&serial, PLATFORM_CN, now)?;
        let (not_before, not_after) = keys::validity(now);
        let key = SigningKey::new(serial.clone(), &pair)?;
        Ok(Platform { serial, key, pair, certificate_pem, not_before, not_after })
    }
}

/// The platform certificates unexpired at `now` (all when `None`), newest first: latest `notBefore`,
/// and among equal ones the later added.
pub(crate) fn newest_first(platforms: &[Platform], now: Option<i64>) -> Vec<&Platform> {
    let mut list: Vec<(usize, &Platform)> =
        platforms.iter().enumerate().filter(|(_, p)| now.is_none_or(|now| now <= p.not_after)).collect();
    list.sort_by(|(ia, a), (ib, b)| (b.not_before, ib).cmp(&(a.not_before, ia)));
    list.into_iter().map(|(_, p)| p).collect()
}
