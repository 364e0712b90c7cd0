//! The one store of WeChat Pay verification keys, and the events it reports.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use crate::crypto::PublicKey;

/// The prefix of WeChat Pay public key ids.
pub const PUBLIC_KEY_ID_PREFIX: &str = "PUB_KEY_ID_";

/// Something that happened to the trust configuration, reported to [`KeyStore::on_event`] listeners
/// (and [`ClientBuilder::on_trust_event`](crate::ClientBuilder::on_trust_event)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustEvent {
    /// Keys were added, replaced or removed. `ids` is the whole store afterwards.
    KeysChanged {
        /// Ids added (or whose key was replaced).
        added: Vec<String>,
        /// Ids removed (e.g. expired platform certificates).
        removed: Vec<String>,
        /// Every id now in the store, sorted.
        ids: Vec<String>,
    },
    /// A platform certificate download failed; the store was left as it was.
    RefreshFailed {
        /// What went wrong and what to do about it.
        reason: String,
    },
}

/// A [`KeyStore::on_event`] listener.
pub type TrustListener = Arc<dyn Fn(&TrustEvent) + Send + Sync>;

/// WeChat Pay's verification keys, keyed by the id it puts in `Wechatpay-Serial`: a platform
/// certificate serial (`7B9F2C36…`) or a WeChat Pay public key id (`PUB_KEY_ID_…`). Ids are opaque
/// strings, compared exactly.
///
/// One store serves response verification and notification verification. Cloning shares it. Reads
/// take a snapshot (no lock is held while verifying or during I/O), so keys can be added or removed
/// while requests are in flight; every change is reported to the [`on_event`](KeyStore::on_event)
/// listeners.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use wechatpay_chain::auth::{KeyStore, TrustEvent};
/// use wechatpay_chain::crypto::PublicKey;
///
/// let store = KeyStore::new();
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = Arc::clone(&seen);
/// store.on_event(move |event| sink.lock().unwrap().push(event.clone()));
///
/// let key = PublicKey::load("file://tests/data/keys/wechatpay_public_key.pem").unwrap();
/// store.insert("PUB_KEY_ID_0112345678202411240000000000000000", key);
/// assert_eq!(store.ids(), ["PUB_KEY_ID_0112345678202411240000000000000000"]);
/// assert!(matches!(&seen.lock().unwrap()[0], TrustEvent::KeysChanged { added, .. } if added.len() == 1));
/// ```
#[derive(Clone, Default)]
pub struct KeyStore {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    keys: RwLock<Arc<BTreeMap<String, PublicKey>>>,
    listeners: RwLock<Vec<TrustListener>>,
}

