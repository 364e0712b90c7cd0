//! Authentication: request signing ([`Signer`], [`authorization`]) and response verification
//! ([`Verifier`] over one [`KeyStore`]).

mod signer;
mod verifier;

pub use signer::{RsaSigner, SCHEME, Signer, authorization, nonce, sign_message};
pub use verifier::{KeyStore, MAX_CLOCK_OFFSET, UNSIGNED_DOWNLOADS, Verifier, is_unsigned_download};
