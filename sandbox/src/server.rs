//! The server: accepting connections (HTTP, or TLS when the first byte is a handshake record), checking
//! each request like WeChat Pay (authentication, headers, faults, the request rules), routing it, and
//! signing the answer.

use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::TokioIo;

use crate::faults::{Faults, default_code, parse_faults};
use crate::keys::{random_alnum, random_serial};
use crate::route::{Answer, ROUTES, Reply, Request, Xml};
use crate::state::{SigningKey, State};
use crate::tls::{self, Connection};
use crate::{LoggedRequest, Verdict, check, multipart, pay, rules, v2};

/// RSASSA-PKCS1-v1_5/SHA-256 over `TIMESTAMP\nNONCE\nBODY\n`, as WeChat Pay signs answers and notifications.
pub(crate) fn sign_message(key: &RsaKeyPair, timestamp: &str, nonce: &str, body: &[u8]) -> Result<Vec<u8>, String> {
    let mut message = Vec::with_capacity(timestamp.len() + nonce.len() + body.len() + 3);
    for piece in [timestamp.as_bytes(), nonce.as_bytes(), body] {
        message.extend_from_slice(piece);
        message.push(b'\n');
    }
    let mut signature = vec![0u8; key.public_modulus_len()];
    key.sign(&RSA_PKCS1_SHA256, &aws_lc_rs::rand::SystemRandom::new(), &message, &mut signature)
        .map_err(|_| "RSA signing failed".to_owned())?;
    Ok(signature)
}

pub(crate) async fn serve(
    listener: std::net::TcpListener,
    state: Arc<State>,
    tls: tokio_rustls::TlsAcceptor,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
    loop {
        let accepted = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else { continue };
        let state = Arc::clone(&state);
        let tls = tls.clone();
        tokio::spawn(async move {
            // A TLS connection starts with a handshake record (content type 22); HTTP/1 with a method name.
            let mut first = [0u8; 1];
            if matches!(stream.peek(&mut first).await, Ok(1)) && first[0] == 0x16 {
                let Ok(stream) = tls.accept(stream).await else { return };
                let merchant_cert = tls::is_merchant(stream.get_ref().1.peer_certificates(), &state.merchant_spki);
                serve_connection(TokioIo::new(stream), state, Connection { tls: true, merchant_cert }).await;
            } else {
                serve_connection(TokioIo::new(stream), state, Connection::default()).await;
            }
        });
    }
}

/// Serves HTTP/1 on one accepted (and, for TLS, handshaken) connection.
async fn serve_connection<I>(io: I, state: Arc<State>, connection: Connection)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request| handle(Arc::clone(&state), connection, request));
    let _ = hyper::server::conn::http1::Builder::new().keep_alive(true).serve_connection(io, service).await;
}

pub(crate) type Body = BoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// Answers one request; `connection` says whether it came over TLS and with the merchant's certificate
/// (what APIv2 `security` endpoints check). Dropped before it answers when the client goes away (hyper
/// closes the connection on a read EOF); the [`Abandoned`] guard counts that.
async fn handle(
    state: Arc<State>,
    connection: Connection,
    request: http::Request<Incoming>,
) -> Result<Response<Body>, std::io::Error> {
    let mut abandoned = Abandoned(Some(Arc::clone(&state)));
    let answer = answer(&state, connection, request).await;
    abandoned.0 = None;
    answer
}

/// Counts a request whose client went away before its answer was ready, unless disarmed.
struct Abandoned(Option<Arc<State>>);

