//! A WeChat Pay notification (回调通知) endpoint with axum.
//!
//! ```text
//! cargo run --example notify_axum
//! ```
//!
//! The handler hands the **raw** body bytes and the header map to `client.notification_async`, which
//! verifies the signature (same key store as responses, ±300 s), refuses signature probes, and
//! decrypts the resource with the APIv3 key. It answers `204` on success and a 4xx/5xx status with
//! `{"code":"FAIL","message":…}` otherwise, so WeChat Pay retries later.
//!
//! Without configuration the example starts the local sandbox, serves on an ephemeral port, and has
//! the sandbox deliver a genuine, a tampered and a probe notification to it. With the quickstart's
//! `WECHATPAY_*` variables plus `WECHATPAY_APIV3_KEY` it serves on `WECHATPAY_LISTEN` (default
//! `127.0.0.1:8080`) until stopped.

mod support;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;
use wechatpay_chain::Client;
use wechatpay_chain::notify::{MAX_NOTIFICATION_BODY, failure_body};
use wechatpay_sandbox::{NotificationSpec, Sandbox, Tamper};

async fn notify(State(client): State<Arc<Client>>, headers: HeaderMap, body: Bytes) -> Response {
    match client.notification_async(&headers, &body).await {
        Ok(notification) => {
            // Process idempotently: WeChat Pay may deliver the same notification id more than once.
            println!(
                "accepted {} {} ({}), signed by {}",
                notification.id(),
                notification.event_type(),
                notification.summary(),
                notification.signed_by()
            );
            StatusCode::NO_CONTENT.into_response()
        }
        Err(error) => {
            let status = error.http_status();
            println!("refused with {status}: {error}");
            (status, [(header::CONTENT_TYPE, "application/json")], failure_body(&error.to_string())).into_response()
        }
    }
}

fn app(client: Client) -> Router {
    Router::new()
        .route("/wechatpay/notify", post(notify))
        .layer(DefaultBodyLimit::max(MAX_NOTIFICATION_BODY))
        .with_state(Arc::new(client))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Some(client) = support::client_from_env(&[
        "WECHATPAY_MCHID",
        "WECHATPAY_SERIAL",
        "WECHATPAY_PRIVATE_KEY",
        "WECHATPAY_APIV3_KEY",
    ])? {
        let address = std::env::var("WECHATPAY_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".to_owned());
        let listener = tokio::net::TcpListener::bind(&address).await?;
        println!("serving POST http://{address}/wechatpay/notify");
        axum::serve(listener, app(client)).await?;
        return Ok(());
    }

    let sandbox = Sandbox::start()?;
    let client = sandbox.client_builder().build()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/wechatpay/notify", listener.local_addr()?);
    println!("no WECHATPAY_* environment: sandbox at {}, endpoint at {url}", sandbox.base_uri());
    tokio::spawn(async move { axum::serve(listener, app(client)).await });

    let paid = json!({
        "mchid": sandbox.keys().mchid(),
        "out_trade_no": "1217752501201407033233368018",
        "transaction_id": "4200000000202411240000000001",
        "trade_state": "SUCCESS",
        "amount": {"total": 100, "currency": "CNY"},
    });
    let sandbox = Arc::new(sandbox);
    let mut unexpected = 0;
    for (tamper, expected) in [(None, 204), (Some(Tamper::Body), 401), (Some(Tamper::Probe), 401)] {
        let mut spec = NotificationSpec::new("TRANSACTION.SUCCESS", paid.clone());
        if let Some(tamper) = tamper {
            spec = spec.tamper(tamper);
        }
        let forged = sandbox.notification(&spec)?;
        let (sandbox, url) = (Arc::clone(&sandbox), url.clone());
        let (status, body) = tokio::task::spawn_blocking(move || sandbox.deliver(&url, &forged)).await??;
        println!("delivered {tamper:?}: {status} {}", String::from_utf8_lossy(&body));
        if status != expected {
            unexpected += 1;
        }
    }
    if unexpected > 0 {
        return Err(format!("{unexpected} answers differ from what WeChat Pay expects").into());
    }
    Ok(())
}
