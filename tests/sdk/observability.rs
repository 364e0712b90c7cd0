//! Tracing: every call has a `wechatpay.request` span whose parent is the caller's span (blocking and
//! async, although the I/O runs on the SDK's threads), with its fields after OpenTelemetry's HTTP
//! conventions; retries, certificate refreshes and notification checks are children of it or have
//! their own spans; nothing secret is ever recorded. A small `Layer` records what it sees.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{Layer, Registry};
use wechatpay_chain::{Client, Options, RetryPolicy};
use wechatpay_sandbox::{NotificationSpec, Sandbox, SignMode, Tamper};

#[derive(Clone, Debug)]
struct SpanRecord {
    name: String,
    parent: Option<u64>,
    fields: BTreeMap<String, String>,
}

#[derive(Clone, Debug)]
struct EventRecord {
    level: Level,
    span: Option<u64>,
    fields: BTreeMap<String, String>,
}

/// Our own serial for a span (the registry reuses ids).
struct Serial(u64);

#[derive(Clone, Default)]
struct Capture {
    next: Arc<AtomicU64>,
    spans: Arc<Mutex<BTreeMap<u64, SpanRecord>>>,
    events: Arc<Mutex<Vec<EventRecord>>>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let serial = self.next.fetch_add(1, Ordering::Relaxed);
        let span = ctx.span(id).expect("new span");
        let parent = span.parent().and_then(|p| p.extensions().get::<Serial>().map(|s| s.0));
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        span.extensions_mut().insert(Serial(serial));
        let name = attrs.metadata().name().to_owned();
        self.spans.lock().unwrap().insert(serial, SpanRecord { name, parent, fields });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let span = ctx.span(id).expect("span");
        let Some(serial) = span.extensions().get::<Serial>().map(|s| s.0) else { return };
        let mut spans = self.spans.lock().unwrap();
        let record = spans.get_mut(&serial).expect("recorded span");
        values.record(&mut Fields(&mut record.fields));
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let span = ctx.event_span(event).and_then(|s| s.extensions().get::<Serial>().map(|s| s.0));
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.events.lock().unwrap().push(EventRecord { level: *event.metadata().level(), span, fields });
    }
}

impl Capture {
    fn spans_named(&self, name: &str) -> Vec<(u64, SpanRecord)> {
        self.spans.lock().unwrap().iter().filter(|(_, s)| s.name == name).map(|(k, v)| (*k, v.clone())).collect()
    }

    fn span(&self, serial: u64) -> SpanRecord {
        self.spans.lock().unwrap()[&serial].clone()
    }

    fn events_in(&self, serial: u64) -> Vec<EventRecord> {
        self.events.lock().unwrap().iter().filter(|e| e.span == Some(serial)).cloned().collect()
    }

    /// Every name, field and value recorded, as one text.
    fn everything(&self) -> String {
        format!("{:?}{:?}", self.spans.lock().unwrap(), self.events.lock().unwrap())
    }
}

fn seed() -> serde_json::Value {
    json!({"face_sid": "aabbccdd12345", "query": {"info_type": "ASK_UNIONID", "appid": "wx2b029c08a6233333"}})
}

/// The one `wechatpay.request` span under the caller's span `caller`, checked to be its child.
fn request_span_under(capture: &Capture, caller: &str) -> Vec<(u64, SpanRecord)> {
    let callers = capture.spans_named(caller);
    assert_eq!(callers.len(), 1, "one caller span `{caller}`");
    let caller = callers[0].0;
    capture.spans_named("wechatpay.request").into_iter().filter(|(_, s)| s.parent == Some(caller)).collect()
}

fn calls(client: &Client, sandbox: &Sandbox) {
    client.chain("v3/facemch/users/{face_sid}").get(seed()).expect("seeded");
    let missing = client
        .chain("v3/pay/transactions/out-trade-no/{no}")
        .get(json!({"no": "NO-SUCH-ORDER", "query": {"mchid": sandbox.mchid()}}))
        .expect_err("404");
    assert_eq!(missing.code(), Some("ORDER_NOT_EXIST"));
}

