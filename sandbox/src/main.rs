//! `wechatpay-sandbox`: the local WeChat Pay imitation as a process, for integration tests in any
//! language.
//!
//! ```text
//! cargo run -p wechatpay-sandbox -- --port 0 --keys-dir ./sandbox-keys
//! ```
//!
//! Prints `listening 127.0.0.1:PORT` first, then one JSON line per request it receives. With
//! `--keys-dir DIR` it writes the throwaway keys an application needs to talk to it:
//! `apiclient_key.pem` and `apiclient_cert.pem` (the merchant's), `wechatpay_<serial>.pem` (the platform
//! certificate), `pub_key.pem` (the WeChat Pay public key), `sandbox_tls_root.pem` (the certificate to
//! trust for `https://` on the same port) and `sandbox.json` (base URIs, mchid, serials, public key id,
//! APIv3 and APIv2 keys, file names). Runs until stopped (Ctrl-C, SIGTERM). The same runs as
//! `wechatpay sandbox` (the `wechatpay-cli` crate); both call [`wechatpay_sandbox::run_process`].

use wechatpay_sandbox::{Parsed, ProcessOptions, USAGE, run_process};

fn main() {
    match ProcessOptions::parse(std::env::args().skip(1)) {
        Ok(Parsed::Run(options)) => {
            let Err(message) = run_process(&options);
            eprintln!("{message}");
            std::process::exit(1);
        }
        Ok(_) => println!("{USAGE}"),
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    }
}
