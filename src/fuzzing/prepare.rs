//! Fuzz targets: request preparation.

use super::*;

/// `Client::chain(template).prepare(method, options)` with JSON options. Byte 0: method (`% 5`);
/// template field; options = the rest as JSON (empty = none; other non-JSON inputs are skipped).
///
/// Properties: as `check_prepared`, plus: a `json` option is the body byte for byte, a `body` option
/// is sent verbatim; APIv2 bodies are XML that carries the configured mchid and a `sign` that verifies
/// (computed independently); APIv3 preparation is deterministic; every refusal has `Sent::No`.
pub fn prepare_json(data: &[u8]) {
    let f = fixture();
    let mut input = Input(data);
    let method = METHODS[usize::from(input.byte()) % METHODS.len()].clone();
    let template = input.text();
    let rest = input.rest();
    let options: Value = match serde_json::from_slice(rest) {
        Ok(v) => v,
        Err(_) if rest.is_empty() => Value::Null,
        Err(_) => return,
    };
    let chain = f.client.chain(&template);
    match chain.prepare(method.clone(), options.clone()) {
        Ok(request) => {
            check_prepared(&request, &method, has_false(&options));
            let custom_type = options
                .get("headers")
                .and_then(Value::as_object)
                .is_some_and(|h| h.keys().any(|k| k.eq_ignore_ascii_case("content-type")));
            if request.api() == Api::V3 {
                match (options.get("json").filter(|v| !v.is_null()), options.get("body").and_then(Value::as_str)) {
                    (Some(json), _) => {
                        check!(
                            serde_json::to_vec(json).ok().as_deref() == Some(&request.body()[..]),
                            "the body is not the `json` option"
                        );
                        if !custom_type {
                            check!(
                                request.headers().get("content-type")
                                    == Some(&HeaderValue::from_static("application/json")),
                                "a JSON body without Content-Type: application/json"
                            );
                        }
                    }
                    (None, Some(body)) => {
                        check!(request.body() == body.as_bytes(), "the `body` option was not sent verbatim")
                    }
                    (None, None) => check!(request.body().is_empty(), "a body appeared from nowhere"),
                }
                let again = chain.prepare(method, options);
                check!(
                    again.as_ref().is_ok_and(|a| a.url() == request.url()
                        && a.headers() == request.headers()
                        && a.body() == request.body()),
                    "preparing the same request twice gave different results"
                );
            }
        }
        Err(e) => check!(e.sent() == Sent::No, "a refused preparation says sent = {:?}: {e}", e.sent()),
    }
}

/// Properties of every prepared request: the method kept; https (http only for loopback hosts); a
/// request target of RFC 3986 characters with valid escapes and no `.`/`..` segment; the signature
/// message is `METHOD\nTARGET\nTS\nNONCE\nBODY\n`; `Debug` does not show the body; APIv2 requests
/// carry the configured mchid and a `sign` that verifies.
fn check_prepared(request: &crate::PreparedRequest, method: &Method, has_false: bool) {
    check!(request.method() == method, "the method changed to {}", request.method());
    let url = request.url();
    let host = url.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    let loopback =
        host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match url.scheme_str() {
        Some("https") => {}
        Some("http") => check!(loopback, "plain http to {host}"),
        other => panic!("fuzzing property violated: the URL scheme is {other:?}"),
    }
    check!(!host.is_empty() && url.authority().is_some_and(|a| !a.as_str().contains('@')), "URL authority `{url}`");
    let after_host = url.authority().map_or("", |a| a.as_str().rsplit_once(']').map_or(a.as_str(), |(_, rest)| rest));
    if let Some((_, port)) = after_host.rsplit_once(':') {
        check!(port.parse::<u16>().is_ok_and(|p| p != 0), "URL port `{port}` in `{url}`");
    }
    let target = request.request_target();
    check!(target.starts_with('/'), "request target `{target}`");
    let bytes = target.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let allowed = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b);
        check!(allowed, "request target `{target}` has byte {b:#04x}");
        if b == b'%' {
            let escape = bytes.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
            check!(escape, "request target `{target}` has a bare %");
        }
    }
    let path = target.split('?').next().unwrap_or_default();
    for segment in path.split('/') {
        let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
        check!(decoded != "." && decoded != "..", "request target `{target}` has a dot segment");
    }
    let mut expected = format!("{method}\n{target}\n1795562040\nNONCE\n").into_bytes();
    expected.extend_from_slice(request.signed_body());
    expected.push(b'\n');
    check!(
        request.sign_message(NOW, "NONCE") == expected,
        "the signature message is not METHOD\\nTARGET\\nTS\\nNONCE\\nBODY\\n"
    );
    if let Ok(body) = std::str::from_utf8(request.body()) {
        let names = format!("{:?}", request.headers().keys().collect::<Vec<_>>());
        if body.len() >= 16 && !url.to_string().contains(body) && !shows(&names, body) {
            check!(!shows(&format!("{request:?}"), body), "Debug of a prepared request shows the body");
        }
    }
    if let Api::V2 { .. } = request.api() {
        let fields = if method == Method::GET {
            check!(request.body().is_empty(), "an APIv2 GET has a body");
            let query = url.query().unwrap_or_default();
            let mut map = Map::new();
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
                map.insert(decode(k), Value::String(decode(v)));
            }
            map
        } else {
            match xml::parse(request.body()) {
                Ok(map) => map,
                Err(e) => panic!("fuzzing property violated: an APIv2 body does not parse back: {e}"),
            }
        };
        let mchid = ["mch_id", "mchid", "combine_mch_id"].iter().find_map(|k| fields.get(*k).filter(|v| !v.is_null()));
        check!(mchid == Some(&json!(MCHID)), "an APIv2 request for mchid {mchid:?}");
        let sign = fields.get("sign").and_then(Value::as_str).unwrap_or_default();
        let hmac = fields.get("sign_type") == Some(&json!("HMAC-SHA256"));
        // `false` is signed as `k=` but written as an empty value, which the receiver leaves out (the PHP
        // SDK does the same), so requests with a `false` field are not compared.
        if let (Some(expected), false) = (v2_signature(&fields, hmac), has_false) {
            check!(sign == expected, "an APIv2 request signed `{sign}`, expected `{expected}`");
        }
    }
}