/// The two calls of [`calls`], as recorded.
fn check_calls(capture: &Capture, caller: &str) {
    let spans = request_span_under(capture, caller);
    assert_eq!(spans.len(), 2, "one span per call, both children of the caller's span: {spans:#?}");
    let (ok, ok_span) = &spans[0];
    let f = &ok_span.fields;
    assert_eq!(f["http.request.method"], "GET");
    assert_eq!(f["url.template"], "v3/facemch/users/{face_sid}");
    assert_eq!(f["server.address"], "127.0.0.1");
    assert_eq!(f["wechatpay.api"], "v3");
    assert_eq!(f["http.response.status_code"], "200");
    assert_eq!(f["wechatpay.attempts"], "1");
    assert!(!f["wechatpay.request_id"].is_empty(), "{f:?}");
    assert!(f.contains_key("wechatpay.elapsed_ms"), "{f:?}");
    let events = capture.events_in(*ok);
    assert!(
        events.iter().any(
            |e| e.level == Level::DEBUG && e.fields.get("wechatpay.request_id") == Some(&f["wechatpay.request_id"])
        ),
        "the success event is inside the call's span: {events:#?}"
    );

    let (failed, failed_span) = &spans[1];
    let f = &failed_span.fields;
    assert_eq!(f["url.template"], "v3/pay/transactions/out-trade-no/{no}");
    assert_eq!(f["http.response.status_code"], "404");
    assert_eq!(f["wechatpay.code"], "ORDER_NOT_EXIST");
    assert_eq!(f["wechatpay.sent"], "yes");
    assert_eq!(f["error.type"], "api");
    assert!(!f["wechatpay.request_id"].is_empty());
    let events = capture.events_in(*failed);
    let event = events.iter().find(|e| e.level == Level::INFO).expect("an INFO event for an API error");
    assert_eq!(event.fields["wechatpay.code"], "ORDER_NOT_EXIST");
    assert_eq!(event.fields["http.response.status_code"], "404");
    assert_eq!(event.fields["wechatpay.request_id"], f["wechatpay.request_id"]);
}

#[test]
fn blocking_calls_are_children_of_the_callers_span() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let capture = Capture::default();
    tracing::subscriber::with_default(Registry::default().with(capture.clone()), || {
        let _web = tracing::info_span!("web.request", route = "/orders").entered();
        calls(&client, &sandbox);
    });
    check_calls(&capture, "web.request");
}

#[test]
fn async_calls_are_children_of_the_callers_span() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let capture = Capture::default();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    tracing::subscriber::with_default(Registry::default().with(capture.clone()), || {
        use tracing::Instrument;
        runtime.block_on(
            async {
                client.chain("v3/facemch/users/{face_sid}").get_async(seed()).await.expect("seeded");
                let missing = client
                    .chain("v3/pay/transactions/out-trade-no/{no}")
                    .get_async(json!({"no": "NO-SUCH-ORDER", "query": {"mchid": sandbox.mchid()}}))
                    .await
                    .expect_err("404");
                assert_eq!(missing.code(), Some("ORDER_NOT_EXIST"));
            }
            .instrument(tracing::info_span!("web.handler")),
        );
    });
    check_calls(&capture, "web.handler");
}

#[test]
fn retries_are_events_of_the_calls_span_and_failures_warn() {
    let sandbox = Sandbox::start().unwrap();
    let policy = RetryPolicy::default().max_attempts(2).backoff(Duration::from_millis(1), Duration::from_millis(5));
    let client = sandbox.client_builder().retry(policy).build().unwrap();
    let capture = Capture::default();
    tracing::subscriber::with_default(Registry::default().with(capture.clone()), || {
        let _job = tracing::info_span!("job").entered();
        let options = Options::from(seed()).header("X-Sandbox-Fault", "status=503");
        let err = client.chain("v3/facemch/users/{face_sid}").get(options).expect_err("503 twice");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    });
    let spans = request_span_under(&capture, "job");
    assert_eq!(spans.len(), 1);
    let (serial, span) = &spans[0];
    assert_eq!(span.fields["wechatpay.attempts"], "2");
    assert_eq!(span.fields["http.response.status_code"], "503");
    let events = capture.events_in(*serial);
    let retried: Vec<_> = events.iter().filter(|e| e.fields.contains_key("backoff_ms")).collect();
    assert_eq!(retried.len(), 1, "one retry event, in the call's span: {events:#?}");
    assert_eq!((retried[0].level, retried[0].fields["attempt"].as_str()), (Level::INFO, "1"));
    assert!(
        events
            .iter()
            .any(|e| e.level == Level::WARN && e.fields.get("http.response.status_code").is_some_and(|s| s == "503"))
    );
    assert_eq!(sandbox.requests().len(), 2);
}

#[test]
fn sdk_events_keep_the_callers_span_when_the_request_span_is_filtered_out() {
    use tracing_subscriber::filter::filter_fn;
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let capture = Capture::default();
    let filtered =
        capture.clone().with_filter(filter_fn(|meta| !(meta.is_span() && meta.name() == "wechatpay.request")));
    tracing::subscriber::with_default(Registry::default().with(filtered), || {
        let _web = tracing::info_span!("web.request").entered();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let err = client
                .chain("v3/pay/transactions/out-trade-no/{no}")
                .get_async(json!({"no": "NO-SUCH-ORDER", "query": {"mchid": sandbox.mchid()}}))
                .await
                .expect_err("404");
            assert_eq!(err.code(), Some("ORDER_NOT_EXIST"));
        });
    });
    assert!(capture.spans_named("wechatpay.request").is_empty());
    let (web, _) = capture.spans_named("web.request")[0].clone();
    let events = capture.events_in(web);
    assert!(
        events.iter().any(|e| e.fields.get("wechatpay.code").map(String::as_str) == Some("ORDER_NOT_EXIST")),
        "the SDK's event, made on its own thread, is in the caller's span: {events:#?}"
    );
}

