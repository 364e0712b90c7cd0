//! `sandbox`: the local WeChat Pay imitation, exactly as the `wechatpay-sandbox` binary runs it.

use wechatpay_chain::sandbox::process::{self, ProcessOptions};

use crate::args::{Cli, SandboxArgs};
use crate::output::Failure;

/// Runs until the process is stopped; returns only when the sandbox cannot start.
pub fn run(cli: &Cli, args: &SandboxArgs) -> Result<(), Failure> {
    let options = ProcessOptions {
        port: args.port,
        keys_dir: args.keys_dir.clone(),
        mchid: cli.credentials.mchid.clone(),
        sign_mode: process::parse_sign_mode(&args.sign_mode).map_err(Failure::input)?,
        fault_rate: args.fault_rate,
        seed: args.seed,
        quiet: args.quiet,
    };
    let Err(message) = process::run(&options);
    Err(Failure { code: crate::output::EXIT_FAILURE, message: format!("sandbox: {message}") })
}
