//! Retries and failover against two hosts: a primary that refuses connections (nothing listens), breaks
//! them after reading the request, answers 503 or stalls, and a backup sandbox. GETs fail over and
//! succeed; a POST is failed over only when nothing was sent, and the request logs of both hosts prove
//! that no POST body ever arrived twice. Downloads and certificate downloads follow the same rules.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use wechatpay_chain::download::Bill;
use wechatpay_chain::{Client, ClientBuilder, Error, Options, RetryPolicy, Sent};
use wechatpay_sandbox::{Sandbox, SandboxBuilder, SignMode};

/// A quick policy for tests: the default rules, millisecond backoffs.
fn quick() -> RetryPolicy {
    RetryPolicy::default().backoff(Duration::from_millis(1), Duration::from_millis(10))
}

/// A port on 127.0.0.1 where nothing listens: connecting is refused.
fn refusing() -> String {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    format!("http://127.0.0.1:{port}/")
}

/// How the purpose-built primary misbehaves after reading a whole request.
#[derive(Clone, Copy)]
enum Fault {
    /// Closes the connection without answering: the request may have been acted on (`Sent::Maybe`).
    Reset,
    /// Answers `503` with `Retry-After: 0`.
    Unavailable,
    /// Answers nothing for a long while.
    Stall,
}

/// What a faulty host received: the request line and the body.
type Received = (String, Vec<u8>);

/// A host that reads each request (logging its line and body) and then misbehaves.
struct Faulty {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Received>>>,
}

impl Faulty {
    fn start(fault: Fault) -> Faulty {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let seen = Arc::clone(&seen);
                std::thread::spawn(move || serve(stream, fault, &seen));
            }
        });
        Faulty { addr, log }
    }

    fn base_uri(&self) -> String {
        format!("http://{}/", self.addr)
    }

    fn requests(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }
}

fn serve(mut stream: TcpStream, fault: Fault, log: &Mutex<Vec<Received>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(clone) = stream.try_clone() else { return };
    let mut reader = BufReader::new(clone);
    let (mut line, mut length) = (String::new(), 0usize);
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let request_line = line.trim_end().to_owned();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    log.lock().unwrap().push((request_line, body));
    match fault {
        Fault::Reset => {}
        Fault::Unavailable => {
            let answer = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nContent-Type: application/json\r\n\
                          Content-Length: 0\r\nConnection: close\r\n\r\n";
            let _ = stream.write_all(answer.as_bytes());
        }
        Fault::Stall => std::thread::sleep(Duration::from_secs(5)),
    }
}