#[test]
fn notifications_and_certificate_refreshes_have_spans_and_nothing_secret_is_recorded() {
    let sandbox = Sandbox::builder().sign_mode(SignMode::Certificate).start().unwrap();
    let keys = sandbox.keys();
    // Automatic certificate mode: the first call waits for a download, inside its own span.
    // Automatic certificate mode; the first download (at build) happens before the capture starts.
    let client = sandbox.merchant_builder().apiv3_key(keys.apiv3_key()).build().unwrap();
    client.chain("v3/facemch/users/{face_sid}").get(seed()).expect("keys downloaded");
    // A new certificate signs what comes next unnamed: the notification that meets its serial downloads
    // the listing (answers are signed with the key the request names, still the older one).
    sandbox.rotate_certificate().unwrap();
    let capture = Capture::default();
    let marker = "MARKERpersonal6f1c";
    let spec = NotificationSpec::new("TRANSACTION.SUCCESS", json!({"out_trade_no": marker, "trade_state": "SUCCESS"}));
    let forged = sandbox.notification(&spec).unwrap();
    let tampered = sandbox.notification(&spec.clone().tamper(Tamper::Body)).unwrap();
    tracing::subscriber::with_default(Registry::default().with(capture.clone()), || {
        let _web = tracing::info_span!("web.request").entered();
        let res = client
            .chain("v3/pay/transactions/native")
            .post(json!({"json": {
                "appid": "wx2b029c08a6233333", "mchid": sandbox.mchid(), "description": marker,
                "out_trade_no": "OBS-000001", "notify_url": "https://example.com/notify",
                "amount": {"total": 1, "currency": "CNY"},
            }}))
            .expect("order");
        assert_eq!(res.status(), 200);
        let notification = client.notification(&forged.headers, &forged.body).expect("genuine");
        assert_eq!(notification.resource()["out_trade_no"], marker);
        client.notification(&tampered.headers, &tampered.body).expect_err("tampered");
    });

    let refreshes = capture.spans_named("wechatpay.certificates");
    assert_eq!(refreshes.len(), 1, "{refreshes:#?}");
    let (refresh, record) = &refreshes[0];
    assert_eq!(record.fields["wechatpay.reason"], "unknown_serial");
    assert!(record.fields["wechatpay.certificates.installed"].parse::<usize>().unwrap() >= 1);
    let parent = capture.span(record.parent.expect("the refresh has a parent"));
    assert_eq!(parent.name, "wechatpay.notification", "the check that needed the key");
    assert_eq!(capture.span(parent.parent.expect("caller")).name, "web.request");
    assert!(capture.events_in(*refresh).iter().any(|e| e.level == Level::INFO));
    let download = capture.spans_named("wechatpay.request");
    assert!(download.iter().all(|(_, s)| s.fields["url.template"] == "v3/pay/transactions/native"));

    let notifications = request_like(&capture, "wechatpay.notification", "web.request");
    assert_eq!(notifications.len(), 2);
    let (ok, genuine) = &notifications[0];
    assert_eq!(genuine.fields["wechatpay.event_type"], "TRANSACTION.SUCCESS");
    assert!(!genuine.fields["wechatpay.notification_id"].is_empty());
    assert!(capture.events_in(*ok).iter().any(|e| e.level == Level::DEBUG));
    let (refused, bad) = &notifications[1];
    assert_eq!(bad.fields["error.type"], "notification");
    assert!(capture.events_in(*refused).iter().any(|e| e.level == Level::WARN && e.fields.contains_key("failure")));

    let everything = capture.everything();
    for secret in [
        marker,
        "WECHATPAY2-SHA256-RSA2048",
        "signature=",
        keys.apiv3_key(),
        keys.apiv2_key(),
        "PRIVATE KEY",
        "ciphertext",
        std::str::from_utf8(&forged.body).unwrap(),
    ] {
        assert!(!everything.contains(secret), "`{secret}` was recorded");
    }
}

/// The spans named `name` whose parent is the caller span `caller`.
fn request_like(capture: &Capture, name: &str, caller: &str) -> Vec<(u64, SpanRecord)> {
    let (caller, _) = capture.spans_named(caller)[0].clone();
    capture.spans_named(name).into_iter().filter(|(_, s)| s.parent == Some(caller)).collect()
}
