//! Whole-process CPU per signed and verified call, against the sandbox in another process, next to the
//! bare RSA-2048 sign + verify of both crypto libraries.
//!
//! ```text
//! cargo bench --bench percall                                                     # default backends
//! cargo bench --bench percall --no-default-features --features ring,native-tls   # the alternate set
//! benches/percall.sh                                                              # both, one table
//! ```
//!
//! The sandbox runs in a child process (this binary, re-executed with `--sandbox-child`), so the CPU
//! counted here — `getrusage(RUSAGE_SELF)`, user + system, of this process — is the client's alone:
//! signing, verifying, HTTP, the SDK's runtime threads. Each figure is the CPU of N calls divided by N,
//! after warm-up calls. The output is one JSON object per measurement, for `benches/percall.sh`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use serde_json::{Value, json};
use wechatpay_chain::Client;

const WARM_UP: usize = 50;
const CALLS: usize = 2000;
const IN_FLIGHT: usize = 16;

/// User + system CPU time of this process, in microseconds.
fn cpu_micros() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a complete `rusage` into the pointer it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let micros = |t: libc::timeval| t.tv_sec as f64 * 1e6 + t.tv_usec as f64;
    micros(usage.ru_utime) + micros(usage.ru_stime)
}

fn report(name: &str, calls: usize, cpu: f64, wall: f64) {
    let line = json!({
        "name": name,
        "backend": wechatpay_chain::crypto::BACKEND,
        "calls": calls,
        "cpu_us_per_call": cpu / calls as f64,
        "wall_us_per_call": wall / calls as f64,
    });
    println!("{line}");
}

fn measure(name: &str, calls: usize, mut work: impl FnMut(usize)) {
    let (cpu, wall) = (cpu_micros(), Instant::now());
    for i in 0..calls {
        work(i);
    }
    report(name, calls, cpu_micros() - cpu, wall.elapsed().as_secs_f64() * 1e6);
}

fn key_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keys").join(name)
}

/// One bare RSA-2048 PKCS#1 v1.5 SHA-256 sign and one verify per iteration, with aws-lc-rs.
fn bare_aws_lc(message: &[u8]) {
    use aws_lc_rs::signature::{self, KeyPair, RsaKeyPair};
    let der = pem_der(&key_path("merchant_apiclient_key.pem"));
    let pair = RsaKeyPair::from_pkcs8(&der).expect("key");
    let public = signature::ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, pair.public_key().as_ref())
        .expect("public key");
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let mut out = vec![0u8; pair.public_modulus_len()];
    measure("bare aws-lc-rs sign + verify", CALLS, |_| {
        pair.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut out).expect("sign");
        public.verify_sig(message, &out).expect("verify");
    });
    // The same work at a sequential caller's pace: the thread sleeps between pairs about as long as a
    // call waits for its answer, so caches and the vector units start cold each time, as in a call.
    measure("bare aws-lc-rs sign + verify, paced (0.4 ms asleep between)", CALLS, |_| {
        std::thread::sleep(std::time::Duration::from_micros(400));
        pair.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut out).expect("sign");
        public.verify_sig(message, &out).expect("verify");
    });
}

/// The same with ring.
fn bare_ring(message: &[u8]) {
    use ring::signature::{self, KeyPair, RsaKeyPair};
    let der = pem_der(&key_path("merchant_apiclient_key.pem"));
    let pair = RsaKeyPair::from_pkcs8(&der).expect("key");
    let public =
        signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, pair.public_key().as_ref().to_vec());
    let rng = ring::rand::SystemRandom::new();
    let mut out = vec![0u8; pair.public().modulus_len()];
    measure("bare ring sign + verify", CALLS, |_| {
        pair.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut out).expect("sign");
        public.verify(message, &out).expect("verify");
    });
}

fn pem_der(path: &Path) -> Vec<u8> {
    use base64::Engine;
    let text = std::fs::read_to_string(path).expect("key file");
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(body).expect("base64")
}