impl fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyStore").field("ids", &self.ids()).finish()
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    // Writers never panic while holding a lock (they swap in a finished map), so poison carries no
    // half-done state.
    lock.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl KeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn snapshot(&self) -> Arc<BTreeMap<String, PublicKey>> {
        Arc::clone(&read(&self.inner.keys))
    }

    /// Applies `change` to a copy of the map, swaps it in, then reports what changed (outside the lock).
    fn update(&self, change: impl FnOnce(&mut BTreeMap<String, PublicKey>) -> (Vec<String>, Vec<String>)) {
        let (added, removed, ids) = {
            let mut guard = write(&self.inner.keys);
            let mut next = BTreeMap::clone(&guard);
            let (added, removed) = change(&mut next);
            if added.is_empty() && removed.is_empty() {
                return;
            }
            let ids = next.keys().cloned().collect();
            *guard = Arc::new(next);
            (added, removed, ids)
        };
        self.emit(&TrustEvent::KeysChanged { added, removed, ids });
    }

    pub(crate) fn emit(&self, event: &TrustEvent) {
        let listeners = read(&self.inner.listeners).clone();
        for listener in listeners {
            listener(event);
        }
    }

    /// Calls `listener` after every change of the store and on every failed certificate refresh. It
    /// runs on the thread that made the change (for refreshes, the SDK's I/O thread), so keep it short.
    pub fn on_event(&self, listener: impl Fn(&TrustEvent) + Send + Sync + 'static) {
        write(&self.inner.listeners).push(Arc::new(listener));
    }

    /// Adds or replaces the key with this id, returning the previous one.
    pub fn insert(&self, id: impl Into<String>, key: PublicKey) -> Option<PublicKey> {
        let id = id.into();
        let mut previous = None;
        self.update(|map| {
            previous = map.insert(id.clone(), key);
            (vec![id], Vec::new())
        });
        previous
    }

    /// Removes the key with this id.
    pub fn remove(&self, id: &str) -> Option<PublicKey> {
        let mut previous = None;
        self.update(|map| {
            previous = map.remove(id);
            (Vec::new(), previous.as_ref().map(|_| vec![id.to_owned()]).unwrap_or_default())
        });
        previous
    }

    /// Adds `certificates` and removes every certificate that has expired at `now`, as one change.
    /// Public keys and bare keys are never removed here.
    pub(crate) fn install(&self, certificates: Vec<(String, PublicKey)>, now: i64) {
        self.update(|map| {
            let mut added = Vec::new();
            for (id, key) in certificates {
                let same = map.get(&id).is_some_and(|old| old.rsa_public_key_der() == key.rsa_public_key_der());
                if !same {
                    added.push(id.clone());
                }
                map.insert(id, key);
            }
            let expired: Vec<String> = map
                .iter()
                .filter(|(_, key)| key.certificate().is_some_and(|c| c.not_after < now))
                .map(|(id, _)| id.clone())
                .collect();
            for id in &expired {
                map.remove(id);
            }
            (added, expired)
        });
    }

    /// An independent store holding the same keys now, without listeners (for checking a download
    /// against what is trusted plus what it brings, before installing anything).
    pub(crate) fn detached_copy(&self) -> KeyStore {
        KeyStore { inner: Arc::new(Inner { keys: RwLock::new(self.snapshot()), listeners: RwLock::default() }) }
    }

    /// The key with exactly this id.
    pub fn get(&self, id: &str) -> Option<PublicKey> {
        self.snapshot().get(id).cloned()
    }

    /// All ids, sorted.
    pub fn ids(&self) -> Vec<String> {
        self.snapshot().keys().cloned().collect()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.snapshot().len()
    }

    /// Whether the store has no key.
    pub fn is_empty(&self) -> bool {
        self.snapshot().is_empty()
    }

    /// Whether the store holds a key that can verify at `now`: a public key, a bare key, or a platform
    /// certificate inside its validity window.
    pub fn has_usable_key(&self, now: i64) -> bool {
        self.snapshot().values().any(|key| key.certificate().is_none_or(|c| c.not_before <= now && now <= c.not_after))
    }

    /// The id the client puts in the `Wechatpay-Serial` request header, which tells WeChat Pay the key to
    /// sign its answer with (and, for encrypted fields, the key they were encrypted with):
    /// 1. a WeChat Pay public key id (`PUB_KEY_ID_…`), the greatest if there are several;
    /// 2. else the newest platform certificate valid at `now` (latest `notBefore`);
    /// 3. else a key stored under a non-certificate id without certificate facts;
    /// 4. else none (the header is not sent).
    ///
    /// ```
    /// use wechatpay_chain::auth::KeyStore;
    /// use wechatpay_chain::crypto::PublicKey;
    ///
    /// let store = KeyStore::new();
    /// let cert = PublicKey::load("file://tests/data/keys/platform_cert.pem").unwrap();
    /// store.insert("7B9F2C366F58149F90CC94CDEEAD667C4816FFDC", cert);
    /// assert_eq!(store.preferred_id(1795562040).as_deref(), Some("7B9F2C366F58149F90CC94CDEEAD667C4816FFDC"));
    /// let key = PublicKey::load("file://tests/data/keys/wechatpay_public_key.pem").unwrap();
    /// store.insert("PUB_KEY_ID_0112345678202411240000000000000000", key);
    /// assert_eq!(store.preferred_id(1795562040).as_deref(), Some("PUB_KEY_ID_0112345678202411240000000000000000"));
    /// ```
    pub fn preferred_id(&self, now: i64) -> Option<String> {
        let snapshot = self.snapshot();
        if let Some(id) = snapshot.keys().rev().find(|id| id.starts_with(PUBLIC_KEY_ID_PREFIX)) {
            return Some(id.clone());
        }
        let newest_certificate = snapshot
            .iter()
            .filter_map(|(id, key)| key.certificate().map(|c| (c, id)))
            .filter(|(c, _)| c.not_before <= now && now <= c.not_after)
            .max_by_key(|(c, id)| (c.not_before, c.not_after, *id));
        if let Some((_, id)) = newest_certificate {
            return Some(id.clone());
        }
        snapshot.iter().rev().find(|(_, key)| key.certificate().is_none()).map(|(id, _)| id.clone())
    }
}