impl Drop for Abandoned {
    fn drop(&mut self) {
        if let Some(state) = self.0.take() {
            state.abandoned.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

async fn answer(
    state: &State,
    connection: Connection,
    request: http::Request<Incoming>,
) -> Result<Response<Body>, std::io::Error> {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return Err(std::io::Error::other(e)),
    };
    let method = parts.method.as_str();
    let target = parts.uri.path_and_query().map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let request =
        Request { method, path, query, headers: &parts.headers, body: &body, now: state.clock.now(), connection };
    let mut entry = LoggedRequest {
        method: method.to_owned(),
        target: target.clone(),
        headers: logged_headers(&parts.headers),
        body: body.clone(),
        verdict: Verdict::Authenticated,
        status: 0,
        tls: connection.tls,
        client_cert: connection.merchant_cert,
    };
    let now = request.now;
    let key = state.response_key(request.header("wechatpay-serial"), now);
    if path.starts_with("/_sandbox/") {
        let outcome = pay::control(state, &request).await;
        (entry.verdict, entry.status) = (Verdict::Control, outcome.status);
        state.record(entry);
        return Ok(reply(&key, outcome.status, outcome.body, &Faults::default(), now));
    }

    if v2::claims(path, request.header("content-type"), request.header("authorization").is_some()) {
        return serve_v2(state, entry, &request).await;
    }

    // Multipart uploads are signed over their `meta` part, everything else over the body.
    let checked = multipart::signed_body(request.header("content-type"), &body).and_then(|signed_body| {
        let signed = check::Signed { method, target: &target, body: signed_body };
        let authorization = request.header("authorization");
        check::check(authorization, &signed, &state.mchid, &state.merchant_serial, &state.merchant_verifier, now)
    });
    if let Err(reason) = checked {
        entry.verdict = Verdict::Unauthenticated { reason: reason.clone() };
        entry.status = 401;
        state.record(entry);
        let body = serde_json::json!({"code": "SIGN_ERROR", "message": reason});
        return Ok(reply(&key, 401, Some(body), &Faults { no_signature: true, ..Faults::default() }, now));
    }

    let faults = match (request.header("x-sandbox-fault"), &state.random) {
        (None, Some(random)) => Ok(random.draw()),
        (given, _) => parse_faults(given),
    };
    let invalid = if request.header("accept").is_none() {
        Some("HTTP头缺少Accept (the Accept header is required)".to_owned())
    } else if request.header("user-agent").is_none() {
        Some("HTTP头缺少User-Agent (the User-Agent header is required)".to_owned())
    } else if !body.is_empty()
        && request.header("content-type").is_some_and(|ct| ct.starts_with("application/json"))
        && serde_json::from_slice::<serde_json::Value>(&body).is_err()
    {
        Some("请求体不是合法的JSON (the body is not valid JSON)".to_owned())
    } else {
        faults.as_ref().err().cloned()
    };
    let faults = faults.unwrap_or_default();
    if let Some(reason) = invalid {
        entry.verdict = Verdict::Invalid { reason: reason.clone() };
        entry.status = 400;
        state.record(entry);
        return Ok(reply(&key, 400, Some(serde_json::json!({"code": "PARAM_ERROR", "message": reason})), &faults, now));
    }

    let answer = match &faults.status {
        Some((status, code)) => Answer::Json(Reply::error(
            *status,
            code.as_deref().unwrap_or(default_code(*status)),
            format!("sandbox fault: status {status}"),
        )),
        // WeChat Pay's rules for every request, then the routes in order.
        None => match rules::screen(&state.mchid, &request) {
            Err(refused) => Answer::Json(refused),
            Ok(()) => ROUTES.iter().find_map(|route| route(state, &request)).unwrap_or_else(|| {
                Answer::Json(Reply::error(404, "RESOURCE_NOT_EXISTS", format!("sandbox: no endpoint at {path}")))
            }),
        },
    };
    let status = match &answer {
        Answer::Json(reply) => reply.status,
        Answer::File(_) => 200,
        Answer::Xml(xml) => xml.status,
    };
    // Logged before any delay: the endpoint has acted, even if the client gives up waiting.
    entry.status = if faults.reset { 0 } else { status };
    state.record(entry);
    if let Some(delay) = faults.delay {
        tokio::time::sleep(delay).await;
    }
    if faults.reset {
        return Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "sandbox fault: reset"));
    }
    match answer {
        Answer::Json(outcome) => Ok(reply(&key, outcome.status, outcome.body, &faults, now)),
        Answer::File(file) => {
            // Downloads are unsigned, so only the body faults apply.
            let mut bytes = file.bytes.to_vec();
            if faults.corrupt {
                corrupt(&mut bytes);
            }
            let bytes = Bytes::from(bytes);
            let mut response = unsigned(file.content_type, bytes.clone());
            if faults.truncate {
                truncate(&mut response, &bytes);
            }
            Ok(response)
        }
        Answer::Xml(xml) => Ok(xml_response(xml)),
    }
}

/// The headers as logged: every one, the `Authorization` signature redacted.
fn logged_headers(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
            let value = if n == http::header::AUTHORIZATION { redact_signature(&value) } else { value };
            (n.as_str().to_owned(), value)
        })
        .collect()
}

/// The APIv2 slice: XML in, XML out. Of the faults, `delay`, `status`, `reset` and `bad-signature` (a
/// changed `sign` in the answer) apply.
async fn serve_v2(
    state: &State,
    mut entry: LoggedRequest,
    request: &Request<'_>,
) -> Result<Response<Body>, std::io::Error> {
    let faults = parse_faults(request.header("x-sandbox-fault")).unwrap_or_default();
    let mut answer = match faults.status {
        Some((status, _)) => Xml {
            status,
            body: format!(
                "<xml><return_code>FAIL</return_code><return_msg>sandbox fault: status {status}</return_msg></xml>"
            ),
            refused: Some(format!("sandbox fault: status {status}")),
        },
        None => match v2::route(state, request) {
            Some(Answer::Xml(xml)) => xml,
            _ => Xml { status: 404, body: String::new(), refused: Some(format!("no APIv2 endpoint {}", request.path)) },
        },
    };
    if faults.bad_signature {
        answer.body = v2::tamper_sign(&answer.body);
    }
    let status = if faults.reset { 0 } else { answer.status };
    entry.verdict = match answer.refused.take() {
        Some(reason) => Verdict::Invalid { reason },
        None => Verdict::Authenticated,
    };
    entry.status = status;
    state.record(entry);
    if let Some(delay) = faults.delay {
        tokio::time::sleep(delay).await;
    }
    if faults.reset {
        return Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "sandbox fault: reset"));
    }
    Ok(xml_response(answer))
}

