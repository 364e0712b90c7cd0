//! Soak: 2000 mixed calls, blocking and async, against a sandbox injecting random faults into 10 % of
//! them. No panic, no call outlives its time limit, every call ends in a response or a typed error whose
//! `sent()` fits it, and no POST is ever sent twice (checked in the sandbox's request log).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wechatpay_chain::{Client, Error, Response, RetryPolicy, Sent};
use wechatpay_sandbox::Sandbox;

const CALLS_PER_WORKER: usize = 250;
const BLOCKING_WORKERS: usize = 4;
const ASYNC_CALLS: usize = 1000;
const TIMEOUT: Duration = Duration::from_millis(800);
/// Generous bound on how long past its time limit a call may take to return (scheduling on a loaded
/// 2-core machine); a call stuck in the SDK would exceed it by far.
const SLACK: Duration = Duration::from_secs(10);

enum Call {
    Face,
    Order(String),
    Query(String),
}

fn options(call: &Call, mchid: &str) -> (&'static str, &'static str, Value) {
    match call {
        Call::Face => (
            "GET",
            "v3/facemch/users/{face_sid}",
            json!({"face_sid": "soak", "query": {"info_type": "ASK_UNIONID", "appid": "wx2b029c08a6233333"}}),
        ),
        Call::Order(no) => (
            "POST",
            "v3/pay/transactions/native",
            json!({"json": {
                "appid": "wx2b029c08a6233333", "mchid": mchid, "description": "soak",
                "out_trade_no": no, "notify_url": "https://example.com/notify",
                "amount": {"total": 1, "currency": "CNY"},
            }}),
        ),
        Call::Query(no) => (
            "GET",
            "v3/pay/transactions/out-trade-no/{out_trade_no}",
            json!({"out_trade_no": no, "query": {"mchid": mchid}}),
        ),
    }
}

fn plan(i: usize) -> Call {
    match i % 3 {
        0 => Call::Face,
        1 => Call::Order(format!("SOAK{i:06}")),
        _ => Call::Query(format!("SOAK{:06}", i - 1)),
    }
}

#[derive(Default)]
struct Tally {
    ok: AtomicUsize,
    api: AtomicUsize,
    verification: AtomicUsize,
    transport: AtomicUsize,
    timeout: AtomicUsize,
}

impl Tally {
    fn record(&self, result: &Result<Response, Error>, elapsed: Duration) {
        assert!(elapsed < TIMEOUT + SLACK, "a call took {elapsed:?} with a {TIMEOUT:?} limit");
        let counter = match result {
            Ok(_) => &self.ok,
            Err(e @ Error::Api(_)) => {
                assert_eq!(e.sent(), Sent::Yes);
                &self.api
            }
            Err(e @ Error::Verification(_)) => {
                assert_eq!(e.sent(), Sent::Yes);
                &self.verification
            }
            Err(e @ Error::Transport(_)) => {
                assert_ne!(e.sent(), Sent::No, "the sandbox is up: connecting never fails: {e}");
                &self.transport
            }
            Err(e @ Error::Timeout(_)) => {
                assert_eq!(e.sent(), Sent::Maybe);
                &self.timeout
            }
            Err(other) => panic!("unexpected error kind: {other}"),
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

fn send_blocking(client: &Client, call: &Call, mchid: &str) -> Result<Response, Error> {
    let (method, template, opts) = options(call, mchid);
    let chain = client.chain(template);
    if method == "POST" { chain.post(opts) } else { chain.get(opts) }
}

#[test]
fn two_thousand_calls_with_ten_percent_faults() {
    let sandbox =
        Sandbox::builder().random_faults(0.10, 2026).random_fault_delay(Duration::from_millis(1600)).start().unwrap();
    // One attempt per call, so that the log has one request per call (tests/sdk/retry.rs soaks with retries).
    let client = sandbox.client_builder().timeout(TIMEOUT).retry(RetryPolicy::none()).build().unwrap();
    let mchid = sandbox.keys().mchid().to_owned();
    let tally = Arc::new(Tally::default());

    // Blocking calls from several threads…
    let workers: Vec<_> = (0..BLOCKING_WORKERS)
        .map(|w| {
            let (client, tally, mchid) = (client.clone(), Arc::clone(&tally), mchid.clone());
            std::thread::spawn(move || {
                for n in 0..CALLS_PER_WORKER {
                    let call = plan(w * CALLS_PER_WORKER + n);
                    let started = Instant::now();
                    let result = send_blocking(&client, &call, &mchid);
                    tally.record(&result, started.elapsed());
                }
            })
        })
        .collect();

    // …while async calls run on a tokio runtime, 50 at a time.
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let base = BLOCKING_WORKERS * CALLS_PER_WORKER;
        for chunk in (0..ASYNC_CALLS).collect::<Vec<_>>().chunks(50) {
            let calls = chunk.iter().map(|i| {
                let call = plan(base + i);
                let (client, tally, mchid) = (client.clone(), Arc::clone(&tally), mchid.clone());
                async move {
                    let (method, template, opts) = options(&call, &mchid);
                    let started = Instant::now();
                    let chain = client.chain(template);
                    let result =
                        if method == "POST" { chain.post_async(opts).await } else { chain.get_async(opts).await };
                    tally.record(&result, started.elapsed());
                }
            });
            futures::future::join_all(calls).await;
        }
    });
    for worker in workers {
        worker.join().expect("no panic in a worker");
    }

    let total = BLOCKING_WORKERS * CALLS_PER_WORKER + ASYNC_CALLS;
    let counts = [&tally.ok, &tally.api, &tally.verification, &tally.transport, &tally.timeout]
        .map(|c| c.load(Ordering::Relaxed));
    assert_eq!(counts.iter().sum::<usize>(), total, "every call ended in a response or an error");
    let failed = total - counts[0];
    assert!((60..=400).contains(&failed), "about 10 % faults, some harmless (short delays): {counts:?}");
    assert!(counts[1..].iter().all(|c| *c > 0), "every kind of failure occurred: {counts:?}");

    // The server saw each request exactly once: nothing was retried, least of all a POST.
    let log = sandbox.requests();
    assert_eq!(log.len(), total, "one request per call");
    let mut posts: HashMap<String, usize> = HashMap::new();
    for entry in log.iter().filter(|e| e.method == "POST") {
        let body: Value = serde_json::from_slice(&entry.body).unwrap();
        *posts.entry(body["out_trade_no"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    assert_eq!(posts.len(), total / 3 + usize::from(total % 3 > 1));
    assert!(posts.values().all(|n| *n == 1), "a POST was sent twice");
}