/// Whether `value` holds a `false` anywhere.
fn has_false(value: &Value) -> bool {
    match value {
        Value::Bool(b) => !b,
        Value::Array(items) => items.iter().any(has_false),
        Value::Object(map) => map.values().any(has_false),
        _ => false,
    }
}

/// The typed `Options` builder and `Chain::seg`/`param`. Byte 0: method (`% 5`); template field;
/// then up to 24 operations, each an opcode byte and its fields (see the match below).
///
/// Properties: as `check_prepared`, plus, for APIv3: a single string path value appears
/// `rawurlencode`d in the target where its `{name}` expression was; a single string query value
/// appears as `rawurlencode(name)=rawurlencode(value)`; the last value given for a header is sent;
/// a media upload is `multipart/form-data` signed over its meta.
pub fn prepare_typed(data: &[u8]) {
    let f = fixture();
    let mut input = Input(data);
    let method = METHODS[usize::from(input.byte()) % METHODS.len()].clone();
    let mut chain = f.client.chain(&input.text());
    let mut options = Options::new();
    let mut params: Vec<(String, Value)> = Vec::new();
    let mut queries: Vec<(String, Value)> = Vec::new();
    let mut raw_query = false;
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut media: Option<Media> = None;
    let mut has_any_false = false;
    for _ in 0..24 {
        if input.is_empty() {
            break;
        }
        match input.byte() % 14 {
            0 => chain = chain.seg(&input.text()),
            1 => chain = chain.param(&input.text()),
            2 => {
                let (name, value) = (input.text(), json_value(input.field()));
                params.push((name.clone(), value.clone()));
                options = options.param(name, value);
            }
            3 => {
                let (name, value) = (input.text(), json_value(input.field()));
                has_any_false |= has_false(&value);
                queries.push((name.clone(), value.clone()));
                options = options.query(name, value);
            }
            4 => {
                raw_query = true;
                options = options.query_string(input.text());
            }
            5 => options = options.json(&json_value(input.field())),
            6 => options = options.body(input.field().to_vec()),
            7 => {
                let (name, value) = (input.text(), input.text());
                headers.push((name.clone(), value.clone()));
                options = options.header(name, value);
            }
            8 => options = options.base_uri(input.text()),
            9 => options = options.timeout(Duration::from_millis(u64::from(input.u16()))),
            10 => {
                let value = json_value(input.field());
                has_any_false |= has_false(&value);
                options = options.xml(&value);
            }
            11 => options = options.nonceless(),
            12 => options = options.security(),
            _ => {
                let name = input.text();
                if let Ok(m) = Media::from_bytes(name, input.field().to_vec()) {
                    media = Some(m.clone());
                    options = options.media(m);
                }
            }
        }
    }
    let template = chain.template().to_owned();
    let Ok(request) = chain.prepare(method.clone(), options) else { return };
    check_prepared(&request, &method, has_any_false);
    if request.api() != Api::V3 {
        return;
    }
    let target = request.request_target();
    if let [(name, Value::String(value))] = params.as_slice()
        && in_path(&template, &format!("{{{name}}}"))
        && !value.is_empty()
    {
        check!(
            target.contains(&rawurlencode(value)),
            "path value `{value}` is not `{}` in `{target}`",
            rawurlencode(value)
        );
    }
    if let ([(name, Value::String(value))], false) = (queries.as_slice(), raw_query) {
        let pair = format!("{}={}", rawurlencode(name), rawurlencode(value));
        let query = target.split_once('?').map(|(_, q)| q).unwrap_or_default();
        check!(query.split('&').any(|p| p == pair), "query `{query}` lacks `{pair}`");
    }
    let mut last: HashMap<HeaderName, &str> = HashMap::new();
    for (name, value) in &headers {
        if let Ok(name) = HeaderName::from_bytes(name.as_bytes()) {
            last.insert(name, value);
        }
    }
    for (name, value) in last {
        let sent = request.headers().get_all(&name).iter().any(|v| v.as_bytes() == value.as_bytes());
        check!(sent, "header `{name}: {value}` was accepted but not sent");
    }
    if let Some(media) = media {
        let content_type = request.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
        check!(content_type.starts_with("multipart/form-data; boundary="), "a media upload sent as `{content_type}`");
        check!(request.signed_body() == &media.meta_bytes(), "a media upload is not signed over its meta");
    }
}

/// Whether `expression` occurs in the path of `template`: anywhere in a relative template, after the
/// authority in an absolute one (`https://{host}/…` expands into the host, not the request target).
fn in_path(template: &str, expression: &str) -> bool {
    match template.split_once("://") {
        Some((_, rest)) => rest.find('/').is_some_and(|slash| rest[slash..].contains(expression)),
        None => template.contains(expression),
    }
}
