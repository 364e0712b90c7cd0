//! The per-call context that sensitive fields are encrypted and decrypted in.
//!
//! serde gives a `Serialize`/`Deserialize` implementation no way to reach the client, so
//! [`Client::call`](crate::Client::call) installs it in a thread-local slot for exactly the synchronous
//! serialization of the request and the deserialization of the answer (no `.await` in between), and
//! takes it out again afterwards, also when that code panics. Outside such a scope an encrypted or
//! decrypted field refuses to serialize or deserialize, so plain text never leaves unencrypted and a
//! ciphertext is never mistaken for plain text.

use std::cell::RefCell;
use std::thread::LocalKey;

use crate::client::Client;
use crate::error::Error;
use crate::sensitive::{Sensitive, SensitiveEncryptor};

/// Why a field could not be encrypted or decrypted, as serde reports it. The real [`Error`] is kept in the
/// scope and replaces serde's error when the call fails.
pub(crate) const FAILED: &str = "the sensitive field could not be processed";
const NOT_SEALING: &str = "an encrypted field (`#[encrypt]`, `typed::encrypt`) only serializes inside Client::call, \
                           Client::call_async or Client::endpoint_options, which pick the WeChat Pay key to encrypt it \
                           with";
const NOT_OPENING: &str = "a decrypted field (`typed::decrypt`) only deserializes inside Client::call, \
                           Client::call_async or Typed::parse, which have the merchant private key to decrypt it with";

struct Sealing {
    client: Client,
    encryptor: Option<SensitiveEncryptor>,
    error: Option<Error>,
}

struct Opening {
    client: Client,
    error: Option<Error>,
}

thread_local! {
    static SEALING: RefCell<Option<Sealing>> = const { RefCell::new(None) };
    static OPENING: RefCell<Option<Opening>> = const { RefCell::new(None) };
}

/// A scope installed in `key`; dropping it (also by unwinding) puts back what was there before.
struct Scoped<T: 'static> {
    key: &'static LocalKey<RefCell<Option<T>>>,
    /// `Some` until the scope is left.
    previous: Option<Option<T>>,
}

impl<T: 'static> Scoped<T> {
    fn enter(key: &'static LocalKey<RefCell<Option<T>>>, value: T) -> Self {
        let previous = key.with(|slot| slot.replace(Some(value)));
        Scoped { key, previous: Some(previous) }
    }

    /// Restores the previous scope and returns this one's final state.
    fn leave(mut self) -> Option<T> {
        let previous = self.previous.take().flatten();
        self.key.with(|slot| slot.replace(previous))
    }
}

impl<T: 'static> Drop for Scoped<T> {
    fn drop(&mut self) {
        if let Some(previous) = self.previous.take() {
            let _ = self.key.try_with(|slot| {
                if let Ok(mut slot) = slot.try_borrow_mut() {
                    *slot = previous;
                }
            });
        }
    }
}

/// Runs `build` (which serializes a request) with `client` as the encryption scope. Returns what it built
/// and the encryptor the sensitive fields were encrypted with, if there were any: one encryptor, picked at
/// the first field, for the whole request. A failed encryption is returned as itself.
pub(crate) fn sealing<R>(
    client: &Client,
    build: impl FnOnce() -> Result<R, Error>,
) -> Result<(R, Option<SensitiveEncryptor>), Error> {
    let scope = Scoped::enter(&SEALING, Sealing { client: client.clone(), encryptor: None, error: None });
    let built = build();
    let state = scope.leave();
    let (encryptor, error) = state.map_or((None, None), |s| (s.encryptor, s.error));
    if let Some(error) = error {
        // Even if the serializer swallowed the failure, nothing half-encrypted goes out.
        return Err(error);
    }
    Ok((built?, encryptor))
}

/// Runs `parse` (which deserializes an answer) with `client` as the decryption scope. When parsing fails
/// because a field did not decrypt, that error is returned rather than serde's.
pub(crate) fn opening<R>(client: &Client, parse: impl FnOnce() -> Result<R, Error>) -> Result<R, Error> {
    let scope = Scoped::enter(&OPENING, Opening { client: client.clone(), error: None });
    let parsed = parse();
    let state = scope.leave();
    match (parsed, state.and_then(|s| s.error)) {
        (Ok(value), _) => Ok(value),
        (Err(_), Some(error)) => Err(error),
        (Err(error), None) => Err(error),
    }
}

/// Encrypts `plaintext` with the scope's encryptor (picked now if this is the request's first sensitive
/// field). The `Err` is a message for serde; the scope keeps the real error.
pub(crate) fn seal(plaintext: &str) -> Result<String, &'static str> {
    SEALING.with(|slot| {
        let Ok(mut slot) = slot.try_borrow_mut() else { return Err(NOT_SEALING) };
        let Some(scope) = slot.as_mut() else { return Err(NOT_SEALING) };
        if scope.error.is_some() {
            return Err(FAILED);
        }
        let encryptor = match &mut scope.encryptor {
            Some(encryptor) => encryptor,
            empty => match scope.client.sensitive_encryptor() {
                Ok(encryptor) => empty.insert(encryptor),
                Err(e) => {
                    scope.error = Some(e);
                    return Err(FAILED);
                }
            },
        };
        encryptor.encrypt(plaintext).map_err(|e| {
            scope.error = Some(e);
            FAILED
        })
    })
}

/// Decrypts `ciphertext` with the scope's merchant private key. The `Err` is a message for serde; the
/// scope keeps the first real error.
pub(crate) fn open(ciphertext: &str) -> Result<Sensitive, &'static str> {
    OPENING.with(|slot| {
        let Ok(mut slot) = slot.try_borrow_mut() else { return Err(NOT_OPENING) };
        let Some(scope) = slot.as_mut() else { return Err(NOT_OPENING) };
        scope.client.decrypt_sensitive(ciphertext).map_err(|e| {
            scope.error.get_or_insert(e.into());
            FAILED
        })
    })
}