/// A sandbox with the test merchant's key and the vectors' WeChat Pay public key: any two of them can
/// serve the same client.
fn twin() -> SandboxBuilder {
    let data =
        |name: &str| std::fs::read_to_string(format!("{}/tests/data/keys/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    Sandbox::builder()
        .merchant_key("1946DD7BDF37823B2192F1DB21574B1D465D9A21", data("merchant_apiclient_key.pem"))
        .public_key("PUB_KEY_ID_0112345678202411240000000000000000", data("wechatpay_pubkey_private_key.pem"))
}

/// Two sandboxes with the same merchant and WeChat Pay keys, so that either can serve the client.
fn twins() -> (Sandbox, Sandbox) {
    (twin().start().unwrap(), twin().start().unwrap())
}

/// A client of `backup`'s merchant whose base URI is `primary`, failing over to `backup`.
fn client(primary: &str, backup: &Sandbox) -> ClientBuilder {
    backup.client_builder().base_uri(primary).failover_hosts([backup.base_uri()]).retry(quick())
}

fn face() -> Value {
    json!({"face_sid": "aabbccdd12345", "query": {"info_type": "ASK_UNIONID", "appid": "wx2b029c08a6233333"}})
}

fn get(client: &Client, options: impl Into<Options>) -> Result<wechatpay_chain::Response, Error> {
    client.chain("v3/facemch/users/{face_sid}").get(options)
}

fn order(client: &Client, mchid: &str, no: &str) -> Result<wechatpay_chain::Response, Error> {
    client.chain("v3/pay/transactions/native").post(json!({"json": {
        "appid": "wx2b029c08a6233333", "mchid": mchid, "description": "failover",
        "out_trade_no": no, "notify_url": "https://example.com/notify",
        "amount": {"total": 1, "currency": "CNY"},
    }}))
}

/// How many times a POST with `out_trade_no` `no` reached `sandbox`.
fn posts_of(sandbox: &Sandbox, no: &str) -> usize {
    sandbox
        .requests()
        .iter()
        .filter(|r| {
            r.method == "POST" && serde_json::from_slice::<Value>(&r.body).is_ok_and(|b| b["out_trade_no"] == no)
        })
        .count()
}

#[test]
fn a_refused_primary_fails_over_for_every_method_and_stays_failed_over() {
    let (backup, _) = twins();
    let client = client(&refusing(), &backup).failover_hold(Duration::from_secs(3600)).build().unwrap();
    get(&client, face()).expect("the GET fails over and succeeds");
    // Nothing reached the primary: the POST is failed over too, and arrives once.
    order(&client, backup.mchid(), "FAILOVER-POST-1").expect("the POST fails over and succeeds");
    assert_eq!(posts_of(&backup, "FAILOVER-POST-1"), 1);
    // The backup is sticky: a call allowed one attempt goes straight to it.
    get(&client, Options::from(face()).retry(RetryPolicy::none())).expect("sticky backup");
    let futures = futures::executor::block_on(client.chain("v3/facemch/users/{face_sid}").get_async(face()));
    futures.expect("async too");
    assert_eq!(backup.requests().len(), 4);
}

#[test]
fn after_the_hold_one_call_probes_the_primary_and_failover_ends() {
    let (backup, primary_twin) = twins();
    let primary_port = primary_twin.addr().port();
    let primary = primary_twin.base_uri();
    drop(primary_twin); // stopped: its port refuses
    let client = client(&primary, &backup).failover_hold(Duration::ZERO).build().unwrap();
    get(&client, face()).expect("failed over");
    assert_eq!(backup.requests().len(), 1);
    // The primary is back (same keys, same port); with the hold over, the next call probes it.
    let revived = start_on(primary_port);
    get(&client, Options::from(face()).retry(RetryPolicy::none())).expect("the probe reaches the primary");
    get(&client, face()).expect("and stays there");
    assert_eq!((revived.requests().len(), backup.requests().len()), (2, 1));
}

/// A sandbox with the twins' keys on `port`.
fn start_on(port: u16) -> Sandbox {
    twin().port(port).start().unwrap()
}

#[test]
fn a_post_that_may_have_been_sent_is_never_sent_again() {
    for fault in [Fault::Reset, Fault::Unavailable] {
        let (backup, _) = twins();
        let primary = Faulty::start(fault);
        let client = client(&primary.base_uri(), &backup).build().unwrap();
        let err = order(&client, backup.mchid(), "MAYBE-POST-1").expect_err("not retried");
        match fault {
            Fault::Reset => {
                assert!(matches!(&err, Error::Transport(_)), "{err}");
                assert_eq!(err.sent(), Sent::Maybe);
                assert!(err.to_string().contains("query before retrying"), "{err}");
            }
            _ => assert_eq!((err.status().map(|s| s.as_u16()), err.sent()), (Some(503), Sent::Yes)),
        }
        // The body arrived once, at the primary; the backup never saw it.
        let bodies = |no: &str| {
            let log = primary.requests();
            log.iter()
                .filter(|(line, body)| line.starts_with("POST") && String::from_utf8_lossy(body).contains(no))
                .count()
        };
        assert_eq!(bodies("MAYBE-POST-1"), 1, "the POST reached the primary once");
        assert_eq!(posts_of(&backup, "MAYBE-POST-1"), 0, "and was never re-sent to the backup");

        // A GET on the same hosts fails over and succeeds; so does a POST marked idempotent (closing an
        // order the backup holds).
        get(&client, face()).expect("GET failed over");
        order(&backup.client_builder().build().unwrap(), backup.mchid(), "MAYBE-POST-2").expect("order");
        let close = client
            .chain("v3/pay/transactions/out-trade-no/{no}/close")
            .post(Options::new().param("no", "MAYBE-POST-2").json(&json!({"mchid": backup.mchid()})).idempotent());
        assert_eq!(close.expect("idempotent POST failed over").status(), 204);
        assert_eq!(backup.requests().len(), 3);
        assert_eq!(posts_of(&backup, "MAYBE-POST-1"), 0);
    }
}

#[test]
fn timeouts_retry_a_get_within_the_calls_deadline_but_never_a_post() {
    let (backup, _) = twins();
    let primary = Faulty::start(Fault::Stall);
    let policy = quick().attempt_timeout(Duration::from_millis(300));
    let client = client(&primary.base_uri(), &backup).retry(policy).timeout(Duration::from_secs(3)).build().unwrap();
    let err = order(&client, backup.mchid(), "STALL-POST-1").expect_err("timed out");
    assert!(err.is_timeout() && err.sent() == Sent::Maybe, "{err}");
    assert_eq!(posts_of(&backup, "STALL-POST-1"), 0);
    // The hold keeps calls on the backup now; a fresh client meets the stalling primary first.
    let fresh = client_for_stall(&primary, &backup, policy);
    get(&fresh, face()).expect("the GET's first attempt times out, the second succeeds on the backup");
    assert_eq!(primary.requests().len(), 2, "one POST and one GET reached the primary");
}

fn client_for_stall(primary: &Faulty, backup: &Sandbox, policy: RetryPolicy) -> Client {
    client(&primary.base_uri(), backup).retry(policy).timeout(Duration::from_secs(3)).build().unwrap()
}

#[test]
fn without_backups_nothing_fails_over_and_nothing_else_is_retried() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().retry(quick()).build().unwrap();
    // 4xx answers and verification failures are answers: returned at once.
    let options = Options::from(face()).header("X-Sandbox-Fault", "bad-signature");
    assert!(matches!(get(&client, options), Err(Error::Verification(_))));
    let options = Options::from(face()).header("X-Sandbox-Fault", "status=400");
    assert_eq!(get(&client, options).unwrap_err().status().map(|s| s.as_u16()), Some(400));
    assert_eq!(sandbox.requests().len(), 2);
    // A GET answered 500 is retried up to the policy's attempts; a POST is not.
    let options = Options::from(face()).header("X-Sandbox-Fault", "status=500").retry(quick().max_attempts(3));
    assert_eq!(get(&client, options).unwrap_err().status().map(|s| s.as_u16()), Some(500));
    assert_eq!(sandbox.requests().len(), 5);
    let faulted = client.chain("v3/pay/transactions/native").post(
        Options::new()
            .json(&json!({"appid": "wx2b029c08a6233333", "mchid": sandbox.mchid(), "description": "x",
                "out_trade_no": "NO-RETRY-500", "notify_url": "https://example.com/n",
                "amount": {"total": 1, "currency": "CNY"}}))
            .header("X-Sandbox-Fault", "reset"),
    );
    assert_eq!(faulted.unwrap_err().sent(), Sent::Maybe);
    assert_eq!(posts_of(&sandbox, "NO-RETRY-500"), 1);
    // Nonsense policies are typed errors, before anything is sent.
    let bad = get(&client, json!({"retry": {"max_attempts": 0}, "face_sid": "x"})).unwrap_err();
    assert!(matches!(&bad, Error::Input(e) if e.kind() == wechatpay_chain::error::InputErrorKind::InvalidOption));
    let bad = get(&client, Options::from(face()).retry(RetryPolicy::default().max_attempts(99))).unwrap_err();
    assert!(bad.to_string().contains("max_attempts"), "{bad}");
    let refused = sandbox.client_builder().retry(RetryPolicy::default().max_attempts(0)).build().unwrap_err();
    assert!(matches!(&refused, Error::Config(c) if c.setting() == "retry"), "{refused}");
    let refused = sandbox.client_builder().failover_hosts(["https://api2.mch.weixin.qq.com/v3/"]).build().unwrap_err();
    assert!(matches!(&refused, Error::Config(c) if c.setting() == "failover_hosts"), "{refused}");
    assert_eq!(sandbox.requests().len(), 6, "the refused calls sent nothing");
}

#[test]
fn apiv2_requests_fail_over_only_when_nothing_was_sent() {
    let sandbox = Sandbox::start().unwrap();
    let micropay = |client: &Client, no: &str| {
        client.v2().pay().micropay().post(json!({"xml": {
            "appid": "wx2421b1c4370ec43b", "mch_id": sandbox.mchid(), "body": "failover",
            "out_trade_no": no, "total_fee": "1", "spbill_create_ip": "14.17.22.52",
            "auth_code": "120061098828009406",
        }}))
    };
    let refused = client(&refusing(), &sandbox).build().unwrap();
    assert_eq!(micropay(&refused, "V2FAILOVER1").expect("failed over").xml().unwrap()["result_code"], "SUCCESS");
    let resetting = Faulty::start(Fault::Reset);
    let broken = client(&resetting.base_uri(), &sandbox).build().unwrap();
    assert_eq!(micropay(&broken, "V2FAILOVER2").unwrap_err().sent(), Sent::Maybe);
    let v2_posts =
        |no: &str| sandbox.requests().iter().filter(|r| String::from_utf8_lossy(&r.body).contains(no)).count();
    assert_eq!((v2_posts("V2FAILOVER1"), v2_posts("V2FAILOVER2")), (1, 0));
    assert_eq!(resetting.requests().len(), 1);
}

#[test]
fn downloads_and_certificate_downloads_follow_the_same_rules() {
    let (a, b) = twins();
    // The bill link points at `a`; `a` stops before the download, which fails over to `b` with the same
    // path and token (and `b`, which never issued the token, says so).
    let client = a.client_builder().failover_hosts([b.base_uri()]).retry(quick()).build().unwrap();
    let link = client.bill_link(Bill::Trade, json!({"bill_date": "2024-11-24"})).unwrap();
    drop(a);
    let err = client.chain(&link.download_url).download(()).unwrap_err();
    assert_eq!(err.sent(), Sent::Yes, "{err}");
    let token = link.download_url.split_once("token=").unwrap().1;
    assert!(b.requests().iter().any(|r| r.method == "GET" && r.target.contains(token)), "the download went to b");

    // A stream once handed over is never restarted.
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().retry(quick()).build().unwrap();
    let link = client.bill_link(Bill::Trade, json!({"bill_date": "2024-11-24"})).unwrap();
    let mut file =
        client.chain(&link.download_url).download(Options::new().header("X-Sandbox-Fault", "truncate")).unwrap();
    assert!(file.read_to_end(&mut Vec::new()).is_err());
    assert_eq!(sandbox.requests().iter().filter(|r| r.target.contains("billdownload")).count(), 1);

    // Automatic certificates: the primary refuses, the listing comes from the backup.
    let backup = Sandbox::builder().sign_mode(SignMode::Certificate).start().unwrap();
    let auto = backup
        .merchant_builder()
        .apiv3_key(backup.keys().apiv3_key())
        .base_uri(refusing())
        .failover_hosts([backup.base_uri()])
        .build()
        .unwrap();
    get(&auto, face()).expect("keys from the backup, then the call");
    assert!(backup.requests().iter().any(|r| r.target == "/v3/certificates"));
    assert!(auto.certificate_downloads() >= 1);
}

/// Soak: 600 mixed calls, blocking and async, with the retry policy on, against two sandboxes that each
/// inject random faults into 10 % of requests. Every call ends in a response or a typed error whose
/// `sent()` fits it, GETs were retried, and no POST body ever arrived twice at either host.
#[test]
fn six_hundred_calls_with_ten_percent_faults_on_both_hosts_and_retries_on() {
    const WORKERS: usize = 2;
    const PER_WORKER: usize = 150;
    const ASYNC_CALLS: usize = 300;
    let primary = twin().random_faults(0.10, 17).random_fault_delay(Duration::from_millis(900)).start().unwrap();
    let backup = twin().random_faults(0.10, 71).random_fault_delay(Duration::from_millis(900)).start().unwrap();
    let timeout = Duration::from_millis(1500);
    let policy = RetryPolicy::default()
        .backoff(Duration::from_millis(5), Duration::from_millis(40))
        .attempt_timeout(Duration::from_millis(400));
    let client = client(&primary.base_uri(), &backup).retry(policy).timeout(timeout).build().unwrap();
    let mchid = backup.mchid().to_owned();

    let plan = |i: usize| -> (bool, &'static str, Value) {
        match i % 3 {
            0 => (false, "v3/facemch/users/{face_sid}", face()),
            1 => (
                true,
                "v3/pay/transactions/native",
                json!({"json": {
                    "appid": "wx2b029c08a6233333", "mchid": mchid, "description": "soak",
                    "out_trade_no": format!("RSOAK{i:06}"), "notify_url": "https://example.com/notify",
                    "amount": {"total": 1, "currency": "CNY"},
                }}),
            ),
            _ => (
                false,
                "v3/pay/transactions/out-trade-no/{no}",
                json!({"no": format!("RSOAK{:06}", i - 1), "query": {"mchid": mchid}}),
            ),
        }
    };
    let check = |post: bool, result: &Result<wechatpay_chain::Response, Error>, elapsed: Duration| {
        assert!(elapsed < timeout + Duration::from_secs(10), "a call took {elapsed:?}");
        match result {
            Ok(_) => "ok",
            Err(e @ (Error::Api(_) | Error::Verification(_))) => {
                assert_eq!(e.sent(), Sent::Yes);
                "answer"
            }
            Err(e @ (Error::Transport(_) | Error::Timeout(_))) => {
                assert_ne!(e.sent(), Sent::No, "both hosts are up: {e}");
                if post {
                    assert!(e.to_string().contains("query before retrying") || e.sent() == Sent::Yes, "{e}");
                }
                "broken"
            }
            Err(other) => panic!("unexpected error: {other}"),
        }
    };
    let outcomes = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for w in 0..WORKERS {
            let (client, outcomes, plan, check) = (&client, &outcomes, &plan, &check);
            scope.spawn(move || {
                for n in 0..PER_WORKER {
                    let (post, template, options) = plan(w * PER_WORKER + n);
                    let started = std::time::Instant::now();
                    let chain = client.chain(template);
                    let result = if post { chain.post(options) } else { chain.get(options) };
                    outcomes.lock().unwrap().push(check(post, &result, started.elapsed()));
                }
            });
        }
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(async {
            let base = WORKERS * PER_WORKER;
            for chunk in (base..base + ASYNC_CALLS).collect::<Vec<_>>().chunks(30) {
                let calls = chunk.iter().map(|i| {
                    let (post, template, options) = plan(*i);
                    let (client, outcomes, check) = (&client, &outcomes, &check);
                    async move {
                        let started = std::time::Instant::now();
                        let chain = client.chain(template);
                        let result =
                            if post { chain.post_async(options).await } else { chain.get_async(options).await };
                        outcomes.lock().unwrap().push(check(post, &result, started.elapsed()));
                    }
                });
                futures::future::join_all(calls).await;
            }
        });
    });

    let total = WORKERS * PER_WORKER + ASYNC_CALLS;
    let outcomes = outcomes.into_inner().unwrap();
    assert_eq!(outcomes.len(), total, "every call ended in a response or a typed error");
    let ok = outcomes.iter().filter(|o| **o == "ok").count();
    assert!(ok > total * 8 / 10, "most calls succeed: {ok} of {total}");
    let logs: Vec<_> = primary.requests().into_iter().chain(backup.requests()).collect();
    assert!(logs.len() > total, "failed GETs were retried: {} requests for {total} calls", logs.len());
    let mut posts = std::collections::HashMap::<String, usize>::new();
    for entry in logs.iter().filter(|e| e.method == "POST") {
        let body: Value = serde_json::from_slice(&entry.body).unwrap();
        *posts.entry(body["out_trade_no"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    assert_eq!(posts.len(), total / 3, "every POST arrived");
    let twice: Vec<_> = posts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "POSTs sent twice: {twice:?}");
}
