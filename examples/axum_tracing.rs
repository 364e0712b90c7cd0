//! The SDK inside an axum service with `tracing`: every WeChat Pay call is a `wechatpay.request` span
//! under the web request's span, so the SDK's events (retries, API errors, certificate downloads) are
//! printed with the web request that caused them.
//!
//! ```text
//! cargo run --example axum_tracing
//! ```
//!
//! Without configuration the example starts the local sandbox, serves on an ephemeral port and sends
//! itself three requests: an order query that succeeds, one for an order that does not exist (an INFO
//! event with WeChat Pay's `code` and `Request-ID`), and one the sandbox answers `503` twice before the
//! retry policy gives up (INFO events for the retries, then a WARN). With the quickstart's `WECHATPAY_*`
//! variables it serves `GET /orders/{out_trade_no}` on `WECHATPAY_LISTEN` (default `127.0.0.1:8080`)
//! until stopped.

mod support;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tracing::Instrument;
use tracing_subscriber::fmt::format::FmtSpan;
use wechatpay_chain::{Client, Options, RetryPolicy};
use wechatpay_sandbox::Sandbox;

/// `GET /orders/{out_trade_no}`: queries the order and answers with its state.
async fn order(State(client): State<Arc<Client>>, Path(out_trade_no): Path<String>, headers: HeaderMap) -> Response {
    // The web request's span: the SDK's span and events become its children.
    let span = tracing::info_span!("http.request", http.route = "/orders/{out_trade_no}", out_trade_no);
    async move {
        let mut options = Options::new().param("no", out_trade_no.as_str()).query("mchid", client.mchid());
        // Only for the demonstration: the sandbox injects the fault this header names.
        if let Some(fault) = headers.get("x-sandbox-fault").and_then(|v| v.to_str().ok()) {
            options = options.header("X-Sandbox-Fault", fault);
        }
        match client.chain("v3/pay/transactions/out-trade-no/{no}").get_async(options).await {
            Ok(res) => match res.json() {
                Ok(order) => {
                    let body = json!({"trade_state": order["trade_state"]}).to_string();
                    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
                }
                Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
            },
            // The SDK already logged the failure with its code, Request-ID and whether it was sent.
            Err(e) => {
                let status = match e.status() {
                    Some(s) if s == StatusCode::NOT_FOUND => StatusCode::NOT_FOUND,
                    _ => StatusCode::BAD_GATEWAY,
                };
                (status, e.code().unwrap_or("UNAVAILABLE").to_owned()).into_response()
            }
        }
    }
    .instrument(span)
    .await
}

fn app(client: Client) -> Router {
    Router::new().route("/orders/{out_trade_no}", get(order)).with_state(Arc::new(client))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A global subscriber: the SDK's runtime threads report to it too. DEBUG shows successful calls;
    // INFO is quieter (API errors, retries); span closes print the span's recorded fields.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(FmtSpan::CLOSE)
        .with_target(false)
        .init();

    if let Some(client) =
        support::client_from_env(&["WECHATPAY_MCHID", "WECHATPAY_SERIAL", "WECHATPAY_PRIVATE_KEY", "WECHATPAY_CERTS"])?
    {
        let address = std::env::var("WECHATPAY_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".to_owned());
        let listener = tokio::net::TcpListener::bind(&address).await?;
        tracing::info!("serving GET http://{address}/orders/{{out_trade_no}}");
        axum::serve(listener, app(client)).await?;
        return Ok(());
    }

    let sandbox = Sandbox::start()?;
    let policy = RetryPolicy::default().max_attempts(2).backoff(Duration::from_millis(50), Duration::from_millis(200));
    let client = sandbox.client_builder().retry(policy).build()?;
    client
        .chain("v3/pay/transactions/native")
        .post_async(json!({"json": {
            "appid": "wx2b029c08a6233333", "mchid": client.mchid(), "description": "axum_tracing",
            "out_trade_no": "AXUM-TRACING-1", "notify_url": "https://example.com/notify",
            "amount": {"total": 1, "currency": "CNY"},
        }}))
        .await?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app(client)).await });
    let mut unexpected = 0;
    for (target, fault, expected) in [
        ("/orders/AXUM-TRACING-1", None, 200),
        ("/orders/NO-SUCH-ORDER", None, 404),
        ("/orders/AXUM-TRACING-1", Some("status=503"), 502),
    ] {
        let headers: Vec<(String, String)> =
            fault.map(|f| ("X-Sandbox-Fault".to_owned(), f.to_owned())).into_iter().collect();
        let (status, _, body) =
            tokio::task::spawn_blocking(move || wechatpay_sandbox::raw_request(addr, "GET", target, &headers, b""))
                .await??;
        println!("GET {target} → {status} {}", String::from_utf8_lossy(&body));
        if status != expected {
            unexpected += 1;
        }
    }
    if unexpected > 0 {
        return Err(format!("{unexpected} answers differ from what was expected").into());
    }
    Ok(())
}