/// The child: a sandbox with its keys in `dir`, until stdin closes.
fn sandbox_child(dir: &Path) {
    let sandbox = wechatpay_sandbox::Sandbox::builder().start().expect("sandbox");
    sandbox.write_keys(dir).expect("keys");
    println!("listening {}", sandbox.addr());
    std::io::stdout().flush().expect("stdout");
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

struct SandboxProcess {
    child: Child,
    dir: PathBuf,
}

/// User + system CPU time of process `pid` (all its threads), in microseconds, from `/proc/<pid>/stat`
/// (clock ticks of 10 ms: over thousands of requests, a fine enough figure).
fn process_cpu_micros(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/<pid>/stat");
    // Fields after the parenthesised command name: state is field 3, utime 14 and stime 15.
    let after = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().expect("utime") + fields[12].parse::<f64>().expect("stime");
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    ticks / per_second * 1e6
}

impl SandboxProcess {
    fn start() -> SandboxProcess {
        let dir = std::env::temp_dir().join(format!("wechatpay-percall-{}", std::process::id()));
        let mut child = Command::new(std::env::current_exe().expect("exe"))
            .arg("--sandbox-child")
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("sandbox child");
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut first).expect("listening line");
        assert!(first.starts_with("listening "), "{first}");
        SandboxProcess { child, dir }
    }

    fn client(&self) -> Client {
        let keys: Value =
            serde_json::from_str(&std::fs::read_to_string(self.dir.join("sandbox.json")).expect("sandbox.json"))
                .expect("json");
        let text = |k: &str| keys[k].as_str().expect(k).to_owned();
        let file = |k: &str| format!("file://{}", self.dir.join(keys["files"][k].as_str().expect(k)).display());
        Client::builder()
            .mchid(text("mchid"))
            .serial(text("merchant_serial"))
            .private_key(file("merchant_private_key"))
            .public_key(text("public_key_id"), file("wechatpay_public_key"))
            .base_uri(text("base_uri"))
            .build()
            .expect("client")
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn options() -> Value {
    json!({
        "face_sid": "aabbccdd12345",
        "query": {"info_type": "ASK_UNIONID", "appid": "wx2b029c08a6233333"},
    })
}

fn calls_against_the_sandbox() {
    let sandbox = SandboxProcess::start();
    let client = sandbox.client();
    let chain = client.chain("v3/facemch/users/{face_sid}");
    for _ in 0..WARM_UP {
        chain.get(options()).expect("warm-up call");
    }
    let server_before = process_cpu_micros(sandbox.child.id());
    measure("sdk blocking, sequential", CALLS, |_| {
        chain.get(options()).expect("call");
    });
    let server = process_cpu_micros(sandbox.child.id()) - server_before;
    report("sandbox, per authenticated request (sequential)", CALLS, server, 0.0);

    if std::env::var("PERCALL_ONLY").is_ok_and(|only| only == "blocking") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(async {
        for _ in 0..WARM_UP {
            chain.get_async(options()).await.expect("warm-up call");
        }
    });
    let (cpu, wall) = (cpu_micros(), Instant::now());
    runtime.block_on(async {
        use futures::StreamExt;
        futures::stream::iter(0..CALLS)
            .map(|_| chain.get_async(options()))
            .buffer_unordered(IN_FLIGHT)
            .for_each(|result| async move {
                result.expect("call");
            })
            .await;
    });
    report("sdk async, 16 in flight", CALLS, cpu_micros() - cpu, wall.elapsed().as_secs_f64() * 1e6);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--sandbox-child") {
        sandbox_child(Path::new(args.get(at + 1).expect("dir")));
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: keep that run short.
    if !args.iter().any(|a| a == "--bench") {
        return;
    }
    // `PERCALL_ONLY=sdk` (or `bare`, or `blocking`: the SDK's sequential calls only) runs a part, e.g. under
    // a profiler.
    let only = std::env::var("PERCALL_ONLY").unwrap_or_default();
    let message =
        b"GET\n/v3/facemch/users/aabbccdd12345?info_type=ASK_UNIONID&appid=wx2b029c08a6233333\n1795562040\nNONCE\n\n";
    if only != "sdk" && only != "blocking" {
        bare_aws_lc(message);
        bare_ring(message);
    }
    if only != "bare" {
        // `sdk` and `blocking` both run the calls; `blocking` stops after the sequential ones.
        calls_against_the_sandbox();
    }
}