fn xml_response(xml: Xml) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(xml.body)).map_err(|e| match e {}).boxed());
    *response.status_mut() = StatusCode::from_u16(xml.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert("server", HeaderValue::from_static("wechatpay-chain-sandbox"));
    headers.insert("content-type", HeaderValue::from_static("text/xml; charset=utf-8"));
    response
}

/// An unsigned file answer (`200`, no `Wechatpay-*` headers), as WeChat Pay sends bill files.
fn unsigned(content_type: &'static str, bytes: Bytes) -> Response<Body> {
    let mut response = Response::new(Full::new(bytes).map_err(|e| match e {}).boxed());
    let headers = response.headers_mut();
    headers.insert("server", HeaderValue::from_static("wechatpay-chain-sandbox"));
    headers.insert("content-type", HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::try_from(format!("{}-0", random_alnum(40).to_ascii_uppercase())) {
        headers.insert("request-id", v);
    }
    response
}

fn redact_signature(authorization: &str) -> String {
    match authorization.find("signature=\"") {
        Some(i) => format!("{}signature=\"<redacted>\"", &authorization[..i]),
        None => authorization.to_owned(),
    }
}

/// Flips one bit in the middle of `bytes` (the `corrupt` fault).
fn corrupt(bytes: &mut [u8]) {
    let middle = bytes.len() / 2;
    if let Some(b) = bytes.get_mut(middle) {
        *b ^= 0x01;
    }
}

/// Sends the first half of `body`, gives it time to reach the client, then breaks the connection (the
/// `truncate` fault). `Content-Length` announces the whole body.
fn truncate(response: &mut Response<Body>, body: &Bytes) {
    if body.len() < 2 {
        return;
    }
    let half = body.slice(..body.len() / 2);
    response.headers_mut().insert("content-length", HeaderValue::from(body.len()));
    let frames = futures::stream::unfold(0u8, move |step| {
        let half = half.clone();
        async move {
            let frame: Result<Frame<Bytes>, Box<dyn std::error::Error + Send + Sync>> = match step {
                0 => Ok(Frame::data(half)),
                1 => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Err("sandbox fault: truncate".into())
                }
                _ => return None,
            };
            Some((frame, step + 1))
        }
    });
    *response.body_mut() = StreamBody::new(frames).boxed();
}

fn reply(key: &SigningKey, status: u16, json: Option<serde_json::Value>, faults: &Faults, now: i64) -> Response<Body> {
    let body = json.map(|v| Bytes::from(v.to_string())).unwrap_or_default();
    let mut response = Response::new(Full::new(body.clone()).map_err(|e| match e {}).boxed());
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert("server", HeaderValue::from_static("wechatpay-chain-sandbox"));
    if !body.is_empty() {
        headers.insert("content-type", HeaderValue::from_static("application/json; charset=utf-8"));
    }
    let request_id = format!("{}-0", random_alnum(40).to_ascii_uppercase());
    if let Ok(v) = HeaderValue::try_from(request_id) {
        headers.insert("request-id", v);
    }
    if !faults.no_signature {
        let timestamp = if faults.stale_timestamp { now - 600 } else { now }.to_string();
        let nonce = random_alnum(32);
        let mut signature = sign_message(&key.pair, &timestamp, &nonce, &body).unwrap_or_default();
        if faults.bad_signature
            && let Some(b) = signature.get_mut(10)
        {
            *b ^= 0x55;
        }
        let serial = if faults.wrong_serial { random_serial().unwrap_or_default() } else { key.id.clone() };
        for (name, value) in [
            ("wechatpay-timestamp", timestamp),
            ("wechatpay-nonce", nonce),
            ("wechatpay-serial", serial),
            ("wechatpay-signature", STANDARD.encode(&signature)),
            // As WeChat Pay: every signed answer names its algorithm (clients such as Python's
            // wechatpayv3 refuse an answer without it).
            ("wechatpay-signature-type", "WECHATPAY2-SHA256-RSA2048".to_owned()),
        ] {
            if let Ok(v) = HeaderValue::try_from(value) {
                headers.insert(name, v);
            }
        }
    }
    if faults.corrupt {
        let mut bytes = body.to_vec();
        corrupt(&mut bytes);
        *response.body_mut() = Full::new(Bytes::from(bytes)).map_err(|e| match e {}).boxed();
    }
    if faults.truncate {
        truncate(&mut response, &body);
    }
    response
}
