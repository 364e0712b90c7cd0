//! Blocking calls do their I/O on the calling thread, with that thread's own runtime and connection
//! pools: connections are reused call after call, an idle connection the server closed in the meantime
//! never carries the next request (a payment sent into a dead connection would end as "may have been
//! sent"), and threads may end and clients be dropped between calls.
//!
//! The server here is a raw HTTP/1.1 keep-alive server on 127.0.0.1 that closes a connection after it
//! has been idle for a set time, and counts connections, requests and closes; a small tracing layer
//! shows which thread a call's I/O ran on.

use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use wechatpay_chain::{Client, Error, Options, Sent};
use wechatpay_sandbox::Sandbox;

use crate::common::*;

const TIMESTAMP: i64 = 1_795_562_040;
const BODY: &str = r#"{"code_url":"weixin://wxpay/bizpayurl?pr=keepalive"}"#;

#[derive(Default)]
struct Counts {
    connections: AtomicUsize,
    requests: AtomicUsize,
    closed: AtomicUsize,
}

/// A keep-alive server that answers every request with a signed 200 and closes a connection once it
/// has been idle for `idle`.
struct KeepAlive {
    addr: SocketAddr,
    counts: Arc<Counts>,
    stop: Arc<AtomicBool>,
}

impl KeepAlive {
    fn start(idle: Duration) -> KeepAlive {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let counts = Arc::new(Counts::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (counting, stopping) = (Arc::clone(&counts), Arc::clone(&stop));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                counting.connections.fetch_add(1, Ordering::SeqCst);
                let counting = Arc::clone(&counting);
                std::thread::spawn(move || {
                    let _ = serve(&stream, idle, &counting);
                    let _ = stream.shutdown(std::net::Shutdown::Both);
                    counting.closed.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        KeepAlive { addr, counts, stop }
    }

    fn client(&self) -> Client {
        vector_builder().base_uri(format!("http://{}/", self.addr)).clock(|| TIMESTAMP).build().expect("client")
    }

    fn count(&self, which: fn(&Counts) -> &AtomicUsize) -> usize {
        which(&self.counts).load(Ordering::SeqCst)
    }

    /// Waits (at most a minute) until the server has closed `n` connections.
    fn wait_closed(&self, n: usize) {
        let start = Instant::now();
        while self.count(|c| &c.closed) < n {
            assert!(start.elapsed() < Duration::from_secs(60), "the server never closed the idle connection");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for KeepAlive {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

/// Answers requests on `stream` until it has been idle for `idle` or the client closes it.
fn serve(stream: &TcpStream, idle: Duration, counts: &Counts) -> std::io::Result<()> {
    stream.set_read_timeout(Some(idle))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    while read_request_from(&mut reader)?.is_some() {
        counts.requests.fetch_add(1, Ordering::SeqCst);
        let mut out = b"HTTP/1.1 200 OK\r\n".to_vec();
        let signed =
            wechatpay_signature_headers("wechatpay_pubkey_private_key.pem", PUB_KEY_ID, TIMESTAMP, BODY.as_bytes());
        for (name, value) in signed {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "Request-ID: keepalive\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{BODY}",
                BODY.len()
            )
            .as_bytes(),
        );
        (&*stream).write_all(&out)?;
    }
    Ok(())
}

fn pay(client: &Client, trade: usize) -> Result<wechatpay_chain::Response, wechatpay_chain::Error> {
    client.chain("v3/pay/transactions/native").post(json!({"json": {
        "appid": "wxd678efh567hg6787", "mchid": MCHID, "description": "keep-alive",
        "out_trade_no": format!("KEEPALIVE{trade}"), "notify_url": "https://www.weixin.qq.com/wxpay/pay.php",
        "amount": {"total": 1},
    }}))
}

#[test]
fn one_thread_reuses_its_connection_call_after_call() {
    let server = KeepAlive::start(Duration::from_secs(30));
    let client = server.client();
    for trade in 0..5 {
        assert_eq!(pay(&client, trade).expect("payment").status(), 200);
    }
    assert_eq!(server.count(|c| &c.requests), 5);
    assert_eq!(server.count(|c| &c.connections), 1, "sequential blocking calls on one thread share one connection");
}

#[test]
fn an_idle_connection_the_server_closed_never_carries_the_next_payment() {
    let server = KeepAlive::start(Duration::from_millis(100));
    let client = server.client();
    assert_eq!(pay(&client, 1).expect("first payment").status(), 200);
    // The server closes the idle connection while this thread is away from the SDK.
    server.wait_closed(1);
    std::thread::sleep(Duration::from_millis(50));
    let second = pay(&client, 2);
    match &second {
        Ok(response) => assert_eq!(response.status(), 200),
        Err(e) => panic!("the second payment failed ({:?} sent): {e}", e.sent() == Sent::Maybe),
    }
    assert_eq!(server.count(|c| &c.requests), 2);
    assert_eq!(server.count(|c| &c.connections), 2, "the second payment went out on a new connection");
}

#[test]
fn threads_may_end_and_clients_be_dropped_between_blocking_calls() {
    let sandbox = Sandbox::builder().start().expect("sandbox");
    let client = sandbox.client_builder().build().expect("client");
    let call = |client: &Client| {
        client
            .chain("v3/facemch/users/{face_sid}")
            .get(json!({"face_sid": "a1", "query": {"info_type": "ASK_UNIONID", "appid": "wx1"}}))
            .map(|r| r.status())
    };
    // Threads that make calls and end: their runtimes and connections go with them.
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let client = client.clone();
            std::thread::spawn(move || (0..3).map(|_| call(&client)).collect::<Vec<_>>())
        })
        .collect();
    for thread in threads {
        for status in thread.join().expect("a thread that made blocking calls ended cleanly") {
            assert_eq!(status.expect("call"), 200);
        }
    }
    // One thread, one client after another: a dropped client's pools leave the thread.
    std::thread::spawn(move || {
        for _ in 0..3 {
            let client = sandbox.client_builder().build().expect("client");
            assert_eq!(call(&client).expect("call"), 200);
        }
        assert_eq!(call(&client).expect("call"), 200);
    })
    .join()
    .expect("thread");
}

/// Records the name of the thread each event is emitted on.
#[derive(Clone, Default)]
struct Threads(Arc<std::sync::Mutex<Vec<String>>>);

impl<S: Subscriber> Layer<S> for Threads {
    fn on_event(&self, _event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let name = std::thread::current().name().unwrap_or("unnamed").to_owned();
        self.0.lock().expect("lock").push(name);
    }
}

/// A server that accepts connections and never answers.
fn silent() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    (listener, addr)
}

/// A blocking call that times out, made on a thread named `caller` (inside a tokio runtime when
/// `in_runtime`); returns the threads its events were emitted on.
fn timed_out_call_threads(in_runtime: bool) -> Vec<String> {
    let (_listener, addr) = silent();
    let threads = Threads::default();
    let seen = threads.clone();
    std::thread::Builder::new()
        .name("caller".to_owned())
        .spawn(move || {
            let subscriber =
                tracing_subscriber::registry().with(seen.with_filter(tracing::level_filters::LevelFilter::DEBUG));
            tracing::subscriber::with_default(subscriber, || {
                let client = vector_builder().base_uri(format!("http://{addr}/")).build().expect("client");
                let call = || {
                    let options = Options::new()
                        .param("transaction_id", "4200000000000000000000000000")
                        .query("mchid", MCHID)
                        .timeout(Duration::from_millis(300));
                    client.chain("v3/pay/transactions/id/{transaction_id}").get(options)
                };
                let result = if in_runtime {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                    runtime.block_on(async { call() })
                } else {
                    call()
                };
                assert!(matches!(result, Err(Error::Timeout(_))), "{result:?}");
            });
        })
        .expect("thread")
        .join()
        .expect("caller thread");
    threads.0.lock().expect("lock").clone()
}

#[test]
fn a_blocking_call_does_its_io_on_the_calling_thread() {
    let threads = timed_out_call_threads(false);
    assert!(!threads.is_empty(), "no event was recorded");
    assert!(threads.iter().all(|t| t == "caller"), "events came from {threads:?}");
}

#[test]
fn inside_a_runtime_a_blocking_call_hands_its_io_to_the_sdk_runtime() {
    let threads = timed_out_call_threads(true);
    assert!(threads.iter().any(|t| t == "wechatpay-io"), "events came from {threads:?}");
}
