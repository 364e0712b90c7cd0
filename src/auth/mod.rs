//! Authentication: request signing ([`Signer`], [`authorization`]) and response verification
//! ([`Verifier`] over one [`KeyStore`]).

mod clock;
mod keystore;
mod outcome;
mod signer;
mod verifier;

pub use clock::{Clock, SystemClock};
pub use keystore::{KeyStore, PUBLIC_KEY_ID_PREFIX, TrustEvent, TrustListener};
pub use outcome::{Verification, VerificationFailure};
pub use signer::{RsaSigner, SCHEME, Signer, SigningError, authorization, nonce, sign_message};
pub(crate) use verifier::is_statement;
pub use verifier::{MAX_CLOCK_OFFSET, SIGNATURE_TYPE, UNSIGNED_DOWNLOADS, Verifier, is_unsigned_download};
