//! `sign`: the Authorization header of a request, by hand.

use wechatpay_chain::auth::{RsaSigner, authorization, nonce, sign_message};

use crate::args::SignArgs;
use crate::credentials::{CredentialArgs, Credentials};
use crate::output::{self, Failure};

/// Prints the signed message (`\n` shown) and the full Authorization header, using only the merchant
/// id, serial and private key.
pub fn run(args: &SignArgs) -> Result<(), Failure> {
    let body = match &args.body {
        Some(path) => std::fs::read(path)
            .map_err(|e| Failure::input(format!("cannot read the body file {} ({e})", path.display())))?,
        None => Vec::new(),
    };
    let (mchid, serial, key) = Credentials::resolve(&CredentialArgs::new(&args.merchant))?.merchant()?;
    let timestamp = match args.timestamp {
        Some(timestamp) => timestamp,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|_| Failure::config("the system clock is before 1970"))?
            .as_secs()
            .try_into()
            .map_err(|_| Failure::config("the system clock is out of range"))?,
    };
    let nonce = match &args.nonce {
        Some(nonce) => nonce.clone(),
        None => nonce().map_err(wechatpay_chain::Error::from)?,
    };
    let method = args.method.to_ascii_uppercase();
    let message = sign_message(&method, &args.target, timestamp, &nonce, &body);
    let header = authorization(&mchid, &serial, &RsaSigner::new(key), &method, &args.target, timestamp, &nonce, &body)
        .map_err(wechatpay_chain::Error::from)?;
    output::stdout_bytes(format!("message: {}\nAuthorization: {header}\n", output::visible(&message)).as_bytes())
}
