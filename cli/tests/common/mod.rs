//! Shared fixtures of the `wechatpay` CLI tests: the binary run as a process against an in-process
//! sandbox whose keys are written to a temporary directory (private files mode 600).

#![allow(dead_code)] // each test binary uses its own share of the fixtures

use std::path::PathBuf;
use std::process::Output;

use assert_cmd::Command;
use wechatpay_sandbox::{Sandbox, SignMode};

pub const BIN: &str = env!("CARGO_BIN_EXE_wechatpay");
pub const VARS: [&str; 10] = [
    "WECHATPAY_MCHID",
    "WECHATPAY_SERIAL",
    "WECHATPAY_PRIVATE_KEY",
    "WECHATPAY_CERTS",
    "WECHATPAY_PUBLIC_KEY_ID",
    "WECHATPAY_PUBLIC_KEY",
    "WECHATPAY_APIV3_KEY",
    "WECHATPAY_BASE_URI",
    "WECHATPAY_CONFIG",
    "XDG_CONFIG_HOME",
];

/// A sandbox and the directory holding its key files; the directory is removed on drop.
pub struct Fixture {
    pub sandbox: Sandbox,
    pub dir: PathBuf,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Fixture {
    pub fn new(name: &str, mode: SignMode) -> Fixture {
        let sandbox = Sandbox::builder().sign_mode(mode).start().unwrap();
        let unique = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("wechatpay-cli-{name}-{}-{unique}", std::process::id()));
        sandbox.write_keys(&dir).unwrap();
        Fixture { sandbox, dir }
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    /// The command with a clean environment (no WECHATPAY_* of the developer's shell) and HOME here.
    pub fn bare(&self) -> Command {
        let mut command = Command::new(BIN);
        for var in VARS {
            command.env_remove(var);
        }
        command.env("HOME", &self.dir);
        command
    }

    /// Public-key mode credentials as flags.
    pub fn flags(&self) -> Vec<String> {
        let keys = self.sandbox.keys();
        vec![
            "--mchid".into(),
            keys.mchid().into(),
            "--serial".into(),
            keys.merchant_serial().into(),
            "--private-key".into(),
            self.path("apiclient_key.pem"),
            "--public-key-id".into(),
            keys.public_key_id().into(),
            "--public-key".into(),
            self.path("pub_key.pem"),
            "--base-uri".into(),
            self.sandbox.base_uri(),
        ]
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.bare().args(args).args(self.flags()).output().unwrap()
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> String {
        std::fs::write(self.dir.join(name), bytes).unwrap();
        self.path(name)
    }

    /// A secret file readable by its owner only.
    pub fn write_secret(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.write(name, bytes);
        chmod(&path, 0o600);
        path
    }
}

#[cfg(unix)]
pub fn chmod(path: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(not(unix))]
pub fn chmod(_: &str, _: u32) {}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn check(output: &Output, code: i32) -> (String, String) {
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(code), "stdout: {stdout}\nstderr: {stderr}");
    (stdout, stderr)
}

pub const FACE: [&str; 8] = [
    "get",
    "v3/facemch/users/{face_sid}",
    "--param",
    "face_sid=aabbccdd12345",
    "--query",
    "info_type=ASK_UNIONID",
    "--query",
    "appid=wx2b029c08a6233333",
];
